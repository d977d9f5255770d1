"""The memory storage's disputes and re-proofings (``tx.disputes``).

The table indexes a case by the account it is about, so a holder's cases
(and the "already open" check) are found without walking every case.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.disputes import CaseKind, CaseRecord, CaseStatus

__all__ = ["DisputeView", "dispute_table"]


def dispute_table() -> Table[CaseRecord]:
    """The committed cases, indexed by account."""
    return Table(account=lambda c: c.account_id)


def _order(case: CaseRecord) -> tuple[datetime, str]:
    return (case.created_at, case.id)


class DisputeView(View[CaseRecord]):
    def get(self, case_id: str) -> CaseRecord | None:
        return self._get(case_id)

    def put(self, case: CaseRecord) -> None:
        self._put(case.id, case)

    def for_account(self, account_id: str) -> builtins.list[CaseRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((c for c in found if c is not None), key=_order)

    def list(
        self,
        *,
        status: CaseStatus | None = None,
        kind: CaseKind | None = None,
        due_before: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[CaseRecord]:
        keys = set(self._table.rows) | set(self._overlay)
        found = [c for c in (self._get(k) for k in keys) if c is not None]
        chosen = [
            c
            for c in found
            if (status is None or c.status is status)
            and (kind is None or c.kind is kind)
            and (due_before is None or (c.due_at is not None and c.due_at <= due_before))
        ]
        if due_before is not None:
            chosen.sort(key=lambda c: (c.due_at, c.id))
        else:
            chosen.sort(key=_order)
        return chosen[: max(0, limit)]
