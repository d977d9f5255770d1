"""The counters port (rate limits): slots taken atomically, in windows shared across processes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from attrs import frozen

__all__ = [
    "Counters",
    "Hit",
]


@frozen
class Hit:
    """The answer of :meth:`Counters.hit`.

    :ivar allowed: whether a slot was taken (the caller may go on).
    :ivar count: slots taken in the key's window, this one included when allowed.
    :ivar retry_after: zero when allowed; else the time until the window ends,
        which is exactly when the next hit is evaluated afresh.
    """

    allowed: bool
    count: int
    retry_after: timedelta = timedelta(0)


@runtime_checkable
class Counters(Protocol):
    """Caps and throttles (the ``ratelimit`` port): take a slot before doing the capped thing.

    A key's window **opens with the first hit** after the previous one ended
    and lasts ``window``; at most ``limit`` hits are allowed in it. Because the
    window is anchored at its first hit (not at a multiple of ``window`` since
    the epoch), ``retry_after`` is true: a hit one second earlier is refused,
    a hit at ``now + retry_after`` opens a new window and is allowed.

    Contract: ``hit`` checks and takes a slot in **one atomic step** across
    threads, processes and hosts sharing the adapter, so N concurrent hits on
    a key with ``limit`` L allow exactly ``min(N, L)``. A refused hit changes
    nothing. ``release`` gives back one slot of the live window (an attempt
    that turned out not to count, e.g. a correct password); ``clear`` forgets
    the key. Keys are opaque strings chosen by the core (HMACs — never a NIK
    or a phone number); ``now`` is passed in so that tests control time.
    Adapters never open a transaction of the caller's storage: the core calls
    them outside its own transactions.
    """

    def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """Take one slot of ``key`` if fewer than ``limit`` are taken in its live window."""
        ...

    def release(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Give back one slot of ``key``'s live window (nothing if it ended or is empty)."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        ...
