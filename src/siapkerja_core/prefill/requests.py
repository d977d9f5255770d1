"""Consent requests: an institution asks, the holder answers in their own session.

An institution (a registered :class:`~siapkerja_core.disclosure.Verifier`)
that scanned or received a holder's link asks for a purpose and the fields it
wants (a subset of its scope, some of them essential). The holder sees the
request among their pending ones and approves it — possibly dropping the
voluntary fields — which records an ordinary
:class:`~siapkerja_core.records.ConsentRecord`, or declines it. A request
nobody answered expires. This module owns the :class:`ConsentRequest` record,
its rules, and the ``prefill`` error domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Final

import attrs
from attrs import frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent
from siapkerja_core.i18n import text, timed

__all__ = [
    "MAX_PENDING_REQUESTS",
    "REQUEST_TTL",
    "ConsentRequest",
    "ConsentRequestAnswered",
    "ConsentRequested",
    "PrefillError",
    "RequestStatus",
]

REQUEST_TTL: Final = timedelta(days=7)
"""How long a request waits for the holder's answer."""
MAX_PENDING_REQUESTS: Final = 50
"""The most requests waiting on one holder: a verifier holding a link cannot flood the list."""


class PrefillError(SiapkerjaError):
    """Consent requests and prefill documents.

    Codes: ``unknown_request`` (no such request, or not the caller's),
    ``request_closed`` (already answered), ``request_expired``,
    ``fields_outside_scope`` (asked for fields the verifier's scope does not
    allow), ``essential_refused`` (an approval that drops a field the
    institution marked essential: decline instead), ``consent_required`` (a
    document asked for without the holder's consent to this purpose),
    ``too_many_pending``, ``invalid_document`` (a document that does not
    follow the schema, with ``errors``).
    """

    domain = "prefill"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unknown_request",
            "request_closed",
            "request_expired",
            "fields_outside_scope",
            "essential_refused",
            "consent_required",
            "too_many_pending",
            "invalid_document",
        }
    )


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    """Not answered within :data:`REQUEST_TTL` (never stored: read from the time)."""


def _fields(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _field_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@frozen(kw_only=True)
class ConsentRequest:
    """An institution's request for the holder's consent to a purpose.

    ``fields`` are the fields asked for (``None``: the verifier's whole
    scope), ``essential`` those among them the institution cannot do without.
    Once approved, ``consent_id`` names the consent recorded and
    ``granted_fields`` what the holder let through.
    """

    id: str
    account_id: str
    verifier_id: str
    verifier_name: str
    purpose: str
    fields: frozenset[str] | None = attrs.field(converter=_fields)
    essential: frozenset[str] = attrs.field(converter=_field_set, factory=frozenset)
    created_at: datetime
    expires_at: datetime
    status: RequestStatus = RequestStatus.PENDING
    decided_at: datetime | None = None
    consent_id: str | None = None
    granted_fields: frozenset[str] | None = attrs.field(converter=_fields, default=None)

    def status_at(self, now: datetime) -> RequestStatus:
        """The status as of ``now``: a pending request past its time is expired."""
        if self.status is RequestStatus.PENDING and now >= self.expires_at:
            return RequestStatus.EXPIRED
        return self.status

    def open_at(self, now: datetime) -> bool:
        """Waiting for the holder's answer at ``now``."""
        return self.status_at(now) is RequestStatus.PENDING

    def check_open(self, now: datetime) -> None:
        """:raises PrefillError: ``request_expired`` or ``request_closed`` unless still open."""
        status = self.status_at(now)
        if status is RequestStatus.EXPIRED:
            raise PrefillError("request_expired", **timed("expired_at", self.expires_at))
        if status is not RequestStatus.PENDING:
            raise PrefillError(
                "request_closed",
                status=status.value,
                status_id=text(f"prefill.request_status.{status.value}", "id"),
                status_en=text(f"prefill.request_status.{status.value}", "en"),
            )

    def approved(
        self, now: datetime, *, consent_id: str, granted: frozenset[str] | None
    ) -> ConsentRequest:
        """Approved at ``now`` with the consent ``consent_id`` letting ``granted`` through."""
        self.check_open(now)
        return attrs.evolve(
            self,
            status=RequestStatus.APPROVED,
            decided_at=now,
            consent_id=consent_id,
            granted_fields=granted,
        )

    def declined(self, now: datetime) -> ConsentRequest:
        """Declined by the holder at ``now``."""
        self.check_open(now)
        return attrs.evolve(self, status=RequestStatus.DECLINED, decided_at=now)

    def narrowed(self, allowed: frozenset[str], chosen: Iterable[str] | None) -> frozenset[str]:
        """The fields an approval lets through: ``chosen`` (default: all asked) within ``asked``.

        ``allowed`` is the verifier's scope today. A field not asked for is
        ignored (the holder cannot give more than was asked); dropping an
        essential field is refused.
        """
        asked = allowed if self.fields is None else self.fields & allowed
        if chosen is None:
            return asked
        granted = frozenset(chosen) & asked
        missing = sorted((self.essential & asked) - granted)
        if missing:
            raise PrefillError("essential_refused", fields=", ".join(missing))
        return granted


@frozen(kw_only=True)
class ConsentRequested(DomainEvent):
    """An institution asked a holder for consent (a notification plug-in tells the holder).

    No personal data: ids, and the field names asked for (empty: the whole scope).
    """

    name: ClassVar[str] = "consent.requested"
    account_id: str
    request_id: str
    verifier_id: str
    fields: tuple[str, ...]


@frozen(kw_only=True)
class ConsentRequestAnswered(DomainEvent):
    """The holder approved or declined a request (``status``); an approval also
    emits ``consent.changed`` for the consent it recorded."""

    name: ClassVar[str] = "consent.request_answered"
    account_id: str
    request_id: str
    verifier_id: str
    status: str
