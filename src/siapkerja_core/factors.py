"""Second factors beyond SMS: authenticator apps (TOTP), recovery codes and passkeys.

The values of issue 16's "factors beyond SMS" (``docs/factors.md``):

* :class:`FactorRecord` — one stored factor of an account: an authenticator
  app's secret (``totp``, RFC 6238), the hashes of its recovery codes
  (``recovery_codes``), a passkey's public key (``passkey``, WebAuthn), or the
  single-use state of a WebAuthn ceremony (``webauthn_challenge``, internal).
  Its ``repr`` never shows the secret.
* :func:`totp_step` and :func:`match_totp` — the RFC 6238 check through
  :mod:`pyotp`: a code of the current 30-second step or one step either side,
  and never one of a step at or before the last one accepted (no replay).
* :func:`new_recovery_code` / :func:`clean_recovery_code` — ten-character
  groups of an alphabet without look-alikes, 60 bits each.
* :class:`FactorError` (``factor.*``) and the events ``factor.enrolled``,
  ``factor.removed``, ``recovery_codes.generated``, ``recovery_code.used``.

The services that use them are in :mod:`siapkerja_core.services.factors`.
"""

from __future__ import annotations

import base64
import enum
import hmac
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Final

import attrs
import pyotp
from attrs import frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent

__all__ = [
    "RECOVERY_ALPHABET",
    "RECOVERY_CODE_COUNT",
    "TOTP_DIGITS",
    "TOTP_PERIOD",
    "FactorEnrolled",
    "FactorError",
    "FactorKind",
    "FactorRecord",
    "FactorRemoved",
    "FactorStatus",
    "FactorSummary",
    "RecoveryCodeUsed",
    "RecoveryCodes",
    "RecoveryCodesGenerated",
    "TotpEnrolment",
    "clean_recovery_code",
    "match_totp",
    "new_recovery_code",
    "new_totp_secret",
    "provisioning_uri",
    "totp_step",
]

TOTP_PERIOD: Final = 30
"""Seconds per TOTP step (RFC 6238 §4: the default every authenticator app uses)."""
TOTP_DIGITS: Final = 6
"""Digits per TOTP code (RFC 4226 §5.3; Google Authenticator shows six)."""
RECOVERY_CODE_COUNT: Final = 10
"""Recovery codes per set (GitHub and Google give 10)."""
RECOVERY_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"
"""Crockford's base32 in lower case: 32 symbols (5 bits a character), no I, L, O or U;
a typed ``o`` reads as ``0`` and ``i`` or ``l`` as ``1``."""
_LOOK_ALIKES: Final = str.maketrans({"o": "0", "i": "1", "l": "1"})


class FactorKind(enum.Enum):
    TOTP = "totp"
    PASSKEY = "passkey"
    RECOVERY_CODES = "recovery_codes"
    CHALLENGE = "webauthn_challenge"
    """The single-use state of a WebAuthn ceremony, not a factor the holder sees."""


class FactorStatus(enum.Enum):
    PENDING = "pending"
    """Started, not confirmed (an authenticator app before its first right code)."""
    ACTIVE = "active"


@frozen(kw_only=True)
class FactorRecord:
    """One stored factor (or ceremony state) of an account.

    :param secret: the TOTP secret (base32) or the ceremony's challenge;
        encrypted at rest by the SQL storage, never in ``repr``.
    :param last_step: the TOTP step of the last code accepted (replay guard).
    :param code_hashes: the keyed hashes of the recovery codes still unused.
    :param credential_id: a passkey's credential id (base64url).
    :param public_key: a passkey's COSE public key (base64url).
    :param sign_count: the authenticator's signature counter last seen.
    :param expires_at: when a pending record or a ceremony state lapses.
    """

    id: str
    account_id: str
    kind: FactorKind
    status: FactorStatus = FactorStatus.ACTIVE
    label: str = ""
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    last_step: int | None = None
    code_hashes: tuple[str, ...] = attrs.field(default=(), repr=False)
    credential_id: str | None = None
    public_key: str | None = attrs.field(default=None, repr=False)
    sign_count: int = 0
    transports: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status is FactorStatus.ACTIVE and self.kind is not FactorKind.CHALLENGE


@frozen(kw_only=True)
class FactorSummary:
    """What the holder sees of one factor: no secret, no hash, no key."""

    id: str
    kind: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    remaining: int | None = None
    """Recovery codes left (``recovery_codes`` only)."""

    @classmethod
    def of(cls, record: FactorRecord) -> FactorSummary:
        remaining = len(record.code_hashes) if record.kind is FactorKind.RECOVERY_CODES else None
        return cls(
            id=record.id,
            kind=record.kind.value,
            label=record.label,
            created_at=record.created_at,
            last_used_at=record.last_used_at,
            remaining=remaining,
        )


