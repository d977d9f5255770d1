"""The memory storage's consent requests (``tx.consent_requests``).

The table indexes a request by its holder only while it is stored as
pending, so a holder's waiting requests are found without walking answered ones.
"""

from __future__ import annotations

from collections.abc import Hashable

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.prefill import ConsentRequest, RequestStatus

__all__ = ["ConsentRequests", "consent_request_table"]


def _pending_holder(request: ConsentRequest) -> Hashable | None:
    return request.account_id if request.status is RequestStatus.PENDING else None


def consent_request_table() -> Table[ConsentRequest]:
    """The committed requests, indexed by holder while pending."""
    return Table(pending=_pending_holder)


class ConsentRequests(View[ConsentRequest]):
    def get(self, request_id: str) -> ConsentRequest | None:
        return self._get(request_id)

    def put(self, request: ConsentRequest) -> None:
        self._put(request.id, request)

    def pending_for(self, account_id: str) -> list[ConsentRequest]:
        found = (self._get(key) for key in self._keys("pending", account_id))
        return sorted(
            (r for r in found if r is not None and r.status is RequestStatus.PENDING),
            key=lambda r: (r.created_at, r.id),
        )
