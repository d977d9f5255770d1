"""SQLite: a scan of a kept subject is one guarded statement, refused when its rows changed.

``svc.resolve`` of a card whose subject the ``sql`` storage keeps from an
earlier scan makes the ledger entry from that subject and commits it with one
``INSERT … SELECT … WHERE <the card's row is still the one kept>`` through the
ledger's group commit (``SqlStorage._scan_logged_sqlite``): no read into
Python. What must hold, as for PostgreSQL's guard (``test_scan_guarded.py``,
``test_scan_lane.py``): a change committed by *another* connection or process
to the same file — the card revoked or suspended, the account closed, the
profile edited, the keys rotated or retired — fails the guard, nothing is
written, and the scan is answered (or refused) as the rows are now, one entry
per answered scan; and the entry the guarded statement writes is byte for byte
the one the read-then-log path writes.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_adapters import connect
from siapkerja_adapters.ledger_wait import NotLogged
from siapkerja_adapters.sql import generate_key_setting
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.keyring import KEYRING_NAME
from siapkerja_adapters.sql.lane import Prepared, Rows
from siapkerja_adapters.sql.ledger import _access_params
from siapkerja_adapters.sql.storage import _SCAN, _GuardedSqlite
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.records import AccessRecord, new_access_record
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from support import people


@pytest.fixture
def database(tmp_path: Path) -> dict[str, Any]:
    return {
        "environ": {},
        "load_entrypoints": False,
        "hasher": PasswordHasher.fast_for_tests(),
        "storage": "sql",
        "database_url": f"sqlite:///{tmp_path / 'guarded.sqlite3'}",
        "database_migrate": "true",
        "storage_key": generate_key_setting(),
        "sms": "memory",
        "dukcapil": "offline",
    }


@pytest.fixture
def pair(database: dict[str, Any]) -> Iterator[tuple[Siapkerja, Siapkerja]]:
    """Two services on one SQLite file: the second stands for another process."""
    first, second = connect(**database), connect(**database)
    yield first, second
    for svc in (first, second):
        svc.storage.dispose()  # type: ignore[attr-defined]


class _Counts:
    """The scan's reads (``scan_subject``) and the guarded entries refused (``NotLogged``)."""

    def __init__(self, storage: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        self.refused = 0
        read = storage.scan_subject
        ledger = storage._ledger
        append = ledger.append

        def counted_read(card_ref: int) -> Any:
            self.reads += 1
            return read(card_ref)

        def counted_append(params: dict[str, Any]) -> None:
            try:
                append(params)
            except NotLogged:
                self.refused += 1
                raise

        monkeypatch.setattr(storage, "scan_subject", counted_read)
        monkeypatch.setattr(ledger, "append", counted_append)


def _kept(svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, _Counts]:
    """A carded holder scanned once (its subject kept): (account id, token, the counts)."""
    account_id, path = people.scanned_holder(svc)
    token = path.removeprefix("/v/")
    svc.resolve(token)
    return account_id, token, _Counts(svc.storage, monkeypatch)


def test_a_kept_subjects_scan_is_one_guarded_statement_and_no_read(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    first = svc.resolve(token)
    views = [svc.resolve(token) for _ in range(5)]
    assert all(view is first for view in views)
    assert (counts.reads, counts.refused) == (0, 0)
    storage: Any = svc.storage
    assert storage._ledger.rows == 7  # every entry through the ledger's commits
    log = svc.access_log(account_id)
    assert len(log) == 7
    assert len({record.id for record in log}) == 7


def test_a_profile_edited_by_another_process_is_served_as_it_is_now(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, other = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    assert people.HEADLINE in str(svc.resolve(token).data)
    other.update_profile(account_id, biodata={"headline": "Kepala Dapur Nasi Goreng"})
    edited = svc.resolve(token)
    assert "Kepala Dapur Nasi Goreng" in str(edited.data)
    assert people.HEADLINE not in str(edited.data)
    assert (counts.reads, counts.refused) == (1, 1)  # refused by its guard, then read
    assert svc.resolve(token) is edited  # kept again: guarded, no read
    assert (counts.reads, counts.refused) == (1, 1)
    log = svc.access_log(account_id)
    assert len(log) == 4  # one entry a scan answered: the refused one was never written
    assert log[-2].fields == edited.disclosed


@pytest.mark.parametrize("change", ["revoke", "suspend"])
def test_a_card_revoked_or_suspended_by_another_process_is_refused_and_not_logged(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    svc, other = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    svc.resolve(token)
    getattr(other, f"{change}_card")(account_id)
    with pytest.raises(TokenError) as refused:
        svc.resolve(token)
    assert refused.value.code == ("revoked" if change == "revoke" else "suspended")
    assert (counts.reads, counts.refused) == (1, 1)
    assert len(svc.access_log(account_id)) == 2


def test_keys_rotated_then_retired_by_another_process_are_seen(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, other = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    old_kid = svc.cards.keyring().signing_link_key.kid  # type: ignore[union-attr]
    other.rotate_keys()  # the stamp moves: the kept subject's entry is refused
    assert svc.resolve(token).siapkerja_id
    assert (counts.reads, counts.refused) == (1, 1)
    other.retire_key(old_kid)  # the token's key is gone: the scan must be refused
    with pytest.raises(TokenError):
        svc.resolve(token)
    assert (counts.reads, counts.refused) == (2, 2)
    assert len(svc.access_log(account_id)) == 2


_SQL_CHANGES = {
    # what another process writes: the code the scan is refused with (None: answered)
    "account closed": ("UPDATE sk_accounts SET active = 0", "revoked"),
    "card suspended": (
        "UPDATE sk_cards SET suspended_at = '2026-01-01 00:00:00.000000'",
        "suspended",
    ),
    "card revoked": ("UPDATE sk_cards SET revoked_at = '2026-01-01 00:00:00.000000'", "revoked"),
    "card version": ("UPDATE sk_cards SET version = version + 1", "revoked"),
    "keyring stamp": ("UPDATE sk_keyring SET stamp = 'elsewhere'", None),
}


@pytest.mark.parametrize("change", sorted(_SQL_CHANGES))
def test_a_row_changed_in_plain_sql_by_another_process_fails_the_guard(
    pair: tuple[Siapkerja, Siapkerja],
    database: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """A column the subject is decoded from, changed by a separate ``sqlite3`` process."""
    svc, _ = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    svc.resolve(token)
    statement, code = _SQL_CHANGES[change]
    path = database["database_url"].removeprefix("sqlite:///")
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], timeout=30)\n"
        "c.execute(sys.argv[2])\n"
        "c.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, path, statement], check=True)
    if code is None:
        svc.resolve(token)
    else:
        with pytest.raises(TokenError) as refused:
            svc.resolve(token)
        assert refused.value.code == code
    assert (counts.reads, counts.refused) == (1, 1)  # the kept subject's entry: never written
    with sqlite3.connect(path) as conn:  # not svc.access_log: a closed account has none to show
        [(entries,)] = conn.execute(
            "SELECT count(*) FROM sk_access_log WHERE account_id = ?", (account_id,)
        )
    assert entries == (3 if code is None else 2)


def test_a_no_op_update_keeps_the_guard_and_logs_once(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unlike PostgreSQL's ``xmin``, the guard compares values: a write that changes none
    of them leaves the kept subject exactly right, and the scan logs in one statement."""
    svc, _ = pair
    account_id, token, counts = _kept(svc, monkeypatch)
    storage: Any = svc.storage
    with sqlite3.connect(storage.engine.url.database) as conn:
        conn.execute("UPDATE sk_accounts SET active = active")
    svc.resolve(token)
    assert (counts.reads, counts.refused) == (0, 0)
    assert len(svc.access_log(account_id)) == 2


def test_a_batch_inserts_only_the_entries_whose_guard_holds(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = pair
    account_id, _token, _counts = _kept(svc, monkeypatch)
    storage: Any = svc.storage
    ledger, guarded = storage._ledger, storage._guarded
    _card_ref, (raw, _subject) = next(iter(storage._subjects.items()))
    stale = (*raw[:4], raw[4] + 1, *raw[5:])  # the card's version moved on

    def record(n: int) -> AccessRecord:
        return _record(f"guarded-{n}", account_id, datetime.now(UTC))

    batch = [
        {"guarded": guarded.params(record(0), raw)},
        {"guarded": guarded.params(record(1), stale)},
        _access_params(record(2)),
        {"guarded": guarded.params(record(3), stale)},
    ]
    assert list(ledger._write(batch)) == [1, 3]
    ids = {entry.id for entry in svc.access_log(account_id)}
    assert {"guarded-0", "guarded-2"} <= ids
    assert not {"guarded-1", "guarded-3"} & ids
    assert list(ledger._write([{"guarded": guarded.params(record(4), stale)}])) == [0]
    assert list(ledger._write([{"guarded": guarded.params(record(5), raw)}])) == []


def _record(
    id_: str,
    account_id: str,
    at: datetime,
    *,
    purpose: str | None = None,
    fields: tuple[str, ...] = ("full_name", "skills"),
    audience: str = "anonymous",
) -> AccessRecord:
    return new_access_record(
        id=id_,
        account_id=account_id,
        at=at,
        audience=audience,
        fields=fields,
        channel="link",
        purpose=purpose,
        verifier_id=None,
        verifier_name=None,
        viewer_account_id=None,
    )


def test_the_guarded_entry_is_stored_byte_for_byte_as_the_plain_one(
    pair: tuple[Siapkerja, Siapkerja], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = pair
    account_id, _token, _counts = _kept(svc, monkeypatch)
    storage: Any = svc.storage
    ledger, guarded = storage._ledger, storage._guarded
    _card_ref, (raw, _subject) = next(iter(storage._subjects.items()))
    at = datetime(2026, 12, 7, 5, 6, 7, 890, tzinfo=UTC)
    plain, kept = _record("plain", account_id, at), _record("kept", account_id, at)
    assert list(ledger._write([_access_params(plain)])) == []
    assert list(ledger._write([{"guarded": guarded.params(kept, raw)}])) == []
    columns = ("account_id", "at", "audience", "fields", "channel", "purpose", "verifier_id")
    picked = ", ".join(f"typeof({c}), hex({c})" for c in columns)
    with sqlite3.connect(storage.engine.url.database) as conn:
        rows = {
            row[0]: row[1:]
            for row in conn.execute(
                f"SELECT id, {picked} FROM sk_access_log WHERE id IN ('plain', 'kept')"  # noqa: S608
            )
        }
    assert rows["plain"] == rows["kept"]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]),
    ),
    purpose=st.none() | _TEXT,
    fields=st.lists(_TEXT, max_size=4).map(tuple),
    audience=st.sampled_from(["anonymous", "verifier", "holder"]),
    id_=_TEXT,
)
def test_the_guarded_values_are_what_rows_flat_makes(
    at: datetime, purpose: str | None, fields: tuple[str, ...], audience: str, id_: str
) -> None:
    """The guarded statement's entry values, written out, equal the generic conversion;
    its guard is the kept row's columns, the card's reference and the keyring's name."""
    record = _record(id_, "acct", at, purpose=purpose, fields=fields, audience=audience)
    width = len(_ROWS.columns)
    raw = tuple(f"column-{n}" for n in range(len(_SCAN.selected_columns)))
    made = _GUARDED.params(record, raw)
    assert list(made[:width]) == _ROWS.flat([_access_params(record)])
    assert made[width:] == (raw[3], *raw[:-1], KEYRING_NAME, raw[-1])


_ENGINE = sa.create_engine("sqlite://")  # the dialect compiles: never connected
_ROWS = Rows(_ENGINE, sk.access_log)
_GUARDED = _GuardedSqlite(_ENGINE, Prepared(_ENGINE, _SCAN), _ROWS)
