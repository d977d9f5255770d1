"""The scan page waits for the ledger's commit without holding a thread.

``AnonymousScan`` sets :data:`~siapkerja_adapters.ledger_wait.DEFERRED_LEDGER`
around ``resolve``: the ``sql`` storage queues the holder's ledger entry and
the page answers only once the commit that holds it returned. On SQLite the
scan is read on the event loop (``scans_inline``) and the commit made there
too when it need not wait (``sql.ledger.LedgerNow``), else by the committer
thread; on PostgreSQL the scan is read in the scans' worker threads and the
committer thread commits. What must hold every way: no answer before the
commit, a failed commit is a 503 and no entry, every answered scan is in the
ledger.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.sql import generate_key_setting
from siapkerja_adapters.sql import ledger as ledger_module
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import StorageError
from siapkerja_core.service import Siapkerja
from support import people


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    settings: dict[str, Any] = {
        "storage": "sql",
        "database_migrate": "true",
        "storage_key": generate_key_setting(),
        "sms": "memory",
        "dukcapil": "offline",
    }
    if request.param == "sqlite":
        settings["database_url"] = f"sqlite:///{tmp_path / 'scan.sqlite3'}"
    else:
        settings["database_url"] = request.getfixturevalue("postgres_url")
        settings["database_schema"] = request.getfixturevalue("postgres_schema")
    service = connect(
        environ={}, load_entrypoints=False, hasher=PasswordHasher.fast_for_tests(), **settings
    )
    yield service
    service.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def scan(svc: Siapkerja) -> tuple[str, str]:
    """(account id, the path of its card's link)."""
    return _holder(svc)


def _holder(svc: Siapkerja) -> tuple[str, str]:
    """A holder with a card: (account id, the path of its card's link)."""
    account, _ = svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=people.EMAIL, phone="081299999999"
    )
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id, "/v/" + svc.card_qr(account.id).token


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_app(svc, secret_key="s" * 32, trusted_hosts=["testserver"])) as c:
        yield c


def test_scans_read_on_the_loop_only_where_the_read_is_local(svc: Siapkerja) -> None:
    storage: Any = svc.storage
    assert storage.scans_inline is (storage.dialect == "sqlite")


def _writer(svc: Siapkerja) -> str:
    """The ``GroupCommit`` attribute that commits a scan page's entry: on SQLite the
    event loop's ``write_now``, on PostgreSQL the committer thread's ``write``."""
    return "_write_now" if svc.storage.dialect == "sqlite" else "_write"  # type: ignore[attr-defined]


def test_every_answered_scan_is_committed(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    before = len(svc.access_log(account_id))
    for _ in range(20):
        assert client.get(path).status_code == 200
    assert len(svc.access_log(account_id)) == before + 20
    ledger: Any = svc.storage._ledger  # type: ignore[attr-defined]
    if svc.storage.dialect == "sqlite":  # type: ignore[attr-defined]
        assert ledger.commits_now >= 20  # on the loop: no thread was needed
        assert ledger._committer is None
    else:
        assert ledger._committer is not None
        assert ledger._committer.is_alive()


def test_no_answer_before_the_commit(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    assert client.get(path).status_code == 200  # the ledger is open
    ledger: Any = svc.storage._ledger  # type: ignore[attr-defined]
    name = _writer(svc)
    write, entered, release = getattr(ledger, name), threading.Event(), threading.Event()

    def held(batch: list[dict[str, Any]]) -> None:
        entered.set()
        assert release.wait(10)
        write(batch)

    setattr(ledger, name, held)
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(client.get(path).status_code))
    request.start()
    assert entered.wait(10)
    request.join(0.3)
    assert answers == []  # the commit is held: the page has not answered
    release.set()
    request.join(10)
    assert answers == [200]
    assert len(svc.access_log(account_id)) == 2


def test_a_failed_commit_is_a_503_without_an_entry_and_the_next_scan_works(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    assert client.get(path).status_code == 200
    ledger: Any = svc.storage._ledger  # type: ignore[attr-defined]
    name = _writer(svc)
    write = getattr(ledger, name)
    failures = [StorageError("unavailable")]

    def failing(batch: list[dict[str, Any]]) -> None:
        if failures:
            raise failures.pop()
        write(batch)

    setattr(ledger, name, failing)
    refused = client.get(path)
    assert refused.status_code == 503
    assert "SIAPkerja" in refused.text  # the error page, not a bare 500
    assert len(svc.access_log(account_id)) == 1
    assert client.get(path).status_code == 200
    assert len(svc.access_log(account_id)) == 2


# --------------------------------------------------------------------------
# SQLite: the commit on the loop declines what would wait
# --------------------------------------------------------------------------


@pytest.fixture
def sqlite_svc(tmp_path: Path) -> Iterator[Siapkerja]:
    service = connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'scan.sqlite3'}",
        database_migrate="true",
        storage_key=generate_key_setting(),
        sms="memory",
        dukcapil="offline",
    )
    yield service
    service.storage.dispose()  # type: ignore[attr-defined]


