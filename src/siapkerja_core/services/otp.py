"""One-time codes: issuing, sending, checking; resending and confirming a registration's.

:class:`OtpCodes` is the code machinery both registration and recovery use:
6 random digits from the injected randomness; storage keeps only an HMAC of
the code (keyed with the server pepper, bound to the subject and generation),
compared in constant time by :meth:`OtpChallenge.check
<siapkerja_core.records.OtpChallenge.check>`. A resend kills the old code.
A phone number that already belongs to an active account gets a notice
("someone tried to register with this number") instead of a code; the caller
sees the same answer as for a free number (OWASP's pattern). Every issued
send takes its slot of the daily caps atomically before the code is issued
(a reservation), and every try of a code takes a slot of its attempts
counter before the code is compared: the caps hold exactly under concurrency.
Messages go through the durable outbox (:mod:`~siapkerja_core.services.outbox`):
written with the challenge, sent after the answer.

:class:`OtpService` holds the use cases ``resend_otp`` and ``confirm_otp``
(step 3: the code turns the registration into an active account).
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Final

import attrs

from siapkerja_core import translations
from siapkerja_core.errors import OtpError, RegistrationError
from siapkerja_core.events import AccountActivated
from siapkerja_core.ports import (
    AccountConflict,
    Counters,
    Transaction,
    hit_all,
    shares_units,
    slots_in,
)
from siapkerja_core.records import (
    AccountRecord,
    OtpChallenge,
    OtpPurpose,
    RegistrationRecord,
    RegistrationStatus,
)
from siapkerja_core.services.context import DAY, HOUR, ServiceContext, whole_seconds
from siapkerja_core.services.outbox import SmsOutbox
from siapkerja_core.services.registration import Registrations, conflict_error
from siapkerja_core.views import Account, OtpState, Registration, Session

__all__ = ["SMS_LANGUAGE", "OtpCodes", "OtpService", "SendReservation"]

SMS_LANGUAGE: Final = "id"
"""The language of the code and notice SMS (``sms.*`` in the catalogues)."""


@attrs.frozen(kw_only=True)
class SendReservation:
    """The daily-cap slots one send holds (:meth:`OtpCodes.reserve_sends`), or its refusal."""

    keys: tuple[str, ...]
    at: datetime
    refusal: OtpError | None = None


def _clean_code(code: str) -> str:
    return unicodedata.normalize("NFKC", str(code)).replace(" ", "").replace("-", "")


class OtpCodes:
    """Issue, send and check one-time codes under the journey's caps.

    :param ctx: the shared service context.
    :param counters: the rate-limit slots of the daily sending caps and code tries.
    :param outbox: the durable outbox the messages go through.
    :param service_name: named in every SMS so people know who writes to them.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        counters: Counters,
        outbox: SmsOutbox,
        service_name: str = "SIAPkerja Kemnaker",
    ) -> None:
        self.ctx = ctx
        self.counters = counters
        self.outbox = outbox
        self.service_name = service_name

    def new_code(self) -> str:
        length = self.ctx.policy.otp_length
        return f"{self.ctx.entropy.randbelow(10**length):0{length}d}"

    def code_hash(self, subject_id: str, generation: int, code: str) -> str:
        return self.ctx.mac("otp", subject_id, str(generation), code)

    def state(self, challenge: OtpChallenge) -> OtpState:
        """What a verification screen shows about ``challenge``."""
        policy = self.ctx.policy
        recent = challenge.sends_within(self.ctx.clock(), HOUR)
        return OtpState(
            expires_at=challenge.expires_at,
            attempts_left=max(0, policy.otp_max_attempts - challenge.attempts),
            resend_available_at=challenge.next_send_at(policy.cooldown_after),
            sends_left_this_hour=max(0, policy.max_sends_per_hour - len(recent)),
            delivered=challenge.delivered,
        )

    def reserve_sends(
        self, phone: str, nik: str, now: datetime, *, counters: Counters | None = None
    ) -> SendReservation:
        """Take a slot of the daily caps per number and per NIK for one send, atomically.

        Called when a code is issued and before the caller opens its
        transaction: the counters may live in the same database (``ratelimit =
        "storage"``), and waiting for a second pooled connection while holding
        the write lock of the first is how 16 concurrent sign-ups deadlocked the
        SQLite default. The slots are the reservation of this send: give them
        back with :meth:`cancel` when the send is not issued after all. A
        refused reservation holds nothing and carries its refusal.

        ``counters``: the slots of the caller's writing unit (``slots_in``), when the
        counters share the storage: then the reservation is taken, and given back,
        with that unit's commit or rollback, and is never cancelled.
        """
        counters = self.counters if counters is None else counters
        policy = self.ctx.policy
        slots = (
            (self.ctx.counter_key("sms-phone", phone), policy.max_sends_per_phone_per_day),
            (self.ctx.counter_key("sms-nik", nik), policy.max_sends_per_nik_per_day),
        )
        # Both caps or neither (a unit's slots: one statement for the two).
        refused = hit_all(counters, slots, window=DAY, now=now)
        if refused is not None:
            refusal = OtpError("daily_limit", retry_after=whole_seconds(refused.retry_after))
            return SendReservation(keys=(), at=now, refusal=refusal)
        return SendReservation(keys=tuple(key for key, _ in slots), at=now)

    def cancel(self, reservation: SendReservation) -> None:
        """Give back the slots of a send that was not issued (outside any transaction)."""
        for key in reservation.keys:
            self.counters.release(key, window=DAY, now=reservation.at)

    def check_send_caps(
        self, previous: OtpChallenge | None, now: datetime, *, daily: OtpError | None
    ) -> tuple[datetime, ...]:
        """Refuse a send within the cooldown, over the hourly cap of ``previous``, or ``daily``.

        Returns the sends still inside the hour. Reads only the challenge, so it
        is safe inside the caller's transaction; ``daily`` is the refusal of
        :meth:`reserve_sends` taken before it began, raised after the cooldown
        so that a person within it is told to wait, as before.
        """
        policy = self.ctx.policy
        recent: tuple[datetime, ...] = ()
        if previous is not None:
            next_at = previous.next_send_at(policy.cooldown_after)
            if previous.sent_at and now < next_at:
                raise OtpError("cooldown", retry_after=whole_seconds(next_at - now))
            recent = previous.sends_within(now, HOUR)
            if len(recent) >= policy.max_sends_per_hour:
                raise OtpError("send_limit", retry_after=whole_seconds(recent[0] + HOUR - now))
        if daily is not None:
            raise daily
        return recent

    def issue(
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
        """The challenge of a new ``code`` replacing ``previous`` (not stored yet)."""
        return OtpChallenge.issue(
            previous,
            subject_id=subject_id,
            purpose=purpose,
            phone=phone,
            code_hash=lambda generation: self.code_hash(subject_id, generation, code),
            now=now,
            ttl=self.ctx.policy.otp_ttl,
            recent=recent,
            resend=resend,
        )

    def send_to_account(
        self,
        tx: Transaction,
        subject_id: str,
        purpose: OtpPurpose,
        phone: str,
        previous: OtpChallenge | None,
        recent: tuple[datetime, ...],
        now: datetime,
    ) -> OtpChallenge:
        """A new code for an existing account's phone, stored and put in the outbox in ``tx``.

        For the codes that go to an account (a password reset, a sign-on step-up):
        replaces ``previous`` (a resend when there was one); the caller has checked
        the caps (:meth:`check_send_caps`) and calls ``ctx.wake()`` after committing.
        """
        code = self.new_code()
        challenge = self.issue(
            subject_id, purpose, phone, code, previous, recent, previous is not None, now
        )
        tx.challenges.put(challenge)
        self.enqueue(tx, challenge, code, notice=False)
        return challenge

    def check(self, challenge: OtpChallenge | None, code: str) -> None:
        """Raise :class:`OtpError` unless ``code`` is the challenge's live code.

        Called outside any transaction, with the challenge the caller read. The
        try takes a slot of the challenge's attempts counter (one per code
        generation, capped at ``otp_max_attempts``) *before* the code is
        compared, so N concurrent wrong codes evaluate at most the cap; a wrong
        code is then counted on the stored challenge as well, for the
        attempts-left the screens show. The caller re-reads the challenge in its
        writing transaction (a concurrent try may have won meanwhile).
        """
        refusal = self._try(challenge, code, self.counters, self._record_attempts)
        if refusal is not None:
            raise refusal

    def check_in(
        self, tx: Transaction, challenge: OtpChallenge | None, code: str
    ) -> OtpError | None:
        """:meth:`check` inside the caller's writing unit ``tx``, whose counters share it
        (``shares_units``), with ``challenge`` read (locked) in it.

        The try's slot and a wrong code's count are written in ``tx``: the
        refusal is **returned**, and the caller must commit ``tx`` before raising
        it, so that the refused try counts. The cap holds as in :meth:`check`:
        the slot is taken atomically, and units hitting one key take turns on
        its row until they end.
        """

        def record(current: OtpChallenge, attempts: int) -> OtpChallenge:
            # ``current`` was read (locked) in ``tx``: no second read of its row.
            if current.attempts < attempts:
                current = attrs.evolve(current, attempts=attempts)
                tx.challenges.put(current)
            return current

        return self._try(challenge, code, slots_in(self.counters, tx), record)

    def _try(
        self,
        challenge: OtpChallenge | None,
        code: str,
        counters: Counters,
        record: Callable[[OtpChallenge, int], OtpChallenge],
    ) -> OtpError | None:
        """One try of ``code`` against ``challenge``: its refusal, or ``None`` for the code.

        An expired, used or dead challenge is refused before any slot is taken.
        """
        if challenge is None:
            return OtpError("expired")
        now = self.ctx.clock()
        max_attempts = self.ctx.policy.otp_max_attempts
        # Used, expired or dead: refused without a try counted.
        if challenge.used or now >= challenge.expires_at:
            return OtpError("expired")
        if challenge.attempts >= max_attempts:
            return OtpError("dead")
        key = self.ctx.counter_key("otp-attempt", f"{challenge.subject_id}:{challenge.generation}")
        hit = counters.hit(key, limit=max_attempts, window=self.ctx.policy.otp_ttl, now=now)
        if not hit.allowed:
            record(challenge, max_attempts)
            return OtpError("dead")
        given = self.code_hash(challenge.subject_id, challenge.generation, _clean_code(code))
        if hmac.compare_digest(challenge.code_hash, given):
            return None
        stored = record(challenge, hit.count)
        return stored.refusal(max_attempts)

    def _record_attempts(self, challenge: OtpChallenge, attempts: int) -> OtpChallenge:
        """Store at least ``attempts`` wrong tries on the challenge's generation; the result."""
        with self.ctx.storage.transaction() as tx:
            return self._count_wrong(tx, challenge, attempts)

    @staticmethod
    def _count_wrong(tx: Transaction, challenge: OtpChallenge, attempts: int) -> OtpChallenge:
        """:meth:`_record_attempts` in ``tx``."""
        current = tx.challenges.get(challenge.subject_id)
        if current is None or current.generation != challenge.generation:
            return attrs.evolve(challenge, attempts=attempts)
        if current.attempts < attempts:
            current = attrs.evolve(current, attempts=attempts)
            tx.challenges.put(current)
        return current

    # The SMS is Indonesian: a phone number carries no language, and the service's
    # first language is the one every holder reads (a deployer rewords ``sms.*``).
    def _code_text(self, code: str, purpose: OtpPurpose) -> str:
        minutes = whole_seconds(self.ctx.policy.otp_ttl) // 60
        what = translations.text(f"sms.purpose.{purpose.value}", SMS_LANGUAGE)
        return translations.text(
            "sms.code",
            SMS_LANGUAGE,
            service=self.service_name,
            purpose=what,
            code=code,
            minutes=minutes,
        )

    def _notice_text(self) -> str:
        return translations.text("sms.notice", SMS_LANGUAGE, service=self.service_name)

    def enqueue(self, tx: Transaction, challenge: OtpChallenge, code: str, *, notice: bool) -> None:
        """Put the code's SMS (or the notice) in the outbox, in ``tx`` with the challenge.

        Nothing is sent here: the dispatcher sends after the caller's answer
        (``services/outbox.py``), so a request takes the same time whether or
        not it issued a code. The caller calls ``ctx.wake()`` after committing.
        The message id (the gateway's idempotency key) is the challenge's
        subject and generation, as before the outbox.
        """
        text = self._notice_text() if notice else self._code_text(code, challenge.purpose)
        self.outbox.enqueue(
            tx,
            message_id=f"{challenge.subject_id}:{challenge.generation}",
            to=challenge.phone,
            text=text,
            now=challenge.issued_at,
            expires_at=challenge.expires_at,
            subject_id=challenge.subject_id,
            generation=challenge.generation,
            purpose=challenge.purpose.value,
        )


class OtpService:
    """Resend a registration's code and confirm it (step 3)."""

    def __init__(
        self, ctx: ServiceContext, *, codes: OtpCodes, registrations: Registrations
    ) -> None:
        self.ctx = ctx
        self.codes = codes
        self.registrations = registrations

    def resend_otp(self, registration_id: str) -> Registration:
        with self.ctx.storage.transaction() as tx:
            record = self.registrations.live(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP or record.phone is None:
                raise RegistrationError("wrong_step", status=record.status.value)
        return self.registrations.send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=record.phone,
            resend=True,
            update=None,
        )

    def confirm_otp(self, registration_id: str, code: str) -> Account:
        now = self.ctx.clock()
        if shares_units(self.codes.counters, self.ctx.storage):
            # One writing unit: the rows read (locked), the try's slot taken in it, and
            # either the account made or the wrong try counted, then committed.
            refusal: OtpError | None = None
            with self.ctx.storage.transaction() as tx:
                record, challenge = self.registrations.live_with_challenge(tx, registration_id)
                if record.status is not RegistrationStatus.PENDING_OTP:
                    raise RegistrationError("wrong_step", status=record.status.value)
                refusal = self.codes.check_in(tx, challenge, code)
                if refusal is None:
                    account, session = self._activate(tx, record, challenge, now)
            if refusal is not None:
                raise refusal  # committed first: the refused try counts
        else:
            # Only reads (no row locked, nothing to flush): the writing unit reads again.
            with self.ctx.storage.transaction(read_only=True) as tx:
                record, challenge = self.registrations.live_with_challenge(tx, registration_id)
                if record.status is not RegistrationStatus.PENDING_OTP:
                    raise RegistrationError("wrong_step", status=record.status.value)
            self.codes.check(challenge, code)  # outside the transaction: a counter slot
            with self.ctx.storage.transaction() as tx:
                # Re-read inside the writing transaction: a concurrent confirmation may
                # have won.
                record, challenge = self.registrations.live_with_challenge(tx, registration_id)
                account, session = self._activate(tx, record, challenge, now)
        self.ctx.emit(
            AccountActivated(occurred_at=now, account_id=account.id, registration_id=record.id)
        )
        return Account.from_record(account, session)

    def _activate(
        self,
        tx: Transaction,
        record: RegistrationRecord,
        challenge: OtpChallenge | None,
        now: datetime,
    ) -> tuple[AccountRecord, Session]:
        """Make the account of ``record`` whose code was right, in ``tx``; spend the code and
        open a session."""
        if record.email is None or record.phone is None or record.password_hash is None:
            raise RegistrationError("wrong_step", status=record.status.value)
        if challenge is None or challenge.used:
            raise OtpError("expired")
        account = AccountRecord(
            id=self.ctx.new_id(),
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
            raise conflict_error(tx, conflict, record) from None
        tx.registrations.put(
            attrs.evolve(record, status=RegistrationStatus.CONFIRMED, account_id=account.id)
        )
        tx.challenges.put(challenge.spent())
        return account, self.ctx.open_session(tx, account.id, now)
