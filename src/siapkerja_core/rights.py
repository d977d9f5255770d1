"""The holder's rights under UU 27/2022 (PDP): requests, deadlines, the record of processing.

This module owns the values of the rights use cases
(:mod:`siapkerja_core.services.rights`): a :class:`RightsRequest` (what the
holder asked, its receipt number, when it was received and when it is due),
a :class:`ProcessingEntry` (one line of the record of processing that no
other table keeps, e.g. a sign-in), the :data:`RESPONSE_TIME` of 3×24 hours
and :class:`RightsError`.

Every request is recorded (Pasal 14) and answered within 3×24 hours:
correction (Pasal 30), access with the record of processing (Pasal 32),
ending processing after a withdrawal of consent, restriction; a breach is
notified within 3×24 hours too (Pasal 46) — see ``docs/rights.md`` and
``research/domain.md`` §5.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Final

import attrs
from attrs import frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent

__all__ = [
    "ERASURE_HOLD",
    "RESPONSE_TIME",
    "SIGN_IN",
    "AccountErased",
    "AccountRestricted",
    "ConsentWithdrawnAll",
    "ProcessingEntry",
    "RequestStatus",
    "RestrictionLifted",
    "RightKind",
    "RightsError",
    "RightsRequest",
    "RightsRequested",
    "receipt_number",
]

RESPONSE_TIME: Final = timedelta(hours=3 * 24)
"""UU 27/2022: a controller answers a holder's request within 3×24 hours (Pasal 30, 32)."""
ERASURE_HOLD: Final = timedelta(days=365)
"""How long what an erasure keeps (the scan ledger, attendance, an issued AK/I, the revoked
card's number) stays before ``purge`` deletes it (``docs/rights.md``, retention table)."""


class RightKind(StrEnum):
    """What the holder asked for (UU 27/2022 Pasal 5-13)."""

    ACCESS = "access"
    """A copy of the data and the record of processing (Pasal 7, 13, 32): the export."""
    CORRECTION = "correction"
    """Identity data corrected through a fresh Dukcapil check (Pasal 6, 30)."""
    ERASURE = "erasure"
    """End processing and delete (Pasal 8, 43)."""
    RESTRICTION = "restriction"
    """Suspend processing; data kept (Pasal 11)."""
    LIFT_RESTRICTION = "lift_restriction"
    """End a restriction."""
    WITHDRAWAL = "withdrawal"
    """Withdraw every consent at once (Pasal 9)."""
    OBJECTION = "objection"
    """Object to a decision made by automated processing (Pasal 10): for an officer."""


class RequestStatus(StrEnum):
    OPEN = "open"
    """Waiting for an officer (an objection)."""
    COMPLETED = "completed"
    """Done; ``completed_at`` says when."""


@frozen(kw_only=True)
class RightsRequest:
    """One recorded request of the holder (Pasal 14).

    :param receipt: the number the holder is given (``HAK-…``).
    :param due_at: ``received_at`` + :data:`RESPONSE_TIME`.
    :param handled_by: who completed it (``holder`` for what completes at once,
        an officer's actor otherwise).
    :param purge_after: for an erasure, when what it kept is deleted by ``purge``.
    :param note: the holder's words (an objection's reason), never shown to anyone else.
    """

    id: str
    receipt: str
    account_id: str
    kind: RightKind
    received_at: datetime
    due_at: datetime
    status: RequestStatus = RequestStatus.OPEN
    completed_at: datetime | None = None
    handled_by: str | None = None
    note: str | None = None
    purge_after: datetime | None = None
    purged_at: datetime | None = None

    @classmethod
    def received(
        cls, *, id: str, receipt: str, account_id: str, kind: RightKind, at: datetime
    ) -> RightsRequest:
        """A new open request received ``at``, due 3×24 hours later."""
        return cls(
            id=id,
            receipt=receipt,
            account_id=account_id,
            kind=kind,
            received_at=at,
            due_at=at + RESPONSE_TIME,
        )

    def completed(self, at: datetime, by: str) -> RightsRequest:
        """Done ``at`` by ``by``."""
        return attrs.evolve(self, status=RequestStatus.COMPLETED, completed_at=at, handled_by=by)

    def overdue(self, now: datetime) -> bool:
        """Still open past its deadline."""
        return self.status is RequestStatus.OPEN and now > self.due_at

    @property
    def open(self) -> bool:
        return self.status is RequestStatus.OPEN


def receipt_number(at: datetime, token: bytes) -> str:
    """``HAK-YYYYMMDD-XXXXXXXX``: the day received and eight random characters of an
    alphabet without look-alikes (no I, L, O, U, 0 or 1)."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    value = int.from_bytes(token, "big")
    chars = []
    for _ in range(8):
        value, digit = divmod(value, len(alphabet))
        chars.append(alphabet[digit])
    return f"HAK-{at.year:04d}{at.month:02d}{at.day:02d}-{''.join(chars)}"


@frozen(kw_only=True)
class ProcessingEntry:
    """A line of the record of processing that no other record keeps (a sign-in).

    ``kind`` is a dotted name (``sign_in``); ``detail`` a short note without
    personal data. Append-only; deleted with the account's erasure.
    """

    id: str
    account_id: str
    at: datetime
    kind: str
    detail: str | None = None


SIGN_IN: Final = "sign_in"
"""The :attr:`ProcessingEntry.kind` of a sign-in, written in the unit of work that opens its
session (``services/sign_in.py``)."""


class RightsError(SiapkerjaError):
    """A rights request that cannot be done."""

    domain = "rights"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "no_account",
            "unknown_request",
            "not_open",
            "already_restricted",
            "not_restricted",
            "invalid_note",
            "invalid_window",
            "wrong_password",
            "throttled",
        }
    )


# --- events (a notices helper sends the holder a message for each) ---------------------------


@frozen(kw_only=True)
class RightsRequested(DomainEvent):
    """The holder made a rights request (``kind``: a :class:`RightKind` value)."""

    name: ClassVar[str] = "rights.requested"
    account_id: str
    request_id: str
    kind: str


@frozen(kw_only=True)
class AccountRestricted(DomainEvent):
    """Processing of the account's data is restricted: card, check-ins and SSO refused."""

    name: ClassVar[str] = "account.restricted"
    account_id: str


@frozen(kw_only=True)
class RestrictionLifted(DomainEvent):
    """The restriction ended: the card, check-ins and SSO work again."""

    name: ClassVar[str] = "account.restriction_lifted"
    account_id: str


@frozen(kw_only=True)
class ConsentWithdrawnAll(DomainEvent):
    """Every consent and SSO grant of the holder ended in one action (``count`` consents)."""

    name: ClassVar[str] = "consent.withdrawn_all"
    account_id: str
    count: int


@frozen(kw_only=True)
class AccountErased(DomainEvent):
    """The account was erased: it no longer signs in, its NIK is free."""

    name: ClassVar[str] = "account.erased"
    account_id: str
