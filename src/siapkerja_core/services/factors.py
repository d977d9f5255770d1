"""Second factors: enrolling and checking authenticator apps, recovery codes and passkeys.

* :class:`FactorChecks` — what the sign-in needs: whether an account has an
  active factor, the short-lived *pending sign-in* token given once the
  password was right, and spending a code (an authenticator code or a
  recovery code) or a passkey assertion. Every try takes a slot of the
  account's factor throttle *before* the code is compared (as the OTP caps
  do), so N concurrent guesses evaluate at most the cap; a right code gives
  its slot back. An authenticator code is refused for a step at or before the
  last accepted one (no replay), a recovery code is removed as it is spent.
* :class:`Factors` — the holder's and the officer's use cases, ``svc.factors``:
  enrol an authenticator (start → secret, ``otpauth://`` URI and QR; confirm
  → the first right code activates it), generate recovery codes (shown once,
  stored as keyed HMACs; a new set replaces the old), register, list and
  remove passkeys (through the :class:`~siapkerja_core.ports.webauthn.WebAuthnCeremonies`
  port), list and remove factors, the second sign-in step, the password reset
  by factor, and an officer's reset after an in-person check (audited).

A WebAuthn ceremony's challenge is stored server-side as a ``webauthn_challenge``
record of the account, encrypted at rest, and deleted by the transaction that
uses it: single-use, and it lapses after ``FactorPolicy.challenge_ttl``.
"""

from __future__ import annotations

import base64
import builtins
import hmac
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from siapkerja_core.contact import mask_email
from siapkerja_core.errors import LoginError
from siapkerja_core.factors import (
    RECOVERY_CODE_COUNT,
    FactorEnrolled,
    FactorError,
    FactorKind,
    FactorRecord,
    FactorRemoved,
    FactorStatus,
    FactorSummary,
    RecoveryCodes,
    RecoveryCodesGenerated,
    RecoveryCodeUsed,
    TotpEnrolment,
    clean_recovery_code,
    match_totp,
    new_recovery_code,
    new_totp_secret,
    provisioning_uri,
)
from siapkerja_core.ports import Counters, Transaction
from siapkerja_core.ports.webauthn import WebAuthnCeremonies, WebAuthnRefused
from siapkerja_core.records import AccountRecord
from siapkerja_core.render.qr import make_qr, qr_svg
from siapkerja_core.services.context import ServiceContext, whole_seconds
from siapkerja_core.views import Account

if TYPE_CHECKING:
    from siapkerja_core.services.sign_in import SignIn

__all__ = [
    "FactorChecks",
    "FactorFailed",
    "FactorPolicy",
    "FactorRequired",
    "Factors",
    "PasskeyOptions",
]


@frozen(kw_only=True)
class FactorPolicy:
    """The limits of the factors (defaults with their reasons in ``docs/factors.md``)."""

    max_failures: int = 5
    """Wrong factor codes per account per window (as ``max_login_failures``)."""
    failure_window: timedelta = timedelta(minutes=15)
    enrolment_ttl: timedelta = timedelta(minutes=15)
    """How long a started authenticator enrolment waits for its first code."""
    challenge_ttl: timedelta = timedelta(minutes=5)
    """How long a WebAuthn ceremony's challenge lives (WebAuthn L3 suggests 5 minutes)."""
    pending_ttl: timedelta = timedelta(minutes=5)
    """How long the second step of a sign-in may wait after the password was right."""


class FactorRequired(LoginError):
    """The password was right and the account asks for a second factor.

    ``kinds``: the factors the holder may use (``totp``, ``recovery_codes``,
    ``passkey``). :attr:`pending` is the token of this sign-in's second step
    (not a param: params are shown, and it is a bearer value for five minutes).
    """

    codes = frozenset({"factor_required"})

    def __init__(self, code: str, *, pending: str = "", **params: object) -> None:
        super().__init__(code, **params)
        self.pending = pending

    @property
    def kinds(self) -> tuple[str, ...]:
        value = self.params.get("kinds", ())
        return tuple(value) if isinstance(value, tuple | list) else ()


