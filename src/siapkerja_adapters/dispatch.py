"""Who sends the durable SMS outbox's messages: a thread of the serving process, or a worker.

This module owns :func:`install_dispatcher` (what ``connect()`` calls to honour
the ``sms_dispatch`` setting), :class:`OutboxThread` (the background thread
of the serving process) and :func:`run_worker` (the loop of ``siapkerja
worker``). The outbox itself — enqueueing with the state, claiming under a
lease, retries with backoff and jitter — is the core's
:class:`~siapkerja_core.services.SmsOutbox`; here are only the threads and the loop.

``sms_dispatch``:

* ``thread`` (default for SQL storage): a daemon thread of this process,
  started by the first message and woken after each commit that enqueued one;
  while messages wait (retries) it also looks every ``sms_dispatch_poll``
  seconds (default 2), and it ends when the outbox is empty. Requests never
  wait for the gateway. Messages left by a stopped process are sent by the
  next one that enqueues, or by ``siapkerja worker``.
* ``worker``: this process only enqueues; ``siapkerja worker`` processes
  (any number, on any machine reaching the database) deliver.
* ``inline`` (default for memory storage: tests and notebooks): delivered
  right after the commit, in the calling thread — deterministic, but the
  request then waits for the gateway, so never on a public server.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from siapkerja_core.ports import StorageError
from siapkerja_core.services import DispatchReport

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["DISPATCH_MODES", "OutboxThread", "install_dispatcher", "run_worker"]

logger = logging.getLogger("siapkerja.outbox")

DISPATCH_MODES: Final = ("thread", "worker", "inline")
"""The values of ``sms_dispatch``."""


class OutboxThread:
    """The serving process's dispatcher: one daemon thread, woken after each enqueueing commit.

    :param svc: the facade whose outbox it delivers.
    :param poll: seconds between looks for retries that came due.
    :param batch: messages claimed at a time.
    """

    def __init__(self, svc: Siapkerja, *, poll: float = 2.0, batch: int = 50) -> None:
        self._svc = svc
        self.poll = poll
        self.batch = batch
        self._batch_lock = threading.Lock()  # one batch at a time: the thread's or a drain's
        self._start_lock = threading.Lock()
        self._event = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """A message was committed: deliver it soon (starts the thread when none runs)."""
        self._event.set()
        with self._start_lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="siapkerja-outbox", daemon=True
                )
                self._thread.start()

    def drain(self) -> DispatchReport:
        """Deliver every due message now, after the batch in flight (tests, notebooks)."""
        with self._batch_lock:
            return self._svc.outbox.drain(batch=self.batch)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its batch in flight (a server shutting down)."""
        self._stopping.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._event.wait(self.poll)
            self._event.clear()
            if self._stopping.is_set():
                break
            try:
                with self._batch_lock:
                    outbox = self._svc.outbox
                    report = outbox.drain(batch=self.batch)
                    idle = report.claimed == 0 and outbox.pending() == 0
            except StorageError as error:
                # The storage is down or closed (a server shutting down, a test's disposed
                # database): end here; the next commit that enqueues starts a new thread,
                # and the messages wait in the outbox meanwhile.
                logger.warning("sms outbox: storage unavailable (%s); the thread ends", error.code)
                break
            except Exception:  # a sender bug: logged, and the thread ends the same way
                logger.exception("sms outbox: delivery failed; the thread ends")
                break
            _log(report)
            if idle:
                # Nothing waits, not even a retry: end, and let the next wake() start
                # a new thread (a process that sends nothing keeps no thread polling).
                with self._start_lock:
                    if not self._event.is_set():
                        self._thread = None
                        return
        with self._start_lock:
            self._thread = None

    def __repr__(self) -> str:
        alive = self._thread is not None and self._thread.is_alive()
        return f"OutboxThread(running={alive})"


def _log(report: DispatchReport) -> None:
    if report.claimed:
        logger.info(
            "sms outbox: %d sent, %d to retry, %d given up, %d dropped (superseded or expired)",
            report.sent,
            report.retried,
            report.failed,
            report.dropped,
        )
    if report.failed:
        logger.error("sms outbox: %d message(s) given up after their retries", report.failed)


def install_dispatcher(svc: Siapkerja) -> OutboxThread | None:
    """Give ``svc`` the dispatcher its ``sms_dispatch`` setting names; the thread, if one.

    :raises ConfigurationError: ``config.invalid`` for an unknown mode or a bad poll interval.
    """
    settings = svc.settings
    default = "inline" if settings.adapter_name("storage") == "memory" else "thread"
    mode = settings.get_choice("sms_dispatch", default, DISPATCH_MODES)
    if mode == "inline":
        return None
    if mode == "worker":
        svc.use_outbox_dispatcher(wake=_nothing, drain=lambda: svc.outbox.drain())
        return None
    poll = settings.get_float("sms_dispatch_poll", 2.0, minimum=0.01)
    thread = OutboxThread(svc, poll=poll)
    svc.use_outbox_dispatcher(wake=thread.wake, drain=thread.drain)
    return thread


def _nothing() -> None:
    return None


def run_worker(
    svc: Siapkerja,
    *,
    batch: int = 50,
    lease: timedelta | None = None,
    poll: float = 1.0,
    once: bool = False,
    stop: threading.Event | None = None,
) -> DispatchReport:
    """Deliver the outbox until ``stop`` is set (or, with ``once``, until nothing is due).

    Each round claims up to ``batch`` due messages under ``lease`` (default:
    the outbox policy's) and tries each once; when fewer came than asked, it
    waits ``poll`` seconds. A storage outage is logged and waited out.
    """
    stop = stop or threading.Event()
    total = DispatchReport()
    while not stop.is_set():
        try:
            report = svc.outbox.deliver_due(limit=batch, lease=lease)
        except StorageError as error:
            logger.warning("sms worker: storage unavailable (%s); again in %ss", error.code, poll)
            stop.wait(poll)
            continue
        except Exception:
            logger.exception("sms worker: a round failed; trying again in %ss", poll)
            stop.wait(poll)
            continue
        _log(report)
        total += report
        if report.claimed < batch:
            if once:
                break
            stop.wait(poll)
    return total
