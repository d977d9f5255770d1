"""Domain events: the facts the library announces through the ``siapkerja_event`` hook.

This module owns the :class:`DomainEvent` base class and every event the
core announces: the plumbing's (:class:`AdapterBuilt`), the registration
journey's (registration started, code sent, account activated, sign-in,
recovery) and the card's (profile updated, card issued, rotated, revoked,
scanned, check-in, consent). The services in :mod:`siapkerja_core.services`
build them; plug-ins may define more by subclassing :class:`DomainEvent`.

An event is an immutable record of something that already happened. It
carries no secret (no OTP code, no password, no token) and as little personal
data as the fact needs, because every plug-in — audit logs, webhooks — sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
from attrs import frozen

__all__ = [
    "AccessGranted",
    "AccountActivated",
    "AccountImported",
    "AdapterBuilt",
    "AdminActionRecorded",
    "BulkCardsIssued",
    "CardIssued",
    "CardRevoked",
    "CardScanned",
    "CheckInRecorded",
    "ConsentChanged",
    "DomainEvent",
    "LoginFailed",
    "LoginSucceeded",
    "OtpSendFailed",
    "OtpSent",
    "PasswordResetCompleted",
    "PasswordResetRequested",
    "ProfileUpdated",
    "RegistrationStarted",
    "TokenRotated",
    "VerificationFailed",
    "event_names",
]

_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def _to_utc(value: datetime) -> datetime:
    # Naive datetimes are left alone so the validator can reject them: guessing
    # the local zone would silently shift audit timestamps.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _require_aware(_instance: object, attribute: attrs.Attribute[Any], value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware (UTC), got {value!r}")


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base class of every event broadcast through ``siapkerja_event``.

    Subclasses set the class variable ``name`` to a stable, dotted identifier
    (``"account.activated"``) that plug-ins may switch on and persist, and add
    their own fields. ``occurred_at`` is always an aware datetime in UTC (an
    aware value in another zone is converted; a naive one is refused).

    Example::

        @attrs.frozen(kw_only=True)
        class AccountActivated(DomainEvent):
            name: ClassVar[str] = "account.activated"
            account_id: str
    """

    name: ClassVar[str] = "event"

    occurred_at: datetime = attrs.field(converter=_to_utc, validator=_require_aware)


@attrs.frozen(kw_only=True)
class AdapterBuilt(DomainEvent):
    """``connect()`` built the adapter ``adapter`` for the port ``kind``.

    The field is ``adapter`` rather than ``name`` because ``name`` is the
    event's own class-level identifier.
    """

    name: ClassVar[str] = "adapter.built"

    kind: str
    adapter: str


# --- the registration journey ------------------------------------------------------


@frozen(kw_only=True)
class RegistrationStarted(DomainEvent):
    """Dukcapil confirmed NIK, name and mother's name; a registration exists."""

    name: ClassVar[str] = "registration.started"
    registration_id: str
    nik_masked: str


@frozen(kw_only=True)
class VerificationFailed(DomainEvent):
    """Dukcapil did not confirm a registration attempt (``reason`` is the error code)."""

    name: ClassVar[str] = "registration.verification_failed"
    nik_masked: str
    reason: str


@frozen(kw_only=True)
class OtpSent(DomainEvent):
    """A code (or, for a number with an account, a notice) went to ``phone_masked``."""

    name: ClassVar[str] = "otp.sent"
    subject_id: str
    purpose: str
    phone_masked: str
    generation: int


@frozen(kw_only=True)
class OtpSendFailed(DomainEvent):
    """The SMS service refused a code; the subject stays pending and a resend may follow."""

    name: ClassVar[str] = "otp.send_failed"
    subject_id: str
    purpose: str
    reason: str


@frozen(kw_only=True)
class AccountActivated(DomainEvent):
    """A registration was confirmed by SMS: the phone is verified and the account exists."""

    name: ClassVar[str] = "account.activated"
    account_id: str
    registration_id: str


