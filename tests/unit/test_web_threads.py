"""``WorkerThreads``: facade calls off the event loop, with their outcome and context intact."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

pytest.importorskip("starlette", reason="the web binding needs siapkerja[web]")

from siapkerja_adapters.web.threads import WorkerThreads, _call_and_report

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
T = TypeVar("T")


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``run(main)`` in a thread of its own, as a server's loop would be.

    In the full suite, Playwright's sync API keeps a loop running in the main
    thread, where ``asyncio.run`` refuses to start another.
    """
    with ThreadPoolExecutor(1) as runner:
        return runner.submit(asyncio.run, main()).result(timeout=30)


def test_a_call_runs_in_a_worker_thread_and_returns_its_value() -> None:
    pool = WorkerThreads()

    def where(a: int, *, b: int) -> tuple[str, int]:
        return threading.current_thread().name, a + b

    async def main() -> tuple[str, int]:
        return await pool.run(where, 2, b=3)

    name, total = run(main)
    assert name.startswith("siapkerja-web")
    assert total == 5
    pool.close()


def test_an_exception_reaches_the_awaiting_request_as_raised() -> None:
    pool = WorkerThreads()

    class Refused(Exception):
        pass

    def refuse() -> None:
        raise Refused("no")

    async def main() -> None:
        await pool.run(refuse)

    with pytest.raises(Refused, match="no"):
        run(main)
    pool.close()


def test_a_stop_iteration_becomes_a_runtime_error() -> None:
    # A future cannot carry StopIteration; without this the request would hang.
    pool = WorkerThreads()

    async def main() -> None:
        await pool.run(next, iter(()))

    with pytest.raises(RuntimeError, match="StopIteration"):
        run(main)
    pool.close()


def test_the_callers_context_variables_are_seen_and_not_changed() -> None:
    pool = WorkerThreads()

    def read_and_set() -> str:
        seen = REQUEST_ID.get()
        REQUEST_ID.set("changed in the thread")
        return seen

    async def main() -> tuple[str, str]:
        REQUEST_ID.set("req-42")
        seen = await pool.run(read_and_set)
        return seen, REQUEST_ID.get()

    assert run(main) == ("req-42", "req-42")
    pool.close()


def test_calls_run_side_by_side() -> None:
    # Blocking calls (a database, Dukcapil) must not queue behind each other.
    pool = WorkerThreads(max_workers=8)
    barrier = threading.Barrier(8, timeout=10)

    def meet() -> int:
        return barrier.wait()

    async def main() -> list[int]:
        return await asyncio.gather(*(pool.run(meet) for _ in range(8)))

    assert sorted(run(main)) == list(range(8))
    pool.close()


def test_a_cancelled_request_leaves_the_loop_and_the_pool_working() -> None:
    pool = WorkerThreads(max_workers=2)
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "late"

    async def main() -> str:
        task = asyncio.create_task(pool.run(slow))
        await asyncio.sleep(0.05)
        task.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        await asyncio.sleep(0.05)  # the late result arrives for nobody, quietly
        return await pool.run(lambda: "next")

    assert run(main) == "next"
    pool.close()


def test_a_result_for_a_closed_loop_is_dropped_quietly() -> None:
    # The loop closed while the call ran (the server stopped): nobody waits for
    # the outcome, and reporting it must not raise in the worker thread.
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    loop.close()
    _call_and_report(loop, future, lambda: "late")
    assert not future.done()


def test_a_thread_is_started_only_when_none_is_idle() -> None:
    pool = WorkerThreads(max_workers=8)
    names: set[str] = set()

    async def main() -> None:
        for _ in range(20):  # one after the other: the same idle thread takes each
            names.add(await pool.run(lambda: threading.current_thread().name))

    run(main)
    assert len(names) == 1
    pool.close()


def _threads_of_a_pool_then_dropped() -> set[threading.Thread]:
    """Run calls in a pool that nothing refers to afterwards; the threads it used."""
    pool = WorkerThreads(max_workers=4)
    started: list[threading.Thread] = []

    def note() -> None:
        started.append(threading.current_thread())

    async def main() -> None:
        await asyncio.gather(*(pool.run(note) for _ in range(4)))

    run(main)
    return set(started)


def test_a_collected_pool_ends_its_threads() -> None:
    threads = _threads_of_a_pool_then_dropped()
    gc.collect()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_a_closed_pool_refuses_new_calls() -> None:
    pool = WorkerThreads(max_workers=2)
    pool.close()

    async def main() -> None:
        await pool.run(lambda: None)

    with pytest.raises(RuntimeError):
        run(main)
