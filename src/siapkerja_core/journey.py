"""The registration journey: Dukcapil check, contacts, SMS OTP, accounts, login, recovery.

This module owns the use cases behind the facade's journey methods
(:class:`Journey`), their typed errors and their domain events. It talks to the
world only through ports — the population registry, the message sender,
storage (a unit of work) and counters — and takes the clock and the source of
randomness as arguments, so every branch is testable with fakes.

Security decisions, each with its reason:

* The NIK, name and mother's name are checked with Dukcapil **before** the
  library says anything about existing accounts; only someone who knows all
  three learns that the NIK already has an account (and sees its contacts
  masked). Failed checks per NIK are capped per day, so a mother's name
  cannot be found by repetition.
* A code is 6 random digits from ``secrets``; storage keeps only an HMAC of
  it (keyed with the server pepper, bound to the subject and generation), and
  it is compared with :func:`hmac.compare_digest`. A resend kills the old code.
* A phone number that already belongs to an active account gets a notice
  ("someone tried to register with this number") instead of a code; the
  caller sees the same answer as for a free number (OWASP's pattern).
* Login answers one generic failure whatever went wrong, burns an Argon2
  verification when the identifier is unknown, and throttles per identifier.
* A reset request is answered alike whether or not the identifier exists;
  reset errors are one generic "invalid or expired code".
* Slow I/O (Dukcapil, SMS, Argon2) happens outside storage transactions; a
  failure there leaves storage as it was, or records the failure explicitly.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Final, Protocol

import attrs

from siapkerja_core.contact import (
    InvalidEmail,
    InvalidPhone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from siapkerja_core.errors import (
    AlreadyRegistered,
    LoginError,
    OtpError,
    RegistrationError,
    ResetError,
)
from siapkerja_core.events import (
    AccountActivated,
    AccountImported,
    DomainEvent,
    LoginFailed,
    LoginSucceeded,
    OtpSendFailed,
    OtpSent,
    PasswordResetCompleted,
    PasswordResetRequested,
    RegistrationStarted,
    VerificationFailed,
)
from siapkerja_core.model import (
    Account,
    AccountRecord,
    OtpChallenge,
    OtpPurpose,
    OtpState,
    PasswordResetRecord,
    PasswordResetRequest,
    Registration,
    RegistrationRecord,
    RegistrationStatus,
    Session,
    SessionRecord,
    mask_nik,
)
from siapkerja_core.names import normalize_name
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.policy import JourneyPolicy
from siapkerja_core.ports import (
    AccountConflict,
    Counters,
    MessageSender,
    PopulationRegistry,
    SmsDeliveryError,
    Storage,
    Transaction,
    VerificationRequest,
)

__all__ = [
    "NO_PASSWORD",
    "AccountActivated",
    "AccountImported",
    "AlreadyRegistered",
    "Entropy",
    "Journey",
    "LoginError",
    "LoginFailed",
    "LoginSucceeded",
    "OtpError",
    "OtpSendFailed",
    "OtpSent",
    "PasswordResetCompleted",
    "PasswordResetRequested",
    "RegistrationError",
    "RegistrationStarted",
    "ResetError",
    "VerificationFailed",
]

NO_PASSWORD: Final = "!no-password"  # noqa: S105 - a marker no Argon2 hash can equal
"""The stored "hash" of an imported account: no password verifies against it."""

_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_MAX_NAME_LENGTH = 100


class Entropy(Protocol):
    """The randomness the journey needs; the :mod:`secrets` module satisfies it."""

    def token_bytes(self, nbytes: int) -> bytes: ...

    def randbelow(self, exclusive_upper_bound: int) -> int: ...


# --- the use cases -------------------------------------------------------------------


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


def _window_end(now: datetime, window: timedelta) -> datetime:
    """When the fixed counter window holding ``now`` ends (the ``Counters`` port's windows)."""
    length = window.total_seconds()
    start = (now.timestamp() // length) * length
    return datetime.fromtimestamp(start + length, tz=now.tzinfo)


def _clean_code(code: str) -> str:
    return unicodedata.normalize("NFKC", str(code)).replace(" ", "").replace("-", "")


class Journey:
    """The registration, login and recovery use cases over the ports.

    :param storage: the unit of work holding records.
    :param counters: fixed-window counters for the daily caps and throttles.
    :param sms: the message sender.
    :param registry: the population registry (Dukcapil).
    :param hasher: the password hasher (Argon2id).
    :param policy: every limit of the journey.
    :param pepper: the server secret keying the HMAC of codes, tokens and counter keys.
    :param clock: the current aware time.
    :param entropy: randomness (:mod:`secrets` by default in the facade).
    :param emit: broadcasts a domain event to the plug-ins.
    :param service_name: named in every SMS so people know who writes to them.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        counters: Counters,
        sms: MessageSender,
        registry: PopulationRegistry,
        hasher: PasswordHasher,
        policy: JourneyPolicy,
        pepper: bytes,
        clock: Callable[[], datetime],
        entropy: Entropy,
        emit: Callable[[DomainEvent], None],
        service_name: str = "SIAPkerja Kemnaker",
    ) -> None:
        if len(pepper) < 16:
            raise ValueError("the pepper must be at least 16 bytes")
        self.storage = storage
        self.counters = counters
        self.sms = sms
        self.registry = registry
        self.hasher = hasher
        self.policy = policy
        self._pepper = pepper
        self.clock = clock
        self.entropy = entropy
        self.emit = emit
        self.service_name = service_name

    # --- helpers ---------------------------------------------------------------------

    def _mac(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()

    def _counter_key(self, kind: str, value: str) -> str:
        # Counters are keyed by an HMAC, never by the NIK or number itself.
        return f"{kind}:{self._mac('counter', kind, value)[:32]}"

    def _new_id(self) -> str:
        return self.entropy.token_bytes(16).hex()

    def _new_code(self) -> str:
        length = self.policy.otp_length
        return f"{self.entropy.randbelow(10**length):0{length}d}"

    def _code_hash(self, subject_id: str, generation: int, code: str) -> str:
        return self._mac("otp", subject_id, str(generation), code)

    def _registration_view(self, record: RegistrationRecord, tx: Transaction) -> Registration:
        challenge = tx.challenges.get(record.id)
        otp = None if challenge is None else self._otp_state(challenge)
        status = record.status
        if status is not RegistrationStatus.CONFIRMED and self.clock() >= record.expires_at:
            status = RegistrationStatus.EXPIRED
        return Registration(
            id=record.id,
            status=status,
            nik=record.nik,
            full_name=record.full_name,
            created_at=record.created_at,
            expires_at=record.expires_at,
            email=record.email,
            phone=record.phone,
            otp=otp,
            sms_failure=None if challenge is None else challenge.last_failure,
            account_id=record.account_id,
        )

    def _otp_state(self, challenge: OtpChallenge) -> OtpState:
        now = self.clock()
        recent = [t for t in challenge.sent_at if now - t < _HOUR]
        return OtpState(
            expires_at=challenge.expires_at,
            attempts_left=max(0, self.policy.otp_max_attempts - challenge.attempts),
            resend_available_at=self._next_send_at(challenge),
            sends_left_this_hour=max(0, self.policy.max_sends_per_hour - len(recent)),
            delivered=challenge.delivered,
        )

    def _next_send_at(self, challenge: OtpChallenge) -> datetime:
        if not challenge.delivered or not challenge.sent_at:
            # A failed send does not start a cooldown: resend works once the sender is back.
            return challenge.issued_at
        return challenge.sent_at[-1] + self.policy.cooldown_after(challenge.resends)

    def _session(self, tx: Transaction, account_id: str, now: datetime) -> Session:
        token = self.entropy.token_bytes(32).hex()
        expires_at = now + self.policy.session_ttl
        tx.sessions.add(
            SessionRecord(
                id=self._mac("session", token),
                account_id=account_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return Session(token=token, account_id=account_id, expires_at=expires_at)

    @staticmethod
    def _account_view(record: AccountRecord, session: Session | None = None) -> Account:
        return Account(
            id=record.id,
            nik=record.nik,
            full_name=record.full_name,
            email=record.email,
            phone=record.phone,
            created_at=record.created_at,
            session=session,
        )

    def _live_registration(self, tx: Transaction, registration_id: str) -> RegistrationRecord:
        record = tx.registrations.get(registration_id)
        if record is None:
            raise RegistrationError("not_found")
        if record.status is RegistrationStatus.CONFIRMED:
            raise RegistrationError("already_confirmed")
        if record.status is RegistrationStatus.EXPIRED or self.clock() >= record.expires_at:
            raise RegistrationError("expired")
        return record

    # --- step 1 ------------------------------------------------------------------------

    def register(self, nik: str, full_name: str, mother_name: str) -> Registration:
        parsed = parse_nik(nik)
        for value, field_id, field_en in (
            (full_name, "Nama lengkap", "Full name"),
            (mother_name, "Nama ibu kandung", "Mother's maiden name"),
        ):
            if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME_LENGTH:
                raise RegistrationError("invalid_name", field_id=field_id, field_en=field_en)
        full_name = " ".join(unicodedata.normalize("NFKC", full_name).split())
        now = self.clock()
        attempts_key = self._counter_key("verify-nik", parsed.value)
        if self.counters.count(attempts_key, window=_DAY, now=now) >= (
            self.policy.max_verifications_per_nik_per_day
        ):
            raise RegistrationError(
                "verification_locked", retry_after=_seconds(_window_end(now, _DAY) - now)
            )

        result = self.registry.verify(
            VerificationRequest(
                nik=parsed.value,
                full_name=normalize_name(full_name),
                mother_name=normalize_name(mother_name),
                threshold=self.policy.name_threshold,
            )
        )
        failure: RegistrationError | None = None
        if result.status == "not_found":
            failure = RegistrationError("nik_not_found")
        elif result.status == "inactive":
            failure = RegistrationError("nik_inactive")
        else:
            wrong = [
                name
                for name, match in (
                    ("full_name", result.full_name),
                    ("mother_name", result.mother_name),
                )
                if not match.matched
                or (match.score is not None and match.score < self.policy.name_threshold)
            ]
            if wrong:
                labels = {"full_name": ("nama lengkap", "full name")}
                labels["mother_name"] = ("nama ibu kandung", "mother's maiden name")
                failure = RegistrationError(
                    "mismatch",
                    fields=tuple(wrong),
                    fields_id=", ".join(labels[w][0] for w in wrong),
                    fields_en=", ".join(labels[w][1] for w in wrong),
                )
        if failure is not None:
            self.counters.increment(attempts_key, window=_DAY, now=now)
            self.emit(
                VerificationFailed(
                    occurred_at=now, nik_masked=mask_nik(parsed.value), reason=failure.code
                )
            )
            raise failure

        with self.storage.transaction() as tx:
            existing = tx.accounts.find(nik=parsed.value)
            if existing is not None:
                raise AlreadyRegistered(
                    "already_registered",
                    email=mask_email(existing.email),
                    phone=mask_phone(existing.phone),
                )
            record = RegistrationRecord(
                id=self._new_id(),
                nik=parsed.value,
                full_name=full_name,
                status=RegistrationStatus.VERIFIED,
                created_at=now,
                expires_at=now + self.policy.registration_ttl,
            )
            tx.registrations.put(record)
            view = self._registration_view(record, tx)
        self.emit(
            RegistrationStarted(
                occurred_at=now, registration_id=record.id, nik_masked=mask_nik(parsed.value)
            )
        )
        return view

    # --- step 2 ------------------------------------------------------------------------

    def submit_contact(
        self, registration_id: str, *, email: str, phone: str, password: str
    ) -> Registration:
        email = normalize_email(email)
        phone = normalize_phone(phone)
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, registration_id)
            if record.status is not RegistrationStatus.VERIFIED:
                raise RegistrationError("wrong_step", status=record.status.value)
        self.policy.password.check(password, context=(record.nik, record.full_name, email, phone))
        password_hash = self.hasher.hash(password)  # slow: outside any transaction
        return self._send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=phone,
            resend=False,
            update=lambda tx, rec: tx.registrations.put(
                attrs.evolve(
                    rec,
                    email=email,
                    phone=phone,
                    password_hash=password_hash,
                    status=RegistrationStatus.PENDING_OTP,
                )
            ),
        )

    def resend_otp(self, registration_id: str) -> Registration:
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP or record.phone is None:
                raise RegistrationError("wrong_step", status=record.status.value)
        return self._send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=record.phone,
            resend=True,
            update=None,
        )

    def change_phone(self, registration_id: str, *, phone: str) -> Registration:
        phone = normalize_phone(phone)
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP:
                raise RegistrationError("wrong_step", status=record.status.value)
        return self._send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=phone,
            resend=True,
            update=lambda tx, rec: tx.registrations.put(attrs.evolve(rec, phone=phone)),
        )

    def _check_send_caps(
        self, tx: Transaction, previous: OtpChallenge | None, phone: str, nik: str, now: datetime
    ) -> tuple[datetime, ...]:
        """Refuse a send that breaks a cap; return the sends still inside the hour."""
        recent: tuple[datetime, ...] = ()
        if previous is not None:
            next_at = self._next_send_at(previous)
            if previous.sent_at and now < next_at:
                raise OtpError("cooldown", retry_after=_seconds(next_at - now))
            recent = tuple(t for t in previous.sent_at if now - t < _HOUR)
            if len(recent) >= self.policy.max_sends_per_hour:
                raise OtpError("send_limit", retry_after=_seconds(recent[0] + _HOUR - now))
        for kind, value, cap in (
            ("sms-phone", phone, self.policy.max_sends_per_phone_per_day),
            ("sms-nik", nik, self.policy.max_sends_per_nik_per_day),
        ):
            if self.counters.count(self._counter_key(kind, value), window=_DAY, now=now) >= cap:
                raise OtpError("daily_limit")
        return recent

    def _send_code(
        self,
        *,
        subject_id: str,
        purpose: OtpPurpose,
        nik: str,
        phone: str,
        resend: bool,
        update: Callable[[Transaction, RegistrationRecord], None] | None,
    ) -> Registration:
        """Issue a new code for a registration, send it, and record the outcome."""
        now = self.clock()
        code = self._new_code()
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, subject_id)
            previous = tx.challenges.get(subject_id)
            recent = self._check_send_caps(tx, previous, phone, nik, now)
            challenge = self._issue(subject_id, purpose, phone, code, previous, recent, resend, now)
            tx.challenges.put(challenge)
            if update is not None:
                update(tx, record)
            phone_has_account = tx.accounts.find(phone=phone) is not None
        self._deliver(challenge, nik, code, notice=phone_has_account)
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, subject_id)
            return self._registration_view(record, tx)

    def _issue(
        self,
        subject_id: str,
        purpose: OtpPurpose,
        phone: str,
        code: str,
        previous: OtpChallenge | None,
        recent: tuple[datetime, ...],
        resend: bool,
        now: datetime,
    ) -> OtpChallenge:
        generation = 1 if previous is None else previous.generation + 1
        resends = 0 if previous is None else previous.resends + (1 if resend else 0)
        return OtpChallenge(
            subject_id=subject_id,
            purpose=purpose,
            phone=phone,
            code_hash=self._code_hash(subject_id, generation, code),
            generation=generation,
            issued_at=now,
            expires_at=now + self.policy.otp_ttl,
            resends=resends,
            sent_at=(*recent, now),
            delivered=True,
        )

    def _deliver(self, challenge: OtpChallenge, nik: str, code: str, *, notice: bool) -> None:
        """Send the code (or the notice) and record a failure on the challenge."""
        now = challenge.issued_at
        text = self._notice_text() if notice else self._code_text(code, challenge.purpose)
        try:
            self.sms.send(
                challenge.phone,
                text,
                idempotency_key=f"{challenge.subject_id}:{challenge.generation}",
            )
        except SmsDeliveryError as error:
            with self.storage.transaction() as tx:
                current = tx.challenges.get(challenge.subject_id)
                if current is not None and current.generation == challenge.generation:
                    tx.challenges.put(
                        attrs.evolve(
                            current,
                            delivered=False,
                            sent_at=current.sent_at[:-1],
                            last_failure=error.full_code,
                        )
                    )
            self.emit(
                OtpSendFailed(
                    occurred_at=now,
                    subject_id=challenge.subject_id,
                    purpose=challenge.purpose.value,
                    reason=error.full_code,
                )
            )
            return
        # Only delivered messages count against the daily caps: they are what costs
        # money, and a sender outage must not use up a person's sends for the day.
        for kind, value in (("sms-phone", challenge.phone), ("sms-nik", nik)):
            self.counters.increment(self._counter_key(kind, value), window=_DAY, now=now)
        self.emit(
            OtpSent(
                occurred_at=now,
                subject_id=challenge.subject_id,
                purpose=challenge.purpose.value,
                phone_masked=mask_phone(challenge.phone),
                generation=challenge.generation,
            )
        )

    def _code_text(self, code: str, purpose: OtpPurpose) -> str:
        minutes = _seconds(self.policy.otp_ttl) // 60
        what = "pendaftaran akun" if purpose is OtpPurpose.REGISTRATION else "atur ulang password"
        return (
            f"{self.service_name}: kode OTP {what} Anda {code}, berlaku {minutes} menit. "
            "JANGAN BERIKAN kode ini kepada siapa pun, termasuk petugas."
        )

    def _notice_text(self) -> str:
        return (
            f"{self.service_name}: ada yang mencoba mendaftarkan akun baru dengan nomor ini. "
            "Jika itu Anda, gunakan 'Kendala Masuk ke Akun?' untuk memulihkan akun Anda. "
            "Jika bukan, abaikan pesan ini."
        )

    # --- step 3 ------------------------------------------------------------------------

    def _check_code(self, tx: Transaction, challenge: OtpChallenge | None, code: str) -> None:
        """Raise :class:`OtpError` unless ``code`` is the challenge's live code."""
        if challenge is None or challenge.used:
            raise OtpError("expired")
        if challenge.attempts >= self.policy.otp_max_attempts:
            raise OtpError("dead")
        if self.clock() >= challenge.expires_at:
            raise OtpError("expired")
        expected = challenge.code_hash
        given = self._code_hash(challenge.subject_id, challenge.generation, _clean_code(code))
        if hmac.compare_digest(expected, given):
            return
        attempts = challenge.attempts + 1
        tx.challenges.put(attrs.evolve(challenge, attempts=attempts))
        left = self.policy.otp_max_attempts - attempts
        raise OtpError("invalid", attempts_left=left) if left > 0 else OtpError("dead")

    def confirm_otp(self, registration_id: str, code: str) -> Account:
        now = self.clock()
        with self.storage.transaction() as tx:
            record = self._live_registration(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP:
                raise RegistrationError("wrong_step", status=record.status.value)
            challenge = tx.challenges.get(registration_id)
            failure: OtpError | None = None
            try:
                self._check_code(tx, challenge, code)
            except OtpError as error:
                failure = error  # the attempt count must commit with the refusal
        if failure is not None:
            raise failure
        with self.storage.transaction() as tx:
            # Re-read inside the writing transaction: a concurrent confirmation may have won.
            record = self._live_registration(tx, registration_id)
            challenge = tx.challenges.get(registration_id)
            if record.email is None or record.phone is None or record.password_hash is None:
                raise RegistrationError("wrong_step", status=record.status.value)
            if challenge is None or challenge.used:
                raise OtpError("expired")
            account = AccountRecord(
                id=self._new_id(),
                nik=record.nik,
                full_name=record.full_name,
                email=record.email,
                phone=record.phone,
                password_hash=record.password_hash,
                created_at=now,
                password_changed_at=now,
            )
            try:
                tx.accounts.add(account)
            except AccountConflict as conflict:
                raise self._conflict_error(tx, conflict, record) from None
            tx.registrations.put(
                attrs.evolve(record, status=RegistrationStatus.CONFIRMED, account_id=account.id)
            )
            tx.challenges.put(attrs.evolve(challenge, used=True))
            session = self._session(tx, account.id, now)
        self.emit(
            AccountActivated(occurred_at=now, account_id=account.id, registration_id=record.id)
        )
        return self._account_view(account, session)

    @staticmethod
    def _conflict_error(
        tx: Transaction, conflict: AccountConflict, record: RegistrationRecord
    ) -> RegistrationError:
        if conflict.field == "nik":
            existing = tx.accounts.find(nik=record.nik)
            return AlreadyRegistered(
                "already_registered",
                email=mask_email(existing.email) if existing else "-",
                phone=mask_phone(existing.phone) if existing else "-",
            )
        return RegistrationError("email_taken" if conflict.field == "email" else "phone_taken")

    # --- login and sessions --------------------------------------------------------------

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
        now = self.clock()
        with self.storage.transaction() as tx:
            kind, key, account = self._find_account(tx, identifier)
        throttle_key = self._counter_key("login-fail", key)
        window = self.policy.login_failure_window
        if self.counters.count(throttle_key, window=window, now=now) >= (
            self.policy.max_login_failures
        ):
            self.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=True))
            raise LoginError("throttled", retry_after=_seconds(_window_end(now, window) - now))
        if account is None or not account.active:
            self.hasher.dummy_verify()  # same cost as a real check: no timing oracle
            ok = False
        else:
            ok = self.hasher.verify(account.password_hash, password)
        if not ok or account is None:
            self.counters.increment(throttle_key, window=window, now=now)
            self.emit(LoginFailed(occurred_at=now, identifier_kind=kind, throttled=False))
            raise LoginError("failed")
        self.counters.clear(throttle_key)
        new_hash = (
            self.hasher.hash(password) if self.hasher.needs_rehash(account.password_hash) else None
        )
        with self.storage.transaction() as tx:
            if new_hash is not None:
                current = tx.accounts.get(account.id)
                if current is not None:
                    tx.accounts.put(attrs.evolve(current, password_hash=new_hash))
            session = self._session(tx, account.id, now)
        self.emit(LoginSucceeded(occurred_at=now, account_id=account.id))
        return self._account_view(account, session)

    def authenticate(self, token: str) -> Account:
        """The account a session token belongs to, or ``LoginError("session_invalid")``."""
        with self.storage.transaction() as tx:
            session = tx.sessions.get(self._mac("session", str(token)))
            if session is None or self.clock() >= session.expires_at:
                raise LoginError("session_invalid")
            account = tx.accounts.get(session.account_id)
            if account is None or not account.active:
                raise LoginError("session_invalid")
            return self._account_view(account)

    def logout(self, token: str) -> None:
        with self.storage.transaction() as tx:
            tx.sessions.delete(self._mac("session", str(token)))

    # --- recovery ------------------------------------------------------------------------

    def request_password_reset(self, identifier: str) -> PasswordResetRequest:
        now = self.clock()
        with self.storage.transaction() as tx:
            _kind, _key, account = self._find_account(tx, identifier)
        generation: int | None = None
        if account is not None and account.active:
            generation = self._send_reset_code(account, now)
        request = PasswordResetRecord(
            id=self._new_id(),
            account_id=None if account is None else account.id,
            generation=generation,
            created_at=now,
            expires_at=now + self.policy.reset_ttl,
        )
        with self.storage.transaction() as tx:
            tx.resets.put(request)
        self.emit(PasswordResetRequested(occurred_at=now, request_id=request.id))
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
        code = self._new_code()
        with self.storage.transaction() as tx:
            previous = tx.challenges.get(subject_id)
            try:
                recent = self._check_send_caps(tx, previous, account.phone, account.nik, now)
            except OtpError as refusal:
                live = previous is not None and not previous.used and now < previous.expires_at
                if refusal.code == "cooldown" and previous is not None and live:
                    return previous.generation
                return None
            challenge = self._issue(
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
        self._deliver(challenge, account.nik, code, notice=False)
        return challenge.generation

    def reset_password(self, request_id: str, code: str, new_password: str) -> Account:
        now = self.clock()
        with self.storage.transaction() as tx:
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
                    self._check_code(tx, challenge, code)
                except OtpError:
                    refused = True
        if refused or account is None or challenge is None or request is None:
            raise ResetError("invalid")
        self.policy.password.check(
            new_password, context=(account.nik, account.full_name, account.email, account.phone)
        )
        password_hash = self.hasher.hash(new_password)
        with self.storage.transaction() as tx:
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
            tx.challenges.put(attrs.evolve(live, used=True))
            record = tx.accounts.get(account.id)
            if record is None:
                raise ResetError("invalid")
            record = attrs.evolve(record, password_hash=password_hash, password_changed_at=now)
            tx.accounts.put(record)
            ended = tx.sessions.delete_for_account(account.id)
            session = self._session(tx, account.id, now)
        for kind in ("nik", "email", "phone"):
            value = {"nik": account.nik, "email": account.email, "phone": account.phone}[kind]
            self.counters.clear(self._counter_key("login-fail", value))
        self.emit(
            PasswordResetCompleted(occurred_at=now, account_id=account.id, sessions_ended=ended)
        )
        return self._account_view(record, session)

    # --- imports ------------------------------------------------------------------------

    def import_account(
        self, *, nik: str, full_name: str, email: str, phone: str
    ) -> tuple[Account, bool]:
        """Create an account from a trusted record (an AK/I register); ``(account, created)``.

        For migrations from a Disnaker's job-seeker register, whose people were
        identified at the counter. The account has no password: its holder sets
        one through recovery ("Kendala Masuk ke Akun?"), which proves the phone.
        Importing the same person again returns the existing account (idempotent);
        the same NIK with other contacts is a conflict.

        :raises InvalidNik, InvalidEmail, InvalidPhone, RegistrationError: bad fields,
            ``registration.already_registered`` (other contacts), ``email_taken``,
            ``phone_taken``.
        """
        parsed = parse_nik(nik)
        if not isinstance(full_name, str) or not full_name.strip() or len(full_name) > 100:
            raise RegistrationError("invalid_name", field_id="Nama lengkap", field_en="Full name")
        full_name = " ".join(unicodedata.normalize("NFKC", full_name).split())
        email = normalize_email(email)
        phone = normalize_phone(phone)
        now = self.clock()
        with self.storage.transaction() as tx:
            existing = tx.accounts.find(nik=parsed.value)
            if existing is not None:
                if (existing.email, existing.phone) == (email, phone):
                    return self._account_view(existing), False
                raise AlreadyRegistered(
                    "already_registered",
                    email=mask_email(existing.email),
                    phone=mask_phone(existing.phone),
                )
            record = AccountRecord(
                id=self._new_id(),
                nik=parsed.value,
                full_name=full_name,
                email=email,
                phone=phone,
                password_hash=NO_PASSWORD,
                created_at=now,
                password_changed_at=now,
            )
            try:
                tx.accounts.add(record)
            except AccountConflict as conflict:
                raise RegistrationError(
                    "email_taken" if conflict.field == "email" else "phone_taken"
                ) from None
        self.emit(AccountImported(occurred_at=now, account_id=record.id))
        return self._account_view(record), True

    def registrations_for(self, ids: Iterable[str]) -> list[Registration]:
        """Views of several registrations (unknown ids are skipped)."""
        views = []
        with self.storage.transaction() as tx:
            for rid in ids:
                record = tx.registrations.get(rid)
                if record is not None:
                    views.append(self._registration_view(record, tx))
        return views

    def registration(self, registration_id: str) -> Registration:
        with self.storage.transaction() as tx:
            record = tx.registrations.get(registration_id)
            if record is None:
                raise RegistrationError("not_found")
            return self._registration_view(record, tx)
