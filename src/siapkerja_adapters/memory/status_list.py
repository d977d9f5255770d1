"""The memory storage's status-list repository (``tx.status_list``).

One row, the list's :class:`~siapkerja_core.ports.StatusListState`; the
statuses are read from the transaction's own view of the cards, so they
include its pending writes as the SQL adapter's do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from siapkerja_adapters.memory.tables import View
from siapkerja_core.ports import StatusListState
from siapkerja_core.tokens.status_list import MIN_STATUS_LIST_SIZE

__all__ = ["StatusListView"]

_ROW = "cards"


class StatusListView(View[StatusListState]):
    """``tx.status_list`` on memory storage."""

    _tx: Any = None

    def bind(self, tx: Any) -> None:
        """Called by the transaction: the cards are read through it."""
        self._tx = tx

    def state(self) -> StatusListState | None:
        return self._get(_ROW)

    def reserve(self, count: int, size: int) -> StatusListState:
        held = self._get(_ROW) or StatusListState(MIN_STATUS_LIST_SIZE)
        state = attrs.evolve(held, allocated=held.allocated + count, size=max(held.size, size))
        self._put(_ROW, state)
        return state

    def touch(self) -> StatusListState:
        held = self._get(_ROW) or StatusListState(MIN_STATUS_LIST_SIZE)
        state = attrs.evolve(held, revision=held.revision + 1)
        self._put(_ROW, state)
        return state

    def statuses(self) -> Iterator[tuple[int, int]]:
        cards = self._tx.cards
        keys = set(cards._table.rows) | set(cards._overlay)
        for key in keys:
            card = cards._get(key)
            if card is not None and card.status_index is not None and card.status:
                yield card.status_index, card.status