class FactorFailed(LoginError):
    """The second step failed: a wrong, replayed or spent code, or a passkey that
    did not verify, or a pending sign-in that lapsed (one message for every cause)."""

    codes = frozenset({"factor_failed"})


@frozen(kw_only=True)
class PasskeyOptions:
    """A WebAuthn ceremony begun: its id (send it back) and the options JSON for the browser."""

    ceremony_id: str
    options: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FactorChecks:
    """Checking factors during sign-in and reset (see the module docstring).

    :param ctx: the shared service context.
    :param counters: the slots of the per-account factor throttle.
    """

    def __init__(
        self, ctx: ServiceContext, *, counters: Counters, policy: FactorPolicy | None = None
    ) -> None:
        self.ctx = ctx
        self.counters = counters
        self.policy = policy or FactorPolicy()
        self.webauthn: WebAuthnCeremonies | None = None
        self.rp_id = "localhost"
        self.origin = "http://localhost"

    # --- what an account has ------------------------------------------------------------

    @staticmethod
    def active(tx: Transaction, account_id: str) -> list[FactorRecord]:
        """The account's active factors (a recovery-code set with no code left is not)."""
        return [
            record
            for record in tx.factors.for_account(account_id)
            if record.active
            and not (record.kind is FactorKind.RECOVERY_CODES and not record.code_hashes)
        ]

    def kinds(self, account_id: str) -> tuple[str, ...]:
        """The kinds of the account's active factors, in a stable order."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            return self.kinds_in(tx, account_id)

    def kinds_in(self, tx: Transaction, account_id: str) -> tuple[str, ...]:
        """:meth:`kinds`, read in ``tx``."""
        found = {record.kind.value for record in self.active(tx, account_id)}
        return tuple(kind.value for kind in FactorKind if kind.value in found)

    def required(self, account_id: str) -> tuple[str, ...]:
        """The kinds a sign-in may use as its second step; empty: no second step.

        Recovery codes alone do not ask for one: they are the fallback of a
        factor, not a factor of their own.
        """
        with self.ctx.storage.transaction(read_only=True) as tx:
            return self.required_in(tx, account_id)

    def required_in(self, tx: Transaction, account_id: str) -> tuple[str, ...]:
        """:meth:`required`, read in ``tx``."""
        kinds = self.kinds_in(tx, account_id)
        if FactorKind.TOTP.value in kinds or FactorKind.PASSKEY.value in kinds:
            return kinds
        return ()

    # --- the pending sign-in ---------------------------------------------------------------

    def _pending_mac(self, account: AccountRecord, expires: str, nonce: str) -> str:
        changed = account.password_changed_at.isoformat()
        return self.ctx.mac("pending-sign-in", account.id, expires, nonce, changed)

    def pending_token(self, account: AccountRecord, now: datetime) -> str:
        """A token for the second step: the account, an expiry and an HMAC bound to the
        password (a reset ends every pending sign-in). Holds no secret of the holder."""
        expires = str(int((now + self.policy.pending_ttl).timestamp()))
        nonce = self.ctx.entropy.token_bytes(12).hex()
        return f"{account.id}.{expires}.{nonce}.{self._pending_mac(account, expires, nonce)}"

    def pending_account(self, token: str, now: datetime) -> AccountRecord | None:
        """The active account of a live pending token, else ``None``."""
        parts = str(token).split(".")
        if len(parts) != 4 or len(token) > 300 or not parts[1].isdigit():
            return None
        account_id, expires, nonce, mac = parts
        if int(expires) <= now.timestamp():
            return None
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = tx.accounts.get(account_id)
        if account is None or not account.active:
            return None
        if not hmac.compare_digest(mac, self._pending_mac(account, expires, nonce)):
            return None
        return account

    # --- codes -----------------------------------------------------------------------------

    def _throttle_key(self, subject: str) -> str:
        return self.ctx.counter_key("factor-fail", subject)

    def recovery_hash(self, account_id: str, cleaned: str) -> str:
        return self.ctx.mac("recovery-code", account_id, cleaned)

    def spend_code(self, account_id: str | None, code: str, *, subject: str | None = None) -> str:
        """Spend an authenticator or recovery code of the account; the kind it was.

        The try takes a slot of the account's factor throttle first (``subject``
        names the throttle of an unknown account, so one is throttled alike).

        :raises FactorError: ``factor.throttled`` (``retry_after``) or
            ``factor.invalid_code`` (wrong, replayed, spent, or no such factor).
        """
        now = self.ctx.clock()
        key = self._throttle_key(f"account:{account_id}" if account_id else f"{subject}")
        window = self.policy.failure_window
        hit = self.counters.hit(key, limit=self.policy.max_failures, window=window, now=now)
        if not hit.allowed:
            raise FactorError("throttled", retry_after=whole_seconds(hit.retry_after))
        with self.ctx.storage.transaction(read_only=True) as tx:
            records = self.active(tx, account_id or "-")
        if account_id is None:  # the work of an account without factors: no timing tell
            self.recovery_hash("-", clean_recovery_code(code) or "-")
            kind = None
        else:
            kind = self._try_spend(account_id, records, code, now)
        if kind is None:
            raise FactorError("invalid_code")  # the slot is kept: a failure counts
        self.counters.release(key, window=window, now=now)
        return kind

    def _try_spend(
        self, account_id: str, records: list[FactorRecord], code: str, now: datetime
    ) -> str | None:
        for record in records:
            if record.kind is FactorKind.TOTP and record.secret is not None:
                step = match_totp(record.secret, code, now, last_step=record.last_step)
                if step is not None and self._store_step(record.id, step, now):
                    return FactorKind.TOTP.value
        cleaned = clean_recovery_code(code)
        if cleaned is None:
            return None
        given = self.recovery_hash(account_id, cleaned)
        for record in records:
            if record.kind is FactorKind.RECOVERY_CODES:
                remaining = self._strike_code(record.id, given, now)
                if remaining is not None:
                    self.ctx.emit(
                        RecoveryCodeUsed(
                            occurred_at=now, account_id=account_id, remaining=remaining
                        )
                    )
                    return FactorKind.RECOVERY_CODES.value
        return None

    def _store_step(self, factor_id: str, step: int, now: datetime) -> bool:
        """Record ``step`` as the last accepted, unless a concurrent use got there first."""
        with self.ctx.storage.transaction() as tx:
            current = tx.factors.get(factor_id)  # locked: a racing use of the code waits
            if current is None or not current.active:
                return False
            if current.last_step is not None and step <= current.last_step:
                return False
            tx.factors.put(attrs.evolve(current, last_step=step, last_used_at=now))
        return True

    def _strike_code(self, factor_id: str, given: str, now: datetime) -> int | None:
        """Remove the code with hash ``given`` from the set; the codes left, or ``None``."""
        with self.ctx.storage.transaction() as tx:
            current = tx.factors.get(factor_id)
            if current is None or not current.active:
                return None
            matches = [h for h in current.code_hashes if hmac.compare_digest(h, given)]
            if not matches:
                return None
            left = tuple(h for h in current.code_hashes if h != matches[0])
            tx.factors.put(attrs.evolve(current, code_hashes=left, last_used_at=now))
        return len(left)

    # --- passkeys ----------------------------------------------------------------------------

    def ceremonies(self) -> WebAuthnCeremonies:
        if self.webauthn is None:
            raise FactorError("passkeys_unavailable")
        return self.webauthn

    def begin_ceremony(self, tx: Transaction, account_id: str, purpose: str) -> tuple[str, bytes]:
        """A new single-use challenge of the account, stored in ``tx``: (ceremony id, bytes)."""
        now = self.ctx.clock()
        for record in tx.factors.for_account(account_id):  # lapsed ceremonies go
            if record.kind is FactorKind.CHALLENGE and (
                record.expires_at is None or record.expires_at <= now
            ):
                tx.factors.delete(record.id)
        challenge = self.ctx.entropy.token_bytes(32)
        ceremony = FactorRecord(
            id=self.ctx.new_id(),
            account_id=account_id,
            kind=FactorKind.CHALLENGE,
            status=FactorStatus.PENDING,
            label=purpose,
            created_at=now,
            expires_at=now + self.policy.challenge_ttl,
            secret=_b64(challenge),
        )
        tx.factors.put(ceremony)
        return ceremony.id, challenge

    def take_ceremony(self, account_id: str, ceremony_id: str, purpose: str) -> bytes | None:
        """The challenge of a live ceremony of the account, deleted as it is read (single use)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.factors.get(str(ceremony_id))
            if record is None or record.kind is not FactorKind.CHALLENGE:
                return None
            tx.factors.delete(record.id)
        if (
            record.account_id != account_id
            or record.label != purpose
            or record.secret is None
            or record.expires_at is None
            or record.expires_at <= now
        ):
            return None
        return _unb64(record.secret)

    def authentication_options(self, account_id: str) -> PasskeyOptions:
        ceremonies = self.ceremonies()
        with self.ctx.storage.transaction() as tx:
            allow = [
                _unb64(record.credential_id)
                for record in self.active(tx, account_id)
                if record.kind is FactorKind.PASSKEY and record.credential_id
            ]
            ceremony_id, challenge = self.begin_ceremony(tx, account_id, "authentication")
        options = ceremonies.authentication_options(
            rp_id=self.rp_id, challenge=challenge, allow=allow
        )
        return PasskeyOptions(ceremony_id=ceremony_id, options=options)

    def spend_passkey(self, account_id: str, ceremony_id: str, credential: str) -> bool:
        """Whether ``credential`` (a ``get()`` answer) is a live assertion by one of the
        account's passkeys for the ceremony; stores its new signature counter."""
        ceremonies = self.ceremonies()
        now = self.ctx.clock()
        challenge = self.take_ceremony(account_id, ceremony_id, "authentication")
        if challenge is None:
            return False
        try:
            raw_id = _b64(ceremonies.credential_id(credential))
        except WebAuthnRefused:
            return False
        with self.ctx.storage.transaction(read_only=True) as tx:
            found = [
                r
                for r in self.active(tx, account_id)
                if r.kind is FactorKind.PASSKEY and r.credential_id == raw_id
            ]
        if not found or found[0].public_key is None:
            return False
        record = found[0]
        try:
            count = ceremonies.verify_authentication(
                credential=credential,
                challenge=challenge,
                rp_id=self.rp_id,
                origin=self.origin,
                public_key=_unb64(record.public_key or ""),
                sign_count=record.sign_count,
            )
        except WebAuthnRefused:
            return False
        with self.ctx.storage.transaction() as tx:
            current = tx.factors.get(record.id)
            if current is None or not current.active:
                return False
            if (count or current.sign_count) and count <= current.sign_count:
                return False  # a concurrent assertion of the same counter: a clone's tell
            tx.factors.put(attrs.evolve(current, sign_count=count, last_used_at=now))
        return True


