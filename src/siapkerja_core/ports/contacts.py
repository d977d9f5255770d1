"""The repository of second contacts (:class:`~siapkerja_core.second_contact.SecondContact`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from siapkerja_core.second_contact import SecondContact

__all__ = ["SecondContactRepository"]


class SecondContactRepository(Protocol):
    """Each account's verified second contact (at most one per account)."""

    def get(self, account_id: str) -> SecondContact | None: ...

    def put(self, contact: SecondContact) -> None:
        """Add or replace the account's second contact."""
        ...

    def delete(self, account_id: str) -> bool:
        """Remove it; whether there was one."""
        ...
