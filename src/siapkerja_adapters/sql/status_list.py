"""The card status list's state in the ``sql`` storage (``tx.status_list``): one row of
``sk_status_lists``, locked by the transaction that changes it, and the query of the
cards whose status is not valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Final

from sqlalchemy import bindparam, or_, select, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _Repository
from siapkerja_core.ports import StatusListState
from siapkerja_core.tokens.status_list import MIN_STATUS_LIST_SIZE

__all__ = ["LIST_NAME"]

LIST_NAME: Final = "cards"
"""The row of the card status list (one list today; the table can hold more)."""
_S = sk.status_lists.c
_C = sk.cards.c


class _StatusLists(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(_S.size, _S.allocated, _S.revision).where(_S.name == LIST_NAME)
    _LOCKED: ClassVar = _GET.with_for_update()
    _SET: ClassVar = (
        update(sk.status_lists)
        .where(_S.name == LIST_NAME)
        .values(
            size=bindparam("size"), allocated=bindparam("allocated"), revision=bindparam("revision")
        )
    )
    _STATUSES: ClassVar = select(_C.status_index, _C.revoked_at, _C.suspended_at).where(
        _C.status_index.is_not(None), or_(_C.revoked_at.is_not(None), _C.suspended_at.is_not(None))
    )

    def state(self) -> StatusListState | None:
        row = self._tx.run(self._GET).first()
        return None if row is None else StatusListState(row.size, row.allocated, row.revision)

    def _locked(self) -> StatusListState:
        """The row, locked until commit; created first if missing (racing creators: one wins)."""
        self._tx.run(
            self._storage.insert_nothing["status_lists"],
            {"name": LIST_NAME, "size": MIN_STATUS_LIST_SIZE, "allocated": 0, "revision": 0},
        )
        row = self._tx.run(self._LOCKED).one()
        return StatusListState(row.size, row.allocated, row.revision)

    def _write(self, state: StatusListState) -> StatusListState:
        params = {"size": state.size, "allocated": state.allocated, "revision": state.revision}
        self._tx.run(self._SET, params)
        return state

    def reserve(self, count: int, size: int) -> StatusListState:
        held = self._locked()
        return self._write(
            StatusListState(max(held.size, size), held.allocated + count, held.revision)
        )

    def touch(self) -> StatusListState:
        held = self._locked()
        return self._write(StatusListState(held.size, held.allocated, held.revision + 1))

    def statuses(self) -> Iterator[tuple[int, int]]:
        for row in self._tx.run(self._STATUSES):
            yield row.status_index, 1 if row.revoked_at is not None else 2