@frozen(kw_only=True)
class AccountImported(DomainEvent):
    """An account was created from a trusted register (no password until recovery)."""

    name: ClassVar[str] = "account.imported"
    account_id: str


@frozen(kw_only=True)
class LoginSucceeded(DomainEvent):
    name: ClassVar[str] = "login.succeeded"
    account_id: str


@frozen(kw_only=True)
class LoginFailed(DomainEvent):
    """A sign-in failed. ``identifier_kind`` is nik/email/phone; the identifier is not kept."""

    name: ClassVar[str] = "login.failed"
    identifier_kind: str
    throttled: bool


@frozen(kw_only=True)
class PasswordResetRequested(DomainEvent):
    name: ClassVar[str] = "password_reset.requested"
    request_id: str


@frozen(kw_only=True)
class PasswordResetCompleted(DomainEvent):
    name: ClassVar[str] = "password_reset.completed"
    account_id: str
    sessions_ended: int


# --- profiles, cards, scans, consent -------------------------------------------------


@frozen(kw_only=True)
class ProfileUpdated(DomainEvent):
    name: ClassVar[str] = "profile.updated"
    account_id: str
    sections: tuple[str, ...]
    complete: bool


@frozen(kw_only=True)
class CardIssued(DomainEvent):
    name: ClassVar[str] = "card.issued"
    account_id: str
    siapkerja_id: str
    version: int


@frozen(kw_only=True)
class TokenRotated(DomainEvent):
    """Every link QR of the card older than ``version`` stopped working."""

    name: ClassVar[str] = "card.rotated"
    account_id: str
    version: int


@frozen(kw_only=True)
class CardRevoked(DomainEvent):
    name: ClassVar[str] = "card.revoked"
    account_id: str


@frozen(kw_only=True)
class CardScanned(DomainEvent):
    """A link QR was resolved; ``fields`` are what the audience saw."""

    name: ClassVar[str] = "card.scanned"
    account_id: str
    audience: str
    fields: tuple[str, ...]
    verifier_id: str | None = None


@frozen(kw_only=True)
class BulkCardsIssued(DomainEvent):
    """A bulk run issued ``issued`` cards (one event per run, not per card)."""

    name: ClassVar[str] = "card.bulk_issued"
    issued: int


@frozen(kw_only=True)
class CheckInRecorded(DomainEvent):
    name: ClassVar[str] = "attendance.recorded"
    account_id: str | None
    event_id: str
    station_id: str


@frozen(kw_only=True)
class ConsentChanged(DomainEvent):
    name: ClassVar[str] = "consent.changed"
    account_id: str
    consent_id: str
    verifier_id: str
    granted: bool


@frozen(kw_only=True)
class AccessGranted(DomainEvent):
    """A verifier was registered (its API key is never in the event)."""

    name: ClassVar[str] = "verifier.registered"
    verifier_id: str
    scopes: tuple[str, ...]


@frozen(kw_only=True)
class AdminActionRecorded(DomainEvent):
    """An administrative action was committed with its audit record (``svc.verifiers.audit``).

    Sent after the commit; it names the record, never its reason or details
    (they may name people). ``action`` is ``verifier.suspend``, ``event.create`` ….
    """

    name: ClassVar[str] = "admin.action"
    audit_id: str
    actor: str
    action: str
    target_kind: str
    target_id: str


# --- reading -------------------------------------------------------------------------


def event_names() -> list[str]:
    """Return the sorted, distinct ``name`` of every :class:`DomainEvent` subclass defined so far.

    The core's own events are all here; a plug-in's count once its module is imported.
    """
    names: set[str] = set()
    pending: list[type[DomainEvent]] = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        # attrs' slotted classes replace the class object, and the original may
        # linger in __subclasses__() until collected: a set removes the repeat.
        if _EVENT_NAME.fullmatch(cls.name):
            names.add(cls.name)
    return sorted(names)
