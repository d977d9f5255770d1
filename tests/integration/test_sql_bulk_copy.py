"""An import's writes and look-ups on PostgreSQL: ``COPY`` as one text block, indexes in binary.

``SqlStorage.bulk_insert_accounts`` writes a batch's accounts and profiles
with ``COPY``: as one block of COPY's text form made by ``_copy_text``, or,
when a value holds what that form escapes (or is of a class it does not
format), row by row through psycopg's ``write_row``. ``bulk_find_accounts``
binds a batch's blind indexes as one binary array. These tests hold the text
block to ``write_row`` (the same rows stored, on generated values) and the
look-up to the accounts it must find; on SQLite, the batch insert's bytes
(bound as a ``bytearray``) to the BLOBs they must be.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql import storage as storage_module
from siapkerja_core.records import AccountRecord
from support.people import numbered_account

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_COLUMNS = [column.name for column in sk.accounts.columns]


@pytest.fixture
def storage(postgres_url: str, postgres_schema: str) -> Iterator[SqlStorage]:
    made = SqlStorage(
        postgres_url, key_material=KeyMaterial.generate(), migrate=True, schema=postgres_schema
    )
    try:
        yield made
    finally:
        made.dispose()


def stored(storage: SqlStorage) -> list[tuple[Any, ...]]:
    with storage.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(sk.accounts).order_by("id"))]


def copy_both_ways(storage: SqlStorage, rows: list[dict[str, Any]]) -> tuple[list[Any], bool]:
    """``rows`` copied into an empty ``sk_accounts`` by the text block, then (the table
    emptied) by ``write_row``: both as stored, and whether the text block was made."""
    made = storage_module._copy_text(sk.accounts, _COLUMNS, rows) is not None
    both = []
    for general in (False, True):
        original = storage_module._copy_text
        if general:  # the general path: psycopg's write_row
            storage_module._copy_text = lambda *_args: None
        try:
            with storage.transaction() as tx:
                storage._copy(tx, sk.accounts, rows)
            both.append(stored(storage))
        finally:
            storage_module._copy_text = original
            with storage.engine.begin() as conn:
                conn.execute(sa.delete(sk.accounts))
    return both, made


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3, minutes=-30))]
)
_TIMES = st.builds(
    lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    _ZONES,
)


@st.composite
def account_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    return [
        {
            "id": f"{n:02d}-{draw(_TEXT)}",  # distinct, as are the unique indexes
            "nik_index": bytes([n]) + draw(st.binary(max_size=40)),
            "email_index": bytes([n]) + draw(st.binary(max_size=40)),
            "phone_index": bytes([n]) + draw(st.binary(max_size=40)),
            "pii": draw(st.binary(max_size=300)),
            "password_hash": draw(_TEXT),
            "created_at": draw(_TIMES),
            "password_changed_at": draw(_TIMES),
            "active": draw(st.booleans()),
        }
        for n in range(count)
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=account_rows())
def test_the_text_block_stores_what_write_row_stores(
    storage: SqlStorage, rows: list[dict[str, Any]]
) -> None:
    (by_text, by_row), _made = copy_both_ways(storage, rows)
    assert by_text == by_row
    assert len(by_text) == len(rows)


def test_values_the_text_form_escapes_go_through_write_row(storage: SqlStorage) -> None:
    plain = {
        "id": "a",
        "nik_index": b"\x00\\\t\n'\"",
        "email_index": bytes(range(256)),
        "phone_index": b"x",
        "pii": b"",
        "password_hash": "!no-password",
        "created_at": NOW,
        "password_changed_at": NOW.astimezone(timezone(timedelta(hours=7))),
        "active": True,
    }
    (by_text, by_row), made = copy_both_ways(storage, [plain])
    assert made  # bytes of any value are hex: nothing to escape
    assert by_text == by_row
    assert by_text[0][1:5] == (b"\x00\\\t\n'\"", bytes(range(256)), b"x", b"")
    for n, awkward in enumerate(["tab\there", "line\nend", "back\\slash", "cr\rlf", "é ✓"]):
        row = {**plain, "id": f"b{n}", "password_hash": awkward}
        (by_text, by_row), made = copy_both_ways(storage, [row])
        assert made == (awkward == "é ✓")
        assert by_text == by_row
        assert by_text[0][5] == awkward
    row = {**plain, "id": "c", "active": 1}  # not a bool: the general path decides
    assert storage_module._copy_text(sk.accounts, _COLUMNS, [row]) is None


def account(n: int) -> AccountRecord:
    return numbered_account(n, NOW)


def test_the_binary_look_up_finds_the_batch_accounts(storage: SqlStorage) -> None:
    accounts = [account(n) for n in range(1, 41)]
    with storage.transaction() as tx:
        storage.bulk_insert_accounts(tx, accounts)
    with storage.transaction() as tx:
        found = storage.bulk_find_accounts(
            tx,
            niks=[a.nik for a in accounts[:10]] + [account(99).nik],
            emails=[a.email for a in accounts[10:20]] + ["nobody@example.com"],
            phones=[a.phone for a in accounts[20:30]],
        )
    assert sorted(found, key=lambda a: a.id) == sorted(accounts[:30], key=lambda a: a.id)
    with storage.transaction() as tx:
        assert storage.bulk_find_accounts(tx, niks=[account(99).nik]) == []


def test_sqlite_stores_an_import_batch_bytes_as_blobs(tmp_path: Path) -> None:
    """SQLite's batch insert binds bytes as a ``bytearray``: the same BLOBs, read back
    as the bytes given (what an index look-up compares against)."""
    storage = SqlStorage(
        f"sqlite:///{tmp_path / 'bulk.sqlite3'}", key_material=KeyMaterial.generate()
    )
    try:
        accounts = [account(n) for n in range(1, 4)]
        with storage.transaction() as tx:
            storage.bulk_insert_accounts(tx, accounts)
        with storage.engine.connect() as conn:
            kinds = conn.exec_driver_sql(
                "SELECT DISTINCT typeof(nik_index), typeof(email_index), typeof(phone_index),"
                " typeof(pii) FROM sk_accounts"
            ).all()
            indexes = conn.exec_driver_sql("SELECT id, nik_index FROM sk_accounts").all()
        assert kinds == [("blob", "blob", "blob", "blob")]
        assert {row[0]: row[1] for row in indexes} == {
            a.id: storage.blind_index("nik", a.nik) for a in accounts
        }
        with storage.transaction() as tx:
            found = storage.bulk_find_accounts(tx, phones=[a.phone for a in accounts])
        assert sorted(found, key=lambda a: a.id) == accounts
    finally:
        storage.dispose()
