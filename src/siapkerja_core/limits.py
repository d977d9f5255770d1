"""Every limit of the registration journey, in one policy object (:class:`JourneyPolicy`).

:class:`JourneyPolicy` holds the OTP lifecycle, the sending caps, the
verification and login throttles and the password rules. Its defaults are
documented with their sources (``shared/research/otp.md`` collects them):

* NIST SP 800-63B §5.1.3 / 800-63A rev 4 §5.1.6 — out-of-band codes of at
  least 20 bits (6 digits), valid at most 10 minutes, used once; at most 100
  consecutive failures per account, softened with growing waits (§5.2.2).
* Twilio Verify — 5 check attempts per code (error 60202), 5 sends per
  verification (60203), 10-minute validity.
* Auth0 / OWASP MFA Cheat Sheet — a resend issues a new code and invalidates
  the old one ("only the last OTP issued will be accepted").
* django-otp — 300-second token validity, 60-second resend cooldown.
* OWASP Authentication / Forgot-Password Cheat Sheets — generic answers,
  per-account throttling, caps on SMS because they cost money; "device
  cookies" so that a throttled account still lets its holder in from a
  device that signed in before (no lockout).
* OWASP Credential Stuffing Prevention Cheat Sheet — limits per client
  address and per network as well as per account, generous because many
  people share an address (carrier-grade NAT is the rule on Indonesian
  mobile networks).

Every cap is a :class:`~siapkerja_core.ports.Counters` window that opens
with its first attempt: an attempt takes a slot atomically *before* the
guessable work is done, so N concurrent attempts evaluate at most the cap,
and ``retry_after`` is the true time until an attempt is evaluated again.
:class:`Client` is where a request comes from (its address and the device
token a browser or app kept), passed by the web layer to the login.

A policy is validated when built: the OTP may not live longer than NIST's 10
minutes nor be shorter than 6 digits, and caps must be positive.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any, Final

import attrs
from attrs import field, frozen

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.passwords import PasswordPolicy

__all__ = ["MAX_OTP_LENGTH", "MIN_OTP_LENGTH", "Client", "JourneyPolicy"]

_NIST_MAX_OTP_TTL = timedelta(minutes=10)
MIN_OTP_LENGTH: Final = 6
"""The fewest digits a one-time code may have (NIST: at least 20 bits)."""
MAX_OTP_LENGTH: Final = 10
"""The most digits a one-time code may have (``JourneyPolicy.otp_length``)."""


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value <= (timedelta(0) if isinstance(value, timedelta) else 0):
        raise ConfigurationError("invalid", name=attribute.name, reason="must be positive")


@frozen(kw_only=True)
class JourneyPolicy:
    """Limits of the registration, OTP, login and recovery flows.

    Change one with ``attrs.evolve(JourneyPolicy(), otp_ttl=timedelta(minutes=3))``
    or pass keyword arguments; invalid combinations raise
    :class:`~siapkerja_core.errors.ConfigurationError` (``config.invalid``).
    """

    # --- the code itself -----------------------------------------------------
    otp_length: int = field(default=6, validator=_positive)
    """Digits per code. NIST 800-63A rev 4: a random 6-digit enrolment code (≥ 20 bits)."""

    otp_ttl: timedelta = field(default=timedelta(minutes=5), validator=_positive)
    """Validity of a code. django-otp: 300 s; NIST: at most 10 minutes (enforced)."""

    otp_max_attempts: int = field(default=5, validator=_positive)
    """Wrong entries before a code is dead. Twilio Verify: 5 (60202); Auth0: 3."""

    # --- sending ---------------------------------------------------------------
    resend_cooldown: timedelta = field(default=timedelta(seconds=60), validator=_positive)
    """Wait before the first resend. django-otp ``OTP_EMAIL_COOLDOWN_DURATION``: 60 s."""

    resend_cooldown_growth: int = field(default=2, validator=_positive)
    """Each further resend multiplies the wait (60 s, 120 s, 240 s …): NIST §5.2.2 growing waits."""

    resend_cooldown_max: timedelta = field(default=timedelta(minutes=15), validator=_positive)
    """Ceiling of the growing wait."""

    max_sends_per_hour: int = field(default=5, validator=_positive)
    """Codes sent for one registration or reset in a sliding hour. Twilio Verify: 5 (60203)."""

    max_sends_per_phone_per_day: int = field(default=10, validator=_positive)
    """Codes sent to one number per day (from the first send): SMS pumping costs money
    (OWASP MFA CS). Counted when the code is issued, delivered or not."""

    max_sends_per_nik_per_day: int = field(default=10, validator=_positive)
    """Codes sent on behalf of one NIK per day, whatever the number (phone hopping)."""

    # --- registration ----------------------------------------------------------
    registration_ttl: timedelta = field(default=timedelta(hours=24), validator=_positive)
    """A registration not confirmed within this time expires; the NIK may start again."""

    name_threshold: int = field(default=80)
    """Minimum name similarity (0–100) Dukcapil must report. "80" is what BPS's client sends."""

    max_verifications_per_nik_per_day: int = field(default=5, validator=_positive)
    """Failed Dukcapil checks per NIK per day, so a mother's name can't be found by repetition."""

    max_email_conflicts_per_nik_per_day: int = field(default=5, validator=_positive)
    """E-mails refused as taken per NIK per day: the contact step says at once that an
    e-mail has an account (no SMS spent on it), so without a cap a verified registrant
    could test address after address; with it, each five cost a new Dukcapil-verified
    identity."""

    # --- login and sessions -----------------------------------------------------
    max_login_failures: int = field(default=5, validator=_positive)
    """Failures per account — whichever of NIK, e-mail or phone is typed — before it is
    throttled (far below NIST's 100); an unknown identifier is counted alike, by its
    normalised spelling. The same cap applies per known device (OWASP device cookies)."""

    login_failure_window: timedelta = field(default=timedelta(minutes=15), validator=_positive)
    """Window the login failures are counted in; it opens with the first failure, and
    ``Retry-After`` says when it ends."""

    max_login_failures_per_address: int = field(default=30, validator=_positive)
    """Failures from one client address per window, whatever the account (OWASP
    Credential Stuffing CS: per-IP limits). Generous: many people share one address
    behind carrier-grade NAT."""

    max_login_failures_per_network: int = field(default=100, validator=_positive)
    """Failures from one network (IPv4 /24, IPv6 /56) per window: an attacker rotating
    addresses within one allocation (OWASP Credential Stuffing CS)."""

    session_ttl: timedelta = field(default=timedelta(hours=12), validator=_positive)
    """Lifetime of a session started by login, confirmation or reset."""

    reset_ttl: timedelta = field(default=timedelta(minutes=30), validator=_positive)
    """Lifetime of a password-reset request (its code lives ``otp_ttl`` as always)."""

    password: PasswordPolicy = field(factory=PasswordPolicy.nist)
    """Password rules: NIST 800-63B by default; ``PasswordPolicy.siapkerja()`` for SIAPkerja's."""

    @otp_ttl.validator
    def _nist_ttl(self, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
        if value > _NIST_MAX_OTP_TTL:
            raise ConfigurationError(
                "invalid", name="otp_ttl", reason="NIST SP 800-63B allows at most 10 minutes"
            )

    @otp_length.validator
    def _min_length(self, attribute: attrs.Attribute[int], value: int) -> None:
        if not MIN_OTP_LENGTH <= value <= MAX_OTP_LENGTH:
            raise ConfigurationError(
                "invalid",
                name="otp_length",
                reason=f"between {MIN_OTP_LENGTH} and {MAX_OTP_LENGTH} digits (NIST: ≥ 20 bits)",
            )

    @name_threshold.validator
    def _threshold(self, attribute: attrs.Attribute[int], value: int) -> None:
        if not 1 <= value <= 100:
            raise ConfigurationError("invalid", name="name_threshold", reason="between 1 and 100")

    def cooldown_after(self, resends: int) -> timedelta:
        """The wait before the next send, after ``resends`` resends so far."""
        factor: int = self.resend_cooldown_growth ** min(resends, 32)
        wait: timedelta = self.resend_cooldown * factor
        return min(wait, self.resend_cooldown_max)


def _network_of(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 56
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


@frozen(kw_only=True)
class Client:
    """Where a sign-in comes from: the client's address and the device token it kept.

    :param address: the client's IP address as the web server saw it
        (``request.client.host``); ``None`` when unknown (a library call).
    :param device: the device token a previous successful sign-in returned
        (a long-lived cookie or the app's storage); ``None`` for a new device.
    """

    address: str | None = None
    device: str | None = field(default=None, repr=False)

    @property
    def network(self) -> str | None:
        """The address's network: its IPv4 /24 or IPv6 /56 (``None`` if not an IP address)."""
        return None if self.address is None else _network_of(self.address)

    @property
    def canonical_address(self) -> str | None:
        """The address in one spelling (an IPv4-mapped IPv6 address as IPv4)."""
        if self.address is None:
            return None
        try:
            parsed = ipaddress.ip_address(self.address.strip().split("%")[0])
        except ValueError:
            return self.address.strip()
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(parsed)
