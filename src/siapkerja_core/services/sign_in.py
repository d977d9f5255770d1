"""Signing in and out, sessions, and password recovery.

* Login answers one generic failure whatever went wrong, burns an Argon2
  verification when the identifier is unknown, and throttles per identifier.
* A reset request is answered alike whether or not the identifier exists;
  reset errors are one generic "invalid or expired code". Reset codes go
  through the same :class:`~siapkerja_core.services.otp.OtpCodes` as
  registration's, one challenge per account so caps span requests.
* Session tokens are shown once and stored only as an HMAC.
"""

from __future__ import annotations

import unicodedata
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
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.ports import Counters, Transaction
from siapkerja_core.records import AccountRecord, OtpPurpose, PasswordResetRecord
from siapkerja_core.services.context import ServiceContext, whole_seconds, window_end
from siapkerja_core.services.otp import OtpCodes
from siapkerja_core.views import Account, PasswordResetRequest

__all__ = ["SignIn"]


class SignIn:
    """Login, session checks, logout and password reset.

    :param ctx: the shared service context.
    :param codes: sends and checks the reset codes.
    :param counters: fixed-window counters for the login throttle.
    """

    def __init__(self, ctx: ServiceContext, *, codes: OtpCodes, counters: Counters) -> None:
        self.ctx = ctx
        self.codes = codes
        self.counters = counters

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

    def login(self, identifier: str, password: str) -> Account:
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            kind, key, account = self._find_account(tx, identifier)
        throttle_key = self.ctx.counter_key("login-fail", key)
        window = self.ctx.policy.login_failure_window
        if self.counters.count(throttle_key, window=window, now=now) >= (
            self.ctx.policy.max_login_failures
        ):
            self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=True))
            raise LoginError("throttled", retry_after=whole_seconds(window_end(now, window) - now))
        if account is None or not account.active:
            self.ctx.hasher.dummy_verify()  # same cost as a real check: no timing oracle
            ok = False
        else:
            ok = self.ctx.hasher.verify(account.password_hash, password)
        if not ok or account is None:
            self.counters.increment(throttle_key, window=window, now=now)
            self.ctx.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=False))
            raise LoginError("failed")
        self.counters.clear(throttle_key)
        new_hash = (
            self.ctx.hasher.hash(password)
            if self.ctx.hasher.needs_rehash(account.password_hash)
            else None
        )
        with self.ctx.storage.transaction() as tx:
            if new_hash is not None:
                current = tx.accounts.get(account.id)
                if current is not None:
                    tx.accounts.put(attrs.evolve(current, password_hash=new_hash))
            session = self.ctx.open_session(tx, account.id, now)
        self.ctx.emit(LoginSucceeded(occurred_at=now, account_id=account.id))
        return Account.from_record(account, session)

    def authenticate(self, token: str) -> Account:
        """The account a session token belongs to, or ``LoginError("session_invalid")``."""
        with self.ctx.storage.transaction() as tx:
            session = tx.sessions.get(self.ctx.mac("session", str(token)))
            if session is None or self.ctx.clock() >= session.expires_at:
                raise LoginError("session_invalid")
            account = tx.accounts.get(session.account_id)
            if account is None or not account.active:
                raise LoginError("session_invalid")
            return Account.from_record(account)

    def logout(self, token: str) -> None:
        with self.ctx.storage.transaction() as tx:
            tx.sessions.delete(self.ctx.mac("session", str(token)))

    def request_password_reset(self, identifier: str) -> PasswordResetRequest:
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            _kind, _key, account = self._find_account(tx, identifier)
        generation: int | None = None
        if account is not None and account.active:
            generation = self._send_reset_code(account, now)
        else:
            # The same counter reads a known identifier's send makes (its daily caps),
            # on keys no phone or NIK has: when the counters are down, an unknown
            # identifier is refused exactly as a known one is, not told apart by a 202.
            self.codes.daily_refusal(f"none:{identifier}", f"none:{identifier}", now)
        request = PasswordResetRecord(
            id=self.ctx.new_id(),
            account_id=None if account is None else account.id,
            generation=generation,
            created_at=now,
            expires_at=now + self.ctx.policy.reset_ttl,
        )
        with self.ctx.storage.transaction() as tx:
            tx.resets.put(request)
        self.ctx.emit(PasswordResetRequested(occurred_at=now, request_id=request.id))
        return PasswordResetRequest(id=request.id, expires_at=request.expires_at)

    def _send_reset_code(self, account: AccountRecord, now: datetime) -> int | None:
        """Send a reset code to the account's phone; the code's generation, or ``None``.

        One challenge per account (``reset:<account id>``) so caps and cooldowns
        span reset requests: only the newest code is valid. When the cooldown
        holds, the new request shares the code already sent; when another cap
        holds, nothing is sent and the request can never succeed. Neither case
        is reported: that would tell a stranger the account exists.
        """
        subject_id = f"reset:{account.id}"
        code = self.codes.new_code()
        daily = self.codes.daily_refusal(account.phone, account.nik, now)  # outside the tx
        with self.ctx.storage.transaction() as tx:
            previous = tx.challenges.get(subject_id)
            try:
                recent = self.codes.check_send_caps(previous, now, daily=daily)
            except OtpError as refusal:
                live = previous is not None and previous.is_live(now)
                if refusal.code == "cooldown" and previous is not None and live:
                    return previous.generation
                return None
            challenge = self.codes.issue(
                subject_id,
                OtpPurpose.PASSWORD_RESET,
                account.phone,
                code,
                previous,
                recent,
                previous is not None,
                now,
            )
            tx.challenges.put(challenge)
            self.codes.enqueue(tx, challenge, code, notice=False)
        self.ctx.wake()  # sent after the answer: a known identifier answers as fast as any
        return challenge.generation

    def reset_password(self, request_id: str, code: str, new_password: str) -> Account:
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
                    self.codes.check(tx, challenge, code)
                except OtpError:
                    refused = True
        if refused or account is None or challenge is None or request is None:
            raise ResetError("invalid")
        self.ctx.policy.password.check(
            new_password, context=(account.nik, account.full_name, account.email, account.phone)
        )
        password_hash = self.ctx.hasher.hash(new_password)
        with self.ctx.storage.transaction() as tx:
            # Re-check inside the writing transaction: the code was checked in an
            # earlier one, and requests inside one cooldown share a code, so a
            # concurrent reset with the same code may have won meanwhile.
            current = tx.resets.get(request.id)
            live = tx.challenges.get(challenge.subject_id)
            if (
                current is None
                or current.used
                or live is None
                or live.used
                or live.generation != challenge.generation
            ):
                raise ResetError("invalid")
            tx.resets.put(attrs.evolve(current, used=True))
            tx.challenges.put(live.spent())
            record = tx.accounts.get(account.id)
            if record is None:
                raise ResetError("invalid")
            record = attrs.evolve(record, password_hash=password_hash, password_changed_at=now)
            tx.accounts.put(record)
            ended = tx.sessions.delete_for_account(account.id)
            session = self.ctx.open_session(tx, account.id, now)
        for kind in ("nik", "email", "phone"):
            value = {"nik": account.nik, "email": account.email, "phone": account.phone}[kind]
            self.counters.clear(self.ctx.counter_key("login-fail", value))
        self.ctx.emit(
            PasswordResetCompleted(occurred_at=now, account_id=account.id, sessions_ended=ended)
        )
        return Account.from_record(record, session)
