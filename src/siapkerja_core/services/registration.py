"""Registration: the Dukcapil check (step 1), contacts and password (step 2), imports.

Security decisions, each with its reason:

* The NIK, name and mother's name are checked with Dukcapil **before** the
  library says anything about existing accounts; only someone who knows all
  three learns that the NIK already has an account (and sees its contacts
  masked). Failed checks per NIK are capped per day, so a mother's name
  cannot be found by repetition.
* Slow I/O (Dukcapil, SMS, Argon2) happens outside storage transactions; a
  failure there leaves storage as it was, or records the failure explicitly.

Codes are sent through :class:`~siapkerja_core.services.otp.OtpCodes`; step 3
(confirming the code) is :class:`~siapkerja_core.services.otp.OtpService`.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Final

import attrs

from siapkerja_core.contact import mask_email, mask_phone, normalize_email, normalize_phone
from siapkerja_core.errors import AlreadyRegistered, RegistrationError
from siapkerja_core.events import AccountImported, RegistrationStarted, VerificationFailed
from siapkerja_core.i18n import both
from siapkerja_core.names import invisible_in_name, normalize_name
from siapkerja_core.nik import parse_nik
from siapkerja_core.ports import (
    AccountConflict,
    Counters,
    Hit,
    PopulationRegistry,
    Transaction,
    VerificationRequest,
    VerificationResult,
    counters_within,
    shares_units,
    slots_in,
)
from siapkerja_core.profile.fields import has_control_characters
from siapkerja_core.profile.lengths import MAX_NAME_LENGTH
from siapkerja_core.records import (
    AccountRecord,
    OtpChallenge,
    OtpPurpose,
    RegistrationRecord,
    RegistrationStatus,
)
from siapkerja_core.services.context import DAY, ServiceContext, whole_seconds
from siapkerja_core.views import Account, Registration, mask_nik

if TYPE_CHECKING:
    from siapkerja_core.services.otp import OtpCodes

__all__ = ["NO_PASSWORD", "Registrations", "conflict_error"]

NO_PASSWORD: Final = "!no-password"  # noqa: S105 - a marker no Argon2 hash can equal
"""The stored "hash" of an imported account: no password verifies against it."""


def already_registered(existing: AccountRecord | None) -> AlreadyRegistered:
    """The refusal of a NIK that has an account: where its codes go, masked (``-`` when
    the account that won a race is not readable yet)."""
    return AlreadyRegistered(
        "already_registered",
        email=mask_email(existing.email) if existing else "-",
        phone=mask_phone(existing.phone) if existing else "-",
    )


def conflict_error(
    tx: Transaction, conflict: AccountConflict, record: RegistrationRecord
) -> RegistrationError:
    if conflict.field == "nik":
        return already_registered(tx.accounts.find(nik=record.nik))
    return RegistrationError("email_taken" if conflict.field == "email" else "phone_taken")


def _stored(tx: Transaction, record: RegistrationRecord) -> RegistrationRecord:
    """Put ``record`` in ``tx`` and return it (an ``update`` of :meth:`Registrations.send_code`)."""
    tx.registrations.put(record)
    return record


def name_refusal(value: object, field: str) -> RegistrationError | None:
    """``registration.invalid_name`` for a missing or too long name, or one holding control
    characters or invisible (format, private-use, unassigned) characters (``field``:
    ``full_name`` or ``mother_name``), saying which (``reason_id`` / ``reason_en``), or
    ``None``.

    Shared by :meth:`Registrations.register` and the web form, which checks every
    field at once so an empty form is refused field by field.
    """
    character = ""
    if not isinstance(value, str) or not value.strip():
        reason = "registration.reason.required"
    elif len(value) > MAX_NAME_LENGTH:
        reason = "registration.reason.too_long"
    elif has_control_characters(" ".join(value.split())):
        # The name becomes the profile's, which refuses these: refused here, not later.
        reason = "reason.control_characters"
    elif (invisible := invisible_in_name(value)) is not None:
        reason = "registration.reason.invisible_characters"
        character = f"U+{ord(invisible):04X}"
    else:
        return None
    field_id, field_en = both(f"registration.field.{field}")
    reason_id, reason_en = both(reason, limit=MAX_NAME_LENGTH, character=character)
    return RegistrationError(
        "invalid_name",
        field=field,
        field_id=field_id,
        field_en=field_en,
        reason_id=reason_id,
        reason_en=reason_en,
        limit=MAX_NAME_LENGTH,
    )


def dukcapil_check(
    ctx: ServiceContext,
    counters: Counters,
    registry: PopulationRegistry,
    nik: str,
    full_name: str,
    mother_name: str,
    *,
    announce: bool = True,
    hold: bool = False,
) -> VerificationResult:
    """Dukcapil's check of NIK, name and mother's name, under the NIK's daily cap.

    Registration, a NIK claim or re-proofing and an identity correction all ask
    this way. A slot of the NIK's daily cap is taken before Dukcapil is asked, so
    N concurrent guesses at a mother's name evaluate at most the cap; only a
    failed check keeps its slot (an outage gives it back).

    :param announce: emit :class:`VerificationFailed` for a refusal.
    :param hold: a passed check keeps its slot: the caller gives it back
        (``ctx.counter_key("verify-nik", nik)``, in the unit of work that
        stores what the check allowed, when the counters share the storage's).
    :raises RegistrationError: ``verification_locked``, ``nik_not_found``,
        ``nik_inactive``, ``mismatch`` (with the fields, named in both languages).
    :raises RegistryUnavailable: Dukcapil did not answer.
    """
    now = ctx.clock()
    policy = ctx.policy
    key = ctx.counter_key("verify-nik", nik)
    hit = counters.hit(key, limit=policy.max_verifications_per_nik_per_day, window=DAY, now=now)
    if not hit.allowed:
        raise RegistrationError("verification_locked", retry_after=whole_seconds(hit.retry_after))
    try:
        result = registry.verify(
            VerificationRequest(
                nik=nik,
                full_name=normalize_name(full_name),
                mother_name=normalize_name(mother_name),
                threshold=policy.name_threshold,
            )
        )
    except BaseException:
        counters.release(key, window=DAY, now=now)  # not a failed check
        raise
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
            or (match.score is not None and match.score < policy.name_threshold)
        ]
        if wrong:
            labels = [both(f"registration.mismatch.{w}") for w in wrong]
            failure = RegistrationError(
                "mismatch",
                fields=tuple(wrong),
                fields_id=", ".join(label[0] for label in labels),
                fields_en=", ".join(label[1] for label in labels),
            )
    if failure is not None:
        if announce:
            ctx.emit(
                VerificationFailed(occurred_at=now, nik_masked=mask_nik(nik), reason=failure.code)
            )
        raise failure
    if not hold:
        counters.release(key, window=DAY, now=now)
    return result


class Registrations:
    """Steps 1 and 2 of registration, imports, and registration views.

    :param ctx: the shared service context.
    :param codes: sends the SMS codes.
    :param counters: the rate-limit slots of the daily verification cap.
    :param registry: the population registry (Dukcapil).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        codes: OtpCodes,
        counters: Counters,
        registry: PopulationRegistry,
    ) -> None:
        self.ctx = ctx
        self.codes = codes
        self.counters = counters
        self.registry = registry

    def live(self, tx: Transaction, registration_id: str) -> RegistrationRecord:
        return self._live(tx.registrations.get(registration_id))

    def live_with_challenge(
        self, tx: Transaction, registration_id: str
    ) -> tuple[RegistrationRecord, OtpChallenge | None]:
        """:meth:`live` and the registration's challenge, read together (one statement
        where the storage can: the steps that send or check a code need both)."""
        record, challenge = tx.registrations.with_challenge(registration_id)
        return self._live(record), challenge

    def _live(self, record: RegistrationRecord | None) -> RegistrationRecord:
        if record is None:
            raise RegistrationError("not_found")
        if record.status is RegistrationStatus.CONFIRMED:
            raise RegistrationError("already_confirmed")
        if record.status is RegistrationStatus.EXPIRED or self.ctx.clock() >= record.expires_at:
            raise RegistrationError("expired")
        return record

    def view(self, record: RegistrationRecord, tx: Transaction) -> Registration:
        return self._view(record, tx.challenges.get(record.id))

    def _view(self, record: RegistrationRecord, challenge: OtpChallenge | None) -> Registration:
        """The view of ``record`` whose challenge the caller has read (or just wrote)."""
        otp = None if challenge is None else self.codes.state(challenge)
        status = record.status_at(self.ctx.clock())
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

    def register(self, nik: str, full_name: str, mother_name: str) -> Registration:
        parsed = parse_nik(nik)
        for value, field in ((full_name, "full_name"), (mother_name, "mother_name")):
            refusal = name_refusal(value, field)
            if refusal is not None:
                raise refusal
        full_name = " ".join(unicodedata.normalize("NFKC", full_name).split())
        now = self.ctx.clock()
        # A passed check gives its slot back: in the unit of work below when the counters
        # share it (one commit less), else before it, as the counters' own statement.
        in_unit = shares_units(self.counters, self.ctx.storage)
        dukcapil_check(
            self.ctx,
            self.counters,
            self.registry,
            parsed.value,
            full_name,
            mother_name,
            hold=in_unit,
        )
        slot = self.ctx.counter_key("verify-nik", parsed.value) if in_unit else None
        record = self._start(parsed.value, full_name, now, slot)
        # A new id has no challenge yet: nothing to read back for the view.
        view = attrs.evolve(self._view(record, None), secret=self.secret(record.id))
        self.ctx.emit(
            RegistrationStarted(
                occurred_at=now, registration_id=record.id, nik_masked=mask_nik(parsed.value)
            )
        )
        return view

    def _start(
        self, nik: str, full_name: str, now: datetime, slot: str | None
    ) -> RegistrationRecord:
        """Store a verified registration of ``nik``, giving back the check's ``slot`` in the
        same unit of work (``None``: given back already).

        When the unit's work fails (an account exists, a fault), its rollback undoes
        the release, which is then made outside it: a passed check never counts. A
        failed commit is not released again (its outcome is unknown; the slot then
        counts, the cautious side).
        """
        failed = False
        try:
            with self.ctx.storage.transaction() as tx:
                if slot is not None:
                    slots_in(self.counters, tx).release(slot, window=DAY, now=now)
                try:
                    return self._put_new(tx, nik, full_name, now)
                except BaseException:
                    failed = True
                    raise
        finally:
            if failed and slot is not None:
                self.counters.release(slot, window=DAY, now=now)

    def _put_new(
        self, tx: Transaction, nik: str, full_name: str, now: datetime
    ) -> RegistrationRecord:
        """The new registration of ``nik``, put in ``tx`` (refused when it has an account)."""
        existing = tx.accounts.find(nik=nik)
        if existing is not None:
            raise already_registered(existing)
        record = RegistrationRecord(
            id=self.ctx.new_id(),
            nik=nik,
            full_name=full_name,
            status=RegistrationStatus.VERIFIED,
            created_at=now,
            expires_at=now + self.ctx.policy.registration_ttl,
        )
        tx.registrations.put(record)
        return record

    def submit_contact(
        self, registration_id: str, *, email: str, phone: str, password: str
    ) -> Registration:
        email = normalize_email(email)
        phone = normalize_phone(phone)
        # Only reads: send_code reads the registration again in the unit that writes. A
        # read-only unit locks no row (PostgreSQL: nothing to flush at its commit) and, on
        # SQLite, does not queue behind the process's writers.
        with self.ctx.storage.transaction(read_only=True) as tx:
            record = self.live(tx, registration_id)
            if record.status is not RegistrationStatus.VERIFIED:
                raise RegistrationError("wrong_step", status=record.status.value)
            taken = self._email_taken(tx, email)
            checked = None if taken else self._peek_email_checks(tx, record.nik)
        self._refuse_taken_email(record.nik, taken, checked)
        self.ctx.policy.password.check(
            password, context=(record.nik, record.full_name, email, phone)
        )
        password_hash = self.ctx.hasher.hash(password)  # slow: outside any transaction
        return self.send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=phone,
            resend=False,
            update=lambda tx, rec: _stored(
                tx,
                attrs.evolve(
                    rec,
                    email=email,
                    phone=phone,
                    password_hash=password_hash,
                    status=RegistrationStatus.PENDING_OTP,
                ),
            ),
        )

    @staticmethod
    def _email_taken(tx: Transaction, email: str) -> bool:
        """Whether an active account uses ``email``: read in the caller's transaction, and
        told to no one before :meth:`_refuse_taken_email` has taken its slot."""
        return tx.accounts.find(email=email) is not None

    def _peek_email_checks(self, tx: Transaction, nik: str) -> Hit | None:
        """For a free e-mail, when the counters share the storage: whether the NIK's
        e-mail checks are locked, read in ``tx`` (``None``: not known here).

        A free e-mail's check took a slot and gave it back, two commits whose only
        lasting answer is whether a slot was free; reading the count in the unit
        that found the e-mail free gives the same answer. A taken e-mail still
        takes its slot (:meth:`_refuse_taken_email`): refusals stay capped.
        """
        slots = counters_within(self.counters, tx)
        if slots is None:
            return None
        return slots.peek(
            self.ctx.counter_key("email-taken", nik),
            limit=self.ctx.policy.max_email_conflicts_per_nik_per_day,
            window=DAY,
            now=self.ctx.clock(),
        )

    def _refuse_taken_email(self, nik: str, taken: bool, checked: Hit | None = None) -> None:
        """Refuse an e-mail an active account already uses, before any SMS is spent.

        The registrant has passed the identity check (NIK, name and mother's name at
        Dukcapil) and would learn the same at confirmation; the refusal names no one and
        reads the same for every account. Saying it at once is an oracle, so it is
        capped: every check takes a slot of the NIK's daily
        ``max_email_conflicts_per_nik_per_day`` before its answer is given, a refusal
        keeps it and a free e-mail gives it back, as the other caps; past the cap the
        step answers ``registration.email_checks_locked`` until the window ends,
        whether or not the e-mail is taken. The lookup itself (``taken``) is read in
        the caller's transaction, with the registration (one transaction, not two);
        what it found is said only once the slot is held, so N concurrent checks of
        one NIK still give at most the cap's refusals. Confirmation checks again (a
        race between two registrations of one e-mail is decided by the insert). A
        phone is not checked here on purpose: a taken number gets a notice instead of
        the code (:meth:`send_code`), so only its owner learns that it has an account.
        """
        if checked is not None and not taken:  # read in the caller's unit (_peek_email_checks)
            if not checked.allowed:
                raise RegistrationError(
                    "email_checks_locked", retry_after=whole_seconds(checked.retry_after)
                )
            return
        now = self.ctx.clock()
        key = self.ctx.counter_key("email-taken", nik)
        hit = self.counters.hit(
            key, limit=self.ctx.policy.max_email_conflicts_per_nik_per_day, window=DAY, now=now
        )
        if not hit.allowed:
            raise RegistrationError(
                "email_checks_locked", retry_after=whole_seconds(hit.retry_after)
            )
        if not taken:
            self.counters.release(key, window=DAY, now=now)
            return
        raise RegistrationError("email_taken")

    def change_email(self, registration_id: str, *, email: str) -> Registration:
        """Replace the e-mail of a registration waiting for its code (the code stays valid).

        :raises InvalidEmail: ``email.*``.
        :raises RegistrationError: ``not_found``, ``expired``, ``wrong_step``, ``email_taken``,
            ``email_checks_locked``.
        """
        email = normalize_email(email)
        with self.ctx.storage.transaction() as tx:
            record = self.live(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP:
                raise RegistrationError("wrong_step", status=record.status.value)
            taken = self._email_taken(tx, email)
        self._refuse_taken_email(record.nik, taken)
        with self.ctx.storage.transaction() as tx:
            record = self.live(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP:
                raise RegistrationError("wrong_step", status=record.status.value)
            record = attrs.evolve(record, email=email)
            tx.registrations.put(record)
            return self.view(record, tx)

    def change_phone(self, registration_id: str, *, phone: str) -> Registration:
        phone = normalize_phone(phone)
        with self.ctx.storage.transaction() as tx:
            record = self.live(tx, registration_id)
            if record.status is not RegistrationStatus.PENDING_OTP:
                raise RegistrationError("wrong_step", status=record.status.value)
        return self.send_code(
            subject_id=registration_id,
            purpose=OtpPurpose.REGISTRATION,
            nik=record.nik,
            phone=phone,
            resend=True,
            update=lambda tx, rec: _stored(tx, attrs.evolve(rec, phone=phone)),
        )

    def send_code(
        self,
        *,
        subject_id: str,
        purpose: OtpPurpose,
        nik: str,
        phone: str,
        resend: bool,
        update: Callable[[Transaction, RegistrationRecord], RegistrationRecord] | None,
    ) -> Registration:
        """Issue a new code for a registration and put its SMS in the outbox, with the challenge.

        ``update`` stores the registration's changes in the same transaction and
        returns the record as stored.
        """
        now = self.ctx.clock()
        code = self.codes.new_code()
        # The daily caps' slots: in the writing unit when the counters share it (a failed
        # send rolls them back with it), else before the write lock and given back on a
        # failure (the counters' own statements).
        in_unit = shares_units(self.counters, self.ctx.storage)
        reservation = None if in_unit else self.codes.reserve_sends(phone, nik, now)
        try:
            with self.ctx.storage.transaction() as tx:
                if reservation is None:
                    reserved = self.codes.reserve_sends(
                        phone, nik, now, counters=slots_in(self.counters, tx)
                    )
                else:
                    reserved = reservation
                record, previous = self.live_with_challenge(tx, subject_id)
                recent = self.codes.check_send_caps(previous, now, daily=reserved.refusal)
                challenge = self.codes.issue(
                    subject_id, purpose, phone, code, previous, recent, resend, now
                )
                tx.challenges.put(challenge)
                if update is not None:
                    record = update(tx, record)
                phone_has_account = tx.accounts.find(phone=phone) is not None
                self.codes.enqueue(tx, challenge, code, notice=phone_has_account)
        except BaseException:
            if reservation is not None:  # no code issued: the send's slots are free again
                self.codes.cancel(reservation)
            raise
        # The SMS goes after the answer: no timing or outage oracle. The view is what
        # was just committed, unless the code was delivered inline (no dispatcher:
        # tests, notebooks), which changed the challenge: then it is read again.
        if not self.ctx.wake():
            return self._view(record, challenge)
        with self.ctx.storage.transaction() as tx:
            record = self.live(tx, subject_id)
            return self.view(record, tx)

    def import_account(
        self, *, nik: str, full_name: str, email: str, phone: str
    ) -> tuple[Account, bool]:
        """Create an account from a trusted record (an AK/I register); ``(account, created)``.

        For migrations from a Disnaker's job-seeker register, whose people were
        identified at the counter. The account has no password: its holder sets
        one through recovery ("Kendala Masuk ke Akun?"), which proves the phone.
        Importing the same person again returns the existing account (idempotent);
        the same NIK with other contacts is a conflict.

        :raises InvalidNik: a malformed NIK.
        :raises InvalidEmail: a malformed e-mail address.
        :raises InvalidPhone: a malformed mobile number.
        :raises RegistrationError: ``registration.already_registered`` (other
            contacts), ``email_taken``, ``phone_taken``.
        """
        parsed = parse_nik(nik)
        refusal = name_refusal(full_name, "full_name")
        if refusal is not None:
            raise refusal
        full_name = " ".join(unicodedata.normalize("NFKC", full_name).split())
        email = normalize_email(email)
        phone = normalize_phone(phone)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            existing = tx.accounts.find(nik=parsed.value)
            if existing is not None:
                if (existing.email, existing.phone) == (email, phone):
                    return Account.from_record(existing), False
                raise already_registered(existing)
            record = AccountRecord(
                id=self.ctx.new_id(),
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
        self.ctx.emit(AccountImported(occurred_at=now, account_id=record.id))
        return Account.from_record(record), True

    def registrations_for(self, ids: Iterable[str]) -> list[Registration]:
        """Views of several registrations (unknown ids are skipped)."""
        views = []
        with self.ctx.storage.transaction() as tx:
            for rid in ids:
                record = tx.registrations.get(rid)
                if record is not None:
                    views.append(self.view(record, tx))
        return views

    def secret(self, registration_id: str) -> str:
        """The registration's secret: an HMAC of its id under the server pepper.

        Derived, not stored: nothing in storage reveals it, and it needs no
        column of its own. Only whoever started the registration was shown it.
        """
        return self.ctx.mac("registration-secret", registration_id)

    def check_secret(self, registration_id: str, secret: object) -> None:
        """:raises RegistrationError: ``secret_required`` unless ``secret`` is the one
        of ``registration_id`` (the same answer whether or not the id exists)."""
        expected = self.secret(str(registration_id)).encode("ascii")
        given = secret.encode("utf-8", "replace") if isinstance(secret, str) else b""
        if not hmac.compare_digest(given, expected):
            raise RegistrationError("secret_required")

    def registration(self, registration_id: str) -> Registration:
        with self.ctx.storage.transaction() as tx:
            record = tx.registrations.get(registration_id)
            if record is None:
                raise RegistrationError("not_found")
            return self.view(record, tx)
