"""The storage port's status-list repository: the list's size and revision, and the
statuses of the cards it publishes (see :mod:`siapkerja_core.tokens.status_list`).

Each card's index lives on its card row (``CardRecord.status_index``, unique:
a new card whose random index is taken is refused with ``CardConflict`` and
drawn again). This repository keeps the rest: how many entries the list has
(a power of two that only grows, so an index once given stays inside it), how
many indexes were handed out (so the list grows before it gets crowded), and
a revision bumped in the transaction of every status change, which running
services compare with the one their cached signed list was built from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from attrs import frozen

__all__ = ["StatusListRepository", "StatusListState"]


@frozen
class StatusListState:
    """The stored state of the card status list.

    :param size: entries in the list (a power of two, at least 131,072).
    :param allocated: indexes handed out so far (an upper bound on the cards holding one).
    :param revision: bumped by every change of a card's status.
    """

    size: int
    allocated: int = 0
    revision: int = 0


class StatusListRepository(Protocol):
    def state(self) -> StatusListState | None:
        """The stored state, or ``None`` before the first card (one small read)."""
        ...

    def reserve(self, count: int, size: int) -> StatusListState:
        """Count ``count`` more indexes as handed out and grow the list to at least ``size``.

        Creates the state when there is none. Of two racing transactions each
        sees the other's reservation (the row is locked until commit), so the
        list grows with the cards. Returns the new state.
        """
        ...

    def touch(self) -> StatusListState:
        """Bump the revision: a card's status changed in this transaction."""
        ...

    def statuses(self) -> Iterator[tuple[int, int]]:
        """``(status_index, status)`` of every card whose status is not valid (0).

        Status 1 is revoked, 2 suspended (``CardRecord.status``); cards
        without an index are left out.
        """
        ...
