"""The worker threads the web binding runs the facade's blocking calls in.

The facade is synchronous: a call may wait on the database, Dukcapil or the
SMS gateway, so the pages and the API never make it on the event loop. This
module owns where they make it instead: :class:`WorkerThreads`, a pool of
the application's own, each call run in a copy of the caller's context
variables (as Starlette's ``run_in_threadpool`` does) and its outcome handed
back to the event loop in one ``call_soon_threadsafe``.

Why its own: on the busiest page (a phone opening a card,
``benchmarks/bench_web.py``) this handoff serves clearly more requests a second
than Starlette's helper (anyio's ``to_thread``: a capacity limiter, a cancel
scope and its own handoff on every call) or ``loop.run_in_executor`` (which
chains a second future to the executor's, with a lock and a condition on
each). The pool itself is a plain queue of calls rather than a
:class:`~concurrent.futures.ThreadPoolExecutor`, whose per-call future (a
condition and its lock), work item and idle semaphore cost about twice as
much a call. The figures are in ``benchmarks/README.md``. Under an event loop
that is not asyncio's (anyio on trio), it falls back to Starlette's helper.

``create_app`` runs QR scans in a pool of their own (:data:`MAX_SCAN_THREADS`):
a bulkhead, so journey calls hanging on an outside service can fill the
shared pool without making a scan wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
import weakref
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Final, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["MAX_SCAN_THREADS", "MAX_WORKER_THREADS", "WorkerThreads"]

T = TypeVar("T")

MAX_WORKER_THREADS: Final = 40
"""As many threads as anyio lets Starlette use by default: enough to wait on a database
pool and the outside services at once. Threads start only when none is idle."""

MAX_SCAN_THREADS: Final = 4
"""The scans' own pool (a bulkhead): a scan reads the database only, and must not queue
behind journey calls that wait on a slow Dukcapil or SMS gateway in the shared pool.
Four: on PostgreSQL a scan's read is one round trip, and more threads than that spent
their time handing the GIL around (quick runs of ``bench_web.py --backend postgresql``:
~3,600 scans/s with 4 threads, ~2,100 with 16). SQLite and memory scans are read on the
event loop (``scans_inline``) and use no thread."""


def _settle(future: asyncio.Future[Any], failed: bool, outcome: Any) -> None:
    """On the event loop: hand the call's outcome to its awaiting request, if still there."""
    if future.done():  # the request was cancelled (the client went away)
        return
    if failed:
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    """In a worker thread: run ``call``; (failed, its result or exception)."""
    try:
        return False, call()
    except StopIteration as error:  # a future cannot carry it (asyncio refuses it too)
        return True, RuntimeError(f"StopIteration escaped the call: {error!r}")
    except BaseException as error:  # every outcome goes back to the awaiter
        return True, error


def _report(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], failed: bool, outcome: Any
) -> None:
    """In a worker thread: post a call's outcome to ``loop``, for its awaiting request."""
    with contextlib.suppress(RuntimeError):  # the loop closed while the call ran: no one waits
        loop.call_soon_threadsafe(_settle, future, failed, outcome)


def _call_and_report(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], call: Callable[[], Any]
) -> None:
    """In a worker thread: run ``call``, then post its result or exception to ``loop``."""
    _report(loop, future, *_outcome(call))


_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class _Crew:
    """The threads and the queue of calls they take from.

    The threads hold this, never the :class:`WorkerThreads` that feeds it, so
    that a pool whose application is gone can be collected (and its threads
    told to end). ``idle`` counts the threads that finished a call and wait for
    another, less the calls already promised to them: a call finds an idle
    thread or starts one, up to ``max_workers``.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.calls: SimpleQueue[_Call | None] = SimpleQueue()
        self.lock = threading.Lock()
        self.idle = 0
        self.threads: list[threading.Thread] = []
        self.closed = False

    def submit(self, call: _Call) -> None:
        if self.closed:
            raise RuntimeError("the worker threads are closed")
        with self.lock:
            promised = self.idle > 0
            if promised:
                self.idle -= 1
        self.calls.put(call)
        if not promised and len(self.threads) < self.max_workers:
            # Daemon threads: at interpreter exit a server has already finished
            # its requests, and an idle thread must not keep the process alive.
            thread = threading.Thread(
                target=self.work, name=f"siapkerja-web_{len(self.threads)}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def work(self) -> None:
        """A thread's life: take calls until told to end (``None``)."""
        calls, lock = self.calls, self.lock
        while (call := calls.get()) is not None:
            loop, future, function = call
            failed, outcome = _outcome(function)
            del call, function  # hold nothing of a finished call while waiting
            # Idle before the outcome is posted: the request it wakes may make
            # its next call at once, which this thread should take.
            with lock:
                self.idle += 1
            _report(loop, future, failed, outcome)
            del loop, future, outcome

    def stop(self) -> None:
        """Refuse new calls; each thread ends after the calls queued before this."""
        self.closed = True
        for _ in self.threads:
            self.calls.put(None)


class WorkerThreads:
    """A thread pool for the facade's calls, shared by one application's pages and API.

    Threads start only when none is idle, up to ``max_workers``. They end when
    the pool is garbage-collected (with its application), or at :meth:`close`.
    """

    def __init__(self, max_workers: int = MAX_WORKER_THREADS) -> None:
        self._crew = _Crew(max_workers)
        weakref.finalize(self, self._crew.stop)

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker thread, in a copy of the caller's context."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio under anyio): Starlette's way
            return await run_in_threadpool(function, *args, **kwargs)
        future: asyncio.Future[T] = loop.create_future()
        call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        self._crew.submit((loop, future, call))
        return await future

    def close(self) -> None:
        """Let running and queued calls finish, then end the threads (new calls are refused)."""
        crew = self._crew
        if not crew.closed:
            crew.stop()
        for thread in crew.threads:
            thread.join()
