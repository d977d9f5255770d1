"""What the facade returns about registrations and accounts: views, never records.

:class:`Registration`, :class:`Account`, :class:`Session`,
:class:`PasswordResetRequest` and :class:`OtpState` carry no hash; their
``repr`` masks the NIK, e-mail and phone so that a log line or a traceback
does not spread them. Services build them from records
(:mod:`siapkerja_core.records`).
"""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from siapkerja_core.contact import mask_email, mask_phone
from siapkerja_core.i18n import text
from siapkerja_core.names import without_invisible
from siapkerja_core.records import AccountRecord, RegistrationStatus

__all__ = [
    "Account",
    "OtpState",
    "PasswordResetRequest",
    "Registration",
    "Session",
    "mask_name",
    "mask_nik",
]


def mask_nik(nik: str) -> str:
    """First four and last two digits only (see :meth:`siapkerja_core.Nik.masked`)."""
    return f"{nik[:4]}{'*' * 10}{nik[14:]}"


def mask_name(full_name: str) -> str:
    """The given name whole, every later word as its initial: ``"H. Galih A. P."``.

    Degrees after a comma (``", S.Kom."``) are left out and titles before the
    name (``"H."``, ``"M."``) kept as written. Enough for a gate to match a
    face to the person in front of it, not enough to write down who came
    (the full name stays on the server). Invisible characters a name stored
    before they were refused may hold (a bidi override) are left out.
    """
    words = without_invisible(full_name).split(",")[0].split()
    shown: list[str] = []
    named = False
    for word in words:
        if named:
            shown.append(f"{word[0]}.")
        else:
            shown.append(word)
            named = not word.endswith(".")
    return " ".join(shown)


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
    secret: str | None = field(default=None, repr=False)
    """Set at step 1 only: what proves a later call comes from whoever started the
    registration (:meth:`~siapkerja_core.service.Siapkerja.check_registration_secret`)."""

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
    device_token: str | None = field(default=None, repr=False)
    """Set by a password sign-in: the secret a browser keeps in a long-lived cookie (an app
    in its storage) and sends with later sign-ins (:class:`~siapkerja_core.limits.Client`),
    so that a throttled account still lets its holder in from this device."""


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

    @classmethod
    def from_record(cls, record: AccountRecord, session: Session | None = None) -> Account:
        """The view of a stored account (no password hash), signed in if ``session`` is given."""
        return cls(
            id=record.id,
            nik=record.nik,
            full_name=record.full_name,
            email=record.email,
            phone=record.phone,
            created_at=record.created_at,
            session=session,
        )

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
    message_id: str = field(factory=lambda: text("recovery.reset_sent", "id"))
    message_en: str = field(factory=lambda: text("recovery.reset_sent", "en"))