@frozen(kw_only=True)
class TotpEnrolment:
    """A started authenticator enrolment: shown once, to the holder only.

    :param secret: the base32 key to type into the app by hand.
    :param uri: the ``otpauth://`` provisioning URI the QR encodes.
    :param qr_svg: that QR as an SVG document.
    """

    factor_id: str
    secret: str = attrs.field(repr=False)
    uri: str = attrs.field(repr=False)
    qr_svg: str = attrs.field(repr=False)
    expires_at: datetime

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@frozen(kw_only=True)
class RecoveryCodes:
    """A new set of recovery codes: shown once, stored only hashed."""

    codes: tuple[str, ...] = attrs.field(repr=False)
    generated_at: datetime


class FactorError(SiapkerjaError):
    """A factor cannot be enrolled, checked or removed.

    ``invalid_code``: the code is wrong, replayed or expired (one message).
    ``throttled``: too many wrong codes (``retry_after``). ``not_found``: no
    such factor of the account. ``no_enrolment``: no authenticator enrolment
    is waiting for its first code. ``passkey_failed``: the authenticator's
    answer did not verify. ``passkeys_unavailable``: the passkey adapter
    (``siapkerja[web]``'s py_webauthn) is not installed.
    """

    domain = "factor"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid_code",
            "throttled",
            "not_found",
            "no_enrolment",
            "passkey_failed",
            "passkeys_unavailable",
        }
    )

    @property
    def retry_after(self) -> int | None:
        value = self.params.get("retry_after")
        return value if isinstance(value, int) else None


# --- TOTP (RFC 6238) --------------------------------------------------------------------


def new_totp_secret(token_bytes: Callable[[int], bytes]) -> str:
    """A new 160-bit secret in base32 (RFC 4226 §4 recommends 160 bits)."""
    return base64.b32encode(token_bytes(20)).decode("ascii").rstrip("=")


def totp_step(moment: datetime) -> int:
    """The RFC 6238 time step of ``moment`` (``T = floor(unix time / 30)``)."""
    return int(moment.timestamp()) // TOTP_PERIOD


def _clean_digits(code: str) -> str:
    text = unicodedata.normalize("NFKC", str(code))
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def match_totp(secret: str, code: str, now: datetime, *, last_step: int | None) -> int | None:
    """The step ``code`` belongs to, or ``None``: a wrong, stale or replayed code.

    Accepts the current step and one either side (RFC 6238 §5.2 recommends at
    most one step of network delay, and phones' clocks drift); refuses a step
    at or before ``last_step``, the last one accepted: a code works once, and
    no code older than a used one works at all.
    """
    given = _clean_digits(code)
    if len(given) != TOTP_DIGITS or not given.isascii() or not given.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    current = totp_step(now)
    found = None
    for step in (current - 1, current, current + 1):  # every step compared: no timing tell
        if hmac.compare_digest(totp.generate_otp(step), given) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def provisioning_uri(secret: str, *, issuer: str, label: str) -> str:
    """The ``otpauth://totp/`` URI of Google Authenticator's Key Uri Format."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).provisioning_uri(
        name=label, issuer_name=issuer
    )


# --- recovery codes -------------------------------------------------------------------------

_GROUP: Final = 4
_LENGTH: Final = 12


def new_recovery_code(randbelow: Callable[[int], int]) -> str:
    """A code of 12 characters of :data:`RECOVERY_ALPHABET` (60 bits), as ``xxxx-xxxx-xxxx``."""
    size = len(RECOVERY_ALPHABET)
    chars = "".join(RECOVERY_ALPHABET[randbelow(size)] for _ in range(_LENGTH))
    return "-".join(chars[i : i + _GROUP] for i in range(0, _LENGTH, _GROUP))


def clean_recovery_code(code: str) -> str | None:
    """A typed recovery code in one spelling (lower case, no spaces or dashes), or ``None``."""
    text = unicodedata.normalize("NFKC", str(code)).casefold().translate(_LOOK_ALIKES)
    cleaned = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if len(cleaned) != _LENGTH or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


# --- events -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FactorEnrolled(DomainEvent):
    """A factor became active: an authenticator app confirmed, a passkey registered."""

    name: ClassVar[str] = "factor.enrolled"
    account_id: str
    kind: str


@attrs.frozen(kw_only=True)
class FactorRemoved(DomainEvent):
    """A factor was removed, by the holder or by an officer (``by``)."""

    name: ClassVar[str] = "factor.removed"
    account_id: str
    kind: str
    by: str = "holder"


@attrs.frozen(kw_only=True)
class RecoveryCodesGenerated(DomainEvent):
    """A new set of recovery codes replaced any earlier one."""

    name: ClassVar[str] = "recovery_codes.generated"
    account_id: str
    kind: str = "recovery_codes"
    count: int = RECOVERY_CODE_COUNT


@attrs.frozen(kw_only=True)
class RecoveryCodeUsed(DomainEvent):
    """A recovery code was spent (sign-in or password reset); ``remaining`` left."""

    name: ClassVar[str] = "recovery_code.used"
    account_id: str
    kind: str = "recovery_codes"
    remaining: int
