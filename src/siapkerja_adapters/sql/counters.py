"""Rate-limit slots in the database of the ``sql`` storage (the ``ratelimit = "storage"``
adapter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Table, bindparam, case, delete, or_, select, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_core.ports import Hit

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from siapkerja_adapters.sql.storage import SqlStorage


_N = sk.counters.c


def _ms(value: datetime | timedelta) -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value.timestamp()
    return int(seconds * 1000)


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
    Every statement commits on its own (:meth:`SqlStorage.single_statement`):
    the core calls the counters outside its transactions, so no connection is
    ever held while waiting for another.
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
        statement: Any = insert(sk.counters)
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

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` if fewer than ``limit`` are taken in its live window."""
        now_ms, window_ms = _ms(now), _ms(window)
        if limit <= 0:
            return Hit(False, 0, window)
        params = {
            "key": key,
            "window_index": now_ms,
            "count": 1,
            "window_ms": window_ms,
            "limit": limit,
        }
        with self._storage.single_statement() as conn:
            count = conn.execute(self._hit, params).scalar_one_or_none()
            if count is not None:
                return Hit(True, int(count))
            row = conn.execute(self._READ, {"key": key}).first()
        if row is None:  # pragma: no cover - cleared between the two statements
            return Hit(False, 0, timedelta(0))
        wait = max(0, int(row[0]) + window_ms - now_ms)
        return Hit(False, int(row[1]), timedelta(milliseconds=wait))

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window (nothing if it ended or is empty)."""
        params = {"b_key": key, "window_ms": _ms(window), "now_ms": _ms(now)}
        with self._storage.single_statement() as conn:
            conn.execute(self._RELEASE, params)

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        with self._storage.single_statement() as conn:
            conn.execute(self._CLEAR, {"key": key})

    def __repr__(self) -> str:
        return f"SqlCounters({self._storage!r})"
