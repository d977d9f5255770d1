"""AK/I registrations and officers' offices in the ``sql`` storage (``tx.aki``).

The columns the storage looks up by — number, account, office, status,
dates — are plain; the rest of a registration (office and officer names,
report dates, placement, removal) is one AES-GCM document (``data``), bound
to its row. The number is a unique column and "one active registration per
account" a partial unique index (``WHERE active``): :meth:`_Aki.add` inserts
with ``ON CONFLICT DO NOTHING`` and, when nothing went in, says which rule
refused it — so of N racing applications exactly one succeeds and the
transaction stays usable.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, ClassVar, Final

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository, reads
from siapkerja_core.aki import (
    AkiOfficer,
    AkiPlacement,
    AkiRegistration,
    AkiRemoval,
    AkiStatus,
    RemovalReason,
)
from siapkerja_core.ports import AkiConflict

__all__ = ["_Aki"]

_R = sk.aki_registrations.c
_O = sk.aki_officers.c
_INSERTS: Final = {
    dialect: module.insert(sk.aki_registrations).on_conflict_do_nothing().returning(_R.id)
    for dialect, module in (("postgresql", pg_dialect), ("sqlite", sqlite_dialect))
}
_OFFICER_UPSERTS: Final = {
    dialect: (
        lambda statement: statement.on_conflict_do_update(
            index_elements=[_O.verifier_id],
            set_={c: statement.excluded[c] for c in ("office_code", "office_name", "appointed_at")},
        )
    )(module.insert(sk.aki_officers))
    for dialect, module in (("postgresql", pg_dialect), ("sqlite", sqlite_dialect))
}


class _Aki(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.aki_registrations).where(_R.id == bindparam("v")).with_for_update()
    _BY_NUMBER: ClassVar = select(sk.aki_registrations).where(_R.number == bindparam("v"))
    _ACTIVE: ClassVar = (
        select(sk.aki_registrations)
        .where(_R.account_id == bindparam("v"), _R.active.is_(True))
        .with_for_update()
    )
    _ACCOUNT: ClassVar = (
        select(sk.aki_registrations)
        .where(_R.account_id == bindparam("v"))
        .order_by(_R.applied_at, _R.id)
    )
    _OFFICE: ClassVar = (
        select(sk.aki_registrations)
        .where(_R.office_code == bindparam("v"))
        .order_by(_R.applied_at, _R.id)
    )
    _UPDATE: ClassVar = update(sk.aki_registrations).where(_R.id == bindparam("b_id"))
    _OFFICER: ClassVar = select(sk.aki_officers).where(_O.verifier_id == bindparam("v"))

    def _one(self, statement: Any, value: str) -> AkiRegistration | None:
        row = self._tx.run(statement, {"v": value}).first()
        return None if row is None else self._record(row)

    def get(self, registration_id: str) -> AkiRegistration | None:
        return self._one(self._GET, registration_id)

    def by_number(self, number: str) -> AkiRegistration | None:
        return self._one(self._BY_NUMBER, number)

    def active_for(self, account_id: str) -> AkiRegistration | None:
        return self._one(self._ACTIVE, account_id)

    def for_account(self, account_id: str) -> list[AkiRegistration]:
        return [self._record(r) for r in self._tx.run(self._ACCOUNT, {"v": account_id})]

    def for_office(
        self,
        office_code: str,
        *,
        statuses: Collection[AkiStatus] | None = None,
        limit: int | None = None,
    ) -> list[AkiRegistration]:
        query = self._OFFICE
        if statuses is not None:
            query = query.where(_R.status.in_(sorted(s.value for s in statuses)))
        if limit is not None:
            query = query.limit(max(0, limit))
        return [self._record(r) for r in self._tx.run(query, {"v": office_code})]

    def add(self, record: AkiRegistration) -> None:
        insert = _INSERTS[self._storage.dialect]
        if self._tx.run(insert, self._params(record)).first() is not None:
            return
        if self.by_number(record.number) is not None:
            raise AkiConflict("number")
        if self.active_for(record.account_id) is not None:
            raise AkiConflict("account")
        raise ValueError(f"AK/I registration {record.id!r} exists")

    def put(self, record: AkiRegistration) -> None:
        params = self._params(record)
        values = {k: v for k, v in params.items() if k != "id"}
        if not self._tx.run(self._UPDATE, {**values, "b_id": record.id}).rowcount:
            raise KeyError(record.id)

    def officer(self, verifier_id: str) -> AkiOfficer | None:
        row = self._tx.run(self._OFFICER, {"v": verifier_id}).first()
        if row is None:
            return None
        return AkiOfficer(
            verifier_id=row.verifier_id,
            office_code=row.office_code,
            office_name=row.office_name,
            appointed_at=row.appointed_at,
        )

    def put_officer(self, officer: AkiOfficer) -> None:
        self._tx.run(
            _OFFICER_UPSERTS[self._storage.dialect],
            {
                "verifier_id": officer.verifier_id,
                "office_code": officer.office_code,
                "office_name": officer.office_name,
                "appointed_at": officer.appointed_at,
            },
        )

    # -- rows -------------------------------------------------------------------------------

    def _params(self, record: AkiRegistration) -> dict[str, Any]:
        document = {
            "office_name": record.office_name,
            "officer_name": record.officer_name,
            "reported_on": [_iso(day) for day in record.reported_on],
            "ended_on": _iso(record.ended_on),
            "placement": None
            if record.placement is None
            else {
                "employer": record.placement.employer,
                "position": record.placement.position,
                "placed_on": record.placement.placed_on.isoformat(),
            },
            "removal": None
            if record.removal is None
            else {
                "reason": record.removal.reason.value,
                "removed_on": record.removal.removed_on.isoformat(),
                "note": record.removal.note,
            },
        }
        return {
            "id": record.id,
            "account_id": record.account_id,
            "number": record.number,
            "office_code": record.office_code,
            "status": record.status.value,
            "active": record.status.active,
            "applied_at": record.applied_at,
            "updated_at": record.updated_at,
            "legalised_on": record.legalised_on,
            "officer_id": record.officer_id,
            "data": self._storage.cipher.encrypt_json(
                document, _context(sk.aki_registrations, "data", record.id)
            ),
        }

    @reads(sk.aki_registrations)
    def _record(self, row: Row[Any]) -> AkiRegistration:
        data = self._storage.cipher.decrypt_json(
            bytes(row.data), _context(sk.aki_registrations, "data", row.id)
        )
        placement = data["placement"]
        removal = data["removal"]
        return AkiRegistration(
            id=row.id,
            account_id=row.account_id,
            number=row.number,
            office_code=row.office_code,
            office_name=data["office_name"],
            status=AkiStatus(row.status),
            applied_at=row.applied_at,
            updated_at=row.updated_at,
            legalised_on=row.legalised_on,
            officer_id=row.officer_id,
            officer_name=data["officer_name"],
            reported_on=tuple(_day(value) for value in data["reported_on"]),
            ended_on=_day(data["ended_on"]),
            placement=None
            if placement is None
            else AkiPlacement(
                employer=placement["employer"],
                position=placement["position"],
                placed_on=date.fromisoformat(placement["placed_on"]),
            ),
            removal=None
            if removal is None
            else AkiRemoval(
                reason=RemovalReason(removal["reason"]),
                removed_on=date.fromisoformat(removal["removed_on"]),
                note=removal["note"],
            ),
        )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
