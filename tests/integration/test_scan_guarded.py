"""An anonymous scan resolved on the event loop, its entry inserted only if unchanged.

On SQLite and PostgreSQL: when the card's subject is kept from an earlier
scan, the scan page resolves the scan on the loop (``Deferral(on_loop=True)``):
the ``sql`` storage queues the entry made from the kept subject *guarded* — the
ledger's commit inserts it only if the card, account and profile rows are still
the ones the subject was kept from — and the page answers once that commit
returned. What must hold: no read for such a scan; a change of the card or
profile since it was kept is never served (the guard fails, nothing is
written, the scan is resolved again the usual way — read on the loop on
SQLite, in a worker thread on PostgreSQL —: one entry, the page as it is now);
anything that would need I/O on the loop is resolved the usual way instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.sql import generate_key_setting
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people


def _service(**database: Any) -> Siapkerja:
    return connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        database_migrate="true",
        storage_key=generate_key_setting(),
        sms="memory",
        dukcapil="offline",
        **database,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "sqlite":
        service = _service(database_url=f"sqlite:///{tmp_path / 'guarded.sqlite3'}")
    else:
        service = _service(
            database_url=request.getfixturevalue("postgres_url"),
            database_schema=request.getfixturevalue("postgres_schema"),
        )
    yield service
    service.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def pg_svc(postgres_url: str, postgres_schema: str) -> Iterator[Siapkerja]:
    """PostgreSQL alone (its guard's own parameters)."""
    service = _service(database_url=postgres_url, database_schema=postgres_schema)
    yield service
    service.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def scan(svc: Siapkerja) -> tuple[str, str]:
    """(account id, the path of its card's link)."""
    return people.scanned_holder(svc)


def _client(svc: Siapkerja) -> TestClient:
    return TestClient(create_app(svc, secret_key="s" * 32, trusted_hosts=["testserver"]))


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with _client(svc) as c:
        yield c


@pytest.fixture
def reads(svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The card references the storage read a scan's subject for, in order."""
    storage: Any = svc.storage
    read = storage.scan_subject
    made: list[int] = []

    def counted(card_ref: int) -> Any:
        made.append(card_ref)
        return read(card_ref)

    monkeypatch.setattr(storage, "scan_subject", counted)
    return made


def test_a_kept_subjects_scan_is_answered_without_a_read(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient, reads: list[int]
) -> None:
    account_id, path = scan
    assert client.get(path).status_code == 200  # read: the subject is kept from now on
    assert len(reads) == 1
    for _ in range(5):
        assert client.get(path).status_code == 200
    assert len(reads) == 1  # the five were queued guarded, on the loop
    assert len(svc.access_log(account_id)) == 6
    storage: Any = svc.storage
    assert storage.scans_on_loop is True
    assert storage._ledger.rows == 6  # each in the group commit, none logged in a read


def test_a_profile_changed_since_it_was_kept_is_served_as_it_is_now(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient, reads: list[int]
) -> None:
    account_id, path = scan
    assert people.HEADLINE in client.get(path).text
    svc.update_profile(account_id, biodata={"headline": "Kepala Dapur Nasi Goreng"})
    page = client.get(path)  # the kept subject's entry is refused by its guard
    assert page.status_code == 200
    assert "Kepala Dapur Nasi Goreng" in page.text
    assert people.HEADLINE not in page.text
    assert len(reads) == 2  # read again, the usual way
    log = svc.access_log(account_id)
    assert len(log) == 2  # one entry a scan: the refused one was never written
    assert log[0].id != log[1].id


def test_a_card_revoked_since_it_was_kept_is_a_410_and_no_entry(
    svc: Siapkerja, scan: tuple[str, str], client: TestClient
) -> None:
    account_id, path = scan
    assert client.get(path).status_code == 200
    svc.revoke_card(account_id)
    assert client.get(path).status_code == 410
    assert len(svc.access_log(account_id)) == 1


def test_a_forged_token_is_a_404_without_touching_the_database_on_the_loop(
    scan: tuple[str, str], client: TestClient
) -> None:
    _, path = scan
    assert client.get(path).status_code == 200
    # A forged signature makes the core look for keys rotated by another process: a read,
    # which the storage refuses on the loop (WouldWait), made in a worker thread instead.
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    assert client.get(forged).status_code == 404


def test_a_batch_inserts_only_the_entries_whose_guard_holds(pg_svc: Siapkerja) -> None:
    """PostgreSQL's batch (SQLite's: ``test_scan_guarded_sqlite.py``)."""
    svc = pg_svc
    account_id, path = people.scanned_holder(svc)
    with _client(svc) as client:
        assert client.get(path).status_code == 200
    storage: Any = svc.storage
    ledger = storage._ledger
    card_ref, (raw, _subject) = next(iter(storage._subjects.items()))
    width = len(raw) - 3
    bound = storage._scan_sql.params({"card_ref": card_ref})["card_ref"]  # signed BIGINT
    guard = (bound, raw[width], raw[width + 1], raw[width + 2], raw[width - 1])
    stale = (bound, "1", raw[width + 1], raw[width + 2], raw[width - 1])

    def entry(n: int, guard: tuple[Any, ...] | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "id": f"guarded-{n}",
            "account_id": account_id,
            "at": dt.datetime.now(dt.UTC),
            "audience": "public",
            "fields": "[]",
            "channel": "link",
            "purpose": None,
            "verifier_id": None,
            "verifier_name": None,
            "viewer_account_id": None,
        }
        if guard is not None:
            params["guard"] = guard
        return params

    refused = ledger._write([entry(0, guard), entry(1, stale), entry(2, None), entry(3, stale)])
    assert list(refused) == [1, 3]
    ids = {record.id for record in svc.access_log(account_id)}
    assert {"guarded-0", "guarded-2"} <= ids
    assert not {"guarded-1", "guarded-3"} & ids
