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

It also owns the **bounds** of every stamp read (the loop's and the threads',
:class:`ThreadStamp`): a stamp is an optimisation, so it never waits long. Its
connections are its own (``stamp_connect_params``: the engine's server,
database and user, a 2 s connect timeout, TCP keepalives and a user timeout, a
statement timeout), a read answers within :data:`STAMP_TIMEOUT` or gives
``None`` — the page is then read as before — and after a failure the stamp
answers ``None`` at once for :data:`STAMP_BACKOFF` before trying a new
connection, so a connection gone silent (a NAT or a failover that dropped it
without a word) costs a page at most :data:`STAMP_TIMEOUT` once, not a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import selectors
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "SNAPSHOT",
    "STAMP_BACKOFF",
    "STAMP_TIMEOUT",
    "LoopStamp",
    "ThreadStamp",
    "stamp_connect_params",
]

logger = logging.getLogger("siapkerja.storage.sql")

SNAPSHOT: Final = "SELECT pg_current_snapshot()::text"
"""PostgreSQL's change stamp: the server's running transactions (see
:meth:`.SqlStorage.change_stamp`)."""
STAMP_TIMEOUT: Final = 2.0
"""Seconds a stamp read (its connection included) may take before it gives ``None``."""
STAMP_BACKOFF: Final = 1.0
"""Seconds a stamp answers ``None`` at once after a failure, before a new connection."""


def stamp_connect_params(params: Mapping[str, Any], application_name: str) -> dict[str, Any]:
    """psycopg's keywords for a stamp connection: ``params`` (the engine URL's host, port,
    database, user, password) with bounds of its own (see the module docstring)."""
    bounded = {key: value for key, value in params.items() if key != "context"}
    bounded.update(
        connect_timeout=2,  # libpq's minimum that means what it says
        application_name=f"{application_name}-stamp"[:63],
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=2,
        keepalives_count=3,
        tcp_user_timeout=int(STAMP_TIMEOUT * 1000),
        options=f"-c statement_timeout={int(STAMP_TIMEOUT * 1000)}",
    )
    return bounded


class ThreadStamp:
    """The worker threads' stamp connection: one, shared under a lock, each read bounded.

    A plain (blocking) psycopg connection whose one query goes through libpq's
    non-blocking calls with a selector's timeout, so a silent connection costs
    :data:`STAMP_TIMEOUT` once, then :data:`STAMP_BACKOFF` of ``None``.
    """

    def __init__(self, connect_params: Mapping[str, Any]) -> None:
        self._params = dict(connect_params)
        self._conn: Any = None
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self.closed = False

    def read(self) -> str | None:
        """The server's snapshot now (``None``: it could not be read in time)."""
        with self._lock:
            if self.closed or time.monotonic() < self._retry_at:
                return None
            try:
                conn = self._conn
                if conn is None or conn.closed:
                    import psycopg

                    conn = self._conn = psycopg.connect(autocommit=True, **self._params)
                    conn.pgconn.nonblocking = 1
                return _blocking_query(conn.pgconn, time.monotonic() + STAMP_TIMEOUT)
            except Exception as error:  # any fault or the time out: read again, wait a moment
                _warn(error)
                self._drop()
                self._retry_at = time.monotonic() + STAMP_BACKOFF
                return None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()

    def close(self) -> None:
        """Close the connection; later reads answer ``None``."""
        with self._lock:
            self.closed = True
            self._drop()


