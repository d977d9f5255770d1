"""The ``sql`` storage's disputes and re-proofings (``tx.disputes``).

The case is one AES-GCM JSON document (``data``: it names a person); ids,
kind, status, the account and the times are columns for the officers' lists.
A case is read ``FOR UPDATE`` on PostgreSQL, so two steps of one case queue
and the second sees the first.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.disputes import (
    CaseKind,
    CaseRecord,
    CaseStatus,
    case_from_data,
    case_to_data,
)

__all__ = ["Disputes"]

_D = sk.disputes.c


def _upsert(dialect: str) -> Executable:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(sk.disputes)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[_D.id],
        set_={c.name: statement.excluded[c.name] for c in sk.disputes.c if c.name != "id"},
    )


_UPSERTS: Final = {name: _upsert(name) for name in ("postgresql", "sqlite")}


class Disputes(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.disputes).where(_D.id == bindparam("id")).with_for_update()
    _FOR_ACCOUNT: ClassVar = (
        select(sk.disputes)
        .where(_D.account_id == bindparam("account_id"))
        .order_by(_D.created_at, _D.id)
    )

    def get(self, case_id: str) -> CaseRecord | None:
        row = self._tx.run(self._GET, {"id": case_id}).first()
        return None if row is None else self._case(row)

    def put(self, case: CaseRecord) -> None:
        data = self._storage.cipher.encrypt_json(
            case_to_data(case), _context(sk.disputes, "data", case.id)
        )
        self._tx.run(
            _UPSERTS[self._storage.dialect],
            {
                "id": case.id,
                "kind": case.kind.value,
                "status": case.status.value,
                "account_id": case.account_id,
                "created_at": case.created_at,
                "due_at": case.due_at,
                "data": data,
            },
        )

    def for_account(self, account_id: str) -> builtins.list[CaseRecord]:
        rows = self._tx.run(self._FOR_ACCOUNT, {"account_id": account_id})
        return [self._case(row) for row in rows]

    def list(
        self,
        *,
        status: CaseStatus | None = None,
        kind: CaseKind | None = None,
        due_before: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[CaseRecord]:
        query = select(sk.disputes)
        params: dict[str, Any] = {"limit": max(0, limit)}
        if status is not None:
            query = query.where(_D.status == bindparam("status"))
            params["status"] = status.value
        if kind is not None:
            query = query.where(_D.kind == bindparam("kind"))
            params["kind"] = kind.value
        if due_before is not None:
            query = query.where(_D.due_at.is_not(None), _D.due_at <= bindparam("due_before"))
            params["due_before"] = due_before
            query = query.order_by(_D.due_at, _D.id)
        else:
            query = query.order_by(_D.created_at, _D.id)
        query = query.limit(bindparam("limit"))
        return [self._case(row) for row in self._tx.run(query, params)]

    @reads(sk.disputes)
    def _case(self, row: Row[Any]) -> CaseRecord:
        data = self._storage.cipher.decrypt_json(
            bytes(row.data), _context(sk.disputes, "data", row.id)
        )
        return case_from_data(data)
