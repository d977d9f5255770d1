"""The storage port's repository of second factors (:mod:`siapkerja_core.factors`)."""

from __future__ import annotations

import builtins
from typing import Protocol

from siapkerja_core.factors import FactorRecord

__all__ = ["FactorRepository"]


class FactorRepository(Protocol):
    """An account's authenticator apps, recovery codes, passkeys and ceremony states
    (``tx.factors``). A TOTP secret and a ceremony's challenge are encrypted at rest
    where the medium stores to disk."""

    def get(self, factor_id: str) -> FactorRecord | None:
        """The record, locked for update in this transaction where the medium can lock."""
        ...

    def put(self, record: FactorRecord) -> None:
        """Add the record, or replace the stored one with the same id."""
        ...

    def delete(self, factor_id: str) -> bool:
        """Remove the record; whether there was one."""
        ...

    def for_account(self, account_id: str) -> builtins.list[FactorRecord]:
        """Every record of the account (pending and ceremony states too), oldest first."""
        ...

    def delete_for_account(self, account_id: str) -> int:
        """Remove every record of the account; how many there were."""
        ...
