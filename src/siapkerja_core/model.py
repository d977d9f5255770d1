"""The journey's records (what storage keeps) and views (what callers get back).

Records are what a storage adapter persists: plain, frozen attrs objects with
no behaviour, changed with :func:`attrs.evolve`. They never hold a secret in
the clear: passwords are Argon2id hashes, OTP codes and session tokens are
keyed HMACs, and the mother's maiden name is not kept at all — it is needed
only for the one Dukcapil check.

Views are what the facade returns: :class:`Registration`, :class:`Account`,
:class:`Session`, :class:`PasswordResetRequest`. They carry no hash; their
``repr`` masks the NIK, e-mail and phone so that a log line or a traceback
does not spread them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from attrs import field, frozen

from siapkerja_core._fastinit import fast_constructor
from siapkerja_core.contact import mask_email, mask_phone

__all__ = [
    "AccessRecord",
    "Account",
    "AccountRecord",
    "CardRecord",
    "ConsentRecord",
    "OtpChallenge",
    "OtpPurpose",
    "OtpState",
    "PasswordResetRecord",
    "PasswordResetRequest",
    "Registration",
    "RegistrationRecord",
    "RegistrationStatus",
    "Session",
    "SessionRecord",
    "mask_nik",
]


def mask_nik(nik: str) -> str:
    """First four and last two digits only (see :meth:`siapkerja_core.Nik.masked`)."""
    return f"{nik[:4]}{'*' * 10}{nik[14:]}"


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


# --- records -------------------------------------------------------------------


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


# --- views -----------------------------------------------------------------------


@frozen(kw_only=True)
class OtpState:
    """What a verification screen shows: when the code dies and when a new one may be asked."""

    expires_at: datetime
    attempts_left: int
    resend_available_at: datetime
    sends_left_this_hour: int
    delivered: bool
    """False if the last send failed (``Registration.sms_failure`` says why); resend works."""


@frozen(kw_only=True, repr=False)
class Registration:
    """A registration in progress, as the caller sees it."""

    id: str
    status: RegistrationStatus
    nik: str
    full_name: str
    created_at: datetime
    expires_at: datetime
    email: str | None = None
    phone: str | None = None
    otp: OtpState | None = None
    sms_failure: str | None = None
    account_id: str | None = None

    @property
    def phone_masked(self) -> str | None:
        return None if self.phone is None else mask_phone(self.phone)

    def __repr__(self) -> str:
        return (
            f"Registration(id={self.id!r}, status={self.status.value!r}, "
            f"nik={mask_nik(self.nik)!r}, phone={self.phone_masked!r})"
        )


@frozen(kw_only=True)
class Session:
    """A signed-in session. ``token`` is the bearer secret: shown once, stored only hashed."""

    token: str = field(repr=False)
    account_id: str
    expires_at: datetime


@frozen(kw_only=True, repr=False)
class Account:
    """An active account. ``session`` is set when the call that returned it signed the user in."""

    id: str
    nik: str
    full_name: str
    email: str
    phone: str
    created_at: datetime
    session: Session | None = None

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def email_masked(self) -> str:
        return mask_email(self.email)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def __repr__(self) -> str:
        return (
            f"Account(id={self.id!r}, nik={self.nik_masked!r}, "
            f"email={self.email_masked!r}, phone={self.phone_masked!r})"
        )


@frozen(kw_only=True)
class PasswordResetRequest:
    """The answer to a reset request — identical in shape whether or not the account exists."""

    id: str
    expires_at: datetime
    message_id: str = (
        "Jika data Anda terdaftar, kode verifikasi telah dikirim ke nomor handphone akun Anda."
    )
    message_en: str = (
        "If your details are registered, a verification code was sent to your account's phone."
    )


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

    @property
    def active(self) -> bool:
        return self.revoked_at is None


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


new_access_record = fast_constructor(AccessRecord)
"""Build an :class:`AccessRecord` on the scan path (every field by keyword, no defaults)."""
