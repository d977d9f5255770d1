"""The records storage keeps, with the rules that belong to them.

Records are what a storage adapter persists: frozen attrs objects changed
with :func:`attrs.evolve` — here, through methods that say what happened
(``challenge.spent()``, ``card.revoked(now)``). The rules of one record live
on it (how an :class:`OtpChallenge` issues and checks a code, when a
:class:`CardRecord` is active), so they are unit-testable without storage.

They never hold a secret in the clear: passwords are Argon2id hashes, OTP
codes and session tokens are keyed HMACs, and the mother's maiden name is not
kept at all — it is needed only for the one Dukcapil check.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from siapkerja_core._codegen import fast_constructor
from siapkerja_core.errors import OtpError
from siapkerja_core.frames import Column, Table, json_ready, plain

__all__ = [
    "ACCESS_CHANNELS",
    "MAX_LEDGER_PAGE",
    "AccessLedger",
    "AccessLedgerPage",
    "AccessRecord",
    "AccountRecord",
    "CardRecord",
    "ConsentRecord",
    "LedgerCursor",
    "OtpChallenge",
    "OtpPurpose",
    "OutboxMessage",
    "PasswordResetRecord",
    "RegistrationRecord",
    "RegistrationStatus",
    "SessionRecord",
    "canonical_purpose",
    "new_access_record",
]


class RegistrationStatus(StrEnum):
    """Where a registration stands."""

    VERIFIED = "verified"
    """Step 1 passed: Dukcapil confirmed NIK, name and mother's name."""
    PENDING_OTP = "pending_otp"
    """Step 2 passed: contacts and password stored, a code was sent (or its send failed)."""
    CONFIRMED = "confirmed"
    """Step 3 passed: the account exists."""
    EXPIRED = "expired"
    """Not confirmed within ``JourneyPolicy.registration_ttl``; the NIK may register again."""


class OtpPurpose(StrEnum):
    REGISTRATION = "registration"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a password
    SSO_STEP_UP = "sso_step_up"
    """A fresh code before a hub receives sensitive data ("Masuk dengan SIAPkerja")."""
    ACCOUNT_RECOVERY = "account_recovery"
    """The new phone of an identity re-proofing (``siapkerja_core.disputes``)."""
    CONTACT_CHANGE = "contact_change"
    """A code to a new phone, e-mail or second contact of a signed-in holder."""


@frozen(kw_only=True)
class RegistrationRecord:
    id: str
    nik: str
    full_name: str
    status: RegistrationStatus
    created_at: datetime
    expires_at: datetime
    email: str | None = None
    phone: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    account_id: str | None = None

    def status_at(self, now: datetime) -> RegistrationStatus:
        """The status as of ``now``: an unconfirmed registration past its time is expired."""
        if self.status is not RegistrationStatus.CONFIRMED and now >= self.expires_at:
            return RegistrationStatus.EXPIRED
        return self.status


