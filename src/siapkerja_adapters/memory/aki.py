"""The memory storage's AK/I table: registrations and officers' offices, one table.

Rows are keyed ``("registration", id)`` and ``("officer", verifier_id)``; the
indexes (number, the account's *active* registration, office) see
registrations only. Transactions are serialised by the storage's lock, so
checking the indexes and then writing is atomic: of two racing applications
for one account exactly one gets in.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Any

from siapkerja_adapters.memory.tables import Index, Table, View
from siapkerja_core.aki import AkiOfficer, AkiRegistration, AkiStatus
from siapkerja_core.ports import AkiConflict

__all__ = ["AKI_INDEXES", "AkiView", "aki_table"]


def _registration(derive: Index) -> Index:
    return lambda row: derive(row) if isinstance(row, AkiRegistration) else None


AKI_INDEXES: dict[str, Index] = {
    "number": _registration(lambda r: r.number),
    "active": _registration(lambda r: r.account_id if r.status.active else None),
    "account": _registration(lambda r: r.account_id),
    "office": _registration(lambda r: r.office_code),
}


def aki_table() -> Table[Any]:
    """A new, empty AK/I table with its indexes."""
    return Table(**AKI_INDEXES)


class AkiView(View[Any]):
    """``tx.aki``: the AK/I repository of one memory transaction."""

    def _registrations(self, index: str, value: Hashable) -> list[AkiRegistration]:
        found = (self._get(key) for key in self._keys(index, value))
        rows = [r for r in found if isinstance(r, AkiRegistration)]
        return sorted(rows, key=lambda r: (r.applied_at, r.id))

    def get(self, registration_id: str) -> AkiRegistration | None:
        row = self._get(("registration", registration_id))
        return row if isinstance(row, AkiRegistration) else None

    def by_number(self, number: str) -> AkiRegistration | None:
        row = self._first("number", number)
        return row if isinstance(row, AkiRegistration) else None

    def active_for(self, account_id: str) -> AkiRegistration | None:
        row = self._first("active", account_id)
        return row if isinstance(row, AkiRegistration) else None

    def for_account(self, account_id: str) -> list[AkiRegistration]:
        return self._registrations("account", account_id)

    def for_office(
        self,
        office_code: str,
        *,
        statuses: Collection[AkiStatus] | None = None,
        limit: int | None = None,
    ) -> list[AkiRegistration]:
        rows = self._registrations("office", office_code)
        if statuses is not None:
            rows = [r for r in rows if r.status in statuses]
        return rows if limit is None else rows[: max(0, limit)]

    def add(self, record: AkiRegistration) -> None:
        if self.get(record.id) is not None:
            raise ValueError(f"AK/I registration {record.id!r} exists")
        if self.by_number(record.number) is not None:
            raise AkiConflict("number")
        if record.status.active and self.active_for(record.account_id) is not None:
            raise AkiConflict("account")
        self._put(("registration", record.id), record)

    def put(self, record: AkiRegistration) -> None:
        if self.get(record.id) is None:
            raise KeyError(record.id)
        other = self.active_for(record.account_id) if record.status.active else None
        if other is not None and other.id != record.id:
            raise AkiConflict("account")
        self._put(("registration", record.id), record)

    def officer(self, verifier_id: str) -> AkiOfficer | None:
        row = self._get(("officer", verifier_id))
        return row if isinstance(row, AkiOfficer) else None

    def put_officer(self, officer: AkiOfficer) -> None:
        self._put(("officer", officer.verifier_id), officer)
