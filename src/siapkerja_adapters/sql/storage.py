"""The ``sql`` storage adapter: the storage port on SQLAlchemy Core (SQLite, PostgreSQL).

:class:`SqlStorage` keeps the port's whole contract
(``tests/contract/test_storage_contract.py``):

* ``with storage.transaction() as tx:`` is one database transaction on one
  pooled connection: it commits when the block ends normally and rolls back
  when it raises. Transactions do not nest within a thread (as in memory).
* **Isolation.** SQLite: every unit of work starts with ``BEGIN IMMEDIATE``
  (WAL mode), so writers are serialised by the database lock and a
  read-then-write never loses an update. PostgreSQL: ``READ COMMITTED`` plus
  row locks — the repositories whose rows the same transaction goes on to
  update read them ``FOR UPDATE`` (registrations, OTP challenges, password
  resets, accounts by id, consents), and the keyring is read under an
  advisory transaction lock, so two racing confirmations of one code, or two
  processes creating the first keyring, queue instead of both winning.
  Chosen over ``SERIALIZABLE``: a unit of work is caller code inside a
  ``with`` block and cannot be replayed by the adapter on a serialisation failure.
* **One active account per NIK, e-mail and phone** is held by partial unique
  indexes on their blind indexes (``WHERE active``). ``accounts.add`` inserts
  with ``ON CONFLICT DO NOTHING`` and, when nothing was inserted, looks up
  which identifier is taken: of N racing additions exactly one succeeds and
  the others get :class:`~siapkerja_core.ports.AccountConflict` — and the
  transaction stays usable (no aborted transaction on PostgreSQL).
* **Failures** of the database (unreachable, closed, disk full, a lost
  connection) raise :class:`~siapkerja_core.ports.StorageError`, never a
  driver exception; the transaction is rolled back.
* **Personal data at rest** is encrypted (:mod:`.crypto`): NIK, full name,
  e-mail and phone of registrations and accounts, the phone of OTP
  challenges, whole profiles and the token keyring. Lookups by NIK, e-mail
  or phone go through keyed blind indexes.

``scan_subject`` answers a QR scan with one query (card, account and profile
joined) and ``log_access`` appends its ledger entry, both on the scan's lane
(:mod:`.lane`: kept driver connections, the entries of concurrent scans in
one commit, each scan returning once its entry is committed); ``scan_logged``
makes the scan of a card read before one statement that reads it and appends
the entry, inserted only if the rows read are the row versions (PostgreSQL's
``xmin``) or the very column values (SQLite) the entry was made from
(``docs/storage.md``, *The scan's lane*); the counters
are single statements committed on their own. :attr:`SqlStorage.counters`
are rate-limit slots in a table (the ``ratelimit = "storage"`` adapter),
atomic across processes through
``INSERT … ON CONFLICT DO UPDATE … RETURNING``.

**Under load** (``tests/integration/test_load.py``, ``benchmarks/bench_load.py``):

* *One connection per thread at a time.* A thread that holds a pooled
  connection (a transaction, a single statement) and asks for another waits
  on the pool for a connection that other threads, themselves waiting, hold —
  on SQLite while its first connection holds the write lock the second needs.
  That deadlocked 16 concurrent sign-ups of 0.1 until the 30 s timeouts
  broke it. Such a checkout is logged as a warning, and raises
  :class:`SecondConnection` when ``$_SIAPKERJA_CONNECTION_GUARD`` is ``1`` —
  as it is for the whole test suite (``tests/conftest.py``), its servers in
  child processes included.
* *SQLite writers queue in the process.* Every unit of work and every
  single-statement write takes the storage's write lock before it takes a
  connection and the database's lock. Waiters on SQLite's own lock poll it
  with growing sleeps (up to 100 ms) and no order, so under 64 concurrent
  requests some waited seconds while the lock was free in between; a
  thread lock wakes the next writer at once. The database lock still
  orders the processes of one file (uvicorn ``--workers``), with at most one
  waiter each. Reads outside a transaction (a scan, a counter) take neither,
  nor does a read-only unit of work (``transaction(read_only=True)``: ``BEGIN
  DEFERRED``, a WAL snapshot, with ``PRAGMA query_only``; on PostgreSQL
  ``BEGIN READ ONLY``), so page renders do not queue behind writers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import operator
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import (
    Boolean,
    Engine,
    LargeBinary,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    exists,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql import Executable
from sqlalchemy.types import NullType, UserDefinedType

from siapkerja_adapters.ledger_wait import DEFERRED_LEDGER, Deferral, NotLogged, WouldWait
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.accounts import _A, _account, _account_params, _violated_field
from siapkerja_adapters.sql.base import SchemaNotReady, _context, _storage_error, logger, reads
from siapkerja_adapters.sql.cards import _C, _card, profile_row
from siapkerja_adapters.sql.counters import SqlCounters
from siapkerja_adapters.sql.crypto import (
    BlindIndex,
    FieldCipher,
    KeyMaterial,
    StorageKeyError,
    StorageKeyUnavailable,
)
from siapkerja_adapters.sql.engine import (
    BEGIN_OPTION,
    create_sql_engine,
    is_memory_sqlite,
    normalise_url,
)
from siapkerja_adapters.sql.keyring import KEYRING_NAME
from siapkerja_adapters.sql.lane import SQLITE_COMMIT_DELAY, GroupCommit, Lane, Prepared, Rows
from siapkerja_adapters.sql.ledger import _K, _access_params, _fields_json
from siapkerja_adapters.sql.stamp import LoopStamp, ThreadStamp, stamp_connect_params
from siapkerja_adapters.sql.transaction import SqlTransaction, _driver_form, _Scope
from siapkerja_core.converter import structure_stored_profile, unstructure
from siapkerja_core.ports import AccountConflict, ScanSubject, StorageError
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccessRecord, AccountRecord

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from siapkerja_adapters.sql.keys import KeySource

__all__ = ["CONNECTION_GUARD_ENV", "SecondConnection", "SqlStorage"]

CONNECTION_GUARD_ENV: Final = "_SIAPKERJA_CONNECTION_GUARD"
"""``1``: a thread asking for a second pooled connection while it holds one raises
:class:`SecondConnection` (the test suite sets it); otherwise that is logged as a warning."""

_INDEX_KEY_NAME: Final = "blind_index_key"
_PROFILE_CACHE_MAX_BLOB: Final = 64 * 1024
_SUBJECTS_KEPT: Final = 1024
"""Scan subjects kept decoded (:meth:`SqlStorage.scan_subject`), each with the row it came from."""

_SCAN: Final = (
    select(
        _C.id,
        _C.account_id,
        _C.number,
        _C.card_ref,
        _C.version,
        _C.issued_at,
        _C.updated_at,
        _C.revoked_at,
        _C.status_index,
        _C.suspended_at,
        _A.pii.label("a_pii"),
        _A.password_hash.label("a_password_hash"),
        _A.created_at.label("a_created_at"),
        _A.password_changed_at.label("a_password_changed_at"),
        _A.active.label("a_active"),
        sk.profiles.c.data.label("p_data"),
        # The keyring's stamp rides along: a running service notices a key
        # rotated or retired by another process without a second query.
        select(sk.keyring.c.stamp)
        .where(sk.keyring.c.name == KEYRING_NAME)
        .scalar_subquery()
        .label("k_stamp"),
    )
    .select_from(
        sk.cards.join(sk.accounts, _A.id == _C.account_id).outerjoin(
            sk.profiles, sk.profiles.c.account_id == _C.account_id
        )
    )
    .where(_C.card_ref == bindparam("card_ref"))
)


_IN_CHUNK: Final = 2000
"""Values bound to one ``IN`` list by the bulk look-ups (SQLite allows 32,766 parameters)."""

_FIND_SIZES: Final = (8, 64, 512, _IN_CHUNK)
"""The look-up statements' sizes on SQLite: a chunk is padded to the next."""


@functools.cache
def _bulk_find_statement(field: str, size: int) -> Select[Any]:
    column = _A[f"{field}_index"]
    marks = [bindparam(f"v{k}", type_=column.type) for k in range(size)]
    return select(sk.accounts).where(column.in_(marks), _A.active == true())


def _bulk_find_sqlite(field: str, values: Sequence[bytes]) -> tuple[Select[Any], dict[str, Any]]:
    """The look-up for SQLite as a statement of fixed size, run on the
    driver (``tx.fetch``: compiled once): an expanding ``IN`` is compiled again by
    SQLAlchemy on every call. The values are padded with the last one (``IN`` is
    a set) to one of :data:`_FIND_SIZES`."""
    size = next(size for size in _FIND_SIZES if size >= len(values))
    padded = [*values, *[values[-1]] * (size - len(values))]
    return _bulk_find_statement(field, size), {f"v{k}": value for k, value in enumerate(padded)}


_BULK_PROFILES: Final = select(sk.profiles.c.account_id, sk.profiles.c.data).where(
    sk.profiles.c.account_id.in_(bindparam("ids", expanding=True))
)
# PostgreSQL: one array parameter (``= ANY``) rather than thousands of placeholders,
# which psycopg scans the statement for on every call.
_BULK_FIND_PG: Final = {
    field: select(sk.accounts).where(
        _A[f"{field}_index"] == any_(bindparam("values", type_=pg_dialect.ARRAY(LargeBinary))),
        _A.active == true(),
    )
    for field in ("nik", "email", "phone")
}