@frozen(kw_only=True)
class OtpChallenge:
    """The live code of one registration or reset (``subject_id``), and its sending history.

    A resend replaces ``code_hash`` and bumps ``generation`` — the old code is
    dead at once — while ``sent_at`` (the sends of the last hour) and
    ``resends`` carry over, so caps and growing cooldowns span resends and
    phone changes.
    """

    subject_id: str
    purpose: OtpPurpose
    phone: str
    code_hash: str = field(repr=False)
    generation: int
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    used: bool = False
    resends: int = 0
    sent_at: tuple[datetime, ...] = ()
    delivered: bool = False
    last_failure: str | None = None

    @classmethod
    def issue(
        cls,
        previous: OtpChallenge | None,
        *,
        subject_id: str,
        purpose: OtpPurpose,
        phone: str,
        code_hash: Callable[[int], str],
        now: datetime,
        ttl: timedelta,
        recent: tuple[datetime, ...],
        resend: bool,
    ) -> OtpChallenge:
        """The next live code after ``previous`` (which dies): one generation on.

        ``code_hash`` gives the stored hash of the new code for its generation;
        ``recent`` are the sends still inside the hour, which carry over.
        """
        generation = 1 if previous is None else previous.generation + 1
        resends = 0 if previous is None else previous.resends + (1 if resend else 0)
        return cls(
            subject_id=subject_id,
            purpose=purpose,
            phone=phone,
            code_hash=code_hash(generation),
            generation=generation,
            issued_at=now,
            expires_at=now + ttl,
            resends=resends,
            sent_at=(*recent, now),
            delivered=True,
        )

    def sends_within(self, now: datetime, window: timedelta) -> tuple[datetime, ...]:
        """The sends of this subject less than ``window`` before ``now``."""
        return tuple(t for t in self.sent_at if now - t < window)

    def next_send_at(self, cooldown_after: Callable[[int], timedelta]) -> datetime:
        """When a new code may be sent; ``cooldown_after(resends)`` is the policy's wait."""
        if not self.delivered or not self.sent_at:
            # A failed send does not start a cooldown: resend works once the sender is back.
            return self.issued_at
        return self.sent_at[-1] + cooldown_after(self.resends)

    def is_live(self, now: datetime) -> bool:
        """Not used and not expired (attempts aside)."""
        return not self.used and now < self.expires_at

    def check(self, code_hash: str, *, now: datetime, max_attempts: int) -> OtpChallenge | None:
        """Check ``code_hash`` (the keyed hash of the code given) against the live code.

        The hashes are compared in constant time (:func:`hmac.compare_digest`).

        :return: ``None`` when it is the live code; for a wrong code, this
            record with the wrong try counted — store it, then raise its
            :meth:`refusal` (the count must commit with the refusal).
        :raises OtpError: ``expired`` (used or past its time) or ``dead`` (too
            many wrong tries): no try is counted.
        """
        if self.used:
            raise OtpError("expired")
        if self.attempts >= max_attempts:
            raise OtpError("dead")
        if now >= self.expires_at:
            raise OtpError("expired")
        if hmac.compare_digest(self.code_hash, code_hash):
            return None
        return self.after_wrong_code()

    def after_wrong_code(self) -> OtpChallenge:
        """This challenge with one more wrong try counted."""
        return attrs.evolve(self, attempts=self.attempts + 1)

    def refusal(self, max_attempts: int) -> OtpError:
        """The error a wrong code gets once counted on this record."""
        left = max_attempts - self.attempts
        return OtpError("invalid", attempts_left=left) if left > 0 else OtpError("dead")

    def with_failed_send(self, reason: str) -> OtpChallenge:
        """The last send failed: it does not count against the caps and resend works."""
        return attrs.evolve(self, delivered=False, sent_at=self.sent_at[:-1], last_failure=reason)

    def with_late_delivery(self, now: datetime) -> OtpChallenge:
        """A send recorded as failed went through on a later attempt (the durable outbox).

        Counted again as a send at ``now`` (it costs, and the cooldown runs from it).
        """
        if self.delivered:
            return self
        return attrs.evolve(self, delivered=True, sent_at=(*self.sent_at, now), last_failure=None)

    def spent(self) -> OtpChallenge:
        """The code was accepted: it never works again."""
        return attrs.evolve(self, used=True)


@frozen(kw_only=True)
class OutboxMessage:
    """One SMS waiting in the durable outbox, written in the transaction that needs it.

    ``id`` is also the idempotency key handed to the sender, so a message sent
    twice (a worker killed after the gateway took it) is deduplicated by the
    gateway. ``subject_id`` and ``generation`` tie a one-time code's message to
    its challenge: once the challenge moved on (a resend, a confirmation), the
    message is worthless and dropped instead of sent. ``to`` and ``text`` are
    personal data and a code: storage encrypts them, and the repr leaves ``text`` out.

    ``available_at`` is when the next attempt may run (retries are scheduled
    by moving it); ``claimed_until`` is the lease of the dispatcher that took
    it, after which another may (a killed worker's messages come back).
    """

    id: str
    to: str
    text: str = field(repr=False)
    created_at: datetime
    available_at: datetime
    expires_at: datetime | None = None
    subject_id: str | None = None
    generation: int | None = None
    purpose: str | None = None
    attempts: int = 0
    last_failure: str | None = None
    claimed_until: datetime | None = None
    channel: str = "sms"
    """``sms`` (``to`` is an E.164 number) or ``email`` (``to`` is an address; the
    first line of ``text`` is the subject, the rest the body)."""

    def due(self, now: datetime) -> bool:
        """Whether a dispatcher may take it at ``now``: available and not leased."""
        return self.available_at <= now and (
            self.claimed_until is None or self.claimed_until <= now
        )

    def claimed(self, now: datetime, lease: timedelta) -> OutboxMessage:
        """Taken by a dispatcher until ``now + lease``: one more attempt counted."""
        return attrs.evolve(self, claimed_until=now + lease, attempts=self.attempts + 1)

    def retry_at(self, moment: datetime, reason: str) -> OutboxMessage:
        """The attempt failed (``reason``): released, to be tried again at ``moment``."""
        return attrs.evolve(self, available_at=moment, claimed_until=None, last_failure=reason)


