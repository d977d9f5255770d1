"""The holders' second contacts in the ``sql`` storage (``tx.second_contacts``), encrypted."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import bindparam, delete, insert, select, update

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.second_contact import ContactKind, SecondContact

__all__ = ["SqlSecondContacts"]

_T = sk.second_contacts
_S = _T.c


class SqlSecondContacts(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(_T).where(_S.account_id == bindparam("id")).with_for_update()
    _INSERT: ClassVar = insert(_T)
    _UPDATE: ClassVar = update(_T).where(_S.account_id == bindparam("b_id"))
    _DELETE: ClassVar = delete(_T).where(_S.account_id == bindparam("id"))

    @reads(_T)
    def get(self, account_id: str) -> SecondContact | None:
        row = self._tx.run(self._GET, {"id": account_id}).first()
        if row is None:
            return None
        value = self._storage.cipher.decrypt_json(
            bytes(row.value), _context(_T, "value", account_id)
        )
        return SecondContact(
            account_id=row.account_id,
            kind=ContactKind(row.kind),
            value=value["value"],
            verified_at=row.verified_at,
        )

    def put(self, contact: SecondContact) -> None:
        blob = self._storage.cipher.encrypt_json(
            {"value": contact.value}, _context(_T, "value", contact.account_id)
        )
        values = {"kind": contact.kind.value, "value": blob, "verified_at": contact.verified_at}
        exists = self._tx.run(self._GET, {"id": contact.account_id}).first() is not None
        if exists:
            self._tx.run(self._UPDATE, {"b_id": contact.account_id, **values})
        else:
            self._tx.run(self._INSERT, {"account_id": contact.account_id, **values})

    def delete(self, account_id: str) -> bool:
        result = self._tx.run(self._DELETE, {"id": account_id})
        return bool(result.rowcount)
