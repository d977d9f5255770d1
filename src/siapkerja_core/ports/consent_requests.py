"""The storage port's repository of consent requests (:mod:`siapkerja_core.prefill`)."""

from __future__ import annotations

from typing import Protocol

from siapkerja_core.prefill.requests import ConsentRequest

__all__ = ["ConsentRequestRepository"]


class ConsentRequestRepository(Protocol):
    """Institutions' requests for a holder's consent (``tx.consent_requests``)."""

    def get(self, request_id: str) -> ConsentRequest | None:
        """The request, locked for update in this transaction where the medium can lock."""
        ...

    def put(self, request: ConsentRequest) -> None:
        """Add the request, or replace the stored one with the same id."""
        ...

    def pending_for(self, account_id: str) -> list[ConsentRequest]:
        """The holder's requests stored as pending (expired ones included), oldest first."""
        ...