class LoopStamp:
    """One event loop's stamp connection and its rounds (see the module docstring).

    The loop's share of a round is kept small, for it is paid by every signed-in page
    served unread: each request waits on a future of its own (no ``shield``, no task),
    one task drives the rounds while requests keep arriving, the connection's socket
    stays registered with the loop's selector while it is open (not added and removed
    around every round trip), and a round trip's bound is one timer, not a
    ``wait_for`` task.

    :param connect_params: psycopg's connection keywords (the storage's engine's).
    """

    def __init__(self, connect_params: Mapping[str, Any]) -> None:
        self._params = dict(connect_params)
        self._conn: Any = None
        # The requests the round trip in flight answers, and those that arrived since.
        self._current: list[asyncio.Future[str | None]] | None = None
        self._next: list[asyncio.Future[str | None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._retry_at = 0.0
        self.closed = False
        # The loop and socket the connection is watched on, and the wait for it.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1
        self._waiter: asyncio.Future[None] | None = None

    async def read(self) -> str | None:
        """A snapshot taken after this call began (``None``: it could not be read in time)."""
        if self.closed or time.monotonic() < self._retry_at:
            return None
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[str | None] = loop.create_future()
        if self._current is None:
            self._current = [mine]
            # Held until it ends (a task only the loop refers to may be collected).
            self._task = task = loop.create_task(self._run())
            task.add_done_callback(self._ended)
        elif self._next is None:
            # A round trip is in flight: it may have read its snapshot before this
            # request arrived. Wait for the next one, shared with the others waiting.
            self._next = [mine]
        else:
            self._next.append(mine)
        # A request cancelled (its client gone) cancels its own future, not the round.
        return await mine

    async def _run(self) -> None:
        while True:
            stamp = await self._query()
            for waiting in self._current or ():
                if not waiting.done():
                    waiting.set_result(stamp)
            self._current, self._next = self._next, None
            if self._current is None:
                return

    def _ended(self, task: asyncio.Task[None]) -> None:
        """The rounds' task is over: if it did not end by itself (cancelled — the loop
        shutting down — even before its first step), nobody is left waiting for ever."""
        if task is not self._task:
            return
        self._task = None
        if task.cancelled() or task.exception() is not None:
            self._drop()  # perhaps a query in flight: a new connection next time
        for waiting in (*(self._current or ()), *(self._next or ())):
            if not waiting.done():
                waiting.set_result(None)
        self._current = self._next = None

    async def _query(self) -> str | None:
        try:
            return await self._round_trip()
        except Exception as error:  # any fault or the time out: read again, wait a moment
            _warn(error)
            self._drop()
            self._retry_at = time.monotonic() + STAMP_BACKOFF
            return None

    async def _round_trip(self) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STAMP_TIMEOUT
        conn = self._conn
        if conn is None or conn.closed:
            import psycopg

            self._drop()
            conn = self._conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(autocommit=True, **self._params),
                STAMP_TIMEOUT,
            )
        pgconn = conn.pgconn
        if self._loop is not loop or self._fd != pgconn.socket:
            self._unwatch()
            self._loop, self._fd = loop, pgconn.socket
            loop.add_reader(self._fd, self._readable)
        pgconn.send_query(_SNAPSHOT_BYTES)  # raises when it cannot be sent
        while pgconn.flush():  # 1: more to send when the socket can take it
            await _ready(loop, loop.add_writer, loop.remove_writer, pgconn.socket, deadline)
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            waiter = self._waiter = loop.create_future()
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        return _answer(pgconn)

    def _readable(self) -> None:
        """The watched socket has bytes: wake the round trip waiting for them, or, idle,
        read them (a notice; the server closing the connection, which drops it here
        rather than leave the selector reporting it again and again)."""
        waiter = self._waiter
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
            return
        if self._current is not None:  # a round trip about to read them itself
            return
        conn = self._conn
        try:
            if conn is None or conn.closed:
                raise ConnectionError("the stamp's connection is closed")
            conn.pgconn.consume_input()
            while conn.pgconn.get_result() is not None:  # nothing was asked: drop any answer
                pass
        except Exception as error:
            _warn(error)
            self._drop()
            self._retry_at = time.monotonic() + STAMP_BACKOFF

    def _unwatch(self) -> None:
        """Take the socket out of its loop's selector (before it is closed: the selector
        would otherwise keep a number the next socket may reuse)."""
        loop, fd = self._loop, self._fd
        self._loop, self._fd = None, -1
        if loop is None or fd < 0 or loop.is_closed():
            return
        if loop.is_running() and not _on_loop(loop):
            return  # another thread's running loop: its selector is not ours to touch
        with contextlib.suppress(Exception):
            loop.remove_reader(fd)

    def _drop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop) and not loop.is_closed():
            # Closed from another thread while the loop runs: the loop unwatches and closes.
            conn, self._conn = self._conn, None
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._close_on_loop, conn)
            return
        self._unwatch()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()  # the socket, at once (the loop may be gone)

    def _close_on_loop(self, conn: Any) -> None:
        self._unwatch()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()

    def close(self) -> None:
        """Close the connection; later reads answer ``None``."""
        self.closed = True
        self._drop()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running ``loop``."""
    return asyncio._get_running_loop() is loop


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("the change stamp took too long"))


_SNAPSHOT_BYTES: Final = SNAPSHOT.encode("ascii")


def _answer(pgconn: Any) -> str:
    """The snapshot a sent :data:`SNAPSHOT` answered, once ``pgconn`` is no longer busy."""
    from psycopg import pq

    value: str | None = None
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.TUPLES_OK:
            message = result.error_message.decode("utf-8", "replace")
            raise ConnectionError(f"the stamp's query failed: {message}")
        raw = result.get_value(0, 0)
        value = None if raw is None else bytes(raw).decode("ascii")
    if value is None:
        raise ConnectionError("the stamp's query answered nothing")
    return value


async def _ready(
    loop: asyncio.AbstractEventLoop, add: Any, remove: Any, fd: int, deadline: float
) -> None:
    """Wait until ``fd`` is ready (``add`` is the loop's ``add_writer``, or ``add_reader``),
    :class:`TimeoutError` at ``deadline`` (``loop.time()``)."""
    waiter = loop.create_future()
    add(fd, _wake, waiter)
    timer = loop.call_at(deadline, _expire, waiter)
    try:
        await waiter
    finally:
        timer.cancel()
        remove(fd)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _warn(error: BaseException) -> None:
    """One line, not a traceback: a dropped connection is an event, not a bug (a server
    restart would log one for each worker and loop)."""
    logger.warning(
        "the change stamp failed (%s: %s); pages are read again",
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "-",
    )


def _blocking_query(pgconn: Any, deadline: float) -> str:
    """:data:`SNAPSHOT`'s value on a non-blocking ``pgconn``, waiting with a selector until
    ``deadline`` (``time.monotonic()``): :class:`TimeoutError` past it."""
    pgconn.send_query(_SNAPSHOT_BYTES)
    with selectors.DefaultSelector() as selector:
        while pgconn.flush():
            _wait(selector, pgconn.socket, selectors.EVENT_WRITE, deadline)
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            _wait(selector, pgconn.socket, selectors.EVENT_READ, deadline)
    return _answer(pgconn)


def _wait(selector: selectors.BaseSelector, fd: int, events: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the change stamp took too long")
    selector.register(fd, events)
    try:
        if not selector.select(left):
            raise TimeoutError("the change stamp took too long")
    finally:
        selector.unregister(fd)
