"""Signing in and out, sessions, and password recovery.

* Login answers one generic failure whatever went wrong, burns an Argon2
  verification when the identifier is unknown, and throttles per account
  (whatever identifier is typed), per client address and per network; a
  device that signed in before has its own throttle, so failures by someone
  else never lock the holder out (OWASP "device cookies").
* A reset request is answered alike whether or not the identifier exists;
  reset errors are one generic "invalid or expired code". Reset codes go
  through the same :class:`~siapkerja_core.services.otp.OtpCodes` as
  registration's, one challenge per account so caps span requests.
* Session tokens are shown once and stored only as an HMAC.
* An account with an authenticator app or a passkey signs in in two steps
  (:mod:`~siapkerja_core.services.factors`): a right password gives no session
  but :class:`~siapkerja_core.services.factors.FactorRequired` with a
  five-minute pending token, and :meth:`SignIn.complete_login` takes the
  factor. An authenticator or recovery code given with the password
  (``factor_code``) does both at once and, like an SMS code, stands in for the
  account's throttle; :meth:`SignIn.reset_password` takes one instead of the
  SMS code (``by_factor``): recovery without the old phone.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable
from datetime import datetime

import attrs

from siapkerja_core.contact import InvalidEmail, InvalidPhone, normalize_email, normalize_phone
from siapkerja_core.errors import LoginError, OtpError, ResetError
from siapkerja_core.events import (
    LoginFailed,
    LoginSucceeded,
    PasswordResetCompleted,
    PasswordResetRequested,
)
from siapkerja_core.factors import FactorError
from siapkerja_core.limits import Client
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.ports import Counters, Transaction, shares_units, slots_in
from siapkerja_core.records import AccountRecord, OtpChallenge, OtpPurpose, PasswordResetRecord
from siapkerja_core.rights import SIGN_IN, ProcessingEntry
from siapkerja_core.services.context import ServiceContext, whole_seconds
from siapkerja_core.services.factors import FactorChecks, FactorFailed, FactorRequired
from siapkerja_core.services.otp import OtpCodes, SendReservation
from siapkerja_core.views import Account, PasswordResetRequest

__all__ = ["SignIn"]

# The counter kinds of the account's or a device's own run of failures (cleared by a success).
_OWN_THROTTLES = ("login-fail:", "login-device:")


class SignIn:
    """Login, session checks, logout and password reset.

    :param ctx: the shared service context.
    :param codes: sends and checks the reset codes.
    :param counters: the rate-limit slots of the login throttles.
    """

    def __init__(self, ctx: ServiceContext, *, codes: OtpCodes, counters: Counters) -> None:
        self.ctx = ctx
        self.codes = codes
        self.counters = counters
        self.factors = FactorChecks(ctx, counters=counters)

    def _find_account(
        self, tx: Transaction, identifier: str
    ) -> tuple[str, str, AccountRecord | None]:
        """(kind, normalised identifier, account) for a NIK, e-mail or phone."""
        text = str(identifier).strip()
        try:
            if "@" in text:
                email = normalize_email(text)
                return "email", email, tx.accounts.find(email=email)
            digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
            if len(digits) == 16 and not text.lstrip().startswith(("+", "0")):
                nik = parse_nik(text).value
                return "nik", nik, tx.accounts.find(nik=nik)
            phone = normalize_phone(text)
            return "phone", phone, tx.accounts.find(phone=phone)
        except (InvalidEmail, InvalidPhone, InvalidNik):
            return "unknown", text.casefold(), None

    def _device_mac(self, account: AccountRecord, nonce: str) -> str:
        # Bound to the account and its password: a reset revokes every device at once.
        changed = account.password_changed_at.isoformat()
        return self.ctx.mac("device", account.id, changed, nonce)

    def _new_device_token(self, account: AccountRecord) -> str:
        nonce = self.ctx.entropy.token_bytes(16).hex()
        return f"{nonce}.{self._device_mac(account, nonce)}"

    def _known_device(self, account: AccountRecord | None, token: str | None) -> str | None:
        """The nonce of ``token`` when it is a device token of ``account``, else ``None``."""
        if account is None or not account.active or not token or len(token) > 200:
            return None
        nonce, _, mac = str(token).partition(".")
        if not nonce or not hmac.compare_digest(mac, self._device_mac(account, nonce)):
            return None
        return nonce

    def _throttles(
        self, kind: str, key: str, account: AccountRecord | None, client: Client, *, step_up: bool
    ) -> list[tuple[str, int]]:
        """The (counter key, cap) pairs a login attempt takes a slot of, outermost first.

        From a known device: that device's own counter only, so an attacker's
        failures elsewhere never lock the holder out (OWASP device cookies).
        Otherwise the client's network and address, then the account — by its
        id whatever identifier was typed, or by the normalised identifier when
        none matches, so unknown identifiers are throttled exactly alike.
        """
        policy = self.ctx.policy
        device = self._known_device(account, client.device)
        if account is not None and device is not None:
            return [
                (
                    self.ctx.counter_key("login-device", f"{account.id}:{device}"),
                    policy.max_login_failures,
                )
            ]
        throttles: list[tuple[str, int]] = []
        network, address = client.network, client.canonical_address
        if network is not None:
            throttles.append(
                (
                    self.ctx.counter_key("login-network", network),
                    policy.max_login_failures_per_network,
                )
            )
        if address is not None:
            throttles.append(
                (
                    self.ctx.counter_key("login-address", address),
                    policy.max_login_failures_per_address,
                )
            )
        if not step_up:  # a fresh SMS code stands in for the account's throttle
            throttles.append(
                (self._account_throttle(kind, key, account), policy.max_login_failures)
            )
        return throttles

    def _account_throttle(self, kind: str, key: str, account: AccountRecord | None) -> str:
        subject = f"account:{account.id}" if account is not None else f"{kind}:{key}"
        return self.ctx.counter_key("login-fail", subject)

    def _spend_step_up(
        self, account: AccountRecord | None, request_id: str, code: str, now: datetime
    ) -> bool:
        """Whether ``code`` is the live reset code of request ``request_id`` of ``account``.

        The code is checked as a reset's is (its tries capped per code) and
        spent when right: one code lets one password be evaluated.
        """
        with self.ctx.storage.transaction() as tx:
            request = tx.resets.get(str(request_id))
            challenge = None if account is None else tx.challenges.get(f"reset:{account.id}")
        if (
            account is None
            or request is None
            or request.used
            or now >= request.expires_at
            or request.account_id != account.id
            or challenge is None
            or challenge.generation != request.generation
        ):
            return False
        try:
            self.codes.check(challenge, code)
        except OtpError:
            return False
        with self.ctx.storage.transaction() as tx:
            return self._spend(tx, request.id, challenge)  # False: a concurrent one spent it

    @staticmethod
    def _spend(tx: Transaction, request_id: str, challenge: OtpChallenge) -> bool:
        """Mark a reset request and its checked code used, in ``tx``.

        ``False`` when a concurrent reset or step-up sign-in spent either first
        (or a newer code replaced it): then nothing is written.
        """
        current = tx.resets.get(request_id)
        live = tx.challenges.get(challenge.subject_id)
        if (
            current is None
            or current.used
            or live is None
            or live.used
            or live.generation != challenge.generation
        ):
            return False
        tx.resets.put(attrs.evolve(current, used=True))
        tx.challenges.put(live.spent())
        return True

    def login(
        self,
        identifier: str,
        password: str,
        client: Client | None = None,
        *,
        reset_id: str | None = None,
        code: str | None = None,
        factor_code: str | None = None,
    ) -> Account:
        """Sign in; each attempt takes a slot of every throttle *before* the password check.

        A slot is kept when the attempt fails; a success gives the address's
        and network's back and ends the account's (or device's) run of
        failures, so the throttles count failures, and N concurrent attempts
        evaluate at most the cap. A refused attempt evaluates nothing and says
        when one will be evaluated again (``retry_after``, true to the second).

        **Step-up** (``reset_id`` and ``code``: a password-reset request and the
        code it sent to the account's phone): the account's throttle is not
        consulted, the address's and network's are. The code is checked first
        and spent; only a right code lets the password be evaluated, so a
        throttled account is no guessing oracle without its holder's phone.

        **Second factor** (``factor_code``: an authenticator or recovery code):
        checked and spent before the password, exactly as the SMS step-up's
        code, so it also stands in for the account's throttle. Without one, an
        account with an authenticator or passkey answers a right password with
        :class:`FactorRequired` (its ``pending`` token goes to
        :meth:`complete_login`). Unknown accounts take the same steps.
        """
        client = client or Client()
        now = self.ctx.clock()
        # Only reads: on SQLite a sign-in does not queue behind the process's writers.
        with self.ctx.storage.transaction(read_only=True) as tx:
            kind, key, account = self._find_account(tx, identifier)
            # Read with the account, not in a unit of its own after the password: the
            # answer is used only once the password is right.
            factor_kinds = () if account is None else self.factors.required_in(tx, account.id)
        if account is not None and not account.active:
            account = None
        by_factor = factor_code is not None
        by_sms = reset_id is not None and code is not None
        step_up = by_sms or by_factor
        window = self.ctx.policy.login_failure_window
        throttles = self._throttles(kind, key, account, client, step_up=step_up)
        taken: list[str] = []
        for counter, cap in throttles:
            hit = self.counters.hit(counter, limit=cap, window=window, now=now)
            if not hit.allowed:
                for earlier in taken:  # this attempt is not evaluated: it counts nowhere
                    self.counters.release(earlier, window=window, now=now)
                self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=True))
                raise LoginError("throttled", retry_after=whole_seconds(hit.retry_after))
            taken.append(counter)
        if by_sms and not self._spend_step_up(account, str(reset_id), str(code), now):
            self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=False))
            raise LoginError("failed")  # the password is not evaluated without the code
        if by_factor:
            try:
                self.factors.spend_code(
                    None if account is None else account.id,
                    str(factor_code),
                    subject=f"{kind}:{key}",
                )
            except FactorError as refusal:
                self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=False))
                if refusal.code == "throttled":
                    raise LoginError("throttled", retry_after=refusal.retry_after or 1) from None
                raise FactorFailed("factor_failed") from None
        if account is None:
            self.ctx.hasher.dummy_verify()  # same cost as a real check: no timing oracle
            ok = False
        else:
            ok = self.ctx.hasher.verify(account.password_hash, password)
        if not ok or account is None:
            self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=False))
            raise LoginError("failed")
        # A success ends the run of consecutive failures of the account (or of this
        # device: NIST 800-63B §5.2.2 counts consecutive failures); the client's
        # address and network only give back this attempt's slot.
        own = len(taken) - 1 if taken and taken[-1].startswith(_OWN_THROTTLES) else None
        account_throttle = self._account_throttle(kind, key, account) if step_up else None

        def settle(counters: Counters) -> None:
            for index, counter in enumerate(taken):
                if index == own:
                    counters.clear(counter)
                else:
                    counters.release(counter, window=window, now=now)
            if account_throttle is not None:
                counters.clear(account_throttle)

        kinds = () if by_factor else factor_kinds
        # Settled in the session's unit when the counters share it (no commit of their
        # own); else now, as the counters' own statements.
        in_unit = not kinds and shares_units(self.counters, self.ctx.storage)
        if not in_unit:
            settle(self.counters)
        new_hash = (
            self.ctx.hasher.hash(password)
            if self.ctx.hasher.needs_rehash(account.password_hash)
            else None
        )
        if kinds:
            if new_hash is not None:
                with self.ctx.storage.transaction() as tx:
                    self._rehash(tx, account.id, new_hash)
            raise FactorRequired(
                "factor_required", pending=self.factors.pending_token(account, now), kinds=kinds
            )
        return self._signed_in(account, now, new_hash, settle=settle if in_unit else None)

    @staticmethod
    def _rehash(tx: Transaction, account_id: str, new_hash: str) -> None:
        current = tx.accounts.get(account_id)
        if current is not None:
            tx.accounts.put(attrs.evolve(current, password_hash=new_hash))

    def _signed_in(
        self,
        account: AccountRecord,
        now: datetime,
        new_hash: str | None = None,
        *,
        settle: Callable[[Counters], None] | None = None,
    ) -> Account:
        """Open a session for ``account`` (storing ``new_hash``); ``settle`` gives back the
        sign-in's throttle slots in the same unit of work (``slots_in``).

        When the unit's work fails, its rollback undoes the settling, which is then
        done again outside it: the right password still ends the run of failures.
        A failed commit is not settled again (its outcome is unknown; the slots
        then count, the cautious side).
        """
        failed = False
        try:
            with self.ctx.storage.transaction() as tx:
                if settle is not None:
                    settle(slots_in(self.counters, tx))
                try:
                    if new_hash is not None:
                        self._rehash(tx, account.id, new_hash)
                    session = self.ctx.open_session(tx, account.id, now)
                    # The record of processing's line, with the session: a sign-in is
                    # recorded exactly when it happens (one commit, not two).
                    tx.rights.log(
                        ProcessingEntry(
                            id=self.ctx.new_id(), account_id=account.id, at=now, kind=SIGN_IN
                        )
                    )
                except BaseException:
                    failed = True
                    raise
        finally:
            if failed and settle is not None:
                settle(self.counters)
        session = attrs.evolve(session, device_token=self._new_device_token(account))
        self.ctx.emit(LoginSucceeded(occurred_at=now, account_id=account.id))
        return Account.from_record(account, session)

    def complete_login(
        self,
        pending: str,
        *,
        code: str | None = None,
        ceremony_id: str | None = None,
        passkey: str | None = None,
    ) -> Account:
        """The second step: an authenticator or recovery ``code``, or a passkey's
        assertion (``passkey``, the JSON of ``navigator.credentials.get``, for the
        ceremony ``ceremony_id`` of :meth:`FactorChecks.authentication_options`).

        :raises LoginError: ``login.factor_failed`` (a lapsed pending token, a
            wrong, replayed or spent code, a passkey that did not verify: one
            message) or ``login.throttled``.
        """
        now = self.ctx.clock()
        account = self.factors.pending_account(pending, now)
        if account is None:
            raise FactorFailed("factor_failed")
        if passkey is not None and ceremony_id is not None:
            try:
                ok = self.factors.spend_passkey(account.id, ceremony_id, passkey)
            except FactorError:
                ok = False
            if not ok:
                self.ctx.emit(
                    LoginFailed(occurred_at=now, identifier_kind="pending", throttled=False)
                )
                raise FactorFailed("factor_failed")
            return self._signed_in(account, now)
        try:
            self.factors.spend_code(account.id, str(code or ""))
        except FactorError as refusal:
            self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind="pending", throttled=False))
            if refusal.code == "throttled":
                raise LoginError("throttled", retry_after=refusal.retry_after or 1) from None
            raise FactorFailed("factor_failed") from None
        return self._signed_in(account, now)

    def authenticate(self, token: str) -> Account:
        """The account a session token belongs to, or ``LoginError("session_invalid")``."""
        return self.authenticate_session(token)[0]

    def authenticate_session(self, token: str) -> tuple[Account, datetime]:
        """:meth:`authenticate`, and when the session ends (its ``expires_at``)."""
        # Read-only: every signed-in page asks this first, and on SQLite a read-write unit
        # would queue it behind every write of the process.
        with self.ctx.storage.transaction(read_only=True) as tx:
            session = tx.sessions.get(self.ctx.mac("session", str(token)))
            if session is None or self.ctx.clock() >= session.expires_at:
                raise LoginError("session_invalid")
            account = tx.accounts.get(session.account_id)
            if account is None or not account.active:
                raise LoginError("session_invalid")
            return Account.from_record(account), session.expires_at

    def logout(self, token: str) -> None:
        with self.ctx.storage.transaction() as tx:
            tx.sessions.delete(self.ctx.mac("session", str(token)))

    def request_password_reset(self, identifier: str) -> PasswordResetRequest:
        """Start a reset: the same answer, the same work, whether or not ``identifier`` exists.

        A known identifier's code is issued, its SMS put in the outbox and the
        request stored in **one** transaction; an unknown identifier's request
        is stored in one transaction too, and takes and gives back the same
        counter slots on keys no phone or NIK has. The SMS goes after the
        answer, so neither the gateway's latency nor an outage (of the gateway
        or of the counters) tells a stranger which it was.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            _kind, _key, account = self._find_account(tx, identifier)
        known = account if account is not None and account.active else None
        if known is not None:
            reservation = self.codes.reserve_sends(known.phone, known.nik, now)  # outside the tx
        else:
            decoy = f"none:{identifier}"
            reservation = self.codes.reserve_sends(decoy, decoy, now)
        request_id = self.ctx.new_id()
        issued = False
        try:
            with self.ctx.storage.transaction() as tx:
                generation: int | None = None
                if known is not None:
                    generation, issued = self._issue_reset_code(tx, known, reservation, now)
                request = PasswordResetRecord(
                    id=request_id,
                    account_id=None if account is None else account.id,
                    generation=generation,
                    created_at=now,
                    expires_at=now + self.ctx.policy.reset_ttl,
                )
                tx.resets.put(request)
        finally:
            if not issued:
                self.codes.cancel(reservation)  # no new code: the send's slots are free again
        self.ctx.wake()  # the SMS, if any, goes after the answer
        self.ctx.emit(PasswordResetRequested(occurred_at=now, request_id=request.id))
        return PasswordResetRequest(id=request.id, expires_at=request.expires_at)

    def _issue_reset_code(
        self, tx: Transaction, account: AccountRecord, reservation: SendReservation, now: datetime
    ) -> tuple[int | None, bool]:
        """Issue a reset code in ``tx`` and put its SMS in the outbox: ``(generation, issued)``.

        One challenge per account (``reset:<account id>``) so caps and cooldowns
        span reset requests: only the newest code is valid. When the cooldown
        holds, the new request shares the code already sent (``issued`` is
        false); when another cap holds, nothing is sent and the request can
        never succeed (generation ``None``). Neither case is reported: that
        would tell a stranger the account exists.
        """
        subject_id = f"reset:{account.id}"
        previous = tx.challenges.get(subject_id)
        try:
            recent = self.codes.check_send_caps(previous, now, daily=reservation.refusal)
        except OtpError as refusal:
            live = previous is not None and previous.is_live(now)
            if refusal.code == "cooldown" and previous is not None and live:
                return previous.generation, False
            return None, False
        challenge = self.codes.send_to_account(
            tx, subject_id, OtpPurpose.PASSWORD_RESET, account.phone, previous, recent, now
        )
        return challenge.generation, True

    def reset_password(
        self, request_id: str, code: str, new_password: str, *, by_factor: bool = False
    ) -> Account:
        """Set a new password with the reset's SMS code, or (``by_factor``) with an
        authenticator or recovery code of the account instead: recovery when the SMS
        does not arrive or the old phone is gone. One ``reset.invalid`` for every cause."""
        if by_factor:
            return self._reset_by_factor(request_id, code, new_password)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            request = tx.resets.get(str(request_id))
            account = challenge = None
            if request is not None and request.account_id is not None:
                account = tx.accounts.get(request.account_id)
                challenge = tx.challenges.get(f"reset:{request.account_id}")
            refused = (
                request is None
                or request.used
                or now >= request.expires_at
                or account is None
                or not account.active
                or challenge is None
                or challenge.generation != request.generation
            )
        if not refused:
            try:
                self.codes.check(challenge, code)  # outside the transaction: a counter slot
            except OtpError:
                refused = True
        if refused or account is None or challenge is None or request is None:
            raise ResetError("invalid")
        self.ctx.policy.password.check(
            new_password, context=(account.nik, account.full_name, account.email, account.phone)
        )
        password_hash = self.ctx.hasher.hash(new_password)
        with self.ctx.storage.transaction() as tx:
            # Spent inside the writing transaction: the code was checked in an
            # earlier one, and requests inside one cooldown share a code, so a
            # concurrent reset with the same code may have won meanwhile.
            if not self._spend(tx, request.id, challenge):
                raise ResetError("invalid")
            record = tx.accounts.get(account.id)
            if record is None:
                raise ResetError("invalid")
            record = attrs.evolve(record, password_hash=password_hash, password_changed_at=now)
            tx.accounts.put(record)
            ended = tx.sessions.delete_for_account(account.id)
            session = self.ctx.open_session(tx, account.id, now)
        # The holder proved the phone: the account's throttle starts afresh.
        self.counters.clear(self.ctx.counter_key("login-fail", f"account:{account.id}"))
        self.ctx.emit(
            PasswordResetCompleted(occurred_at=now, account_id=account.id, sessions_ended=ended)
        )
        return Account.from_record(record, session)

    def _reset_by_factor(self, request_id: str, code: str, new_password: str) -> Account:
        """The reset with a factor's code: the request must be live and of an active account.

        The password's rules are checked *before* the code is spent (a recovery
        code is not lost to a weak password); the request is spent with it, and
        so is the SMS code it sent, if any.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            request = tx.resets.get(str(request_id))
            account = None
            if request is not None and request.account_id is not None:
                account = tx.accounts.get(request.account_id)
        if (
            request is None
            or request.used
            or now >= request.expires_at
            or account is None
            or not account.active
        ):
            raise ResetError("invalid")
        self.ctx.policy.password.check(
            new_password, context=(account.nik, account.full_name, account.email, account.phone)
        )
        try:
            self.factors.spend_code(account.id, str(code))
        except FactorError:
            raise ResetError("invalid") from None
        password_hash = self.ctx.hasher.hash(new_password)
        with self.ctx.storage.transaction() as tx:
            current = tx.resets.get(request.id)
            record = tx.accounts.get(account.id)
            if current is None or current.used or record is None:
                raise ResetError("invalid")
            tx.resets.put(attrs.evolve(current, used=True))
            challenge = tx.challenges.get(f"reset:{account.id}")
            if challenge is not None and not challenge.used:
                tx.challenges.put(challenge.spent())
            record = attrs.evolve(record, password_hash=password_hash, password_changed_at=now)
            tx.accounts.put(record)
            ended = tx.sessions.delete_for_account(account.id)
            session = self.ctx.open_session(tx, account.id, now)
        self.counters.clear(self.ctx.counter_key("login-fail", f"account:{account.id}"))
        self.ctx.emit(
            PasswordResetCompleted(occurred_at=now, account_id=account.id, sessions_ended=ended)
        )
        return Account.from_record(record, session)
