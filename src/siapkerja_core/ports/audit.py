"""The audit of administrative actions: the repository port.

:class:`AuditRepository` keeps :class:`~siapkerja_core.institutions.AuditRecord`
entries append-only. An action and its record are written in the same
transaction (``tx.audit.append`` beside the change), so there is never an
action without its record nor a record of an action that was rolled back.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from siapkerja_core.institutions import AuditRecord

__all__ = ["AuditRepository"]


class AuditRepository(Protocol):
    def append(self, record: AuditRecord) -> None:
        """Add a record (its ``id`` is new); records are never changed or removed."""
        ...

    def list(
        self,
        *,
        target: str | None = None,
        target_kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditRecord]:
        """The records matching every filter given, newest first, at most ``limit``.

        :param target: the target's id. :param target_kind: its kind (``verifier`` …).
        :param actor: who acted, exactly. :param since: at or after this time.
        """
        ...
