"""The ``sql`` storage's second factors (``tx.factors``).

A TOTP secret and a WebAuthn ceremony's challenge are encrypted (AES-GCM bound to
``sk_factors.secret`` of the row); recovery codes are only keyed hashes; a
passkey's public key and credential id are public values. A record is read
``FOR UPDATE`` on PostgreSQL, so two uses of one code queue and the second sees
the step (or the spent hash) the first stored.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _json, _Repository, reads
from siapkerja_core.factors import FactorKind, FactorRecord, FactorStatus

__all__ = ["SqlFactors"]

_F = sk.factors.c


def _upsert(dialect: str) -> Executable:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(sk.factors)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[_F.id],
        set_={c.name: statement.excluded[c.name] for c in sk.factors.c if c.name != "id"},
    )


_UPSERTS: Final = {name: _upsert(name) for name in ("postgresql", "sqlite")}


class SqlFactors(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.factors).where(_F.id == bindparam("id")).with_for_update()
    _OF: ClassVar = (
        select(sk.factors)
        .where(_F.account_id == bindparam("account_id"))
        .order_by(_F.created_at, _F.id)
        .with_for_update()
    )
    _DELETE: ClassVar = delete(sk.factors).where(_F.id == bindparam("id"))
    _DELETE_FOR: ClassVar = delete(sk.factors).where(_F.account_id == bindparam("account_id"))

    def get(self, factor_id: str) -> FactorRecord | None:
        row = self._tx.run(self._GET, {"id": factor_id}).first()
        return None if row is None else self._record(row)

    def put(self, record: FactorRecord) -> None:
        secret = None
        if record.secret is not None:
            context = _context(sk.factors, "secret", record.id)
            secret = self._storage.cipher.encrypt(record.secret.encode("utf-8"), context)
        self._tx.run(
            _UPSERTS[self._storage.dialect],
            {
                "id": record.id,
                "account_id": record.account_id,
                "kind": record.kind.value,
                "status": record.status.value,
                "label": record.label,
                "created_at": record.created_at,
                "last_used_at": record.last_used_at,
                "expires_at": record.expires_at,
                "secret": secret,
                "last_step": record.last_step,
                "code_hashes": _json(list(record.code_hashes)),
                "credential_id": record.credential_id,
                "public_key": record.public_key,
                "sign_count": record.sign_count,
                "transports": _json(list(record.transports)),
            },
        )

    def delete(self, factor_id: str) -> bool:
        return bool(self._tx.run(self._DELETE, {"id": factor_id}).rowcount)

    def for_account(self, account_id: str) -> list[FactorRecord]:
        rows = self._tx.fetch(self._OF, {"account_id": account_id})
        return [self._record(row) for row in rows]

    def delete_for_account(self, account_id: str) -> int:
        return int(self._tx.run(self._DELETE_FOR, {"account_id": account_id}).rowcount)

    @reads(sk.factors)
    def _record(self, row: Row[Any]) -> FactorRecord:
        secret = None
        if row.secret is not None:
            context = _context(sk.factors, "secret", row.id)
            secret = self._storage.cipher.decrypt(bytes(row.secret), context).decode("utf-8")
        return FactorRecord(
            id=row.id,
            account_id=row.account_id,
            kind=FactorKind(row.kind),
            status=FactorStatus(row.status),
            label=row.label,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            secret=secret,
            last_step=row.last_step,
            code_hashes=tuple(json.loads(row.code_hashes)),
            credential_id=row.credential_id,
            public_key=row.public_key,
            sign_count=row.sign_count,
            transports=tuple(json.loads(row.transports)),
        )
