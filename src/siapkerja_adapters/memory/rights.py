"""The memory storage's rights repository (``tx.rights``).

One table holds requests (``("request", id)``), lines of the record of
processing (``("log", id)``) and restrictions (``("restriction", account id)``).
An erasure deletes, through this transaction's own views, the rows of the
other tables that belong to the holder.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from siapkerja_adapters.memory.tables import Table, View
from siapkerja_core.ports.rights import CONTACT_CHALLENGE_PREFIXES, ERASED_AT_ONCE, PURGED_LATER
from siapkerja_core.rights import ProcessingEntry, RequestStatus, RightKind, RightsRequest

__all__ = ["RightsView", "rights_table"]


def _holder(row: Any) -> Hashable | None:
    return row.account_id if isinstance(row, RightsRequest | ProcessingEntry) else None


def rights_table() -> Table[Any]:
    """A new, empty table of rights rows, indexed by holder."""
    return Table(account=_holder)


class RightsView(View[Any]):
    """``tx.rights`` on memory storage."""

    _tx: Any = None

    def bind(self, tx: Any) -> None:
        """Called by the transaction: an erasure deletes through its other views."""
        self._tx = tx

    def _all(self) -> list[Any]:
        keys = set(self._table.rows) | set(self._overlay)
        return [row for row in (self._get(key) for key in keys) if row is not None]

    def put(self, request: RightsRequest) -> None:
        self._put(("request", request.id), request)

    def get(self, request_id: str) -> RightsRequest | None:
        found = self._get(("request", request_id))
        return found if isinstance(found, RightsRequest) else None

    def _of(self, account_id: str, kind: type) -> list[Any]:
        found = (self._get(key) for key in self._keys("account", account_id))
        return [row for row in found if isinstance(row, kind)]

    def for_account(self, account_id: str) -> list[RightsRequest]:
        return sorted(self._of(account_id, RightsRequest), key=lambda r: (r.received_at, r.id))

    def open(self, *, limit: int = 500) -> list[RightsRequest]:
        found = [
            r
            for r in self._all()
            if isinstance(r, RightsRequest) and r.status is RequestStatus.OPEN
        ]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]

    def to_purge(self, now: datetime, *, limit: int = 100) -> list[RightsRequest]:
        found = [
            r
            for r in self._all()
            if isinstance(r, RightsRequest)
            and r.kind is RightKind.ERASURE
            and r.purge_after is not None
            and r.purge_after <= now
            and r.purged_at is None
        ]
        return sorted(found, key=lambda r: (r.purge_after, r.id))[:limit]

    def log(self, entry: ProcessingEntry) -> None:
        self._put(("log", entry.id), entry)

    def processing_for(self, account_id: str) -> list[ProcessingEntry]:
        return sorted(self._of(account_id, ProcessingEntry), key=lambda e: (e.at, e.id))

    def restricted_at(self, account_id: str) -> datetime | None:
        found = self._get(("restriction", account_id))
        return found if isinstance(found, datetime) else None

    def restrict(self, account_id: str, at: datetime | None) -> None:
        if at is None:
            self._delete(("restriction", account_id))
        else:
            self._put(("restriction", account_id), at)

    def _drop(self, name: str, matches: Callable[[Hashable, Any], bool]) -> int:
        view = getattr(self._tx, name)
        keys = set(view._table.rows) | set(view._overlay)
        gone = 0
        for key in keys:
            row = view._get(key)
            if row is not None and matches(key, row):
                view._delete(key)
                gone += 1
        return gone

    def _own(self, account_id: str) -> Callable[[Hashable, Any], bool]:
        return lambda _key, row: getattr(row, "account_id", None) == account_id

    def erase(self, account_id: str) -> dict[str, int]:
        own = self._own(account_id)
        registrations = {
            r.id for r in self._tx.registrations._table.rows.values() if r.account_id == account_id
        } | {
            r.id
            for r in self._tx.registrations._overlay.values()
            if getattr(r, "account_id", None) == account_id
        }
        subjects = registrations | {
            f"reset:{account_id}",
            *(f"{prefix}{account_id}" for prefix in CONTACT_CHALLENGE_PREFIXES),
        }
        counts = {
            "accounts": self._drop("accounts", lambda key, _row: key == account_id),
            "profiles": self._drop("profiles", lambda key, _row: key == account_id),
            "sessions": self._drop("sessions", own),
            "password_resets": self._drop("resets", own),
            "registrations": self._drop("registrations", own),
            "otp_challenges": self._drop("challenges", lambda key, _row: key in subjects),
            "outbox": self._drop("outbox", lambda _key, row: row.subject_id in subjects),
            "consents": self._drop("consents", own),
            "consent_requests": self._drop("consent_requests", own),
            "sso_tokens": self._drop("sso_tokens", own),
            "class_enrolments": self._drop("classes", own),
            "programme_enrolments": self._drop("programmes", own),
            "processing_log": self._drop(
                "rights", lambda _key, row: isinstance(row, ProcessingEntry) and own(_key, row)
            ),
            "restrictions": self._drop(
                "rights", lambda key, _row: key == ("restriction", account_id)
            ),
            "factors": self._drop("factors", own),
            "second_contacts": self._drop("second_contacts", own),
        }
        assert tuple(counts) == ERASED_AT_ONCE
        return counts

    def purge(self, account_id: str, card_ref: int | None) -> dict[str, int]:
        own = self._own(account_id)

        def card(_key: Hashable, row: Any) -> bool:
            return card_ref is not None and getattr(row, "card_ref", None) == card_ref

        counts = {
            "access_log": self._drop("access_log", own),
            "check_ins": self._drop("check_ins", card),
            "double_entries": self._drop("gates", card),
            "aki": self._drop("aki", own),
            "cards": self._drop("cards", own),
            "disputes": self._drop("disputes", own),
        }
        assert tuple(counts) == PURGED_LATER
        return counts
