"""PostgreSQL's change stamp read from an event loop, one round trip for many requests.

This module owns :class:`LoopStamp`: the asynchronous connection one event loop
reads ``pg_current_snapshot()`` on (:meth:`.SqlStorage.change_stamp_async`), and
the rounds that share it. A request may only take a snapshot **taken after it
arrived** — one taken before could predate a commit (a sign-out) its client had
already seen acknowledged — so a request arriving while a round trip is in
flight does not join it: it waits for the **next** one, which starts when the
current one ends and answers every request that arrived meanwhile. Sixteen
pages loaded at once then cost two round trips, not sixteen, and no answer is
older than its request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["SNAPSHOT", "LoopStamp"]

logger = logging.getLogger("siapkerja.storage.sql")

SNAPSHOT: Final = "SELECT pg_current_snapshot()::text"
"""PostgreSQL's change stamp: the server's running transactions (see
:meth:`.SqlStorage.change_stamp`)."""


class LoopStamp:
    """One event loop's stamp connection and its rounds (see the module docstring).

    :param connect_params: psycopg's connection keywords (the storage's engine's).
    """

    def __init__(self, connect_params: Mapping[str, Any]) -> None:
        self._params = dict(connect_params)
        self._conn: Any = None
        self._current: asyncio.Future[str | None] | None = None
        self._next: asyncio.Future[str | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    async def read(self) -> str | None:
        """A snapshot taken after this call began (``None``: it could not be read)."""
        if self.closed:
            return None
        loop = asyncio.get_running_loop()
        if self._current is None:
            round_ = self._current = loop.create_future()
            # Held until it ends (a task only the loop refers to may be collected).
            self._task = loop.create_task(self._run(round_))
        else:
            # A round trip is in flight: it may have read its snapshot before this
            # request arrived. Wait for the next one, shared with the others waiting.
            if self._next is None:
                self._next = loop.create_future()
            round_ = self._next
        return await asyncio.shield(round_)

    async def _run(self, round_: asyncio.Future[str | None]) -> None:
        while True:
            stamp = await self._query()
            if not round_.done():
                round_.set_result(stamp)
            waiting, self._next = self._next, None
            if waiting is None:
                self._current = None
                return
            round_ = self._current = waiting

    async def _query(self) -> str | None:
        try:
            conn = self._conn
            if conn is None or conn.closed:
                import psycopg

                conn = self._conn = await psycopg.AsyncConnection.connect(
                    autocommit=True, **self._params
                )
            cursor = await conn.execute(SNAPSHOT)
            row = await cursor.fetchone()
        except Exception:  # any fault: the stamp cannot tell just now; a new connection next
            logger.warning("the change stamp failed; pages read again", exc_info=True)
            self._drop()
            return None
        return None if row is None else str(row[0])

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()  # the socket, at once (the loop may be gone)

    def close(self) -> None:
        """Close the connection; later reads answer ``None``."""
        self.closed = True
        self._drop()