def _answer_later(client: TestClient, path: str) -> tuple[threading.Thread, list[int]]:
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(client.get(path).status_code))
    request.start()
    return request, answers


def test_a_held_write_lock_leaves_the_commit_to_the_committer_and_the_answer_waits_for_it(
    sqlite_svc: Siapkerja,
) -> None:
    account_id, path = _holder(sqlite_svc)
    with TestClient(create_app(sqlite_svc, secret_key="s" * 32)) as client:
        assert client.get(path).status_code == 200
        storage: Any = sqlite_svc.storage
        ledger = storage._ledger
        on_loop = ledger.commits_now
        writer = storage._writer  # the process's SQLite write lock: another unit of work writes
        writer.acquire()
        try:
            request, answers = _answer_later(client, path)
            request.join(0.3)
            assert answers == []  # the loop did not commit around the lock: nothing answered
        finally:
            writer.release()
        request.join(10)
        assert answers == [200]
        assert ledger.commits_now == on_loop  # the committer thread made that commit
        assert ledger._committer is not None
        assert len(sqlite_svc.access_log(account_id)) == 2


def test_another_connection_writing_leaves_the_commit_to_the_committer(
    sqlite_svc: Siapkerja, tmp_path: Path
) -> None:
    account_id, path = _holder(sqlite_svc)
    with TestClient(create_app(sqlite_svc, secret_key="s" * 32)) as client:
        assert client.get(path).status_code == 200
        ledger: Any = sqlite_svc.storage._ledger  # type: ignore[attr-defined]
        on_loop = ledger.commits_now
        other = sqlite3.connect(tmp_path / "scan.sqlite3", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # as another process's writer would
            request, answers = _answer_later(client, path)
            request.join(0.3)
            assert answers == []
            other.execute("ROLLBACK")
        finally:
            other.close()
        request.join(10)
        assert answers == [200]
        assert ledger.commits_now == on_loop
        assert len(sqlite_svc.access_log(account_id)) == 2


def test_the_wal_is_checkpointed_off_the_loop(sqlite_svc: Siapkerja, tmp_path: Path) -> None:
    _, path = _holder(sqlite_svc)
    wal = tmp_path / "scan.sqlite3-wal"
    scans = 1500  # ~4 WAL pages a commit: ~6,000 pages unless checkpointed
    with TestClient(create_app(sqlite_svc, secret_key="s" * 32)) as client:
        assert client.get(path).status_code == 200
        ledger: Any = sqlite_svc.storage._ledger  # type: ignore[attr-defined]
        now = sqlite_svc.storage._ledger_now  # type: ignore[attr-defined]
        for _ in range(scans):
            assert client.get(path).status_code == 200
        # The loop's connection never checkpoints ...
        assert now._cursor.connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        # ... every CHECKPOINT_EVERY-th commit is the committer thread's, whose connection does
        # as SQLite does after a commit (past 1,000 pages): the WAL stays near that size.
        assert ledger.commits - ledger.commits_now >= scans // (ledger_module.CHECKPOINT_EVERY + 1)
        page_size = now._cursor.connection.execute("PRAGMA page_size").fetchone()[0]
        assert wal.stat().st_size < 2000 * page_size
