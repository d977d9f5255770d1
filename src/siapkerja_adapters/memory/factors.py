"""The memory storage's second factors (``tx.factors``), indexed by account."""

from __future__ import annotations

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.factors import FactorRecord

__all__ = ["Factors", "factor_table"]


def factor_table() -> Table[FactorRecord]:
    """The committed factor records, indexed by their account."""
    return Table(account=lambda record: record.account_id)


class Factors(View[FactorRecord]):
    def get(self, factor_id: str) -> FactorRecord | None:
        return self._get(factor_id)

    def put(self, record: FactorRecord) -> None:
        self._put(record.id, record)

    def delete(self, factor_id: str) -> bool:
        if self._get(factor_id) is None:
            return False
        self._delete(factor_id)
        return True

    def for_account(self, account_id: str) -> list[FactorRecord]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return sorted((r for r in found if r is not None), key=lambda r: (r.created_at, r.id))

    def delete_for_account(self, account_id: str) -> int:
        records = self.for_account(account_id)
        for record in records:
            self._delete(record.id)
        return len(records)
