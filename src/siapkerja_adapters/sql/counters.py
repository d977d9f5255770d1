"""Rate-limit slots in the database of the ``sql`` storage (the ``ratelimit = "storage"``
adapter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from sqlalchemy import Table, bindparam, case, delete, func, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.lane import Lane, Prepared
from siapkerja_core.ports import Hit

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
    transactions, so no connection is ever held while waiting for another.

    **On the storage's lane** (:mod:`.lane`, shared with the scan): a kept
    driver connection and the four statements compiled once, as the scan's
    read is. Through SQLAlchemy Core each slot cost a pool checkout and the
    statement machinery, more than the statement (a registration journey
    takes nine slots). SQLite writes still queue behind the process's other
    writers first. A hit or clear that failed on a connection which had sat
    idle (the server restarted) is sent once more on a new one: a hit sent
    twice takes at most one slot more, never lets more through. A release is
    not: sent twice it could give back two.

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
        ended = _N.window_index + bindparam("window_ms") <= statement.excluded.window_index
        self._hit = statement.on_conflict_do_update(
            index_elements=[_N.key],
            set_={
                "window_index": case(
                    (ended, statement.excluded.window_index), else_=_N.window_index
                ),
                "count": case((ended, 1), else_=_N["count"] + 1),
            },
            where=or_(ended, _N["count"] < bindparam("limit")),
        ).returning(_N["count"])

    def _statements(self) -> tuple[Lane, _Compiled]:
        """The storage's lane and the four statements compiled for it (once, at first use)."""
        lane, _ = self._storage._scan_lane()  # checks the storage is open and migrated
        compiled = self._compiled
        if compiled is None:
            engine = self._storage.engine
            compiled = self._compiled = _Compiled(
                hit=Prepared(engine, self._hit),
                read=Prepared(engine, self._READ),
                release=Prepared(engine, self._release),
                clear=Prepared(engine, self._clear),
            )
        return lane, compiled

    def _run(self, call: Callable[[Any], Any], *, retry: bool) -> Any:
        """``call(cursor)`` on a kept connection, queued behind the process's SQLite writers."""
        lane, _ = self._statements()
        with self._storage._writing():
            # SQLite: a kept connection is a file's, it does not go stale; a retry there
            # would only wait out a busy timeout twice.
            return lane.run(call, retry=retry and not lane.sqlite)

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` if fewer than ``limit`` are taken in its live window."""
        now_ms, window_ms = _ms(now), _ms(window)
        if limit <= 0:
            return Hit(False, 0, window)
        _, compiled = self._statements()
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

        # A hit sent again (its first try failed on a connection that had sat idle, the
        # server gone meanwhile) takes at most one slot more: never lets more through.
        allowed, value = self._run(call, retry=True)
        if allowed:
            return Hit(True, int(value))
        if not value:  # pragma: no cover - cleared between the two statements
            return Hit(False, 0, timedelta(0))
        window_index, count = read.row(value[0])
        wait = max(0, int(window_index) + window_ms - now_ms)
        return Hit(False, int(count), timedelta(milliseconds=wait))

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window (nothing if it ended or is empty)."""
        _, compiled = self._statements()
        sql = compiled.release.sql
        params = compiled.release.params(
            {"b_key": key, "window_ms": _ms(window), "now_ms": _ms(now)}
        )
        # Not sent twice: a release whose outcome is unknown must not give back two slots.
        self._run(lambda cursor: cursor.execute(sql, params), retry=False)

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        _, compiled = self._statements()
        sql = compiled.clear.sql
        params = compiled.clear.params({"key": key})
        self._run(lambda cursor: cursor.execute(sql, params), retry=True)  # idempotent

    def __repr__(self) -> str:
        return f"SqlCounters({self._storage!r})"
