"""The memory storage's audit of administrative actions (``tx.audit``).

Append-only like every ledger: :meth:`_Audit.append` refuses an id already
used, and nothing changes or removes a record.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from siapkerja_adapters.memory.tables import View
from siapkerja_core.institutions import AuditRecord

__all__ = ["AuditView"]


class AuditView(View[AuditRecord]):
    def append(self, record: AuditRecord) -> None:
        if self._get(record.id) is not None:
            raise ValueError(f"audit record {record.id!r} exists")
        self._put(record.id, record)

    def list(
        self,
        *,
        target: str | None = None,
        target_kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditRecord]:
        keys = set(self._table.rows) | set(self._overlay)
        found = [
            r
            for r in (self._get(key) for key in keys)
            if r is not None
            and (target is None or r.target_id == target)
            and (target_kind is None or r.target_kind == target_kind)
            and (actor is None or r.actor == actor)
            and (since is None or r.at >= since)
        ]
        found.sort(key=lambda r: (r.at, r.id), reverse=True)
        return found[:limit]
