"""A manual clock: the service's time stands still until a test moves it.

``connect(clock=clock.now)`` makes the service read it; :meth:`ManualClock.advance`
waits out a cooldown or an expiry at once. :class:`ManualTimer` is the same
for the monotonic seconds that circuit breakers and retry loops measure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# 01:00 UTC: a day's rate-limit window still has 23 hours left, so a test
# that advances a few hours never crosses midnight by accident.
START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


class ManualClock:
    """A manual, aware UTC clock: ``now()`` for ``connect(clock=...)``, ``advance(**kw)``."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    @classmethod
    def from_now(cls) -> ManualClock:
        """Starting at the real time (to the second), for tests whose daily windows are real."""
        return cls(datetime.now(UTC).replace(microsecond=0))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        """Move on by ``timedelta(**kwargs)``; returns the new time."""
        self.current += timedelta(**kwargs)
        return self.current


class ManualTimer:
    """Monotonic seconds that only move when a test sets :attr:`seconds` (call it to read)."""

    def __init__(self, seconds: float = 1000.0) -> None:
        self.seconds = seconds

    def __call__(self) -> float:
        return self.seconds