class Factors:
    """The holder's factors and the officer's reset: ``svc.factors``.

    :param ctx: the shared service context.
    :param checks: the sign-in's checks (shared, so both see the same adapter).
    :param issuer: the name authenticator apps show (the brand, "SIAPkerja").
    :param sign_in: the sign-in service (its second step and reset by factor).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        checks: FactorChecks,
        issuer: str,
        sign_in: SignIn,
    ) -> None:
        self.ctx = ctx
        self.checks = checks
        self.issuer = issuer
        self.sign_in = sign_in

    # --- signing in and recovering with a factor -------------------------------------------

    def complete_login(
        self,
        pending: str,
        *,
        code: str | None = None,
        ceremony_id: str | None = None,
        passkey: str | None = None,
    ) -> Account:
        """The second step of a sign-in that raised :class:`FactorRequired`.

        Give the error's ``pending`` token and either an authenticator or
        recovery ``code``, or a passkey's assertion (``passkey``: the JSON of
        ``navigator.credentials.get``) for the ceremony of
        :meth:`passkey_sign_in_options`.

        :raises LoginError: ``login.factor_failed`` or ``login.throttled``.
        """
        return self.sign_in.complete_login(
            pending, code=code, ceremony_id=ceremony_id, passkey=passkey
        )

    def passkey_sign_in_options(self, pending: str) -> PasskeyOptions:
        """Begin a passkey assertion for a pending sign-in (options for ``credentials.get``).

        :raises LoginError: ``login.factor_failed`` (a lapsed pending token).
        :raises FactorError: ``factor.passkeys_unavailable``.
        """
        account = self.checks.pending_account(pending, self.ctx.clock())
        if account is None:
            raise FactorFailed("factor_failed")
        return self.checks.authentication_options(account.id)

    def reset_password(self, request_id: str, code: str, new_password: str) -> Account:
        """A password reset with an authenticator or recovery code instead of the SMS code.

        ``request_id`` is a :meth:`~siapkerja_core.service.Siapkerja.request_password_reset`
        request (whose SMS may never arrive); every other session ends.

        :raises ResetError: ``reset.invalid`` (one message for every cause).
        :raises WeakPassword: ``password.*`` (checked before the code is spent).
        """
        return self.sign_in.reset_password(request_id, code, new_password, by_factor=True)

    # --- configuration ------------------------------------------------------------------------

    def use_webauthn(self, ceremonies: WebAuthnCeremonies, *, rp_id: str, origin: str) -> None:
        """Plug in the passkey adapter and the relying party: ``rp_id`` is the site's host
        name (``siapkerja.kemnaker.go.id``), ``origin`` its public base URL's origin."""
        self.checks.webauthn = ceremonies
        self.checks.rp_id = rp_id
        self.checks.origin = origin

    @property
    def passkeys_available(self) -> bool:
        return self.checks.webauthn is not None

    # --- listing ---------------------------------------------------------------------------------

    def list(self, account_id: str) -> builtins.list[FactorSummary]:
        """The account's active factors, oldest first (no secret, hash or key)."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            records = tx.factors.for_account(account_id)
        return [FactorSummary.of(r) for r in records if r.active]

    def kinds(self, account_id: str) -> tuple[str, ...]:
        return self.checks.kinds(account_id)

    def _account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(account_id)
        if account is None or not account.active:
            raise FactorError("not_found")
        return account

    # --- authenticator app ---------------------------------------------------------------------

    def start_totp(self, account_id: str) -> TotpEnrolment:
        """Begin enrolling an authenticator app: a new secret, its URI and QR (shown once).

        A started enrolment that was never confirmed is replaced.
        """
        now = self.ctx.clock()
        secret = new_totp_secret(self.ctx.entropy.token_bytes)
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            for record in tx.factors.for_account(account_id):
                if record.kind is FactorKind.TOTP and record.status is FactorStatus.PENDING:
                    tx.factors.delete(record.id)
            record = FactorRecord(
                id=self.ctx.new_id(),
                account_id=account_id,
                kind=FactorKind.TOTP,
                status=FactorStatus.PENDING,
                label="Aplikasi autentikator",
                created_at=now,
                expires_at=now + self.checks.policy.enrolment_ttl,
                secret=secret,
            )
            tx.factors.put(record)
        return self._enrolment(record, secret, account, record.expires_at or now)

    def pending_totp(self, account_id: str, factor_id: str) -> TotpEnrolment | None:
        """A started enrolment of the holder's again (its page shown after a wrong code)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = tx.accounts.get(account_id)
            record = tx.factors.get(str(factor_id))
        if (
            account is None
            or record is None
            or record.account_id != account_id
            or record.kind is not FactorKind.TOTP
            or record.status is not FactorStatus.PENDING
            or record.secret is None
            or record.expires_at is None
            or record.expires_at <= now
        ):
            return None
        return self._enrolment(record, record.secret, account, record.expires_at)

    def _enrolment(
        self, record: FactorRecord, secret: str, account: AccountRecord, expires_at: datetime
    ) -> TotpEnrolment:
        uri = provisioning_uri(secret, issuer=self.issuer, label=mask_email(account.email))
        svg = qr_svg(make_qr(uri, error="m"), scale=4)
        return TotpEnrolment(
            factor_id=record.id, secret=secret, uri=uri, qr_svg=svg, expires_at=expires_at
        )

    def confirm_totp(self, account_id: str, factor_id: str, code: str) -> FactorSummary:
        """Activate a started enrolment with the app's first code (its step is spent).

        :raises FactorError: ``no_enrolment``, ``invalid_code`` or ``throttled``.
        """
        now = self.ctx.clock()
        key = self.checks._throttle_key(f"account:{account_id}")
        window = self.checks.policy.failure_window
        hit = self.checks.counters.hit(
            key, limit=self.checks.policy.max_failures, window=window, now=now
        )
        if not hit.allowed:
            raise FactorError("throttled", retry_after=whole_seconds(hit.retry_after))
        # The counters may live in the storage's database: never touched inside a unit of work.
        refusal: FactorError | None = None
        with self.ctx.storage.transaction() as tx:
            record = tx.factors.get(str(factor_id))
            if (
                record is None
                or record.account_id != account_id
                or record.kind is not FactorKind.TOTP
                or record.status is not FactorStatus.PENDING
                or record.secret is None
                or (record.expires_at is not None and record.expires_at <= now)
            ):
                refusal = FactorError("no_enrolment")
            else:
                step = match_totp(record.secret, code, now, last_step=None)
                if step is None:
                    refusal = FactorError("invalid_code")
                else:
                    active = attrs.evolve(
                        record,
                        status=FactorStatus.ACTIVE,
                        expires_at=None,
                        created_at=now,
                        last_step=step,
                        last_used_at=now,
                    )
                    tx.factors.put(active)
                    self.ctx.record_admin_action(
                        tx,
                        actor=f"holder:{account_id}",
                        action="factor.enrol",
                        target_kind="account",
                        target_id=account_id,
                        details={"kind": "totp"},
                    )
        if refusal is not None:
            if refusal.code == "no_enrolment":  # no code was evaluated: the slot goes back
                self.checks.counters.release(key, window=window, now=now)
            raise refusal
        self.checks.counters.release(key, window=window, now=now)
        self.ctx.emit(FactorEnrolled(occurred_at=now, account_id=account_id, kind="totp"))
        return FactorSummary.of(active)

    # --- recovery codes -----------------------------------------------------------------------

    def generate_recovery_codes(self, account_id: str) -> RecoveryCodes:
        """Ten new codes, shown once; any earlier set stops working at once."""
        now = self.ctx.clock()
        codes = tuple(
            new_recovery_code(self.ctx.entropy.randbelow) for _ in range(RECOVERY_CODE_COUNT)
        )
        hashes = tuple(
            self.checks.recovery_hash(account_id, clean_recovery_code(code) or "") for code in codes
        )
        with self.ctx.storage.transaction() as tx:
            self._account(tx, account_id)
            for record in tx.factors.for_account(account_id):
                if record.kind is FactorKind.RECOVERY_CODES:
                    tx.factors.delete(record.id)
            tx.factors.put(
                FactorRecord(
                    id=self.ctx.new_id(),
                    account_id=account_id,
                    kind=FactorKind.RECOVERY_CODES,
                    label="Kode pemulihan",
                    created_at=now,
                    code_hashes=hashes,
                )
            )
            self.ctx.record_admin_action(
                tx,
                actor=f"holder:{account_id}",
                action="recovery_codes.generate",
                target_kind="account",
                target_id=account_id,
                details={"count": len(codes)},
            )
        self.ctx.emit(RecoveryCodesGenerated(occurred_at=now, account_id=account_id))
        return RecoveryCodes(codes=codes, generated_at=now)

    def recovery_codes_left(self, account_id: str) -> int:
        with self.ctx.storage.transaction(read_only=True) as tx:
            return sum(
                len(r.code_hashes)
                for r in tx.factors.for_account(account_id)
                if r.kind is FactorKind.RECOVERY_CODES and r.active
            )

    # --- passkeys -------------------------------------------------------------------------------

    def passkey_registration_options(self, account_id: str) -> PasskeyOptions:
        """Begin registering a passkey: the options for ``navigator.credentials.create``."""
        ceremonies = self.checks.ceremonies()
        with self.ctx.storage.transaction() as tx:
            account = self._account(tx, account_id)
            exclude = [
                _unb64(r.credential_id)
                for r in self.checks.active(tx, account_id)
                if r.kind is FactorKind.PASSKEY and r.credential_id
            ]
            ceremony_id, challenge = self.checks.begin_ceremony(tx, account_id, "registration")
        options = ceremonies.registration_options(
            rp_id=self.checks.rp_id,
            rp_name=self.issuer,
            user_id=account_id.encode("ascii"),
            user_name=mask_email(account.email),
            user_display_name=mask_email(account.email),
            challenge=challenge,
            exclude=exclude,
        )
        return PasskeyOptions(ceremony_id=ceremony_id, options=options)

    def register_passkey(
        self, account_id: str, ceremony_id: str, credential: str, *, label: str = "Passkey"
    ) -> FactorSummary:
        """Store the passkey a ``create()`` answer registers.

        :raises FactorError: ``passkey_failed`` (a lapsed ceremony, an answer that
            does not verify, a credential already registered).
        """
        ceremonies = self.checks.ceremonies()
        now = self.ctx.clock()
        challenge = self.checks.take_ceremony(account_id, ceremony_id, "registration")
        if challenge is None:
            raise FactorError("passkey_failed")
        try:
            verified = ceremonies.verify_registration(
                credential=credential,
                challenge=challenge,
                rp_id=self.checks.rp_id,
                origin=self.checks.origin,
            )
        except WebAuthnRefused:
            raise FactorError("passkey_failed") from None
        record = FactorRecord(
            id=self.ctx.new_id(),
            account_id=account_id,
            kind=FactorKind.PASSKEY,
            label=(str(label).strip() or "Passkey")[:60],
            created_at=now,
            credential_id=_b64(verified.credential_id),
            public_key=_b64(verified.public_key),
            sign_count=verified.sign_count,
            transports=verified.transports,
        )
        with self.ctx.storage.transaction() as tx:
            self._account(tx, account_id)
            if any(
                r.credential_id == record.credential_id for r in tx.factors.for_account(account_id)
            ):
                raise FactorError("passkey_failed")
            tx.factors.put(record)
            self.ctx.record_admin_action(
                tx,
                actor=f"holder:{account_id}",
                action="factor.enrol",
                target_kind="account",
                target_id=account_id,
                details={"kind": "passkey"},
            )
        self.ctx.emit(FactorEnrolled(occurred_at=now, account_id=account_id, kind="passkey"))
        return FactorSummary.of(record)

    # --- removal --------------------------------------------------------------------------------

    def remove(self, account_id: str, factor_id: str) -> FactorSummary:
        """Remove one of the holder's own factors. :raises FactorError: ``not_found``."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            record = tx.factors.get(str(factor_id))
            if record is None or record.account_id != account_id or not record.active:
                raise FactorError("not_found")
            tx.factors.delete(record.id)
            self.ctx.record_admin_action(
                tx,
                actor=f"holder:{account_id}",
                action="factor.remove",
                target_kind="account",
                target_id=account_id,
                details={"kind": record.kind.value},
            )
        self.ctx.emit(FactorRemoved(occurred_at=now, account_id=account_id, kind=record.kind.value))
        return FactorSummary.of(record)

    def account_id_for(self, identifier: str) -> str | None:
        """The id of the account an officer names by NIK, e-mail, phone or account id."""
        text = str(identifier).strip()
        with self.ctx.storage.transaction(read_only=True) as tx:
            if tx.accounts.get(text) is not None:
                return text
            _kind, _key, account = self.sign_in._find_account(tx, text)
        return None if account is None else account.id

    def reset(self, account_id: str, *, actor: str, reason: str) -> builtins.list[FactorSummary]:
        """An officer removes every factor of the account after an in-person check (audited).

        :raises FactorError: ``not_found`` (no such account).
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            if tx.accounts.get(account_id) is None:
                raise FactorError("not_found")
            records = tx.factors.for_account(account_id)
            removed = [r for r in records if r.active]
            tx.factors.delete_for_account(account_id)
            self.ctx.record_admin_action(
                tx,
                actor=actor,
                action="factor.reset",
                target_kind="account",
                target_id=account_id,
                reason=reason,
                details={"kinds": sorted({r.kind.value for r in removed}), "count": len(removed)},
            )
        for record in removed:
            self.ctx.emit(
                FactorRemoved(
                    occurred_at=now, account_id=account_id, kind=record.kind.value, by="officer"
                )
            )
        return [FactorSummary.of(r) for r in removed]
