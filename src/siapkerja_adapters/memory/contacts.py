"""The memory storage's second contacts (``tx.second_contacts``): one row per account."""

from __future__ import annotations

from siapkerja_adapters.memory.tables import View
from siapkerja_core.second_contact import SecondContact

__all__ = ["SecondContacts"]


class SecondContacts(View[SecondContact]):
    def get(self, account_id: str) -> SecondContact | None:
        return self._get(account_id)

    def put(self, contact: SecondContact) -> None:
        self._put(contact.account_id, contact)

    def delete(self, account_id: str) -> bool:
        if self._get(account_id) is None:
            return False
        self._delete(account_id)
        return True
