"""The event loop's PostgreSQL stamp connection watched on the loop's selector.

:class:`~siapkerja_adapters.sql.stamp.LoopStamp` keeps its socket registered with
the loop while the connection is open (it is not added and removed around every
round trip). These tests hold it to what that must not break: every read is still a
round trip answered with the server's snapshot now (a commit moves it), the socket
is watched once and taken out of the selector when the connection is closed or
dropped — a connection the server ends while idle is dropped by the watcher itself,
never reported again and again — and after a failure the stamp answers ``None`` for
a moment, then reads on a new connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from siapkerja_adapters.sql import stamp
from support.load import run_on_own_loop


def _params(postgres_url: str) -> dict[str, Any]:
    info = psycopg.conninfo.conninfo_to_dict(postgres_url.replace("+psycopg", ""))
    return stamp.stamp_connect_params(info, "siapkerja-test")


def _watched(loop: Any, fd: int) -> bool:
    try:
        loop._selector.get_key(fd)
    except KeyError:
        return False
    return True


def test_each_read_is_a_round_trip_and_the_socket_is_watched_once(postgres_url: str) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        watch = stamp.LoopStamp(_params(postgres_url))
        adds = 0
        add_reader = loop.add_reader

        def counted(fd: int, callback: Any, *args: Any) -> None:
            nonlocal adds
            adds += callback == watch._readable  # psycopg's connect waits with its own
            add_reader(fd, callback, *args)

        loop.add_reader = counted  # type: ignore[method-assign]
        try:
            before = await watch.read()
            assert isinstance(before, str)
            fd = watch._conn.pgconn.socket
            assert _watched(loop, fd)
            # A commit of another session moves the snapshot: the next read sees it.
            with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as other:
                other.execute("SELECT pg_current_xact_id()")
            after = await watch.read()
            assert isinstance(after, str)
            assert after != before
            many = await asyncio.gather(*(watch.read() for _ in range(16)))
            assert all(isinstance(value, str) for value in many)
            assert adds == 1  # watched once for the connection's life
            watch.close()
            assert not _watched(loop, fd)
            assert await watch.read() is None
        finally:
            loop.add_reader = add_reader  # type: ignore[method-assign]
            watch.close()

    run_on_own_loop(scenario)


def test_a_connection_ended_while_idle_is_dropped_by_its_watcher(postgres_url: str) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        watch = stamp.LoopStamp(_params(postgres_url))
        try:
            assert isinstance(await watch.read(), str)
            conn = watch._conn
            fd, pid = conn.pgconn.socket, conn.info.backend_pid
            with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            for _ in range(200):  # the watcher sees the server's goodbye while idle
                await asyncio.sleep(0.01)
                if watch._conn is None:
                    break
            assert watch._conn is None
            assert not _watched(loop, fd)
            assert await watch.read() is None  # a moment's rest after a failure
            await asyncio.sleep(stamp.STAMP_BACKOFF)
            assert isinstance(await watch.read(), str)  # a new connection
        finally:
            watch.close()

    run_on_own_loop(scenario)


def test_a_cancelled_driver_leaves_nobody_waiting(postgres_url: str) -> None:
    """The task driving the rounds cancelled (the loop shutting down) answers the
    requests waiting on it with ``None`` (read again) rather than leave them hanging,
    and the next read starts afresh."""

    async def scenario() -> None:
        watch = stamp.LoopStamp(_params(postgres_url))
        try:
            assert isinstance(await watch.read(), str)
            first = asyncio.ensure_future(watch.read())
            second = asyncio.ensure_future(watch.read())  # waits for the next round
            # One turn of the loop: both requests wait and the rounds' task is made, but
            # has not run (it was queued after this test's turn), so no answer can have
            # come back — cancelled before its first step, whatever the machine's speed.
            await asyncio.sleep(0)
            assert watch._task is not None
            assert watch._current is not None
            assert watch._next is not None
            watch._task.cancel()
            assert await asyncio.wait_for(asyncio.gather(first, second), 5) == [None, None]
            watch._retry_at = 0.0
            assert isinstance(await watch.read(), str)
        finally:
            watch.close()

    run_on_own_loop(scenario)
