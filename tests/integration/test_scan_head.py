"""``HEAD /v/<token>`` is no scan: the status a GET would answer, no body, no ledger entry.

Link previewers and uptime checks send a HEAD; it shows the profile to nobody, so
the holder's access ledger must not say it did. On SQLite and PostgreSQL (where a
scan's entry goes through the ledger's own lane), for a valid, a suspended, a
revoked and a malformed token: each HEAD answers the
GET's status without a body and leaves the ledger's count as it was, while each
GET that opens the profile still appends its entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people

SECRET = "h" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "sqlite":
        where = {"database_url": f"sqlite:///{tmp_path / 'head.sqlite3'}"}
    else:
        where = {
            "database_url": request.getfixturevalue("postgres_url"),
            "database_schema": request.getfixturevalue("postgres_schema"),
        }
    made = connect(
        environ={},
        load_entrypoints=False,
        hasher=PasswordHasher.fast_for_tests(),
        storage="sql",
        sms="memory",
        dukcapil="offline",
        storage_key=generate_key_setting(),
        database_migrate="true",
        **where,
    )
    try:
        yield made
    finally:
        made.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def holder(svc: Siapkerja) -> str:
    account, _ = svc.import_account(
        nik=people.NIK,
        full_name=people.NAME,
        email="galih@example.com",
        phone="081299999999",
    )
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_app(svc, secret_key=SECRET)) as made:
        yield made


def _ledger(svc: Siapkerja, account_id: str) -> int:
    return len(svc.access_log(account_id))


def test_head_answers_as_get_without_a_ledger_entry(
    svc: Siapkerja, holder: str, client: TestClient
) -> None:
    path = f"/v/{svc.card_qr(holder).token}"
    before = _ledger(svc, holder)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert head.headers["x-robots-tag"] == "noindex, nofollow"
    assert _ledger(svc, holder) == before
    get = client.get(path)
    assert get.status_code == 200
    assert people.NAME in get.text
    assert _ledger(svc, holder) == before + 1
    assert client.head(path).status_code == 200
    assert _ledger(svc, holder) == before + 1


@pytest.mark.parametrize(
    ("change", "status"),
    [("suspend_card", 404), ("revoke_card", 410), ("rotate_card", 410)],
)
def test_head_of_a_token_that_opens_nothing_answers_the_get_status(
    svc: Siapkerja, holder: str, client: TestClient, change: str, status: int
) -> None:
    path = f"/v/{svc.card_qr(holder).token}"
    getattr(svc, change)(holder)
    before = _ledger(svc, holder)
    head = client.head(path)
    get = client.get(path)
    assert (head.status_code, get.status_code) == (status, status)
    assert head.content == b""
    assert _ledger(svc, holder) == before


def test_head_of_a_malformed_token_is_404(svc: Siapkerja, holder: str, client: TestClient) -> None:
    head = client.head("/v/not-a-token")
    assert (head.status_code, head.content) == (404, b"")
    assert client.get("/v/not-a-token").status_code == 404
