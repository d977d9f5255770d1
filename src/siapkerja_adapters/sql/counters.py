"""Fixed-window rate-limit counters in the database of the ``sql`` storage (the
``ratelimit = "storage"`` adapter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Table, bindparam, case, delete, select

from siapkerja_adapters.sql import schema as sk

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from siapkerja_adapters.sql.storage import SqlStorage


_N = sk.counters.c


class SqlCounters:
    """Fixed-window counters in the ``sk_counters`` table (the ``ratelimit`` port).

    One row per key: its window and count. ``increment`` is one atomic
    ``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING count`` that restarts the
    count when the window changed, so it holds across processes and hosts.
    """

    _COUNT: ClassVar = select(_N.window_index, _N["count"]).where(_N.key == bindparam("key"))
    _CLEAR: ClassVar = delete(sk.counters).where(_N.key == bindparam("key"))

    def __init__(self, storage: SqlStorage, insert: Callable[[Table], Insert]) -> None:
        self._storage = storage
        statement: Any = insert(sk.counters)
        self._increment = statement.on_conflict_do_update(
            index_elements=[_N.key],
            set_={
                "count": case(
                    (_N.window_index == statement.excluded.window_index, _N["count"] + 1),
                    else_=1,
                ),
                "window_index": statement.excluded.window_index,
            },
        ).returning(_N["count"])

    @staticmethod
    def _window_index(window: timedelta, now: datetime) -> int:
        return int(now.timestamp() // window.total_seconds())

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Add one to ``key`` in the window containing ``now``; return the new count."""
        params = {"key": key, "window_index": self._window_index(window, now), "count": 1}
        with self._storage.single_statement() as conn:
            return int(conn.execute(self._increment, params).scalar_one())

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        """The count of ``key`` in the window containing ``now`` (0 if none)."""
        with self._storage.single_statement(write=False) as conn:
            row = conn.execute(self._COUNT, {"key": key}).first()
        if row is None or row[0] != self._window_index(window, now):
            return 0
        return int(row[1])

    def clear(self, key: str) -> None:
        """Forget ``key`` in every window."""
        with self._storage.single_statement() as conn:
            conn.execute(self._CLEAR, {"key": key})

    def __repr__(self) -> str:
        return f"SqlCounters({self._storage!r})"
