"""The circuit breaker of the ``http`` Dukcapil registry: stop calling a gateway that keeps
failing, and let one trial call through after a cool-down.

Re-exported by :mod:`siapkerja_adapters.dukcapil_http`, where the documentation imports it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

logger = logging.getLogger("siapkerja.dukcapil")

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Stops calling a registry that keeps failing, and tries again after a cool-down.

    ``closed``: calls go through; ``failure_threshold`` consecutive failures
    open it — counting, when ``call_timeout`` is set, the calls still in flight
    (:meth:`begin` … :meth:`end`) for longer than ``call_timeout`` seconds, so a
    gateway that hangs opens the breaker while its calls hang, not only once
    they have failed. ``open``: :meth:`allow` refuses until ``reset_timeout`` seconds
    have passed, then the breaker is ``half_open`` and lets one trial call
    through (others are still refused). A success closes it; a failure opens
    it again for another ``reset_timeout``. Thread-safe.

    :param failure_threshold: consecutive failures that open the breaker (>= 1).
    :param reset_timeout: seconds the breaker stays open (> 0).
    :param call_timeout: seconds after which a call in flight counts as a
        failure (``None``: only completed calls count).
    :param clock: monotonic seconds; default :func:`time.monotonic` (tests inject one).
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        *,
        call_timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(failure_threshold, bool) or failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold!r}")
        if not reset_timeout > 0:
            raise ValueError(f"reset_timeout must be > 0, got {reset_timeout!r}")
        if call_timeout is not None and not call_timeout > 0:
            raise ValueError(f"call_timeout must be > 0, got {call_timeout!r}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.call_timeout = call_timeout
        self._in_flight: dict[int, float] = {}
        self._calls = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open`` (an open breaker past its cool-down)."""
        with self._lock:
            self._count_overdue()
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Whether a call may go out now; a ``True`` must be followed by a ``record_*``."""
        with self._lock:
            self._count_overdue()
            if self._state == "closed":
                return True
            if self._state == "open":
                if self._clock() - self._opened_at < self.reset_timeout:
                    return False
                self._state = "half_open"
                self._trial_running = False
            if self._trial_running:
                return False
            self._trial_running = True
            return True

    def begin(self) -> int:
        """A call allowed by :meth:`allow` goes out now; pass the token to :meth:`end`."""
        with self._lock:
            self._calls += 1
            self._in_flight[self._calls] = self._clock()
            return self._calls

    def end(self, token: int) -> None:
        """The call of ``token`` returned (call ``record_*`` for its outcome too)."""
        with self._lock:
            self._in_flight.pop(token, None)

    @property
    def in_flight(self) -> int:
        """Calls between :meth:`begin` and :meth:`end`."""
        with self._lock:
            return len(self._in_flight)

    def retry_after(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when it would now)."""
        with self._lock:
            if self._state != "open":
                return 0.0
            return max(0.0, self.reset_timeout - (self._clock() - self._opened_at))

    def _count_overdue(self) -> None:
        """Under the lock: count calls in flight past ``call_timeout`` as failures, once each."""
        if self.call_timeout is None or not self._in_flight:
            return
        now = self._clock()
        overdue = [t for t, began in self._in_flight.items() if now - began >= self.call_timeout]
        if not overdue:
            return
        for token in overdue:
            del self._in_flight[token]  # counted now; its late outcome is recorded as usual
        self._failures += len(overdue)
        if self._state == "half_open":  # the trial hangs: open again at once
            self._state = "open"
            self._opened_at = now
            self._trial_running = False
        elif self._state == "closed" and self._failures >= self.failure_threshold:
            logger.warning(
                "dukcapil circuit breaker open: %d call(s) in flight past %.1f s (%d failures);"
                " retrying in %.1f s",
                len(overdue),
                self.call_timeout,
                self._failures,
                self.reset_timeout,
            )
            self._state = "open"
            self._opened_at = now

    def record_success(self) -> None:
        """A call succeeded: close the breaker and forget earlier failures."""
        with self._lock:
            if self._state != "closed":
                logger.info("dukcapil circuit breaker closed")
            self._state = "closed"
            self._failures = 0
            self._trial_running = False

    def record_failure(self) -> None:
        """A call failed: count it, and open the breaker at the threshold or after a trial."""
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                if self._state != "open":
                    logger.warning(
                        "dukcapil circuit breaker open after %d consecutive failures;"
                        " retrying in %.1f s",
                        self._failures,
                        self.reset_timeout,
                    )
                self._state = "open"
                self._opened_at = self._clock()

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self.state!r}, failure_threshold={self.failure_threshold},"
            f" reset_timeout={self.reset_timeout}, call_timeout={self.call_timeout})"
        )