@frozen(kw_only=True)
class AccountRecord:
    id: str
    nik: str
    full_name: str
    email: str
    phone: str
    password_hash: str = field(repr=False)
    created_at: datetime
    password_changed_at: datetime
    active: bool = True


@frozen(kw_only=True)
class SessionRecord:
    id: str
    """HMAC of the session token: the token itself is never stored."""
    account_id: str
    created_at: datetime
    expires_at: datetime


@frozen(kw_only=True)
class PasswordResetRecord:
    id: str
    account_id: str | None
    """``None`` when the identifier matched no account: the request looks the same but can
    never succeed (the answer must not tell a stranger whether an account exists)."""
    generation: int | None
    """The generation of the account's reset code this request accepts (``None``: none sent)."""
    created_at: datetime
    expires_at: datetime
    used: bool = False


# --- cards, consent and the access ledger ---------------------------------------------


@frozen(kw_only=True)
class CardRecord:
    """A holder's SIAPkerja-ID card.

    ``card_ref`` is the opaque random number tokens carry (never the
    SIAPkerja-ID number or the NIK); ``version`` is bumped by re-issue and by
    rotation, and a link token of any older version is refused as revoked.
    """

    id: str
    account_id: str
    number: str
    """The SIAPkerja-ID number (``SK-XXXX-XXXX-XXC``)."""
    card_ref: int
    version: int
    issued_at: datetime
    updated_at: datetime
    revoked_at: datetime | None = None
    status_index: int | None = None
    """The card's entry in the published status list: random, unique, kept for life
    (``None`` only for a record made outside issuance)."""
    suspended_at: datetime | None = None
    """Set while the card is suspended (e.g. the holder restricted processing)."""

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def status(self) -> int:
        """The card's status-list entry: 0 valid, 1 revoked, 2 suspended (revoked wins)."""
        if self.revoked_at is not None:
            return 1
        return 0 if self.suspended_at is None else 2

    def suspended(self, now: datetime) -> CardRecord:
        """Suspended: its tokens are refused until it is resumed (the version is kept)."""
        return attrs.evolve(self, suspended_at=now, updated_at=now)

    def resumed(self, now: datetime) -> CardRecord:
        """No longer suspended."""
        return attrs.evolve(self, suspended_at=None, updated_at=now)

    def reissued(self, now: datetime) -> CardRecord:
        """Issued again: a new version (every older link QR dies), active again."""
        # A suspension outlives a re-issue: only resuming ends it.
        return attrs.evolve(self, version=self.version + 1, updated_at=now, revoked_at=None)

    def rotated(self, now: datetime) -> CardRecord:
        """A new version: the printed or shared link QR stops working at once."""
        return attrs.evolve(self, version=self.version + 1, updated_at=now)

    def revoked(self, now: datetime) -> CardRecord:
        """Revoked: every token of the card, link or access, is refused."""
        return attrs.evolve(self, revoked_at=now, updated_at=now)


def canonical_purpose(purpose: str) -> str:
    """A consent purpose as it is stored and compared: NFKC, casefolded, every run of
    white space one space, stripped. ``"Rekrutmen  2026 "`` and ``"ｒｅｋｒｕｔｍｅｎ 2026"``
    are both ``"rekrutmen 2026"``: one purpose, however it was typed.

    The one rule for the form; :func:`siapkerja_core.disclosure.normalize_purpose`
    also refuses control characters and empty or too long purposes.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", purpose).casefold())
    return " ".join(folded.split())


@frozen(kw_only=True)
class ConsentRecord:
    """The holder's recorded consent: ``verifier_id`` may see its scope's fields for ``purpose``.

    UU 27/2022 Pasal 22 and 24: consent is specific, recorded and provable;
    withdrawing it (Pasal 9) sets ``withdrawn_at`` and keeps the record.
    """

    id: str
    account_id: str
    verifier_id: str
    purpose: str
    fields: frozenset[str] | None
    """A subset of the verifier's scope the holder agreed to, or ``None`` for all of it."""
    granted_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def covers(self, verifier_id: str, purpose: str) -> bool:
        """Active, for this verifier and this purpose (compared in their canonical form)."""
        return (
            self.active
            and self.verifier_id == verifier_id
            and canonical_purpose(self.purpose) == canonical_purpose(purpose)
        )

    def withdrawn(self, now: datetime) -> ConsentRecord:
        """Withdrawn at ``now`` (UU 27/2022 Pasal 9); an already withdrawn one stays as it was."""
        return attrs.evolve(self, withdrawn_at=now) if self.active else self


