"""The audit of administrative actions in the ``sql`` storage (``sk_audit``).

Append-only: records are inserted and never updated or deleted by the
library. Who, what, on which target and when are plain columns (the
lookups are indexed); the reason and the details, which an administrator
types and which may name people, are encrypted as one JSON value.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Row, bindparam, select

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.institutions import AuditRecord

__all__ = ["SqlAudit"]

_AU = sk.audit.c


class SqlAudit(_Repository):
    __slots__ = ()
    _INSERT: ClassVar = sk.audit.insert()

    def append(self, record: AuditRecord) -> None:
        data = self._storage.cipher.encrypt_json(
            {"reason": record.reason, "details": dict(record.details)},
            _context(sk.audit, "data", record.id),
        )
        self._tx.run(
            self._INSERT,
            {
                "id": record.id,
                "at": record.at,
                "actor": record.actor,
                "action": record.action,
                "target_kind": record.target_kind,
                "target_id": record.target_id,
                "data": data,
            },
        )

    def list(
        self,
        *,
        target: str | None = None,
        target_kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditRecord]:
        query = select(sk.audit)
        params: dict[str, Any] = {"limit": limit}
        for column, value in (
            (_AU.target_id, target),
            (_AU.target_kind, target_kind),
            (_AU.actor, actor),
        ):
            if value is not None:
                query = query.where(column == bindparam(column.name))
                params[column.name] = value
        if since is not None:
            query = query.where(_AU.at >= bindparam("since"))
            params["since"] = since
        query = query.order_by(_AU.at.desc(), _AU.id.desc()).limit(bindparam("limit"))
        return [self._record(row) for row in self._tx.run(query, params)]

    @reads(sk.audit)
    def _record(self, row: Row[Any]) -> AuditRecord:
        data = self._storage.cipher.decrypt_json(
            bytes(row.data), _context(sk.audit, "data", row.id)
        )
        return AuditRecord(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target_kind=row.target_kind,
            target_id=row.target_id,
            reason=data["reason"],
            details=data["details"],
        )
