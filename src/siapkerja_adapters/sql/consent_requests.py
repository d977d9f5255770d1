"""The ``sql`` storage's consent requests (``tx.consent_requests``).

No column holds personal data: ids, the verifier's name, the purpose and
field names, as in ``sk_consents``. A request is read ``FOR UPDATE`` on
PostgreSQL, so two answers to one request queue and the second sees the first.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _json, _Repository, reads
from siapkerja_core.prefill import ConsentRequest, RequestStatus

__all__ = ["ConsentRequests"]

_R = sk.consent_requests.c


def _upsert(dialect: str) -> Executable:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(sk.consent_requests)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[_R.id],
        set_={c.name: statement.excluded[c.name] for c in sk.consent_requests.c if c.name != "id"},
    )


_UPSERTS: Final = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def _list(value: frozenset[str] | None) -> str | None:
    return None if value is None else _json(sorted(value))


def _set(value: str | None) -> frozenset[str] | None:
    return None if value is None else frozenset(json.loads(value))


class ConsentRequests(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.consent_requests).where(_R.id == bindparam("id")).with_for_update()
    _PENDING: ClassVar = (
        select(sk.consent_requests)
        .where(_R.account_id == bindparam("account_id"), _R.status == RequestStatus.PENDING.value)
        .order_by(_R.created_at, _R.id)
    )

    def get(self, request_id: str) -> ConsentRequest | None:
        row = self._tx.run(self._GET, {"id": request_id}).first()
        return None if row is None else _request(row)

    def put(self, request: ConsentRequest) -> None:
        self._tx.run(
            _UPSERTS[self._storage.dialect],
            {
                "id": request.id,
                "account_id": request.account_id,
                "verifier_id": request.verifier_id,
                "verifier_name": request.verifier_name,
                "purpose": request.purpose,
                "fields": _list(request.fields),
                "essential": _json(sorted(request.essential)),
                "created_at": request.created_at,
                "expires_at": request.expires_at,
                "status": request.status.value,
                "decided_at": request.decided_at,
                "consent_id": request.consent_id,
                "granted_fields": _list(request.granted_fields),
            },
        )

    def pending_for(self, account_id: str) -> list[ConsentRequest]:
        return [_request(row) for row in self._tx.fetch(self._PENDING, {"account_id": account_id})]


@reads(sk.consent_requests)
def _request(row: Row[Any]) -> ConsentRequest:
    return ConsentRequest(
        id=row.id,
        account_id=row.account_id,
        verifier_id=row.verifier_id,
        verifier_name=row.verifier_name,
        purpose=row.purpose,
        fields=_set(row.fields),
        essential=frozenset(json.loads(row.essential)),
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=RequestStatus(row.status),
        decided_at=row.decided_at,
        consent_id=row.consent_id,
        granted_fields=_set(row.granted_fields),
    )
