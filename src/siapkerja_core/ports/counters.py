"""The counters port (rate limits): fixed-window counts shared across processes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    pass

__all__ = [
    "Counters",
]


@runtime_checkable
class Counters(Protocol):
    """Fixed-window counters for caps and throttles (the ``ratelimit`` port).

    A window of length ``window`` starts at every multiple of it since the
    epoch (a day window is a UTC calendar day). Keys are opaque strings
    chosen by the core (HMACs — never a NIK or a phone number). Contract:
    ``increment`` is atomic across processes sharing the adapter; counts of
    a finished window read as 0; ``now`` is passed in so that tests control time.
    """

    def increment(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Add one to ``key`` in the window containing ``now``; return the new count."""
        ...

    def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        """The count of ``key`` in the window containing ``now`` (0 if none)."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key`` in every window."""
        ...