_COPY_NULL: Final = "\\N"  # NULL in COPY's text form


def _copy_stamp(value: Any) -> str:
    """A ``UtcDateTime`` in COPY's text form, as its ``process_bind_param`` binds it."""
    if value.tzinfo is None or value.utcoffset() is None:  # as UtcDateTime refuses
        raise ValueError("storage keeps aware datetimes only (e.g. datetime.now(UTC))")
    return value.astimezone(UTC).isoformat()  # type: ignore[no-any-return]


def _copy_bytes(value: Any) -> str | None:
    return "\\\\x" + value.hex() if value.__class__ is bytes else None  # bytea's hex, \\ escaped


_COPY_ESCAPED: Final = re.compile(r"[\t\n\r\\]")
"""What COPY's text form escapes in a text (its delimiter, line ends, backslash)."""


def _copy_str(value: Any) -> str | None:
    if value.__class__ is not str or _COPY_ESCAPED.search(value) is not None:
        return None
    return value


def _copy_bool(value: Any) -> str | None:
    return ("f", "t")[value] if value.__class__ is bool else None


_COPY_FORMS: Final[dict[type[Any], Callable[[Any], str | None]]] = {
    LargeBinary: _copy_bytes,
    Text: _copy_str,
    Boolean: _copy_bool,
    sk.UtcDateTime: _copy_stamp,
}
"""COPY's text form of a value by its column's type, or ``None`` for a value of another
class or a text holding what that form escapes (nothing else is escaped here: a bytea's
hex, a timestamp's ISO form, ``t`` and ``f`` hold none of it)."""


