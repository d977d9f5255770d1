"""Rate-limit slots in the database of the ``sql`` storage (the ``ratelimit = "storage"``
adapter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from sqlalchemy import Table, bindparam, case, delete, func, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _storage_error
from siapkerja_adapters.sql.lane import Prepared
from siapkerja_adapters.sql.transaction import SqlTransaction
from siapkerja_core.ports import Hit, hit_each

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from siapkerja_adapters.sql.storage import SqlStorage


_N = sk.counters.c


def _relaxed() -> ColumnElement[bool]:
    """PostgreSQL: a condition that is always true and makes the statement's commit
    asynchronous (``synchronous_commit = off`` for its transaction only)."""
    return func.set_config("synchronous_commit", "off", true()).is_not(None)


def _ms(value: datetime | timedelta) -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value.timestamp()
    return int(seconds * 1000)


class _Compiled(NamedTuple):
    hit: Prepared
    read: Prepared
    release: Prepared
    clear: Prepared
    # In a unit of work (``within``): without PostgreSQL's asynchronous commit, which
    # would have relaxed the whole unit's commit, not only the slot's.
    unit_hit: Prepared
    unit_release: Prepared
    unit_clear: Prepared
    unit_hit_two: Prepared  # two keys' slots in one statement (``_UnitSlots.hit_all``)


class SqlCounters:
    """Rate-limit slots in the ``sk_counters`` table (the ``ratelimit`` port).

    One row per key: ``window_index`` holds when its window opened (milliseconds
    since the epoch; the column kept its 0.1 name, and a 0.1 row reads as a
    window long ended) and ``count`` the slots taken. :meth:`hit` is **one**
    statement, ``INSERT … ON CONFLICT (key) DO UPDATE … WHERE <window ended or
    count < limit> RETURNING count``: the database's row lock makes the check
    and the increment one step across connections, processes and hosts, and a
    refused hit (the ``WHERE`` is false) writes nothing and returns no row.
    Only then is the row read, on the same connection, for ``retry_after``.
    Every statement commits on its own: the core calls the counters outside its
    transactions, so no connection is ever held while waiting for another —
    or, through :meth:`within` (the port's ``UnitCounters``), on the connection
    of a unit of work of this storage, committed or rolled back with it.

    **On the driver.** Each statement is compiled once (:class:`~.lane.Prepared`,
    as the scan's read) and run on a pooled driver connection (autocommit),
    without SQLAlchemy Core's connection, execution context and result: a
    registration journey takes nine slots, and through Core each cost more
    than its statement. The pool and its checks are kept — at most the pool's
    connections, one per thread at a time (the connection guard), a connection
    idle for a while pinged first, a lost one discarded — and SQLite writes
    still queue behind the process's other writers.

    **PostgreSQL: commits without waiting for the disk.** Each statement sets
    ``synchronous_commit = off`` for its own transaction (``set_config(…, true)``
    inside the statement: no extra round trip, and the session's setting is
    untouched afterwards). A registration journey takes nine counter slots;
    each waited for a WAL flush (1–3 ms on the development machine's disk), more
    than all the rest of the journey's statements together. Atomicity and
    isolation are unchanged — the row lock still makes check and increment one
    step — only a crash of the *database server* may forget the last fraction
    of a second of slots (``wal_writer_delay`` × 3 at most), as Redis's default
    ``appendfsync everysec`` would: a cap may then admit that many more tries
    once. ``docs/storage.md`` ("Durability") already allowed ``off`` for the
    counters' role; this makes it the default for their statements only.
    SQLite (WAL, ``synchronous=NORMAL``) never waits for the disk at commit.
    """

    _READ: ClassVar = select(_N.window_index, _N["count"]).where(_N.key == bindparam("key"))
    _RELEASE: ClassVar = (
        update(sk.counters)
        .where(
            _N.key == bindparam("b_key"),
            _N["count"] > 0,
            _N.window_index + bindparam("window_ms") > bindparam("now_ms"),
        )
        .values(count=_N["count"] - 1)
    )
    _CLEAR: ClassVar = delete(sk.counters).where(_N.key == bindparam("key"))

    def __init__(self, storage: SqlStorage, insert: Callable[[Table], Insert]) -> None:
        self._storage = storage
        self._compiled: _Compiled | None = None
        statement: Any = insert(sk.counters)
        self._release: Any = self._RELEASE
        self._clear: Any = self._CLEAR
        if storage.dialect == "postgresql":
            # The row comes from a SELECT over set_config(…): evaluated in the statement,
            # before its commit, so this statement's commit does not wait for the WAL.
            relaxed = select(func.set_config("synchronous_commit", "off", true())).subquery()
            statement = statement.from_select(
                ["key", "window_index", "count"],
                select(
                    bindparam("key", type_=_N.key.type),
                    bindparam("window_index", type_=_N.window_index.type),
                    bindparam("count", type_=_N["count"].type),
                ).select_from(relaxed),
            )
            # A release or clear that changes no row commits nothing to wait for.
            self._release = self._RELEASE.where(_relaxed())
            self._clear = self._CLEAR.where(_relaxed())
        self._hit = self._upsert(statement)
        self._unit_hit = self._upsert(insert(sk.counters))
        # Two keys' first slots, each under its own limit (the send's daily caps per
        # number and per NIK): the rows the two hits would upsert, in one statement.
        first, second = (bindparam(name, type_=_N.key.type) for name in ("key_0", "key_1"))
        window_index = bindparam("window_index", type_=_N.window_index.type)
        two = insert(sk.counters).values(
            [
                {"key": first, "window_index": window_index, "count": 1},
                {"key": second, "window_index": window_index, "count": 1},
            ]
        )
        limit = case((_N.key == first, bindparam("limit_0")), else_=bindparam("limit_1"))
        self._unit_hit_two = self._upsert(two, limit).returning(_N.key, _N["count"])

    @staticmethod
    def _upsert(statement: Any, limit: Any = None) -> Any:
        """``statement`` (an ``INSERT`` of a key's first slot) as the one-statement hit."""
        ended = _N.window_index + bindparam("window_ms") <= statement.excluded.window_index
        upsert = statement.on_conflict_do_update(
            index_elements=[_N.key],
            set_={
                "window_index": case(
                    (ended, statement.excluded.window_index), else_=_N.window_index
                ),
                "count": case((ended, 1), else_=_N["count"] + 1),
            },
            where=or_(ended, _N["count"] < (bindparam("limit") if limit is None else limit)),
        )
        return upsert if limit is not None else upsert.returning(_N["count"])

    def _statements(self) -> _Compiled:
        """The four statements compiled for the storage's dialect (once, at first use)."""
        compiled = self._compiled
        if compiled is None:
            engine = self._storage.engine
            compiled = self._compiled = _Compiled(
                hit=Prepared(engine, self._hit),
                read=Prepared(engine, self._READ),
                release=Prepared(engine, self._release),
                clear=Prepared(engine, self._clear),
                unit_hit=Prepared(engine, self._unit_hit),
                unit_release=Prepared(engine, self._RELEASE),
                unit_clear=Prepared(engine, self._CLEAR),
                unit_hit_two=Prepared(engine, self._unit_hit_two),
            )
        return compiled

    def _run(self, call: Callable[[Any], Any]) -> Any:
        """``call(cursor)`` on a pooled driver connection in autocommit, queued behind the
        process's SQLite writers; a driver error is a ``StorageError``.

        A pooled connection, not one of the lane's kept ones: the counters are used by as
        many threads as serve requests, and the pool bounds the connections they open.
        """
        storage = self._storage
        storage._prepare(index=False)
        # SQLite: the write lock, then the writers' kept connection (SqlStorage._writer_connection).
        writer = storage._take_writer()
        try:
            storage._one_connection()
            try:
                raw = (
                    storage._writer_connection()
                    if writer is not None
                    else storage.engine.raw_connection()  # pinged when it sat idle
                )
            except (SQLAlchemyError, storage.engine.dialect.loaded_dbapi.Error) as error:
                # (A failed connect comes as the driver's own error.)
                raise _storage_error(error) from error
            local = storage._local
            local.held = getattr(local, "held", 0) + 1
            try:
                return self._on(raw, call, keep=writer is not None)
            finally:
                local.held -= 1
        finally:
            if writer is not None:
                writer.release()

    def _on(self, raw: Any, call: Callable[[Any], Any], keep: bool = False) -> Any:
        driver: Any = raw.driver_connection
        dialect = self._storage.engine.dialect
        postgresql = self._storage.dialect == "postgresql"
        try:
            if postgresql:
                driver.autocommit = True  # idle after its checkout: allowed, no round trip
            cursor = driver.cursor()
            try:
                return call(cursor)
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, driver, None):
                raw.invalidate()  # the pool opens a new one next time
            raise _storage_error(error) from error
        finally:
            if raw.is_valid:
                try:
                    if postgresql:
                        driver.autocommit = False
                    if self._storage._closed:
                        raw.invalidate()
                except dialect.loaded_dbapi.Error:
                    raw.invalidate()
            if not (keep and self._storage._keep_writer(raw)):  # SQLite: kept for the next write
                raw.close()

    def shares(self, storage: object) -> bool:
        """Whether :meth:`within` joins ``storage``'s units of work: its own storage's."""
        return storage is self._storage

    def within(self, tx: object) -> _UnitSlots | None:
        """The slots taken in ``tx``, a unit of work of this storage (``UnitCounters``).

        Each statement runs on the unit's own connection and commits or rolls back
        with it: no checkout, no commit of its own. The row lock that makes a hit
        atomic is held until the unit ends, so units hitting one key take turns
        (SQLite's units of work already do: one writer at a time). ``None`` for a
        unit of another storage. On a read-only unit only ``peek`` can run.
        """
        if not isinstance(tx, SqlTransaction) or tx.storage is not self._storage:
            return None
        return _UnitSlots(self._statements(), tx)

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` if fewer than ``limit`` are taken in its live window."""
        now_ms, window_ms = _ms(now), _ms(window)
        if limit <= 0:
            return Hit(False, 0, window)
        compiled = self._statements()
        hit, read = compiled.hit, compiled.read
        sql = hit.sql
        params = hit.params(
            {"key": key, "window_index": now_ms, "count": 1, "window_ms": window_ms, "limit": limit}
        )

        def call(cursor: Any) -> tuple[bool, Any]:
            cursor.execute(sql, params)
            # Every row fetched: SQLite's statement is done, and with it its autocommit.
            rows = cursor.fetchall()
            if rows:
                return True, rows[0][0]
            cursor.execute(read.sql, read.params({"key": key}))
            return False, cursor.fetchall()

        allowed, value = self._run(call)
        if allowed:
            return Hit(True, int(value))
        return _refused(read, value, now_ms, window_ms)

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window (nothing if it ended or is empty)."""
        compiled = self._statements()
        sql = compiled.release.sql
        params = compiled.release.params(
            {"b_key": key, "window_ms": _ms(window), "now_ms": _ms(now)}
        )
        self._run(lambda cursor: cursor.execute(sql, params))

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        compiled = self._statements()
        sql = compiled.clear.sql
        params = compiled.clear.params({"key": key})
        self._run(lambda cursor: cursor.execute(sql, params))

    def __repr__(self) -> str:
        return f"SqlCounters({self._storage!r})"


def _refused(read: Prepared, rows: list[Any], now_ms: int, window_ms: int) -> Hit:
    """The refusal of a hit whose row ``read`` read back (``retry_after`` to its window's end)."""
    if not rows:  # pragma: no cover - cleared between the two statements
        return Hit(False, 0, timedelta(0))
    window_index, count = read.row(rows[0])
    wait = max(0, int(window_index) + window_ms - now_ms)
    return Hit(False, int(count), timedelta(milliseconds=wait))


class _UnitSlots:
    """:meth:`SqlCounters.within`: the counters' statements on a unit of work's connection
    (``UnitSlots``), the same rows and the same answers as :class:`SqlCounters`."""

    __slots__ = ("_compiled", "_tx")

    def __init__(self, compiled: _Compiled, tx: SqlTransaction) -> None:
        self._compiled = compiled
        self._tx = tx

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` in the unit, if fewer than ``limit`` are taken."""
        now_ms, window_ms = _ms(now), _ms(window)
        if limit <= 0:
            return Hit(False, 0, window)
        compiled, tx = self._compiled, self._tx
        hit, read = compiled.unit_hit, compiled.read
        rows, _ = tx.driver_rows(
            hit.sql,
            hit.params(
                {
                    "key": key,
                    "window_index": now_ms,
                    "count": 1,
                    "window_ms": window_ms,
                    "limit": limit,
                }
            ),
        )
        if rows:
            return Hit(True, int(rows[0][0]))
        rows, _ = tx.driver_rows(read.sql, read.params({"key": key}))
        return _refused(read, rows, now_ms, window_ms)

    def hit_all(
        self, slots: Sequence[tuple[str, int]], *, window: timedelta, now: datetime
    ) -> Hit | None:
        """One slot of each ``(key, limit)``, all or none (``siapkerja_core.ports.hit_all``):
        ``None`` when all were taken, else the first refused key's refusal.

        Two distinct keys (the send's daily caps) are **one** statement: both
        rows upserted as two hits would upsert them, each under its own limit,
        and the rows taken returned. On a refusal the other key's slot, if it
        was taken, is given back in the unit (as ``release``), and the refused
        row is read for its ``retry_after``: a refusal costs two statements more,
        a send none. Other shapes are the hits one by one.
        """
        keys = [key for key, _ in slots]
        if len(slots) != 2 or keys[0] == keys[1] or any(limit <= 0 for _, limit in slots):
            return hit_each(self, slots, window=window, now=now)
        now_ms, window_ms = _ms(now), _ms(window)
        compiled, tx = self._compiled, self._tx
        two, read = compiled.unit_hit_two, compiled.read
        rows, _ = tx.driver_rows(
            two.sql,
            two.params(
                {
                    "key_0": keys[0],
                    "key_1": keys[1],
                    "window_index": now_ms,
                    "window_ms": window_ms,
                    "limit_0": slots[0][1],
                    "limit_1": slots[1][1],
                }
            ),
        )
        taken = {row[0] for row in rows}
        if len(taken) == 2:
            return None
        for key in keys:
            if key in taken:
                self.release(key, window=window, now=now)
        refused = keys[0] if keys[0] not in taken else keys[1]
        rows, _ = tx.driver_rows(read.sql, read.params({"key": refused}))
        return _refused(read, rows, now_ms, window_ms)

    def peek(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """What :meth:`hit` would answer now, taking nothing (one read)."""
        now_ms, window_ms = _ms(now), _ms(window)
        if limit <= 0:
            return Hit(False, 0, window)
        read = self._compiled.read
        rows, _ = self._tx.driver_rows(read.sql, read.params({"key": key}))
        if not rows:
            return Hit(True, 0)
        window_index, count = read.row(rows[0])
        if int(window_index) + window_ms <= now_ms:  # the window ended: a hit opens one
            return Hit(True, 0)
        if int(count) < limit:
            return Hit(True, int(count))
        return _refused(read, rows, now_ms, window_ms)

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window, in the unit."""
        release = self._compiled.unit_release
        params = release.params({"b_key": key, "window_ms": _ms(window), "now_ms": _ms(now)})
        self._tx.driver_rows(release.sql, params)

    def clear(self, key: str) -> None:
        """Forget ``key``, in the unit."""
        clear = self._compiled.unit_clear
        self._tx.driver_rows(clear.sql, clear.params({"key": key}))

    def __repr__(self) -> str:
        return f"_UnitSlots({self._tx!r})"
