"""The counters port (rate limits): slots taken atomically, in windows shared across processes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from attrs import frozen

if TYPE_CHECKING:
    from siapkerja_core.ports.storage import Storage, Transaction

__all__ = [
    "Counters",
    "Hit",
    "UnitCounters",
    "UnitSlots",
    "counters_within",
    "hit_all",
    "shares_units",
    "slots_in",
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
    them outside its own transactions — except through the optional
    :class:`UnitCounters` capability, which runs a slot's statement in a unit
    of work the caller opened.
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


@runtime_checkable
class UnitCounters(Protocol):
    """The counters' slots inside the caller's own unit of work (an optional capability).

    An adapter whose counters live in the storage's own database (``ratelimit =
    "storage"`` on the ``sql`` storage) may offer it: :meth:`within` answers
    counters whose statements run **in** ``tx``, on its connection — committed
    with the unit's writes, or rolled back with them. A slot taken in a unit
    that fails is therefore not taken (what :meth:`Counters.release` did after
    the failure before), and a refusal the caller must count is committed by a
    unit that commits. No second connection is ever waited for while the
    unit's lock is held (the 0.1 deadlock), and a step saves the statements'
    own commits. The atomicity of :class:`Counters` holds unchanged: N units
    hitting one key with ``limit`` L are allowed ``min(N, L)`` between them.

    ``within`` answers ``None`` for a unit it cannot join (another storage, a
    read-only unit for :meth:`Counters.hit`), and the core falls back on the
    counters' own calls outside its units of work. Other adapters (memory,
    Redis) do not offer it and work unchanged.
    """

    def shares(self, storage: Storage) -> bool:
        """Whether :meth:`within` joins the units of work of ``storage``."""
        ...

    def within(self, tx: Transaction) -> UnitSlots | None:
        """Counters bound to ``tx`` (its database, its commit), or ``None``."""
        ...


@runtime_checkable
class UnitSlots(Counters, Protocol):
    """:class:`Counters` whose statements run in one unit of work (:meth:`UnitCounters.within`).

    ``peek`` answers what :meth:`Counters.hit` would, taking nothing (allowed
    when fewer than ``limit`` slots are taken in the live window; the count is
    the slots taken); it only reads, so a read-only unit can ask it.
    ``hit_all`` answers what :func:`hit_all` answers with the unit's
    ``hit`` and ``release`` (one slot of each key, all or none), in as few
    statements as the adapter can.
    """

    def peek(self, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
        """What a hit of ``key`` would answer now, without taking a slot."""
        ...

    def hit_all(
        self, slots: Sequence[tuple[str, int]], *, window: timedelta, now: datetime
    ) -> Hit | None:
        """Take one slot of each ``(key, limit)`` of ``slots``, all or none: ``None``
        when all were taken, else the refusal of the first key refused."""
        ...


def hit_all(
    counters: Counters,
    slots: Sequence[tuple[str, int]],
    *,
    window: timedelta,
    now: datetime,
) -> Hit | None:
    """Take one slot of each ``(key, limit)`` of ``slots`` (distinct keys), all or none.

    ``None`` when every slot was taken. Else the refusal (:class:`Hit`) of the
    first key refused, in order, and nothing is held: a slot taken is given
    back (:meth:`Counters.release`). Here the keys after the refused one are
    not hit; a :class:`UnitSlots`' own ``hit_all`` (one statement for all the
    keys) may have hit them and given them back, as this gives back the ones
    before it.
    """
    own = getattr(counters, "hit_all", None)
    if own is not None:
        answer: Hit | None = own(slots, window=window, now=now)
        return answer
    return hit_each(counters, slots, window=window, now=now)


def hit_each(
    counters: Counters,
    slots: Sequence[tuple[str, int]],
    *,
    window: timedelta,
    now: datetime,
) -> Hit | None:
    """:func:`hit_all` as one hit a key, in order: the slots taken before a refused
    key are given back, the keys after it are not hit (an adapter's ``hit_all``
    falls back on it where one statement cannot serve)."""
    taken: list[str] = []
    for key, limit in slots:
        hit = counters.hit(key, limit=limit, window=window, now=now)
        if not hit.allowed:
            for earlier in taken:
                counters.release(earlier, window=window, now=now)
            return hit
        taken.append(key)
    return None


def counters_within(counters: Counters, tx: Transaction) -> UnitSlots | None:
    """``counters`` bound to ``tx`` when the adapter offers :class:`UnitCounters` and can
    join ``tx``; else ``None`` (the caller takes its slots outside its units of work)."""
    within = getattr(counters, "within", None)
    if within is None:
        return None
    bound: UnitSlots | None = within(tx)
    return bound


def shares_units(counters: Counters, storage: Storage) -> bool:
    """Whether ``counters`` take their slots in ``storage``'s units of work
    (:class:`UnitCounters`): then :func:`counters_within` answers for each of its
    writing units, and a step may take its slots there instead of before them."""
    shares = getattr(counters, "shares", None)
    return bool(shares is not None and shares(storage))


def slots_in(counters: Counters, tx: Transaction) -> UnitSlots:
    """:func:`counters_within` for a writing unit of a storage the counters share
    (:func:`shares_units` said so): never ``None``."""
    slots = counters_within(counters, tx)
    if slots is None:
        raise RuntimeError("the counters do not join this unit of work")
    return slots
