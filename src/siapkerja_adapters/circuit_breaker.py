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
    open it. ``open``: :meth:`allow` refuses until ``reset_timeout`` seconds
    have passed, then the breaker is ``half_open`` and lets one trial call
    through (others are still refused). A success closes it; a failure opens
    it again for another ``reset_timeout``. Thread-safe.

    :param failure_threshold: consecutive failures that open the breaker (>= 1).
    :param reset_timeout: seconds the breaker stays open (> 0).
    :param clock: monotonic seconds; default :func:`time.monotonic` (tests inject one).
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(failure_threshold, bool) or failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold!r}")
        if not reset_timeout > 0:
            raise ValueError(f"reset_timeout must be > 0, got {reset_timeout!r}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
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
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Whether a call may go out now; a ``True`` must be followed by a ``record_*``."""
        with self._lock:
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
            f" reset_timeout={self.reset_timeout})"
        )