def _copy_text(table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str | None:
    """``rows`` (each with exactly ``columns``) as the data of ``COPY table (columns) FROM
    STDIN`` in COPY's text form, or ``None`` when a column's type is not one of
    :data:`_COPY_FORMS`, a value is not of the class its form expects, or a text holds
    a character that form escapes (a tab, a line end, a backslash): the caller then
    lets psycopg write them row by row.

    A line a row, its values formatted by their column's type, instead of psycopg's
    ``write_row``, which chose and ran a dumper for every value (the accounts and
    profiles of an import: a tenth of its time on PostgreSQL). The rows stored are
    those ``write_row`` stores (``tests/integration/test_sql_bulk_copy.py``).
    """
    forms = []
    for name in columns:
        form = _COPY_FORMS.get(type(table.c[name].type))
        if form is None:
            return None
        if form is _copy_stamp:  # a batch binds one "now" to every row: formatted once
            form = functools.lru_cache(maxsize=16)(_copy_stamp)
        forms.append((name, form))
    width = len(columns)
    lines = []
    for row in rows:
        if len(row) != width:
            return None
        cells = []
        for name, form in forms:
            value = row[name]
            if value is None:
                cells.append(_COPY_NULL)
                continue
            cell = form(value)
            if cell is None:
                return None
            cells.append(cell)
        lines.append("\t".join(cells))
    lines.append("")
    return "\n".join(lines)


def _bulk_find_pg_driver(engine: Any, field: str) -> tuple[str, Callable[[list[Any]], list[Any]]]:
    """:data:`_BULK_FIND_PG` of ``field`` for the driver, the blind indexes bound as one
    binary array (``%(values)b``), and its driver rows' reader.

    Bound as text, psycopg wrote each of a batch's 2,000 indexes out as escaped hex
    and quoted it through a regular expression: a tenth of a complete-row import's
    time on PostgreSQL. The binary array carries the same bytes, so the query reads
    the same rows; the rows are converted as Core converts them.
    """
    form = _driver_form(engine, _BULK_FIND_PG[field], ("values",))
    if form is None or form.sql.count("%(values)s") != 1:  # pragma: no cover - ours
        raise RuntimeError(f"the look-up by {field} is not one the driver runs")
    return form.sql.replace("%(values)s", "%(values)b"), form.rows


_BULK_PROFILES_PG: Final = select(sk.profiles.c.account_id, sk.profiles.c.data).where(
    sk.profiles.c.account_id == any_(bindparam("ids", type_=pg_dialect.ARRAY(Text)))
)


def _copy_error(error: Exception) -> StorageError | AccountConflict:
    """A driver error of ``COPY`` as the port's error: a unique violation is a conflict."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate == "23505":
        constraint = getattr(getattr(error, "diag", None), "constraint_name", None) or ""
        for field in ("nik", "email", "phone"):
            if f"_{field}_" in constraint:
                return AccountConflict(field)
        return AccountConflict("nik")
    logger.warning("storage failure: %s", type(error).__name__)
    return StorageError("unavailable")


class _ScanRow(NamedTuple):
    """A row of :data:`_SCAN`, its columns converted (what ``_card`` reads by name)."""

    id: str
    account_id: str
    number: str
    card_ref: int
    version: int
    issued_at: Any
    updated_at: Any
    revoked_at: Any
    status_index: int | None
    suspended_at: Any
    a_pii: bytes
    a_password_hash: str
    a_created_at: Any
    a_password_changed_at: Any
    a_active: bool
    p_data: bytes | None
    k_stamp: str | None


assert _ScanRow._fields == tuple(_SCAN.selected_columns.keys())
_SCAN_WIDTH: Final = len(_ScanRow._fields)
_P_DATA: Final = _ScanRow._fields.index("p_data")

# PostgreSQL: the scan's row with the versions of its card, account and profile rows
# (``xmin``, the transaction that wrote the row version read: any later write to
# the row makes a new version with a new ``xmin``), so that one statement can read
# the card and append the ledger entry made from the kept subject, only if the
# rows read are the very versions it was decoded from (``SqlStorage.scan_logged``).
_ROW_VERSIONS: Final = (
    cast(literal_column("sk_cards.xmin"), Text).label("c_x"),
    cast(literal_column("sk_accounts.xmin"), Text).label("a_x"),
    cast(literal_column("sk_profiles.xmin"), Text).label("p_x"),
)
# What scan_logged compares before it appends: the row versions and the keyring's stamp,
# without the PII and profile ciphertexts (fetched only when the rows changed).
_SCAN_PG_VERSIONS: Final = (
    select(*_ROW_VERSIONS, _SCAN.selected_columns.k_stamp)
    .select_from(_SCAN.get_final_froms()[0])
    .where(_C.card_ref == bindparam("card_ref"))
)
_SCAN_PG: Final = _SCAN.add_columns(*_ROW_VERSIONS)


_LEDGER_VALUES: Final = tuple(f"l_{n}" for n in range(len(sk.access_log.c)))
"""The parameters of a ledger entry's values in :data:`_SCAN_PG_LOGGED`, in column order."""


class _Xid(UserDefinedType[str]):
    """PostgreSQL's ``xid``: a row version (``xmin``) compared as itself, not as its text."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "XID"


def _xid(name: str) -> Any:
    """A row version kept as text (``CAST(xmin AS TEXT)`` of :data:`_ROW_VERSIONS`), as an ``xid``.

    ``xid``'s input reads back exactly the decimal its output wrote, so the
    comparison is the one of the two texts; the server compares the column
    without converting each row version read to text (measured here, one
    sitting: ~15 µs less of the server's CPU a scan than comparing the texts).
    """
    return cast(bindparam(name, type_=Text), _Xid())


# PostgreSQL: a scan's ledger entry, made from the kept subject, inserted only if the
# card, account and profile rows are still the versions it was decoded from and the
# keyring's stamp is the same (SqlStorage.scan_logged). One plain INSERT … SELECT …
# WHERE EXISTS: no row comes back (the command's row count says whether it went in),
# no read of the scan's columns is planned or set up beside it. The former statement
# also read the scan's row in the same round trip for when the guard failed (a
# ``UNION ALL`` of the read and the insert's ``RETURNING``, its scans set up on every
# execution even when never run) and compared the row versions as text: measured here,
# ~40 µs of the server's CPU a scan more than this one, for a read that only a changed
# card needs — which now reads in a round trip of its own, as a card not kept does.
_SCAN_PG_GUARD: Final[Select[Any]] = (
    select(literal_column("1"))
    .select_from(_SCAN.get_final_froms()[0])
    .where(
        _C.card_ref == bindparam("card_ref"),
        literal_column("sk_cards.xmin") == _xid("g_c"),
        literal_column("sk_accounts.xmin") == _xid("g_a"),
        literal_column("sk_profiles.xmin").is_not_distinct_from(_xid("g_p")),
        _SCAN.selected_columns.k_stamp.element.is_not_distinct_from(bindparam("g_k", type_=Text)),
    )
)
_SCAN_PG_LOGGED: Final = sk.access_log.insert().from_select(
    [column.name for column in sk.access_log.c],
    select(
        *(
            bindparam(name, type_=column.type)
            for name, column in zip(_LEDGER_VALUES, sk.access_log.c, strict=True)
        )
    ).where(exists(_SCAN_PG_GUARD)),
)


def _binary_params(sql: str) -> str:
    """``sql`` (psycopg's named placeholders, each cast to its type) with every value sent
    in binary (``%(…)b``).

    The scan's entry is sent on every scan: in binary its time needs no text made by
    psycopg and parsed by the server, and its card reference no digits (measured here
    with the rest of the statement: 6–10 µs of the client's and the server's CPU a
    scan). Every placeholder is cast, so the server reads each as the type it was.
    """
    binary, count = re.subn(r"%\(([^()]+)\)s::", r"%(\1)b::", sql)
    assert count
    assert re.search(r"%\([^()]+\)s", binary) is None, "a placeholder without a cast"
    return binary


def _guarded_insert_sqlite() -> Insert:
    """SQLite: a ledger entry inserted only if the scan's row is still the one kept.

    ``INSERT INTO sk_access_log (…) SELECT ?, … FROM <the scan's join> WHERE
    card_ref = ? AND <every column of the scan's row> IS ?``: the entry's values
    (``l_0`` …, in the ledger's column order), then the card's reference, then
    each column of :data:`_SCAN` (``g_0`` …) compared with ``IS`` (``NULL``-safe)
    to the driver row the kept subject was decoded from. SQLite has no row
    version (PostgreSQL's ``xmin``), but the kept subject is a function of that
    row alone — :meth:`SqlStorage._subject_of` hands it out again exactly when
    the row read equals it — so "every column equal" is the very test a read
    would make: any change another connection or process committed to the card,
    account, profile or keyring stamp fails it, and nothing is inserted. A
    writing statement takes SQLite's write lock before it reads, so the rows
    compared are the last committed ones and nothing commits between the
    comparison and the insert. (No column of these tables has a collation on
    SQLite: ``IS`` compares text byte for byte.)
    """
    guards = [
        column.is_not_distinct_from(bindparam(f"g_{n}", type_=NullType()))
        for n, column in enumerate(_SCAN.selected_columns)
    ]
    values = (
        select(*(bindparam(name, type_=column.type) for name, column in _LEDGER_COLUMNS))
        .select_from(_SCAN.get_final_froms()[0])
        .where(_C.card_ref == bindparam("card_ref"), *guards)
    )
    return insert(sk.access_log).from_select([c.name for c in sk.access_log.c], values)


_LEDGER_COLUMNS: Final = tuple(zip(_LEDGER_VALUES, sk.access_log.c, strict=True))
_CARD_REF: Final = _ScanRow._fields.index("card_ref")


class _GuardedSqlite:
    """SQLite: :func:`_guarded_insert_sqlite` compiled, and its parameters' order.

    The parameters are the entry's values, then the guard — ``card_ref``, the kept
    row's columns and the keyring's name in the order the statement binds them —
    which :meth:`params` picks from the kept row in one C call.
    """

    def __init__(self, engine: Engine, scan: Prepared, rows: Rows) -> None:
        compiled = _guarded_insert_sqlite().compile(dialect=engine.dialect)
        names = tuple(compiled.positiontup or ())
        width = len(_LEDGER_VALUES)
        assert names[:width] == _LEDGER_VALUES
        self.sql: str = compiled.string
        # The source of each guard parameter in (row..., the keyring's name): the card's
        # reference bound is the kept row's own (the row was read by it, as stored).
        [keyring_name] = (name for name in scan.names if name != "card_ref")
        sources = {"card_ref": _CARD_REF, keyring_name: _SCAN_WIDTH}
        sources.update((f"g_{n}", n) for n in range(_SCAN_WIDTH))
        self._pick = operator.itemgetter(*(sources[name] for name in names[width:]))
        self._name = scan.fixed[keyring_name]
        # The entry's values as Rows.flat converts them (test_scan_guarded_sqlite proves it):
        # every column but the time goes to the driver as it is.
        converted = {
            column.name: process
            for column, process in zip(rows.columns, rows.bind, strict=True)
            if process is not None
        }
        assert tuple(c.name for c in rows.columns) == _ENTRY_COLUMNS
        assert converted.keys() == {"at"}
        self._at: Callable[[Any], Any] = converted["at"]

    def params(self, record: AccessRecord, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        """The statement's parameters: ``record``'s values, guarded by kept driver row ``raw``."""
        return (
            record.id,
            record.account_id,
            self._at(record.at),
            str(record.audience),
            _fields_json(tuple(record.fields)),
            record.channel,
            record.purpose,
            record.verifier_id,
            record.verifier_name,
            record.viewer_account_id,
            *self._pick((*raw, self._name)),
        )


_ENTRY_COLUMNS: Final = (
    "id",
    "account_id",
    "at",
    "audience",
    "fields",
    "channel",
    "purpose",
    "verifier_id",
    "verifier_name",
    "viewer_account_id",
)
"""The ledger's columns, in order, as :meth:`_GuardedSqlite.params` writes them."""


def _write_ledger_sqlite(
    cursor: Any, rows: Rows, guarded: str, batch: list[dict[str, Any]]
) -> list[int]:
    """SQLite: commit ``batch``; the positions of guarded entries whose guard failed.

    Plain entries (column values) go in one multi-row ``INSERT``; a guarded one
    (``{"guarded": its parameters}``, :class:`_GuardedSqlite`) is its own guarded
    statement, ``changes()`` telling whether it went in. One statement
    autocommits; more are one ``BEGIN IMMEDIATE`` … ``COMMIT``, still one commit.
    """
    plain = [item for item in batch if "guarded" not in item]
    if len(plain) == len(batch):
        cursor.execute(rows.sql(len(batch)), rows.flat(batch))
        return []
    if len(batch) == 1:  # a lone scan: one autocommitted statement
        cursor.execute(guarded, batch[0]["guarded"])
        return [] if cursor.rowcount == 1 else [0]
    refused = []
    cursor.execute("BEGIN IMMEDIATE")
    try:
        if plain:
            cursor.execute(rows.sql(len(plain)), rows.flat(plain))
        for n, item in enumerate(batch):
            if "guarded" in item:
                cursor.execute(guarded, item["guarded"])
                if cursor.rowcount != 1:
                    refused.append(n)
        cursor.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # the connection is dropped after a failure
            cursor.execute("ROLLBACK")
        raise
    return refused


_GUARDS: Final = ("g_r", "g_c", "g_a", "g_p", "g_k")
"""A guarded ledger entry's guard (:meth:`SqlStorage.scan_logged` on an event loop): the card's
reference, the row versions of its card, account and profile, and the keyring's stamp."""


def _ledger_insert_pg(rows: Rows, versions: str) -> str:
    """PostgreSQL: a batch of ledger entries as one ``INSERT … SELECT … FROM unnest(…)``.

    One statement text whatever the batch's size (one array parameter a column), so
    psycopg converts it once and the server prepares it once: a multi-row ``VALUES``
    is a new text for every batch size, parsed by the client (more than 50
    parameters: not cached) and planned by the server on every commit. The arrays
    go in binary (``%(…)b``): psycopg's text arrays quote every element through a
    regular expression, ~300 against ~100 µs of CPU for a batch of 16 here. An entry
    whose guard (:data:`_GUARDS`) is set goes in only if ``versions`` (compiled
    :data:`_SCAN_PG_VERSIONS`) of its card still reads the row versions and the
    keyring stamp it was made from; ``RETURNING`` says which went in.
    """
    marker = "%(card_ref)s::BIGINT"
    assert versions.count(marker) == 1
    quote = rows.quote
    names = [quote(column.name) for column in rows.columns]
    arrays = [
        f"%(l_{n})b::{column.type.compile(dialect=rows.dialect)}[]"
        for n, column in enumerate(rows.columns)
    ]
    arrays += ["%(g_r)b::BIGINT[]", *(f"%({g})b::TEXT[]" for g in _GUARDS[1:])]
    # Every name from the schema module and the compiled queries: no outside text in the SQL.
    return (
        f"{rows.head.removesuffix(' VALUES ')} SELECT {', '.join(f'e.{n}' for n in names)}"  # noqa: S608
        f" FROM unnest({', '.join(arrays)}) AS e({', '.join([*names, *_GUARDS])})"
        f" WHERE e.g_r IS NULL OR EXISTS (SELECT FROM ({versions.replace(marker, 'e.g_r')}) AS k"
        " WHERE k.c_x = e.g_c AND k.a_x = e.g_a AND k.p_x IS NOT DISTINCT FROM e.g_p"
        f" AND k.k_stamp IS NOT DISTINCT FROM e.g_k) RETURNING {quote('id')}"
    )


def _write_ledger_pg(
    lane: Lane, rows: Rows, sql: str, fixed: dict[str, Any], batch: list[dict[str, Any]]
) -> list[int]:
    """Commit ``batch`` with :func:`_ledger_insert_pg`'s ``sql``; the positions of the
    guarded entries whose guard failed (not inserted)."""
    params = dict(fixed)
    for n, values in enumerate(rows.columnwise(batch)):
        params[f"l_{n}"] = values
    guards = [item.get("guard") or (None,) * len(_GUARDS) for item in batch]
    for n, name in enumerate(_GUARDS):
        params[name] = [guard[n] for guard in guards]

    def insert(cursor: Any) -> set[str]:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}

    # PostgreSQL's writers need no lock of the process's (SQLite's _writing).
    inserted = lane.run(insert, retry=False)
    if len(inserted) == len(batch):
        return []
    return [n for n, item in enumerate(batch) if item["id"] not in inserted]


class SecondConnection(RuntimeError):
    """A thread asked for a pooled connection while holding one (see the module docstring).

    A programming error, not a storage failure: under load it deadlocks. Raised
    only when :data:`CONNECTION_GUARD_ENV` is ``1``.
    """


_MAX_STAMP_LOOPS: Final = 4
"""Event loops whose stamp connections are kept open (a server runs one per process)."""


class SqlStorage:
    """The storage port on SQLite or PostgreSQL (see the module docstring for the guarantees).

    :param url: a SQLAlchemy URL: ``sqlite:///path/to/file.sqlite3`` (created on
        first use), ``sqlite://`` (a throw-away file in a temporary directory,
        removed by :meth:`dispose` or at exit: a pool's connections cannot share
        a memory database), ``postgresql://user@host/db`` (psycopg 3 is used).
    :param key_material: the storage keys (:meth:`KeyMaterial.parse` of the
        ``storage_key`` setting): the first encrypts, all decrypt.
    :param migrate: run the migrations on first use. Default: yes for SQLite
        (the embedded default migrates itself), no for PostgreSQL (run
        ``siapkerja db upgrade`` when deploying).
    :param schema: PostgreSQL only: the schema holding the tables.
    :param engine_options: passed to :func:`~.engine.create_sql_engine`
        (``pool_size``, ``max_overflow``, ``pool_timeout``, ``pool_pre_ping``,
        ``busy_timeout``, ``connect_timeout``, ``echo``).
    :param connection_guard: raise :class:`SecondConnection` (rather than log
        a warning) when a thread asks for a second connection; default: from
        :data:`CONNECTION_GUARD_ENV`.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        key_material: KeyMaterial,
        migrate: bool | None = None,
        schema: str | None = None,
        connection_guard: bool | None = None,
        **engine_options: Any,
    ) -> None:
        parsed = normalise_url(url)
        self._finalizer: weakref.finalize[Any, Any] | None = None
        if is_memory_sqlite(parsed):
            directory = tempfile.mkdtemp(prefix="siapkerja-sqlite-")
            self._finalizer = weakref.finalize(self, shutil.rmtree, directory, True)
            parsed = parsed.set(database=os.path.join(directory, "siapkerja.sqlite3"))
        self.engine: Engine = create_sql_engine(parsed, schema=schema, **engine_options)
        self.dialect: str = self.engine.dialect.name
        # SQLite: read-only units of work take their connections from an engine of their
        # own (query_only, BEGIN DEFERRED), made on first use.
        self._reader_url = parsed
        self._reader_options = engine_options
        self._readers: Engine | None = None
        # SQLite: the connection :meth:`change_stamp` reads ``data_version`` on (never writes).
        self._watch: Any = None
        self._watch_lock = threading.Lock()
        # PostgreSQL: the connection each event loop reads its stamp on (change_stamp_async),
        # by the loop's id: (the loop, weakly; the connection).
        self._async_watch: dict[int, tuple[weakref.ref[Any], LoopStamp]] = {}
        self.cipher = FieldCipher(key_material)
        self.key_source: KeySource | None = None
        """Where the keys came from when built from settings (``db rekey``, ``serve``)."""
        self._migrate = self.dialect == "sqlite" if migrate is None else migrate
        self._local = threading.local()
        self._lock = threading.Lock()
        self._strict = (
            os.environ.get(CONNECTION_GUARD_ENV) == "1"
            if connection_guard is None
            else connection_guard
        )
        # SQLite: the process's writers queue here, not on the database's polling lock.
        # Reentrant, so a misplaced nested write waits on the database, as before, not here.
        self._writer: threading.RLock | None = (
            threading.RLock() if self.dialect == "sqlite" else None
        )
        self._write_wait = float(engine_options.get("busy_timeout", 30.0))
        # SQLite: the writers' connection, kept checked out between writes (see
        # _writer_connection); touched only by the thread holding ``_writer``.
        self._kept_writer: Any = None
        # (taken, kept) callbacks on the writers' connection (:meth:`on_writer_connection`).
        self._writer_hooks: list[tuple[Callable[[Any], None], Callable[[Any], None]]] = []
        # SqlTransaction.fetch's compiled statements, by statement, parameter names and
        # read-only-ness (transaction.py): one dictionary for the storage's units of work.
        self._driver_forms: dict[tuple[int, tuple[str, ...], bool], Any] = {}
        self._bulk_find_pg: dict[str, tuple[str, Callable[[list[Any]], list[Any]]]] = {}
        self._schema_ready = False
        self._index: BlindIndex | None = None
        self._closed = False
        insert = pg_dialect.insert if self.dialect == "postgresql" else sqlite_dialect.insert
        self.upserts: dict[str, Executable] = {
            name: _upsert(insert, table, keys)
            for name, table, keys in (
                ("registrations", sk.registrations, ("id",)),
                ("challenges", sk.challenges, ("subject_id",)),
                ("sessions", sk.sessions, ("id",)),
                ("resets", sk.resets, ("id",)),
                ("profiles", sk.profiles, ("account_id",)),
                ("cards", sk.cards, ("id",)),
                ("verifiers", sk.verifiers, ("id",)),
                ("consents", sk.consents, ("id",)),
                ("check_ins", sk.check_ins, ("card_ref", "event_id")),
                ("keyring", sk.keyring, ("name",)),
            )
        }
        self.insert_nothing: dict[str, Executable] = {
            # RETURNING tells whether the row went in (rowcount of an INSERT is not
            # reported by every driver).
            "accounts": insert(sk.accounts).on_conflict_do_nothing().returning(_A.id),
            "cards": insert(sk.cards).on_conflict_do_nothing().returning(_C.id),
            "check_ins": insert(sk.check_ins).on_conflict_do_nothing().returning(_K.event_id),
            "meta": insert(sk.meta).on_conflict_do_nothing().returning(sk.meta.c.name),
            "status_lists": insert(sk.status_lists).on_conflict_do_nothing(),
        }
        self._profile_cache: Callable[[str, bytes, bytes], Profile] = functools.lru_cache(
            maxsize=4096
        )(self._decode_profile)
        self.counters = SqlCounters(self, insert)
        """Rate-limit slots in the same database (the ``storage`` rate-limit adapter)."""
        # The scan's lane (lane.py): made at first use, when the engine is known to work.
        self._lane: Lane | None = None
        self._scan_sql: Prepared | None = None
        self._ledger: GroupCommit | None = None
        self._ledger_rows: Rows | None = None
        self._scan_logged: Prepared | None = None  # PostgreSQL: scan_logged's statement
        self._guarded: _GuardedSqlite | None = None  # SQLite: scan_logged's statement
        self.scans_logged = 0
        """PostgreSQL: ledger entries committed in the statement of their scan's read
        (:meth:`scan_logged`; SQLite's go through the ledger's group commit, counted there)."""
        # card_ref -> (the driver row it was decoded from, the subject): a hit is a row
        # read now and equal to the one kept, so it is never stale.
        self._subjects: dict[int, tuple[tuple[Any, ...], ScanSubject]] = {}
        self._subjects_lock = threading.Lock()

    # --- the port ------------------------------------------------------------------------

    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[SqlTransaction]:
        """Open a unit of work (see the module docstring); ``read_only``: one that only reads."""
        return _Scope(self, read_only)

    def scan_subject(self, card_ref: int) -> ScanSubject | None:
        """The card with this reference, its account and profile, as committed: one query.

        Run on the scan's lane (:mod:`.lane`): a kept driver connection and the
        query compiled once. The subject decoded from a row is kept with that
        row, and handed out again only when the row just read is the same
        (card, account, profile ciphertexts, keyring stamp): the decryptions
        are saved, never a read.
        """
        if not 0 <= card_ref < 2**64:
            return None
        lane, prepared = self._scan_lane()
        sql, params = prepared.sql, prepared.params({"card_ref": card_ref})

        def read(cursor: Any) -> Any:
            cursor.execute(sql, params)
            return cursor.fetchone()

        raw = lane.run(read, retry=True)
        return None if raw is None else self._subject_of(card_ref, tuple(raw), prepared)

    def _subject_of(self, card_ref: int, raw: tuple[Any, ...], prepared: Prepared) -> ScanSubject:
        """The subject of driver row ``raw``: the kept one when ``raw`` is the row it came from."""
        kept = self._subjects.get(card_ref)
        if kept is not None and kept[0] == raw:
            return kept[1]
        subject = self._subject(_ScanRow(*prepared.row(raw)[:_SCAN_WIDTH]))
        data = raw[_P_DATA]
        if data is None or len(data) <= _PROFILE_CACHE_MAX_BLOB:
            with self._subjects_lock:
                subjects = self._subjects
                if len(subjects) >= _SUBJECTS_KEPT and card_ref not in subjects:
                    del subjects[next(iter(subjects))]
                subjects[card_ref] = (raw, subject)
        return subject

    def scan_logged(
        self, card_ref: int, entry: Callable[[ScanSubject | None], AccessRecord]
    ) -> None:
        """Read the scan's subject and commit the ledger entry ``entry`` makes of it.

        PostgreSQL, when the card's subject is kept from an earlier scan: **one**
        round trip. ``entry`` is made from the kept subject first, and one
        autocommitted statement (:data:`_SCAN_PG_LOGGED`) inserts that entry —
        only if the card, account and profile rows are the versions the subject
        was kept with (their ``xmin``) and the keyring's stamp is the same, so the
        entry is exactly the one a read-then-log would write. When they are not
        (the card was revoked, the profile changed…), nothing is inserted, and the
        scan reads its subject (:meth:`scan_subject`) and logs (or refuses) as it is
        now, as a card not kept does (two more round trips). SQLite: the same, as
        one guarded ``INSERT … SELECT`` through the ledger's group commit
        (:meth:`_scan_logged_sqlite`). A caller that waits for the commit itself
        (:data:`DEFERRED_LEDGER`, off the loop), or a card not kept:
        :meth:`scan_subject`, then :meth:`log_access`.
        """
        deferral = DEFERRED_LEDGER.get()
        if deferral is not None and deferral.on_loop and not deferral.used:
            self._scan_guarded(card_ref, entry, deferral)
            return
        if not 0 <= card_ref < 2**64 or (deferral is not None and not deferral.used):
            self.log_access(entry(self.scan_subject(card_ref)))
            return
        if self.dialect != "postgresql":
            self._scan_logged_sqlite(card_ref, entry)
            return
        lane, _ = self._scan_lane()
        kept = self._subjects.get(card_ref)
        predicted: AccessRecord | None = None
        if kept is not None:
            try:
                predicted = entry(kept[1])
            except Exception:  # refused as kept: read, then refuse (or log) as it is now
                predicted = None
        if predicted is None:
            subject = self.scan_subject(card_ref)
            self.log_access(entry(subject))
            return
        raw_kept = kept[0]  # type: ignore[index]
        logged = self._scan_logged
        assert logged is not None
        params = logged.params(
            {
                "card_ref": card_ref,
                "g_c": raw_kept[_SCAN_WIDTH],
                "g_a": raw_kept[_SCAN_WIDTH + 1],
                "g_p": raw_kept[_SCAN_WIDTH + 2],
                "g_k": raw_kept[_SCAN_WIDTH - 1],
            }
        )
        assert isinstance(params, dict)  # psycopg: named parameters
        values = self._ledger_rows_made().flat([_access_params(predicted)])
        params.update(zip(_LEDGER_VALUES, values, strict=True))
        sql = logged.sql

        def insert(cursor: Any) -> int:
            cursor.execute(sql, params)
            return cursor.rowcount  # type: ignore[no-any-return]

        # Tried again on a new connection when a kept one had died while idle (the lane's
        # rule for reads): the entry keeps its id, the ledger's primary key, so a retry
        # after a commit whose answer was lost fails rather than logging the scan twice.
        if lane.run(insert, retry=True) == 1:
            with self._subjects_lock:
                self.scans_logged += 1
            return  # the rows are the kept versions: the entry committed is the scan's
        # Nothing inserted: the rows changed since they were kept (or the card is gone).
        # Read them, then log (or refuse) as they are now.
        self.log_access(entry(self.scan_subject(card_ref)))

    def _scan_logged_sqlite(
        self, card_ref: int, entry: Callable[[ScanSubject | None], AccessRecord]
    ) -> None:
        """:meth:`scan_logged` on SQLite: the entry of a kept subject in one guarded statement.

        ``entry`` is made from the kept subject first and handed to the ledger's group
        commit *guarded* (:func:`_guarded_insert_sqlite`): its statement inserts it only
        if the card's row, read by that statement, is still the one the subject was
        decoded from — the read and the insert are one statement, one commit, and no
        row comes back into Python. When it is not (or nothing is kept, or the kept
        subject is refused), nothing was written, and the scan reads its subject and
        logs (or refuses) as it is now, as :meth:`scan_subject` and :meth:`log_access`.
        """
        kept = self._subjects.get(card_ref)
        guarded = self._guarded
        if kept is not None and guarded is not None:
            try:
                predicted = entry(kept[1])
            except Exception:  # refused as kept: read, then refuse (or log) as it is now
                predicted = None
            if predicted is not None:
                params = guarded.params(predicted, kept[0])
                try:
                    self._ledger_checked().append({"guarded": params})
                except NotLogged:  # the rows changed since they were kept: nothing written
                    pass
                else:
                    return
        self.log_access(entry(self.scan_subject(card_ref)))

    def _scan_guarded(
        self,
        card_ref: int,
        entry: Callable[[ScanSubject | None], AccessRecord],
        deferral: Deferral,
    ) -> None:
        """:meth:`scan_logged` on an event loop (``deferral.on_loop``): no I/O, no wait.

        The card's subject kept from an earlier scan: the entry made from it is
        queued *guarded* — its commit inserts it only if the card, account and
        profile rows are still the ones the subject was kept from and the
        keyring's stamp is the same, as :meth:`scan_logged`'s one statement does
        (PostgreSQL: the rows' versions; SQLite: every column of the scan's row,
        :func:`_guarded_insert_sqlite`) — so the scan costs no read and no
        thread: the loop queues it, the ledger's committer commits it with the
        others. Its caller is told ``NotLogged`` when the guard failed (then
        nothing was written). Anything else (no kept subject, the kept one
        refused): :class:`~siapkerja_adapters.ledger_wait.WouldWait`, having done
        nothing.
        """
        ledger, lane, prepared = self._ledger, self._lane, self._scan_sql
        kept = self._subjects.get(card_ref)
        if (
            kept is None
            or ledger is None
            or lane is None
            or prepared is None
            or self._closed
            or not 0 <= card_ref < 2**64
        ):
            raise WouldWait
        try:
            predicted = entry(kept[1])
        except Exception as refused:  # refused as kept: read, then refuse (or log) as it is now
            raise WouldWait from refused
        raw = kept[0]
        guarded = self._guarded
        if guarded is not None:  # SQLite
            ledger.append_deferred(
                {"guarded": guarded.params(predicted, raw)}, deferral.notify, later=deferral.later
            )
            deferral.used = True
            return
        params = _access_params(predicted)
        params["guard"] = (
            prepared.params({"card_ref": card_ref})["card_ref"],  # type: ignore[call-overload]
            raw[_SCAN_WIDTH],
            raw[_SCAN_WIDTH + 1],
            raw[_SCAN_WIDTH + 2],
            raw[_SCAN_WIDTH - 1],
        )
        ledger.append_deferred(params, deferral.notify, later=deferral.later)
        deferral.used = True

    @reads(sk.cards)
    def _subject(self, row: _ScanRow) -> ScanSubject:
        card = _card(row)
        pii = self.cipher.decrypt_json(row.a_pii, _context(sk.accounts, "pii", card.account_id))
        account = AccountRecord(
            id=card.account_id,
            nik=pii["nik"],
            full_name=pii["full_name"],
            email=pii["email"],
            phone=pii["phone"],
            password_hash=row.a_password_hash,
            created_at=row.a_created_at,
            password_changed_at=row.a_password_changed_at,
            active=row.a_active,
        )
        profile = None if row.p_data is None else self._profile(card.account_id, row.p_data)
        return ScanSubject(card, account, profile, row.k_stamp)

    @property
    def scans_inline(self) -> bool:
        """Whether a scan's read is local and short enough to make on an event loop.

        True on SQLite (a read of the file, tens of microseconds, never waiting on a
        writer in WAL mode); False on PostgreSQL, whose read is a network round trip.
        The web binding then resolves an anonymous scan on its event loop and waits
        for the ledger's commit without a thread (:mod:`siapkerja_adapters.ledger_wait`).
        """
        return self.dialect == "sqlite"

    @property
    def scans_on_loop(self) -> bool:
        """Whether an event loop may resolve a scan itself (``Deferral(on_loop=True)``).

        True: a scan whose subject is kept needs no read (its entry is queued
        guarded, :meth:`_scan_guarded`); any other raises ``WouldWait`` before
        doing anything, and the web binding resolves it as it would have: on the
        loop on SQLite (:attr:`scans_inline`), in a worker thread on PostgreSQL.
        """
        return True

    def change_stamp(self) -> int | str | None:
        """A value that moves on every commit (:class:`~siapkerja_core.ports.ChangeStamp`).

        **SQLite**: the file's ``PRAGMA data_version``, seen from a connection of its
        own. That connection never writes, so the number moves on every commit to the
        file — this process's, another worker's, a ``siapkerja`` command's, a hand-run
        ``sqlite3`` session's — (SQLite's guarantee for ``data_version``); reading it
        reads no table (~2 µs). The connection is never opened again (a new one's
        numbers could repeat an old one's): after a failure, ``None`` from then on.

        **PostgreSQL**: the server's ``pg_current_snapshot()`` (one round trip on a
        connection of its own, autocommitted). A transaction that writes takes a
        transaction id when it starts writing and holds it until it ends, so between
        two equal snapshots none can have committed: one that started writing after
        the first would have moved ``xmax``, one running at the first would have left
        the list of running ones. Ids are the cluster's, so another database's writes
        move it too (a page is then read again: never wrong, only slower). Read on a
        connection of its own within :data:`.stamp.STAMP_TIMEOUT`
        (:class:`.stamp.ThreadStamp`); after a failure, ``None`` for a moment, then a
        new connection (the snapshot is the server's, not the connection's).
        """
        if self._closed:
            return None
        if self.dialect != "sqlite":
            return self._thread_stamp().read()
        with self._watch_lock:
            watch = self._watch
            if watch is False:
                return None
            try:
                if watch is None:
                    pooled = self._reader_engine().raw_connection()
                    watch = pooled.driver_connection
                    assert watch is not None
                    pooled.detach()  # its own: never handed to a unit of work
                    self._watch = watch
                row = watch.execute("PRAGMA data_version").fetchone()
            except Exception:  # any fault: the stamp cannot tell, now or later
                logger.warning("the change stamp failed; pages read again", exc_info=True)
                if self._watch is not None:
                    with contextlib.suppress(Exception):
                        self._watch.close()
                self._watch = False
                return None
            return int(row[0])

    def _stamp_params(self) -> dict[str, Any]:
        """PostgreSQL: the stamp connections' keywords (:func:`.stamp.stamp_connect_params`)."""
        _args, params = self.engine.dialect.create_connect_args(self.engine.url)
        name = str(self._reader_options.get("application_name") or "siapkerja")
        return stamp_connect_params(params, name)

    def _thread_stamp(self) -> ThreadStamp:
        with self._watch_lock:
            watch = self._watch
            if not isinstance(watch, ThreadStamp):
                watch = self._watch = ThreadStamp(self._stamp_params())
            return watch

    async def change_stamp_async(self) -> int | str | None:
        """:meth:`change_stamp` for an event loop: it never blocks the loop.

        SQLite's is read as it is (a few microseconds, no I/O wait). PostgreSQL's
        round trip goes over an asynchronous connection of the loop's own
        (:class:`.stamp.LoopStamp`: opened on first use, autocommitted), shared by
        the requests waiting at once — always a snapshot taken after the request
        arrived. A page served unread must not hold the loop for a network round
        trip. After a failure, ``None``, and a new connection next time.
        """
        if self.dialect == "sqlite" or self._closed:
            return self.change_stamp()
        loop = asyncio.get_running_loop()
        watches = self._async_watch
        held = watches.get(id(loop))
        if held is None or held[0]() is not loop:
            params = self._stamp_params()
            self._forget_async_watch(id(loop))
            while len(watches) >= _MAX_STAMP_LOOPS:  # loops made per call (a test client):
                self._forget_async_watch(next(iter(watches)))  # the oldest go
            held = watches[id(loop)] = (weakref.ref(loop), LoopStamp(params))
        return await held[1].read()

    def _forget_async_watch(self, key: int) -> None:
        """Close a loop's stamp connection (without its loop: the socket, at once)."""
        held = self._async_watch.pop(key, None)
        if held is not None:
            held[1].close()

    def log_access(self, record: AccessRecord) -> None:
        """Append one ledger entry, committed on return.

        Entries of scans made at the same moment share one commit (:class:`.lane.GroupCommit`).
        """
        ledger = self._ledger_checked()
        deferral = DEFERRED_LEDGER.get()
        if deferral is not None and not deferral.used:
            # The caller answers only after deferral.notify (siapkerja_adapters.ledger_wait).
            ledger.append_deferred(_access_params(record), deferral.notify, later=deferral.later)
            deferral.used = True
            return
        ledger.append(_access_params(record))

    def _ledger_checked(self) -> GroupCommit:
        """The ledger's group commit, opened at first use; later uses check as a checkout."""
        ledger = self._ledger
        if ledger is None:
            return self._open_ledger()
        self._prepare(index=False)
        self._one_connection()
        return ledger

    def _scan_lane(self) -> tuple[Lane, Prepared]:
        """The lane and the compiled scan query, made at first use; checks as a checkout."""
        self._prepare(index=False)
        self._one_connection()
        lane, prepared = self._lane, self._scan_sql
        if lane is None or prepared is None:
            with self._lock:
                if self._lane is None:
                    postgres = self.dialect == "postgresql"
                    self._scan_sql = Prepared(self.engine, _SCAN_PG if postgres else _SCAN)
                    if not postgres:
                        self._guarded = _GuardedSqlite(
                            self.engine, self._scan_sql, self._ledger_rows_made()
                        )
                    else:
                        self._scan_logged = logged = Prepared(self.engine, _SCAN_PG_LOGGED)
                        logged.sql = _binary_params(logged.sql)
                    self._lane = Lane(self.engine)
                    # A storage dropped without dispose() closes its driver connections.
                    weakref.finalize(self, self._lane.close)
                lane, prepared = self._lane, self._scan_sql
        assert prepared is not None
        return lane, prepared

    def _ledger_rows_made(self) -> Rows:
        rows = self._ledger_rows
        if rows is None:
            rows = self._ledger_rows = Rows(self.engine, sk.access_log)
        return rows

    def _open_ledger(self) -> GroupCommit:
        lane, _ = self._scan_lane()
        with self._lock:
            if self._ledger is None:
                rows = self._ledger_rows_made()
                write: Callable[[list[dict[str, Any]]], Collection[int] | None]
                if self.dialect == "postgresql":
                    versions = Prepared(self.engine, _SCAN_PG_VERSIONS)
                    write = functools.partial(
                        _write_ledger_pg,
                        lane,
                        rows,
                        _ledger_insert_pg(rows, versions.sql),
                        versions.fixed,
                    )
                else:
                    guarded = self._guarded
                    assert guarded is not None

                    def write(batch: list[dict[str, Any]]) -> list[int]:
                        def commit(cursor: Any) -> list[int]:
                            return _write_ledger_sqlite(cursor, rows, guarded.sql, batch)

                        # Tried again on a new connection when a kept one had died while
                        # idle (a scan whose subject is kept writes before it reads): each
                        # entry's id is the ledger's primary key, so a retry after a commit
                        # whose answer was lost fails rather than logging a scan twice.
                        writer = self._take_writer()  # _writing, without a generator
                        try:
                            return lane.run(commit, retry=True)  # type: ignore[no-any-return]
                        finally:
                            assert writer is not None
                            writer.release()

                # SQLite's commit is work (WAL frames, locks), not a wait on the disk: under
                # load the committer gathers the scans under way (``SQLITE_COMMIT_DELAY``).
                # PostgreSQL's commit waits on the disk, and entries gather meanwhile.
                delay = SQLITE_COMMIT_DELAY if self.dialect == "sqlite" else 0.0
                self._ledger = GroupCommit(write, wait=self._write_wait, commit_delay=delay)
            return self._ledger

    # --- bulk loading --------------------------------------------------------------------

    def bulk_add_accounts(self, records: Iterable[AccountRecord], *, batch_size: int = 5000) -> int:
        """Insert many new accounts fast; return how many went in.

        For migrations, restores and load tests, outside the storage port:
        each account is encrypted and blind-indexed exactly as
        ``tx.accounts.add`` does it, but a batch of ``batch_size`` goes in as
        one multi-row ``INSERT`` in its own transaction, instead of a
        statement and a conflict check per account (several times faster:
        ``benchmarks/README.md``).
        The uniqueness rules hold all the same — the database enforces them —
        but a refused row fails its whole batch; the batches before it stay
        committed.

        :raises AccountConflict: an active account (stored or earlier in the
            batch) has the NIK, e-mail or phone of one in the batch.
        :raises ValueError: an account id exists already.
        """
        return self._bulk_write(
            records,
            sk.accounts.insert(),
            functools.partial(_account_params, self),
            batch_size=batch_size,
        )

    def bulk_put_profiles(
        self, profiles: Iterable[tuple[str, Profile]], *, batch_size: int = 5000
    ) -> int:
        """Store many ``(account_id, profile)`` pairs fast, as ``profiles.put``; return the count.

        The bulk companion of :meth:`bulk_add_accounts`: each profile is
        encrypted as ``put`` does, a batch is one multi-row upsert in its own
        transaction.
        """

        def params(item: tuple[str, Profile]) -> dict[str, Any]:
            return profile_row(self, *item)

        return self._bulk_write(profiles, self.upserts["profiles"], params, batch_size=batch_size)

    def _bulk_write(
        self,
        items: Iterable[Any],
        statement: Executable,
        params: Callable[[Any], dict[str, Any]],
        *,
        batch_size: int,
    ) -> int:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        written = 0
        pending = iter(items)
        while batch := list(itertools.islice(pending, batch_size)):
            with self.transaction() as tx:
                rows = [params(item) for item in batch]
                try:
                    tx.conn.execute(statement, rows)
                except IntegrityError as error:
                    field = _violated_field(error)
                    if field is not None:
                        raise AccountConflict(field) from None
                    raise ValueError("a row of the batch exists already") from None
                except SQLAlchemyError as error:
                    raise _storage_error(error) from error
            written += len(rows)
        return written

    # --- bulk import: primitives for one batch inside a unit of work ----------------------

    def bulk_find_accounts(
        self,
        tx: SqlTransaction,
        *,
        niks: Iterable[str] = (),
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        index: Callable[[str, str], bytes] | None = None,
    ) -> list[AccountRecord]:
        """The active accounts holding any of these NIKs, e-mails or phones (decrypted).

        Three indexed ``IN`` queries on the blind indexes, for a batch of an
        import: what ``accounts.find`` answers one value at a time. ``index``
        computes a blind index (default :meth:`blind_index`; a caller may
        remember them for :meth:`bulk_insert_accounts`).
        """
        blind = index or self.blind_index
        postgresql = self.dialect == "postgresql"
        found: dict[str, AccountRecord] = {}
        for field, values in (("nik", niks), ("email", emails), ("phone", phones)):
            indexes = sorted({blind(field, value) for value in values})
            for start in range(0, len(indexes), _IN_CHUNK):
                chunk = indexes[start : start + _IN_CHUNK]
                if postgresql:
                    driver = self._bulk_find_pg.get(field)
                    if driver is None:
                        driver = self._bulk_find_pg[field] = _bulk_find_pg_driver(
                            self.engine, field
                        )
                    sql, read = driver
                    rows = read(tx.driver_rows(sql, {"values": chunk})[0])
                else:
                    statement, params = _bulk_find_sqlite(field, chunk)
                    rows = tx.fetch(statement, params)
                for row in rows:
                    if row.id not in found:
                        found[row.id] = _account(self, row)
        return list(found.values())

    def bulk_get_profiles(
        self, tx: SqlTransaction, account_ids: Sequence[str]
    ) -> dict[str, Profile]:
        """The stored profiles of these accounts (those without one are absent)."""
        profiles: dict[str, Profile] = {}
        query = _BULK_PROFILES_PG if self.dialect == "postgresql" else _BULK_PROFILES
        ids = sorted(set(account_ids))
        for start in range(0, len(ids), _IN_CHUNK):
            rows = tx.run(query, {"ids": ids[start : start + _IN_CHUNK]})
            for row in rows:
                profiles[row.account_id] = self._profile(row.account_id, row.data)
        return profiles

    def bulk_insert_accounts(
        self,
        tx: SqlTransaction,
        accounts: Sequence[AccountRecord],
        profiles: Sequence[tuple[str, Profile]] = (),
        *,
        index: Callable[[str, str], bytes] | None = None,
        document: Callable[[Profile], dict[str, Any]] = unstructure,
    ) -> None:
        """Insert new accounts and the profiles of new accounts, in the caller's transaction.

        Encrypted and blind-indexed as ``tx.accounts.add`` and ``tx.profiles.put``
        do; written as one multi-row ``executemany`` on SQLite and with ``COPY``
        on PostgreSQL. The caller has checked the uniqueness rules against the
        rows it read in the same transaction; a racing writer that took a NIK,
        e-mail or phone meanwhile makes the database refuse the batch.
        ``document`` makes a profile's stored document (``unstructure``, or what
        gives the same: an import's ``ProfileDocuments``).

        :raises AccountConflict: a uniqueness rule refused a row (the transaction
            must be rolled back: on PostgreSQL it is aborted).
        :raises StorageError: the database failed.
        """
        blind = index or self.blind_index
        account_rows = [_account_params(self, record, index=blind) for record in accounts]
        profile_rows = [
            profile_row(self, account_id, profile, document=document)
            for account_id, profile in profiles
        ]
        try:
            if self.dialect == "postgresql":
                self._copy(tx, sk.accounts, account_rows)
                self._copy(tx, sk.profiles, profile_rows)
            else:
                self._executemany(tx, sk.accounts, account_rows)
                self._executemany(tx, sk.profiles, profile_rows)
        except IntegrityError as error:
            raise AccountConflict(_violated_field(error) or "nik") from None
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    def _executemany(self, tx: SqlTransaction, table: Table, rows: list[dict[str, Any]]) -> None:
        """SQLite: the driver's ``executemany`` of ``rows``, timestamps formatted as the
        column type formats them; text and booleans go to sqlite3 as they are, bytes as
        a ``bytearray`` (SQLAlchemy's per-value processing was a tenth of an import's
        time).

        sqlite3 binds both as the same BLOB (any buffer is one), but looks for an
        adapter for every ``bytes`` value — a tuple made and looked up, two attribute
        look-ups — and not for a ``bytearray``: five values a row of an import, about
        as long as the copy costs five times over.
        """
        if not rows:
            return
        columns = list(rows[0])
        dialect = self.engine.dialect
        processors: list[Callable[[Any], Any] | None] = []
        for name in columns:
            kind = table.c[name].type
            if isinstance(kind, sk.UtcDateTime):
                processors.append(kind.bind_processor(dialect))
            elif isinstance(kind, LargeBinary):
                processors.append(bytearray)
            else:
                processors.append(None)
        names = ", ".join(f'"{name}"' for name in columns)
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
        tx.conn.exec_driver_sql(
            statement,
            [
                tuple(
                    [
                        value if process is None or value is None else process(value)
                        for process, value in zip(processors, row.values(), strict=True)
                    ]
                )
                for row in rows
            ],
        )

    def _copy(self, tx: SqlTransaction, table: Table, rows: list[dict[str, Any]]) -> None:
        """``COPY table (columns) FROM STDIN`` of ``rows`` on the transaction's connection."""
        if not rows:
            return
        columns = list(rows[0])
        dialect = self.engine.dialect
        processors = [
            table.c[name].type.process_bind_param  # type: ignore[attr-defined]
            if isinstance(table.c[name].type, sk.UtcDateTime)
            else None
            for name in columns
        ]
        names = ", ".join(f'"{name}"' for name in columns)
        import psycopg

        data = _copy_text(table, columns, rows)
        try:
            raw = tx.conn.connection.driver_connection
            assert raw is not None  # a live transaction's connection
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                if data is not None:
                    copy.write(data)
                    return
                for row in rows:  # a value COPY's text form must escape: psycopg does
                    copy.write_row(
                        [
                            value if process is None else process(value, dialect)
                            for process, value in zip(processors, row.values(), strict=True)
                        ]
                    )
        except psycopg.Error as error:  # COPY runs on the driver, outside SQLAlchemy
            raise _copy_error(error) from error

    # --- administration ------------------------------------------------------------------

    def upgrade(self) -> str | None:
        """Run the migrations to head (what ``siapkerja db upgrade`` does); return the revision."""
        from siapkerja_adapters.sql.migrate import upgrade

        self._check_open()
        try:
            with self._writing():
                revision = upgrade(self.engine)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        self._schema_ready = True
        return revision

    def current_revision(self) -> str | None:
        """The schema revision of the database (``None``: not migrated)."""
        from siapkerja_adapters.sql.migrate import current_revision

        self._check_open()
        try:
            with self._connection() as conn:
                return current_revision(conn)
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    def reencrypt(
        self, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> int:
        """Re-encrypt every ciphertext not under the current key; return how many were rewritten.

        Run after putting a new key first in ``storage_key``; when it returns,
        the old keys can be removed from the setting. Each batch commits on its
        own, so it can be interrupted and run again. ``progress(n)`` is called after
        each committed batch with the values it read (the CLI's progress bar).
        """
        self._prepare(index=True)
        rewritten = 0
        current = self.cipher.current_kid
        for table, key_column, column in sk.ENCRYPTED_COLUMNS:
            key = table.c[key_column]
            value = table.c[column]
            after: str | None = None
            while True:
                query = select(key, value).where(value.is_not(None)).order_by(key)
                query = query.limit(batch_size)
                if after is not None:
                    query = query.where(key > after)
                with self.transaction() as tx:
                    rows = tx.run(query).all()
                    for row in rows:
                        blob = bytes(row[1])
                        if FieldCipher.key_id(blob) == current:
                            continue
                        context = _context(table, column, row[0])
                        fresh = self.cipher.encrypt(self.cipher.decrypt(blob, context), context)
                        tx.run(update(table).where(key == row[0]).values({column: fresh}))
                        rewritten += 1
                if progress is not None:
                    progress(len(rows))
                if len(rows) < batch_size:
                    break
                after = rows[-1][0]
        self._profile_cache.cache_clear()  # type: ignore[attr-defined]
        self._subjects.clear()
        return rewritten

    def stored_samples(self) -> list[tuple[Table, str, object, bytes]]:
        """One stored ciphertext of each encrypted table: ``(table, column, row key, blob)``.

        Reads only and creates nothing: a SQLite file that does not exist yet,
        or a database without the tables, gives ``[]`` (no stored data). The
        wrapped blind-index key (``meta``) comes first.

        :raises StorageError: ``storage.unavailable`` when the database cannot be read.
        """
        self._check_open()
        if self.dialect == "sqlite":
            database = self.engine.url.database
            if not database or not os.path.exists(database):
                return []
        samples: list[tuple[Table, str, object, bytes]] = []
        ordered = sorted(sk.ENCRYPTED_COLUMNS, key=lambda item: item[0] is not sk.meta)
        try:
            with self.engine.connect() as conn:
                for table, key_column, column in ordered:
                    value = table.c[column]
                    query = select(table.c[key_column], value).where(value.is_not(None)).limit(1)
                    try:
                        row = conn.execute(query).first()
                    except SQLAlchemyError as error:
                        if isinstance(_storage_error(error), SchemaNotReady):
                            return samples  # no tables (yet): nothing more is stored
                        raise
                    if row is not None:
                        samples.append((table, column, row[0], bytes(row[1])))
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        return samples

    def stored_key_id(self) -> str | None:
        """The id of the key the stored data was written under (``None``: nothing stored)."""
        samples = self.stored_samples()
        return FieldCipher.key_id(samples[0][3]) if samples else None

    def check_key(self) -> None:
        """Refuse to go on when the configured keys cannot open the stored data.

        One stored ciphertext of each encrypted table is decrypted (at most
        six rows, read only; nothing is created).

        :raises StorageKeyUnavailable: ``config.storage_key_missing`` (the data
            needs a key id the keys do not hold) or ``config.storage_key_wrong``.
        :raises StorageError: the database cannot be read.
        """
        source = "storage_key" if self.key_source is None else self.key_source.description
        for table, column, key, blob in self.stored_samples():
            kid = FieldCipher.key_id(blob)
            try:
                self.cipher.decrypt(blob, _context(table, column, key))
            except StorageKeyError as error:
                code = "storage_key_missing" if error.code == "key_missing" else "storage_key_wrong"
                raise StorageKeyUnavailable(code, kid=kid, source=source) from None

    def scrub(self) -> None:
        """After an erasure: leave no deleted bytes in the SQLite file or its WAL (rights)."""
        from siapkerja_adapters.sql.rights import scrub

        scrub(self)

    def dispose(self) -> None:
        """Close every pooled connection; the storage refuses further work (``StorageError``)."""
        self._closed = True
        if self._ledger is not None:
            self._ledger.close()
        if self._lane is not None:
            self._lane.close()
        writer = self._writer
        # Not while a write holds the lock: that write closes the connection itself when
        # it ends (the storage is closed), and a dispose does not wait for it.
        if writer is not None and writer.acquire(blocking=False):
            try:
                self._drop_writer()
            finally:
                writer.release()
        self.engine.dispose()
        with self._watch_lock:
            if self._watch:
                self._watch.close()
            self._watch = False
        for key in list(self._async_watch):
            self._forget_async_watch(key)
        if self._readers is not None:
            self._readers.dispose()
        if self._finalizer is not None:
            self._finalizer()  # the throw-away file of ``sqlite://``

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"SqlStorage({url!r})"

    # --- internals -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("unavailable")

    def _prepare(self, *, index: bool) -> None:
        """Make sure the schema exists (auto-migrate) and the blind-index key is loaded."""
        self._check_open()
        if self._schema_ready and (self._index is not None or not index):
            return
        with self._lock:
            if not self._schema_ready:
                if self._migrate:
                    self.upgrade()
                self._schema_ready = True
            if index and self._index is None:
                self._index = BlindIndex(self._load_index_key())

    def _load_index_key(self) -> bytes:
        """The blind-index key: generated once per database, stored wrapped by the storage key."""
        import secrets

        context = _context(sk.meta, "value", _INDEX_KEY_NAME)
        query = select(sk.meta.c.value).where(sk.meta.c.name == _INDEX_KEY_NAME)
        try:
            with self._writing(), self._connection() as conn, conn.begin():
                row = conn.execute(query).first()
                if row is None:
                    wrapped = self.cipher.encrypt(secrets.token_bytes(32), context)
                    conn.execute(
                        self.insert_nothing["meta"], {"name": _INDEX_KEY_NAME, "value": wrapped}
                    )
                    row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        if row is None:  # pragma: no cover - the insert or a racing one put it there
            raise StorageError("unavailable")
        return self.cipher.decrypt(bytes(row.value), context)

    def blind_index(self, field: str, value: str) -> bytes:
        index = self._index
        if index is None:
            self._prepare(index=True)
            index = self._index
            assert index is not None
        return index(field, value)

    @contextmanager
    def _writing(self, write: bool = True) -> Iterator[None]:
        """SQLite: hold the process's write lock (``write``); elsewhere, nothing.

        :raises StorageError: the lock was not free within the busy timeout.
        """
        writer = self._writer
        if writer is None or not write:
            yield
            return
        if not writer.acquire(timeout=self._write_wait):
            logger.warning("the SQLite write lock was not free in %.0f s", self._write_wait)
            raise StorageError("unavailable")
        try:
            yield
        finally:
            writer.release()

    def _take_writer(self) -> threading.RLock | None:
        """:meth:`_writing` without a context manager (a unit of work's ``__enter__``): the
        write lock, taken (SQLite), for the caller to release; ``None`` elsewhere.

        :raises StorageError: the lock was not free within the busy timeout.
        """
        writer = self._writer
        if writer is not None and not writer.acquire(timeout=self._write_wait):
            logger.warning("the SQLite write lock was not free in %.0f s", self._write_wait)
            raise StorageError("unavailable")
        return writer

    def _writer_connection(self) -> Any:
        """SQLite, the write lock held: a pooled connection for this write, the one the last
        write kept (:meth:`_keep_writer`) when there is one.

        The process's writes take turns on the write lock, so one connection serves
        them all: each write checked a connection out of the pool and back in (its
        events, its reset's rollback), which cost more than a read-only unit's whole
        ``BEGIN`` and ``COMMIT``, eight times per registration journey. A nested write
        of the lock's holder (reentrant: a misuse the connection guard reports)
        finds none kept, and checks one out as before.

        :raises: what :meth:`~sqlalchemy.engine.Engine.raw_connection` raises.
        """
        raw = self._kept_writer
        if raw is not None:
            self._kept_writer = None
            if raw.is_valid:
                for taken, _kept in self._writer_hooks:
                    taken(raw)
                return raw
            raw.close()  # pragma: no cover - invalidated while kept (a dispose raced it)
        return self.engine.raw_connection()

    def on_writer_connection(
        self, taken: Callable[[Any], None], kept: Callable[[Any], None]
    ) -> None:
        """SQLite: call ``taken(raw)`` when a write takes the connection the last write kept,
        and ``kept(raw)`` when a write ends and keeps it (no transaction open) — what the
        pool's ``checkout`` and ``checkin`` events are to a connection of the pool, for
        the one that skips them (:meth:`_writer_connection`). Registered once per pair.
        """
        if (taken, kept) not in self._writer_hooks:
            self._writer_hooks.append((taken, kept))

    def _keep_writer(self, raw: Any) -> bool:
        """Keep ``raw`` (from :meth:`_writer_connection`, its write ended: no transaction open)
        for the next write instead of checking it in; ``False``: the caller checks it in
        (one is kept already, it was lost, or the storage is disposed)."""
        if self._closed or self._kept_writer is not None or not raw.is_valid:
            return False
        for _taken, kept in self._writer_hooks:
            kept(raw)  # may invalidate it: then it is checked in, and closed
        if not raw.is_valid:
            return False
        if raw.driver_connection.in_transaction:  # pragma: no cover - the callers end it
            return False
        self._kept_writer = raw
        return True

    def _drop_writer(self) -> None:
        """Close the kept writer connection (the storage is being disposed)."""
        raw, self._kept_writer = self._kept_writer, None
        if raw is not None:
            try:
                raw.invalidate()  # closes the driver's connection now
            except Exception:  # pragma: no cover - already broken
                logger.debug("closing the kept writer connection failed", exc_info=True)

    def _reader_engine(self) -> Engine:
        """SQLite: the engine of read-only units (see :func:`~.engine.create_sql_engine`)."""
        readers = self._readers
        if readers is None:
            with self._lock:
                readers = self._readers
                if readers is None:
                    readers = self._readers = create_sql_engine(
                        self._reader_url, read_only=True, **self._reader_options
                    )
        return readers

    def _one_connection(self) -> None:
        """Warn, or raise :class:`SecondConnection`, when this thread holds a pooled connection.

        :raises WouldWait: the caller is a scan resolved on an event loop (``Deferral.on_loop``)
            that has queued nothing yet: no connection may be waited for there (a forged
            token's keyring read, for one); the scan is resolved in a worker thread instead.
        """
        deferral = DEFERRED_LEDGER.get()
        if deferral is not None and deferral.on_loop and not deferral.used:
            raise WouldWait
        if getattr(self._local, "held", 0):
            message = (
                "this thread asked for a second pooled connection while holding one: under"
                " load every thread can end up waiting for a connection another waiting"
                " thread holds (on SQLite, for the write lock its first connection holds)"
            )
            if self._strict:
                raise SecondConnection(message)
            logger.warning(message)

    def _connect(self, *, reader: bool = False) -> Connection:
        """A pooled connection for this thread, which must not hold one already.

        :param reader: SQLite: one of the read-only units' own connections.
        """
        self._one_connection()
        conn = (self._reader_engine() if reader else self.engine).connect()
        local = self._local
        local.held = getattr(local, "held", 0) + 1
        return conn

    def _release(self, conn: Connection) -> None:
        """Return ``conn`` (from :meth:`_connect`) to the pool, or close it after :meth:`dispose`.

        A connection a thread still held when the storage was disposed (the
        outbox thread's, say) would otherwise go back to the discarded pool and
        stay open until the garbage collector finds it.
        """
        try:
            if self._closed:
                conn.invalidate()  # closes the driver's connection now
            conn.close()
        finally:
            self._local.held -= 1

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            self._release(conn)

    @contextmanager
    def single_statement(self, *, write: bool = True) -> Iterator[Connection]:
        """A connection whose statements each commit on their own (no ``BEGIN``).

        :param write: the statements may write (on SQLite they queue behind the
            process's other writers); ``False`` for reads, which never wait.
        """
        self._prepare(index=False)
        try:
            with self._writing(write), self._connection() as conn:
                if self.dialect == "postgresql":
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                else:
                    conn = conn.execution_options(**{BEGIN_OPTION: None})
                yield conn
                if self.dialect != "sqlite":
                    conn.commit()
        except SQLAlchemyError as error:
            raise _storage_error(error) from error

    def _profile(self, account_id: str, blob: bytes) -> Profile:
        blob = bytes(blob)
        if len(blob) > _PROFILE_CACHE_MAX_BLOB:
            return self._decode_profile(account_id, b"", blob)
        # The header and nonce identify one write of one row: the cache key stays small.
        return self._profile_cache(account_id, blob[: 2 + blob[1] + 12], blob)

    @reads(sk.profiles)
    def _decode_profile(self, account_id: str, _ident: bytes, blob: bytes) -> Profile:
        data = self.cipher.decrypt_json(blob, _context(sk.profiles, "data", account_id))
        # Written from a valid Profile and authenticated by AES-GCM: not validated again.
        return structure_stored_profile(data)


def _upsert(insert: Callable[[Table], Insert], table: Table, keys: Sequence[str]) -> Executable:
    statement: Any = insert(table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[table.c[k] for k in keys],
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
    )