@frozen(kw_only=True)
class AccessRecord:
    """One entry of the access ledger the holder can read ("rekam jejak pemrosesan").

    Who (``audience``, ``verifier_id``/``viewer_account_id``), when, which
    fields, for what purpose, through which channel (``link`` scan, ``access``
    check-in). It never holds a token.
    """

    id: str
    account_id: str
    at: datetime
    audience: str
    fields: tuple[str, ...]
    channel: str
    purpose: str | None = None
    verifier_id: str | None = None
    verifier_name: str | None = None
    viewer_account_id: str | None = None


ACCESS_CHANNELS: Final = frozenset({"link", "access", "aki", "sso"})
"""An :class:`AccessRecord`'s ``channel``: a link scan, an access-code check-in, an AK/I
officer's look-up, a release to a hub the holder signed in to with SIAPkerja."""

new_access_record = fast_constructor(AccessRecord)
"""Build an :class:`AccessRecord` on the scan path (every field by keyword, no defaults)."""


class AccessLedger(list[AccessRecord], Table):
    """The holder's access ledger: a list of :class:`AccessRecord` s, oldest first.

    Still a plain list (indexing, ``len``, iteration, comparing with a list);
    in a notebook it shows as a table, and :meth:`to_frame` gives a pandas
    DataFrame, one row an entry (``at`` as ``datetime64[ns, UTC]``).
    """

    __slots__ = ()

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("at", "datetime"),
        Column("audience"),
        Column("verifier_name"),
        Column("purpose"),
        Column("channel"),
        Column("fields", "list"),
        Column("verifier_id"),
        Column("viewer_account_id"),
        Column("account_id"),
        Column("id"),
    )
    TABLE_CAPTION: ClassVar[str | None] = "Rekam jejak akses / access ledger"

    def rows(self) -> list[dict[str, Any]]:
        """One dict an entry: the record's fields, enums as their values, ``fields`` a list."""
        return [
            {column.name: plain(getattr(record, column.name)) for column in self.COLUMNS}
            for record in self
        ]

    def to_dict(self) -> dict[str, Any]:
        """``{"entries": [...]}``: every entry JSON-ready (times in ISO 8601)."""
        return {"entries": [json_ready(row) for row in self.rows()]}


MAX_LEDGER_PAGE: Final = 500
"""The most entries one page of the holder's ledger holds."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_CURSOR: Final = 200
"""The longest cursor token read; anything longer is refused before it is decoded."""
_CURSOR_ID: Final = re.compile(r"[!-~]{1,128}")
_CURSOR_MICROS: Final = re.compile(r"-?[0-9]{1,18}")


@frozen
class LedgerCursor:
    """Where a page of the holder's ledger ended: the ``(at, id)`` of its last (oldest) entry.

    The next page is the entries strictly older in the ledger's order, newest first:
    ``at`` descending, then ``id`` descending, so entries of the same instant are
    neither skipped nor shown twice. As text (:meth:`token`) it is opaque to the
    holder: a URL-safe string that :meth:`parse` reads back, refusing anything it
    did not make (it only positions the holder's own ledger, so it needs no key).
    """

    at: datetime
    id: str

    @classmethod
    def after(cls, record: AccessRecord) -> LedgerCursor:
        """The cursor of the page whose last entry is ``record``."""
        return cls(at=record.at, id=record.id)

    def token(self) -> str:
        """The cursor as URL-safe text: microseconds since the epoch (UTC) and the id."""
        delta = self.at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        raw = f"{micros}:{self.id}".encode("ascii")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @classmethod
    def parse(cls, text: str) -> LedgerCursor:
        """Read back a :meth:`token`.

        :raises DisclosureError: ``cursor_invalid`` (not one this class made: not
            base64, no id, a time out of range, or longer than 200 characters).
        """
        from siapkerja_core.disclosure import DisclosureError  # it imports this module

        if not 0 < len(text) <= _MAX_CURSOR or not text.isascii():
            raise DisclosureError("cursor_invalid")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raise DisclosureError("cursor_invalid") from None
        micros, _, record_id = raw.partition(":")
        if _CURSOR_MICROS.fullmatch(micros) is None or _CURSOR_ID.fullmatch(record_id) is None:
            raise DisclosureError("cursor_invalid")
        try:
            at = _EPOCH + timedelta(microseconds=int(micros))
        except OverflowError:
            raise DisclosureError("cursor_invalid") from None
        return cls(at=at, id=record_id)


@frozen
class AccessLedgerPage:
    """One page of the holder's ledger, newest first, and where the next (older) one starts.

    ``next`` is ``None`` on the last page: no older entry exists (it is read, not
    guessed, so an "older" link never leads to an empty page).
    """

    entries: tuple[AccessRecord, ...]
    next: LedgerCursor | None = None
