"""Profiles and cards in the ``sql`` storage: the encrypted profile documents and the
card rows (unique number, QR reference and status-list index), with their row conversions.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import orjson
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, _storage_error, logger, reads
from siapkerja_core.completeness import completeness_stamp
from siapkerja_core.converter import unstructure
from siapkerja_core.ports import CardConflict, StorageError
from siapkerja_core.profile import Profile
from siapkerja_core.records import CardRecord

if TYPE_CHECKING:
    from siapkerja_adapters.sql.storage import SqlStorage


class _Profiles(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.profiles.c.data).where(
        sk.profiles.c.account_id == bindparam("account_id")
    )

    def get(self, account_id: str) -> Profile | None:
        row = self._tx.fetch(self._GET, {"account_id": account_id}).first()
        return None if row is None else self._storage._profile(account_id, row.data)

    def put(self, account_id: str, profile: Profile) -> None:
        self._tx.run(
            self._storage.upserts["profiles"], profile_row(self._storage, account_id, profile)
        )


def profile_row(
    storage: SqlStorage,
    account_id: str,
    profile: Profile,
    *,
    document: Callable[[Profile], dict[str, Any]] = unstructure,
) -> dict[str, Any]:
    """The ``sk_profiles`` row of ``profile``: encrypted, with its completeness stamp.

    Every write of a profile (``profiles.put``, the bulk paths) goes through here, so
    the stamp bulk issuance trusts is never missing from a new row. ``document``
    makes the JSON-ready document: ``unstructure``, or what gives the same (an
    import's :class:`~siapkerja_adapters.bulk.document.ProfileDocuments`).
    """
    return {
        "account_id": account_id,
        "data": storage.cipher.encrypt_json(
            document(profile), _context(sk.profiles, "data", account_id)
        ),
        "complete": completeness_stamp(profile),
    }


# --- bulk writes on SQLite: the connection's settings while they run ---------------------

BULK_PAGE_CACHE_KIB: Final = 64 * 1024
"""SQLite's page cache, at most, while a bulk write runs (:func:`bulk_page_cache`)."""
BULK_CHECKPOINT_PAGES: Final = 16 * 1024
"""SQLite: pages of write-ahead log an import's commit leaves before it checkpoints
(:func:`bulk_writes`; SQLite's own default is 1,000)."""
_BULK_SETTINGS: Final = (
    ("synchronous", "FULL"),
    ("cache_size", f"-{BULK_PAGE_CACHE_KIB:d}"),
    ("wal_autocheckpoint", f"{BULK_CHECKPOINT_PAGES:d}"),
)
_BULK_SAVED: Final = "siapkerja.bulk_settings"
_bulk = threading.local()


@contextlib.contextmanager
def bulk_page_cache(tx: Any) -> Iterator[None]:
    """SQLite: room for :data:`BULK_PAGE_CACHE_KIB` of pages in the connection's cache
    while a bulk write runs in ``tx``, the connection's own size restored after it
    (nothing on PostgreSQL).

    A batch of 2,000 rows with random keys (ids, blind indexes, card numbers)
    dirties pages all over each index: with the default cache (2 MiB) SQLite
    spilled dirty pages to the write-ahead log in the middle of the
    transaction, wrote them again at the commit, and read evicted ones back.
    The cache only holds pages in memory: what is written and when it is
    synced (``journal_mode``, ``synchronous``) do not change, and the memory
    is given back when the size is restored (dirty pages stay until the commit
    writes them).
    """
    if getattr(getattr(tx, "storage", None), "dialect", None) != "sqlite":
        yield
        return
    driver = tx._raw.driver_connection
    try:
        size = int(driver.execute("PRAGMA cache_size").fetchone()[0])
        driver.execute(f"PRAGMA cache_size=-{BULK_PAGE_CACHE_KIB:d}")
    except sqlite3.Error:  # a failing connection: the write itself will say so
        yield
        return
    try:
        yield
    finally:
        # Never in place of the write's own error: a connection that cannot take the
        # pragma is failing, and is dropped with the transaction.
        with contextlib.suppress(sqlite3.Error):
            driver.execute(f"PRAGMA cache_size={size:d}")


@contextlib.contextmanager
def bulk_writes(storage: Any) -> Iterator[None]:
    """SQLite: the units of work this thread begins meanwhile run with bulk settings
    (nothing on another storage).

    Each connection this thread takes from the pool gets, before its ``BEGIN``,
    :data:`_BULK_SETTINGS` — ``synchronous=FULL``, a page cache of
    :data:`BULK_PAGE_CACHE_KIB` and a checkpoint every
    :data:`BULK_CHECKPOINT_PAGES` pages of log — and its own settings back when
    it is returned, after its commit or rollback.

    Why: an import's batch writes thousands of pages (random keys in every
    index), more than the 1,000 pages of log at which SQLite checkpoints, so
    every commit also copied the batch into the database file and synced it
    twice — half an import's time at 100,000 accounts. With the checkpoint
    every 16,384 pages, a page written by several batches is copied once.
    Durability is not traded for it: with ``synchronous=NORMAL`` (the storage's
    level) a commit reaches the disk at the next checkpoint, so with fewer of
    them each commit syncs the log itself (``FULL``): a batch committed is on
    the disk, as each batch was when every commit checkpointed. The journal
    mode stays WAL; the log grows to about 64 MiB before a checkpoint.

    ``import_akl`` and ``bulk.jobs.issue_all_cards`` (``siapkerja bulk
    issue-cards``) run within it.
    """
    if getattr(storage, "dialect", None) != "sqlite":
        yield
        return
    pool = storage.engine.pool
    if not event.contains(pool, "checkout", _bulk_checkout):
        event.listen(pool, "checkout", _bulk_checkout)
        event.listen(pool, "checkin", _bulk_checkin)
    # The writers' connection the storage keeps between writes skips the pool's events.
    storage.on_writer_connection(_bulk_taken, _bulk_kept)
    _bulk.depth = getattr(_bulk, "depth", 0) + 1
    try:
        yield
    finally:
        _bulk.depth -= 1


def _bulk_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if not getattr(_bulk, "depth", 0) or _BULK_SAVED in record.info:
        return
    saved = []
    for name, value in _BULK_SETTINGS:
        saved.append((name, int(dbapi_connection.execute(f"PRAGMA {name}").fetchone()[0])))
        dbapi_connection.execute(f"PRAGMA {name}={value}")
    record.info[_BULK_SAVED] = saved


def _bulk_taken(raw: Any) -> None:
    _bulk_checkout(raw.dbapi_connection, raw._connection_record, raw)


def _bulk_kept(raw: Any) -> None:
    _bulk_checkin(raw.dbapi_connection, raw._connection_record)


def _bulk_checkin(dbapi_connection: Any, record: Any) -> None:
    saved = record.info.pop(_BULK_SAVED, None) if record is not None else None
    if saved is None or dbapi_connection is None:
        return
    try:
        for name, value in saved:
            dbapi_connection.execute(f"PRAGMA {name}={value:d}")
    except sqlite3.Error:  # cannot be put back: not given out again with bulk settings
        record.invalidate()


_C = sk.cards.c


class _Cards(_Repository):
    __slots__ = ()
    _BY: ClassVar = {
        column: select(sk.cards).where(_C[column] == bindparam("value"))
        for column in ("account_id", "card_ref", "number", "status_index")
    }

    def _one(self, column: str, value: object) -> CardRecord | None:
        row = self._tx.fetch(self._BY[column], {"value": value}).first()
        return None if row is None else _card(row)

    def get(self, account_id: str) -> CardRecord | None:
        return self._one("account_id", account_id)

    def by_ref(self, card_ref: int) -> CardRecord | None:
        if not 0 <= card_ref < 2**64:
            return None
        return self._one("card_ref", card_ref)

    def by_number(self, number: str) -> CardRecord | None:
        return self._one("number", number)

    def add(self, record: CardRecord) -> None:
        if self._tx.run(self._storage.insert_nothing["cards"], _card_params(record)).first():
            return
        if self.by_ref(record.card_ref) is not None or self.by_number(record.number):
            raise CardConflict(record.number)
        if record.status_index is not None and self._one("status_index", record.status_index):
            raise CardConflict(record.number)
        if self.get(record.account_id) is not None:
            raise ValueError(f"account {record.account_id!r} already has a card")
        raise ValueError(f"card {record.id!r} exists")

    def add_many(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        """One ``INSERT … ON CONFLICT DO NOTHING`` for the lot; the records refused.

        SQLite: the driver's ``executemany``. PostgreSQL: one JSON document of the
        rows (:data:`_ADD_MANY_PG`), one parameter instead of ten a card, which
        psycopg would otherwise scan the statement for client-side (most of a
        bulk issuance's time once, ``benchmarks/README.md``).
        """
        if not records:
            return []
        if self._storage.dialect != "postgresql":
            return self._add_many_sqlite(records)
        refused, free = self._split_taken(
            records,
            self._tx.run(
                _TAKEN_INDEXES_PG,
                {"indexes": orjson.dumps([r.status_index for r in records]).decode()},
            ),
        )
        if free and not self._copy(free):
            # A number or reference taken (about 2^-50 a card), or an index another
            # writer took since the look-up: the database decides card by card.
            document = _cards_document(free, self._storage.engine.dialect)
            inserted = {row.id for row in self._tx.run(_ADD_MANY_PG, {"rows": document})}
            refused.update(r.id for r in free if r.id not in inserted)
        return [record for record in records if record.id in refused]

    @staticmethod
    def _split_taken(
        records: Sequence[CardRecord], taken: Iterable[Any]
    ) -> tuple[set[str], list[CardRecord]]:
        """The ids of the cards whose status index is taken — by a stored card (``taken``:
        rows of such indexes) or an earlier card of the batch — and the other cards."""
        held = {row[0] for row in taken}
        refused: set[str] = set()
        free = []
        for record in records:
            index = record.status_index
            if index is not None:
                if index in held:
                    refused.add(record.id)
                    continue
                held.add(index)
            free.append(record)
        return refused, free

    def _copy(self, records: Sequence[CardRecord]) -> bool:
        """PostgreSQL: ``COPY`` of the cards into ``sk_cards`` under a savepoint; ``False``
        (nothing written) when a unique index refused one of them.

        ``COPY`` skips the parsing and planning an ``INSERT`` costs the server per
        statement: the cards whose index is taken are set aside before it, so it
        almost never meets a conflict.
        """
        import psycopg

        dialect = self._storage.engine.dialect
        as_signed = _UINT64.process_bind_param
        data = _copy_text(records, dialect)
        raw = self._tx.conn.connection.driver_connection
        assert raw is not None  # a live transaction's connection
        try:
            with (
                self._tx.conn.begin_nested(),
                raw.cursor() as cursor,
                cursor.copy(_COPY_CARDS_PG) as copy,
            ):
                if data is not None:
                    copy.write(data)
                    return True
                for r in records:  # a value COPY's text form must escape: psycopg does
                    copy.write_row(
                        (
                            r.id,
                            r.account_id,
                            r.number,
                            as_signed(r.card_ref, dialect),
                            r.version,
                            r.issued_at,
                            r.updated_at,
                            r.revoked_at,
                            r.status_index,
                            r.suspended_at,
                        )
                    )
        except psycopg.IntegrityError:
            return False
        except psycopg.Error as error:  # COPY runs on the driver, outside SQLAlchemy
            logger.warning("storage failure: %s", type(error).__name__)
            raise StorageError("unavailable") from error
        return True

    def _add_many_sqlite(self, records: Sequence[CardRecord]) -> list[CardRecord]:
        """The driver's own ``executemany`` of the rows, as tuples (no statement compiled
        per batch).

        The cards whose status index is taken — about four in ten near a doubling of
        the list, given again in the same batch or held by a stored card — are
        refused before the insert, from one look-up of the batch's indexes, rather
        than tried, refused by the index and read back. When the insert still writes
        fewer rows than given (a number or reference taken, about 2^-50 a card, or
        another writer), one read says which went in.
        """
        conn = self._tx.conn
        try:
            refused, free = self._split_taken(
                records,
                conn.exec_driver_sql(
                    _TAKEN_INDEXES_SQLITE,
                    (orjson.dumps([r.status_index for r in records]).decode(),),
                ),
            )
            if not free:
                return list(records)
            dialect = self._storage.engine.dialect
            as_text = _TIME.bind_processor(dialect)
            assert as_text is not None
            as_signed = _UINT64.process_bind_param
            rows = [
                (
                    r.id,
                    r.account_id,
                    r.number,
                    as_signed(r.card_ref, dialect),
                    r.version,
                    as_text(r.issued_at),
                    as_text(r.updated_at),
                    None if r.revoked_at is None else as_text(r.revoked_at),
                    r.status_index,
                    None if r.suspended_at is None else as_text(r.suspended_at),
                )
                for r in free
            ]
            with bulk_page_cache(self._tx):
                inserted = conn.exec_driver_sql(_ADD_MANY_SQLITE, rows).rowcount
            if inserted != len(free):
                stored: dict[str, str] = {
                    row[0]: row[1]
                    for row in conn.exec_driver_sql(
                        _STORED_SQLITE, (orjson.dumps([r.id for r in free]).decode(),)
                    )
                }
                refused.update(r.id for r in free if stored.get(r.id) != r.number)
        except SQLAlchemyError as error:
            raise _storage_error(error, read_only_unit=self._tx.read_only) from error
        return [record for record in records if record.id in refused]

    def put(self, record: CardRecord) -> None:
        if record.status_index is not None:
            held = self._one("status_index", record.status_index)
            if held is not None and held.id != record.id:
                raise CardConflict(record.number)
        self._tx.run(self._storage.upserts["cards"], _card_params(record))


_CARD_COLUMNS: Final = (
    ("id", "text"),
    ("account_id", "text"),
    ("number", "text"),
    ("card_ref", "bigint"),
    ("version", "integer"),
    ("issued_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("revoked_at", "timestamptz"),
    ("status_index", "integer"),
    ("suspended_at", "timestamptz"),
)
# PostgreSQL: the batch as one JSON document the server turns into rows. Ten array
# parameters (the way before) cost psycopg a regular-expression check of every element
# as it quoted them — a quarter of a bulk issuance; orjson writes the document in C.
_ADD_MANY_PG: Final = text(  # built from the constants above, nothing from outside
    f"INSERT INTO {sk.cards.name} ({', '.join(name for name, _ in _CARD_COLUMNS)})"  # noqa: S608
    f" SELECT {', '.join(name for name, _ in _CARD_COLUMNS)}"
    " FROM json_to_recordset(CAST(:rows AS json)) AS r("
    + ", ".join(f"{name} {kind}" for name, kind in _CARD_COLUMNS)
    + ") ON CONFLICT DO NOTHING RETURNING id"
)
_UINT64: Final = sk.UInt64()
_TIME: Final = sk.UtcDateTime()
# SQLite: plain tuples through the driver's executemany, as the floor bench_bulk.py measures
# issuance against does (SQLAlchemy compiling a multi-row insert was a sixth of issuance).
_ADD_MANY_SQLITE: Final = (
    f"INSERT INTO {sk.cards.name} ({', '.join(name for name, _ in _CARD_COLUMNS)})"  # noqa: S608
    f" VALUES ({', '.join('?' for _ in _CARD_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_COPY_NULL: Final = "\\N"  # NULL in COPY's text form
_COPY_CARDS_PG: Final = (
    f"COPY {sk.cards.name} ({', '.join(name for name, _ in _CARD_COLUMNS)}) FROM STDIN"
)
_TAKEN_INDEXES_PG: Final = text(  # built from constants, nothing from outside
    f"SELECT status_index FROM {sk.cards.name}"  # noqa: S608
    " WHERE status_index = ANY(ARRAY("
    "SELECT CAST(json_array_elements_text(CAST(:indexes AS json)) AS integer)))"
)
# SQLite: a batch's values as one JSON array that json_each turns into rows (an indexed
# IN), not a placeholder each.
_TAKEN_INDEXES_SQLITE: Final = (
    f"SELECT status_index FROM {sk.cards.name}"  # noqa: S608 (our table)
    " WHERE status_index IN (SELECT value FROM json_each(?))"
)
_STORED_SQLITE: Final = (
    f"SELECT id, number FROM {sk.cards.name}"  # noqa: S608 (our table)
    " WHERE id IN (SELECT value FROM json_each(?))"
)


def _copy_text(records: Sequence[CardRecord], dialect: Dialect) -> str | None:
    """The cards as the data of :data:`_COPY_CARDS_PG` in COPY's text form, or ``None``
    when a text value holds a character that form escapes (a tab, a line end, a
    backslash): the caller then lets psycopg write them row by row.

    One f-string a card instead of psycopg's ``write_row``, which dumps each value
    through its own dumper (a sixth of a bulk issuance on PostgreSQL). A batch's cards
    share their times (one "now"): each distinct time is formatted once.
    """
    as_signed = _UINT64.process_bind_param
    times: dict[datetime, str] = {}

    def stamp(value: datetime | None) -> str:
        if value is None:
            return _COPY_NULL
        text = times.get(value)
        if text is None:
            if value.tzinfo is None or value.utcoffset() is None:  # as UtcDateTime refuses
                raise ValueError("storage keeps aware datetimes only (e.g. datetime.now(UTC))")
            text = times[value] = value.isoformat()
        return text

    nulls = 0
    lines = []
    for r in records:
        index = r.status_index
        revoked, suspended = r.revoked_at, r.suspended_at
        nulls += (index is None) + (revoked is None) + (suspended is None)
        lines.append(
            f"{r.id}\t{r.account_id}\t{r.number}\t{as_signed(r.card_ref, dialect):d}"
            f"\t{r.version:d}\t{stamp(r.issued_at)}\t{stamp(r.updated_at)}\t{stamp(revoked)}"
            f"\t{_COPY_NULL if index is None else format(index, 'd')}\t{stamp(suspended)}\n"
        )
    data = "".join(lines)
    # Every tab, line end and backslash is one this function wrote (nine tabs, one line
    # end a row, a backslash in each NULL): else a text value holds one.
    if (
        data.count("\t") != 9 * len(records)
        or data.count("\n") != len(records)
        or data.count("\\") != nulls
        or "\r" in data
    ):
        return None
    return data


def _cards_document(records: Sequence[CardRecord], dialect: Dialect) -> str:
    """The cards as a JSON array of rows (``card_ref`` as its signed BIGINT, times in
    RFC 3339 with their offset)."""
    rows = []
    for record in records:
        row = _card_params(record)
        row["card_ref"] = _UINT64.process_bind_param(record.card_ref, dialect)
        rows.append(row)
    return orjson.dumps(rows).decode()


def _card_params(record: CardRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "number": record.number,
        "card_ref": record.card_ref,
        "version": record.version,
        "issued_at": record.issued_at,
        "updated_at": record.updated_at,
        "revoked_at": record.revoked_at,
        "status_index": record.status_index,
        "suspended_at": record.suspended_at,
    }


@reads(sk.cards)
def _card(row: Any) -> CardRecord:
    return CardRecord(
        id=row.id,
        account_id=row.account_id,
        number=row.number,
        card_ref=row.card_ref,
        version=row.version,
        issued_at=row.issued_at,
        updated_at=row.updated_at,
        revoked_at=row.revoked_at,
        status_index=row.status_index,
        suspended_at=row.suspended_at,
    )
