"""The scan page waits for the ledger's commit without holding a thread.

``AnonymousScan`` sets :data:`~siapkerja_adapters.ledger_wait.DEFERRED_LEDGER`
around ``resolve``: the ``sql`` storage queues the holder's ledger entry for
its committer thread and the page answers only once the commit that holds it
returned. On SQLite the scan is read on the event loop (``scans_inline``), on
PostgreSQL in the scans' worker threads. What must hold either way: no answer
before the commit, a failed commit is a 503 and no entry, every answered scan
is in the ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.sql import generate_key_setting
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
    return people.scanned_holder(svc)


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_app(svc, secret_key="s" * 32, trusted_hosts=["testserver"])) as c:
        yield c


def test_scans_read_on_the_loop_only_where_the_read_is_local(svc: Siapkerja) -> None:
    storage: Any = svc.storage
    assert storage.scans_inline is (storage.dialect == "sqlite")


def test_every_answered_scan_is_committed_by_the_committer(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    before = len(svc.access_log(account_id))
    for _ in range(20):
        assert client.get(path).status_code == 200
    assert len(svc.access_log(account_id)) == before + 20
    ledger: Any = svc.storage._ledger  # type: ignore[attr-defined]
    assert ledger._committer is not None
    assert ledger._committer.is_alive()


def test_no_answer_before_the_commit(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    assert client.get(path).status_code == 200  # the ledger is open
    ledger: Any = svc.storage._ledger  # type: ignore[attr-defined]
    write, entered, release = ledger._write, threading.Event(), threading.Event()

    def held(batch: list[dict[str, Any]]) -> None:
        entered.set()
        assert release.wait(10)
        write(batch)

    ledger._write = held
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
    write = ledger._write
    failures = [StorageError("unavailable")]

    def failing(batch: list[dict[str, Any]]) -> None:
        if failures:
            raise failures.pop()
        write(batch)

    ledger._write = failing
    refused = client.get(path)
    assert refused.status_code == 503
    assert "SIAPkerja" in refused.text  # the error page, not a bare 500
    assert "Layanan sedang tidak tersedia untuk sementara" in refused.text
    assert "QR Code tidak berlaku" not in refused.text
    assert len(svc.access_log(account_id)) == 1
    assert client.get(path).status_code == 200
    assert len(svc.access_log(account_id)) == 2
