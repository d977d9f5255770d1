"""A stored row changed by hand is ``storage.corrupt``, never the converter's ``ValueError``.

A value its column's type cannot hold — a time, an integer, a boolean on SQLite (whose
columns take any value), a JSON document or an enumeration member on SQLite and
PostgreSQL — is :class:`~siapkerja_adapters.sql.base.CorruptRow` whichever way
the row is read: the scan's lane, a unit of work on the driver or through Core, the
record built from the row. It is logged once with the table (and column), never
the value; nothing is written (a scan that fails appends no ledger entry); the
scan page answers its 500 page, not a traceback.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import CorruptRow
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import StorageError
from siapkerja_core.service import Siapkerja
from support import people

EMAIL = "galih@example.com"
GARBAGE = "garbage-value-4711"  # never in a log line


def _connect(request: pytest.FixtureRequest, tmp_path: Path, dialect: str) -> Siapkerja:
    if dialect == "sqlite":
        where = {"database_url": f"sqlite:///{tmp_path / 'corrupt.sqlite3'}"}
    else:
        where = {
            "database_url": request.getfixturevalue("postgres_url"),
            "database_schema": request.getfixturevalue("postgres_schema"),
        }
    return connect(
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


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    made = _connect(request, tmp_path, request.param)
    try:
        yield made
    finally:
        made.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def sqlite_svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Siapkerja]:
    made = _connect(request, tmp_path, "sqlite")
    try:
        yield made
    finally:
        made.storage.dispose()  # type: ignore[attr-defined]


def _holder(svc: Siapkerja) -> str:
    account, _ = svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=EMAIL, phone="081299999999"
    )
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id


def _corrupt(svc: Siapkerja, table: str, column: str) -> None:
    """Set ``column`` of every row of ``table`` to :data:`GARBAGE` by hand, as an operator
    with a SQL shell might (names from the tests themselves)."""
    statement = text(f"UPDATE {table} SET {column} = :value")  # noqa: S608
    with svc.storage.transaction() as tx:
        tx.run(statement, {"value": GARBAGE})  # type: ignore[attr-defined]


def _ledger_rows(svc: Siapkerja) -> int:
    with svc.storage.transaction() as tx:
        return int(tx.run(text("SELECT count(*) FROM sk_access_log")).scalar_one())  # type: ignore[attr-defined]


def _refused(
    caplog: pytest.LogCaptureFixture, read: Callable[[], Any], where: str
) -> pytest.ExceptionInfo[StorageError]:
    caplog.clear()
    with (
        caplog.at_level(logging.ERROR, logger="siapkerja.storage.sql"),
        pytest.raises(StorageError) as info,
    ):
        read()
    assert isinstance(info.value, CorruptRow)
    assert info.value.full_code == "storage.corrupt"
    assert info.value.__cause__ is None  # the converter's error quotes the value
    assert "tidak dapat dibaca" in info.value.message_id
    assert "cannot be read" in info.value.message_en
    # This read's own (the SMS outbox's thread may meet the same row and say so too).
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "siapkerja.storage.sql" and r.thread == threading.get_ident()
    ]
    assert len(logged) == 1, logged
    assert where in logged[0]
    assert "storage.corrupt" in logged[0]
    assert GARBAGE not in caplog.text
    return info


def test_a_ledger_entry_whose_json_is_garbled(
    svc: Siapkerja, caplog: pytest.LogCaptureFixture
) -> None:
    holder = _holder(svc)
    svc.resolve(svc.card_qr(holder).token)
    _corrupt(svc, "sk_access_log", "fields")
    _refused(caplog, lambda: svc.access_log(holder), "sk_access_log")


def test_an_unknown_enumeration_member(svc: Siapkerja, caplog: pytest.LogCaptureFixture) -> None:
    holder = _holder(svc)
    svc.request_password_reset(EMAIL)
    _corrupt(svc, "sk_otp_challenges", "purpose")

    def read() -> object:
        with svc.storage.transaction() as tx:
            return tx.challenges.get(f"reset:{holder}")

    _refused(caplog, read, "sk_otp_challenges")


def _card_by_core(svc: Siapkerja) -> object:
    with svc.storage.transaction() as tx:
        return tx.run(select(sk.cards)).all()  # type: ignore[attr-defined]


def _card_by_driver(svc: Siapkerja, holder: str) -> object:
    with svc.storage.transaction() as tx:
        return tx.cards.get(holder)


def _account(svc: Siapkerja, holder: str) -> object:
    with svc.storage.transaction() as tx:
        return tx.accounts.get(holder)


@pytest.mark.parametrize(
    ("table", "column", "reads"),
    [
        ("sk_cards", "suspended_at", ["scan", "driver", "core"]),  # a time
        ("sk_cards", "card_ref", ["driver", "core"]),  # an unsigned 64-bit integer
        ("sk_accounts", "created_at", ["account"]),  # a time of another table
    ],
)
def test_a_value_its_column_type_refuses_on_sqlite(
    sqlite_svc: Siapkerja,
    caplog: pytest.LogCaptureFixture,
    table: str,
    column: str,
    reads: list[str],
) -> None:
    svc = sqlite_svc
    holder = _holder(svc)
    token = svc.card_qr(holder).token
    svc.resolve(token)
    before = _ledger_rows(svc)
    _corrupt(svc, table, column)
    ways: dict[str, Callable[[], object]] = {
        "scan": lambda: svc.resolve(token),
        "driver": lambda: _card_by_driver(svc, holder),
        "core": lambda: _card_by_core(svc),
        "account": lambda: _account(svc, holder),
    }
    for way in reads:
        # The lane and the driver know the column; Core's result only the table.
        _refused(caplog, ways[way], f"{table}.{column}" if way != "core" else table)
    assert _ledger_rows(svc) == before  # the failed scan wrote nothing


def test_the_scan_page_of_a_corrupt_card_is_a_typed_500(
    sqlite_svc: Siapkerja, caplog: pytest.LogCaptureFixture
) -> None:
    svc = sqlite_svc
    holder = _holder(svc)
    path = f"/v/{svc.card_qr(holder).token}"
    _corrupt(svc, "sk_cards", "suspended_at")
    with TestClient(create_app(svc, secret_key="c" * 32), raise_server_exceptions=True) as client:
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            page = client.get(path)
            english = client.get(
                path, headers={"cookie": "siapkerja_session=x"}, params={"lang": "en"}
            )
            head = client.head(path)
    assert page.status_code == 500
    assert "Data tersimpan tidak dapat dibaca" in page.text
    assert english.status_code == 500
    assert "A stored record cannot be read" in english.text
    # Headed as what it is: not "the QR code is not valid" (a gate officer would turn
    # the holder away), nor "temporarily unavailable" (trying again will not mend it).
    assert "Something went wrong" in english.text
    assert "Terjadi kesalahan" in page.text
    for heading in ("The service is temporarily unavailable", "The QR code is not valid"):
        assert heading not in english.text
    assert (head.status_code, head.content) == (500, b"")
    for response in (page, english):
        assert "Traceback" not in response.text
        assert GARBAGE not in response.text
    assert "sk_cards.suspended_at" in caplog.text
    assert GARBAGE not in caplog.text
    assert "ValueError" not in caplog.text.replace("(ValueError)", "")  # no traceback logged


def _set(svc: Siapkerja, table: str, column: str, value: object) -> None:
    statement = text(f"UPDATE {table} SET {column} = :value")  # noqa: S608 (the tests' names)
    with svc.storage.transaction() as tx:
        tx.run(statement, {"value": value})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("column", "value"),
    [("channel", GARBAGE), ("fields", "[1, null]"), ("fields", '"photo"')],
)
def test_a_ledger_entry_of_an_unknown_channel_or_not_a_list_of_names(
    svc: Siapkerja, caplog: pytest.LogCaptureFixture, column: str, value: str
) -> None:
    # The record's types are not checked when it is built: before, a channel no writer
    # gives reached the JSON API's answer model, which refused it quoting the value,
    # and a field list of numbers failed on the history page.
    holder = _holder(svc)
    svc.resolve(svc.card_qr(holder).token)
    _set(svc, "sk_access_log", column, value)
    _refused(caplog, lambda: svc.access_log(holder), "sk_access_log")


def test_a_time_postgresql_keeps_but_python_cannot_hold_is_corrupt_not_unavailable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # 'infinity' is a timestamp to PostgreSQL; psycopg cannot load it. Retrying cannot
    # help: storage.corrupt (a 500), not storage.unavailable (a 503 "try again").
    svc = _connect(request, tmp_path, "postgresql")
    try:
        holder = _holder(svc)
        token = svc.card_qr(holder).token
        svc.resolve(token)
        before = _ledger_rows(svc)
        _set(svc, "sk_cards", "suspended_at", "infinity")
        for read in (lambda: svc.card(holder), lambda: svc.resolve(token)):
            with pytest.raises(StorageError) as info:
                read()
            assert info.value.full_code == "storage.corrupt"
        assert _ledger_rows(svc) == before
    finally:
        svc.storage.dispose()  # type: ignore[attr-defined]


def test_a_signed_in_page_over_a_corrupt_row_answers_its_error_page(
    sqlite_svc: Siapkerja, caplog: pytest.LogCaptureFixture
) -> None:
    # Before, a storage fault on a signed-in page escaped to the server: the last-resort
    # page without its message, a traceback in the log and the connection dropped.
    svc = sqlite_svc
    holder = _holder(svc)
    reset = svc.request_password_reset(EMAIL)
    svc.deliver_outbox()
    sent = svc.sms.last_to("+6281299999999")  # type: ignore[attr-defined]
    assert sent is not None
    code = re.search(r"\b(\d{6})\b", sent.text)
    assert code is not None
    password = "kopi tubruk di pal merah"
    svc.reset_password(reset.id, code.group(1), password)
    with TestClient(create_app(svc, secret_key="c" * 32), raise_server_exceptions=True) as client:
        page = client.get("/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        signed = client.post(
            "/",
            data={"identifier": people.NIK, "password": password, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        assert client.get("/kartu").status_code == 200
        _corrupt(svc, "sk_cards", "suspended_at")
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            card = client.get("/kartu")  # raise_server_exceptions: an escape would raise
            after = client.get("/riwayat")  # the same client, the same connection
    assert card.status_code == 500
    assert "Data tersimpan tidak dapat dibaca" in card.text
    assert after.status_code in (200, 500)
    assert GARBAGE not in card.text
    assert GARBAGE not in caplog.text
    assert "Traceback" not in caplog.text
    assert holder
