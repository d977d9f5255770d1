"""The signed-in holder's contacts: a new phone, a new e-mail, a second contact; and the
recovery that uses the second contact when the primary phone is lost.

Every change is proved by a code sent to the **new** contact (the same
machinery, caps and cooldowns as the registration's codes,
:class:`~siapkerja_core.services.otp.OtpCodes`), and told to the old one: the
change, its audit record and its notices (``docs/notices.md``) are written in
one transaction. A confirmed phone or e-mail change ends every other session
of the account and opens a new one for the caller (as a password reset does):
a thief holding an old session loses it.

The **second contact** (a second phone or e-mail, confirmed by a code) is what
"lupa kata sandi / nomor hilang" sends its code to: with it the holder sets a
new password and starts a change of the primary phone, confirmed by a code to
the new number. It is never a knowledge secret — the mother's maiden name is a
Dukcapil match input, not a recovery answer.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Final

import attrs

from siapkerja_core import translations
from siapkerja_core.contact import (
    InvalidEmail,
    InvalidPhone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from siapkerja_core.contact_events import (
    EmailChanged,
    PhoneChanged,
    SecondContactAdded,
    SecondContactRemoved,
)
from siapkerja_core.errors import LoginError, OtpError, RegistrationError, ResetError
from siapkerja_core.events import DomainEvent, PasswordResetCompleted
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.notices import NOTICES
from siapkerja_core.ports import AccountConflict, Counters, Transaction
from siapkerja_core.ports.rights import CONTACT_CHALLENGE_PREFIXES
from siapkerja_core.records import AccountRecord, OtpChallenge, OtpPurpose, PasswordResetRecord
from siapkerja_core.second_contact import ContactError, ContactKind, SecondContact, mask_contact
from siapkerja_core.services.context import HOUR, ServiceContext, whole_seconds
from siapkerja_core.services.notices import NoticeWriter
from siapkerja_core.services.otp import SMS_LANGUAGE, OtpCodes
from siapkerja_core.views import Account, OtpState, PasswordResetRequest

__all__ = ["ContactChanges", "PendingContact"]

_SUBJECT: Final = dict(
    zip(("phone", "email", "second"), CONTACT_CHALLENGE_PREFIXES[:3], strict=True)
)
"""Each change's OTP subject prefix (an erasure finds them: ports/rights.py)."""
_RECOVERY: Final = CONTACT_CHALLENGE_PREFIXES[3]


@attrs.frozen(kw_only=True)
class PendingContact:
    """A contact change waiting for its code: what a "enter the code" screen shows.

    ``target`` is ``phone``, ``email`` or ``second``; ``kind`` the contact's
    kind; ``masked`` the new contact masked; ``otp`` the code's state.
    """

    target: str
    kind: ContactKind
    masked: str
    otp: OtpState


def contact_kind(value: str) -> tuple[ContactKind, str]:
    """The kind and normalised form of a typed contact (an ``@`` makes it an e-mail).

    :raises InvalidEmail: ``email.*``. :raises InvalidPhone: ``phone.*``.
    """
    text = str(value).strip()
    if "@" in text:
        return ContactKind.EMAIL, normalize_email(text)
    return ContactKind.PHONE, normalize_phone(text)


class ContactChanges:
    """Change the account's phone and e-mail, keep a second contact, recover with it.

    :param ctx: the shared service context.
    :param codes: issues and checks the codes (and their caps).
    :param counters: the rate-limit slots (reset throttles after a recovery).
    :param notices: writes the notices in the changes' transactions.
    """

    def __init__(
        self, ctx: ServiceContext, *, codes: OtpCodes, counters: Counters, notices: NoticeWriter
    ) -> None:
        self.ctx = ctx
        self.codes = codes
        self.counters = counters
        self.notices = notices

    # --- reading ------------------------------------------------------------------------

    def _account(self, tx: Transaction, account_id: str) -> AccountRecord:
        account = tx.accounts.get(str(account_id))
        if account is None or not account.active:
            raise LoginError("session_invalid")
        return account

    def second_contact(self, account_id: str) -> SecondContact | None:
        """The account's verified second contact, if any."""
        with self.ctx.storage.transaction(read_only=True) as tx:
            self._account(tx, account_id)
            return tx.second_contacts.get(account_id)

    def pending(self, account_id: str, target: str) -> PendingContact | None:
        """The change of ``target`` (``phone``, ``email``, ``second``) waiting for its code."""
        subject = _SUBJECT[target] + str(account_id)
        with self.ctx.storage.transaction(read_only=True) as tx:
            challenge = tx.challenges.get(subject)
        if challenge is None or not challenge.is_live(self.ctx.clock()):
            return None
        return self._pending(target, challenge)

    def _pending(self, target: str, challenge: OtpChallenge) -> PendingContact:
        kind, _ = contact_kind(challenge.phone)
        return PendingContact(
            target=target,
            kind=kind,
            masked=mask_contact(kind, challenge.phone),
            otp=self.codes.state(challenge),
        )

    # --- sending a code to a new contact ---------------------------------------------------

    def _code_text(self, code: str, channel: str) -> str:
        minutes = whole_seconds(self.ctx.policy.otp_ttl) // 60
        service = self.codes.service_name
        text = translations.text(
            "sms.code",
            SMS_LANGUAGE,
            service=service,
            purpose=translations.text("sms.purpose.contact_change", SMS_LANGUAGE),
            code=code,
            minutes=minutes,
        )
        if channel != "email":
            return text
        subject = translations.text("notice.code_subject", SMS_LANGUAGE, service=service)
        return f"{subject}\n\n{text}"

    def _send_code(
        self,
        account: AccountRecord,
        subject: str,
        kind: ContactKind,
        destination: str,
        *,
        purpose: OtpPurpose = OtpPurpose.CONTACT_CHANGE,
        extra: object = None,
    ) -> OtpChallenge:
        """Issue a code for ``subject`` to ``destination`` and put it in the outbox (one tx).

        The daily caps are taken per destination and per NIK before the
        transaction (as registration does); the cooldown and hourly cap run per
        subject, so a resend to the same change waits as any resend does.
        """
        now = self.ctx.clock()
        code = self.codes.new_code()
        reservation = self.codes.reserve_sends(destination, account.nik, now)
        try:
            with self.ctx.storage.transaction() as tx:
                previous = tx.challenges.get(subject)
                recent = self._caps(previous, now, reservation.refusal)
                challenge = self.codes.issue(
                    subject, purpose, destination, code, previous, recent, previous is not None, now
                )
                tx.challenges.put(challenge)
                self.codes.outbox.enqueue(
                    tx,
                    message_id=f"{subject}:{challenge.generation}",
                    to=destination,
                    text=self._code_text(code, kind.channel),
                    now=now,
                    expires_at=challenge.expires_at,
                    subject_id=subject,
                    generation=challenge.generation,
                    purpose=purpose.value,
                    channel=kind.channel,
                )
        except BaseException:
            self.codes.cancel(reservation)
            raise
        self.ctx.wake()
        return challenge

    def _caps(
        self, previous: OtpChallenge | None, now: datetime, daily: OtpError | None
    ) -> tuple[datetime, ...]:
        """The sending caps of a new code for a subject whose last code is ``previous``.

        A code that was used finished its change: a new change is not a resend,
        so no cooldown runs from it; its sends still count within the hour.
        """
        if previous is None or not previous.used:
            return self.codes.check_send_caps(previous, now, daily=daily)
        recent = previous.sends_within(now, HOUR)
        if len(recent) >= self.ctx.policy.max_sends_per_hour:
            raise OtpError("send_limit", retry_after=whole_seconds(recent[0] + HOUR - now))
        if daily is not None:
            raise daily
        return recent

    def _request(self, account_id: str, target: str, value: str) -> PendingContact:
        kind, normalised = contact_kind(value)
        if target == "phone" and kind is not ContactKind.PHONE:
            normalize_phone(value)  # raises the phone error the caller expects
        if target == "email" and kind is not ContactKind.EMAIL:
            normalize_email(value)
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self._account(tx, account_id)
            if normalised in (account.phone, account.email):
                raise ContactError("same_as_primary" if target == "second" else "no_change")
            if target == "phone" and tx.accounts.find(phone=normalised) is not None:
                raise RegistrationError("phone_taken")
            if target == "email" and tx.accounts.find(email=normalised) is not None:
                raise RegistrationError("email_taken")
        if kind is ContactKind.EMAIL and self.codes.outbox.email is None:
            raise ContactError("no_email_channel")
        challenge = self._send_code(account, _SUBJECT[target] + account.id, kind, normalised)
        return self._pending(target, challenge)

    def request_phone_change(self, account_id: str, phone: str) -> PendingContact:
        """Send a code to the new ``phone``; :meth:`confirm_phone_change` makes it the account's.

        :raises InvalidPhone: ``phone.*``.
        :raises ContactError: ``contact.no_change`` (it is the account's phone already).
        :raises RegistrationError: ``registration.phone_taken`` (another account's).
        :raises OtpError: ``otp.cooldown``, ``send_limit``, ``daily_limit``.
        """
        return self._request(account_id, "phone", phone)

    def request_email_change(self, account_id: str, email: str) -> PendingContact:
        """Send a code (by e-mail) to the new ``email``; :meth:`confirm_email_change` takes it.

        :raises InvalidEmail: ``email.*``.
        :raises ContactError: ``contact.no_change``, ``no_email_channel``.
        :raises RegistrationError: ``registration.email_taken``.
        :raises OtpError: the sending caps.
        """
        return self._request(account_id, "email", email)

    def request_second_contact(self, account_id: str, contact: str) -> PendingContact:
        """Send a code to a second phone or e-mail (``@`` makes it an e-mail).

        :raises ContactError: ``contact.same_as_primary``, ``no_email_channel``.
        """
        return self._request(account_id, "second", contact)

    # --- confirming ------------------------------------------------------------------------

    def _checked(self, account_id: str, target: str, code: str) -> OtpChallenge:
        subject = _SUBJECT[target] + str(account_id)
        with self.ctx.storage.transaction(read_only=True) as tx:
            self._account(tx, account_id)
            challenge = tx.challenges.get(subject)
        if challenge is None:
            raise ContactError("nothing_pending")
        self.codes.check(challenge, code)  # outside any transaction: a counter slot
        return challenge

    @staticmethod
    def _second(tx: Transaction, account_id: str) -> list[tuple[str, str]]:
        """The second contact as a notice recipient (none when there is none)."""
        second = tx.second_contacts.get(account_id)
        return [] if second is None else [(second.kind.channel, second.value)]

    @staticmethod
    def _spend(tx: Transaction, challenge: OtpChallenge) -> None:
        live = tx.challenges.get(challenge.subject_id)
        if live is None or live.used or live.generation != challenge.generation:
            raise OtpError("expired")  # a concurrent confirmation spent it first
        tx.challenges.put(live.spent())

    def _audit(self, tx: Transaction, account_id: str, action: str, **details: object) -> None:
        self.ctx.record_admin_action(
            tx,
            actor=f"holder:{account_id}",
            action=action,
            target_kind="account",
            target_id=account_id,
            details={k: v for k, v in details.items() if isinstance(v, str | int | bool)},
        )

    def confirm_phone_change(self, account_id: str, code: str) -> Account:
        """The code sent to the new phone: it becomes the account's phone.

        Every session of the account ends and a new one is returned (the
        caller's). The notice goes to the old and the new number, the e-mail
        and the second contact, in the same transaction as the change.

        :raises OtpError: ``otp.invalid``, ``expired``, ``dead``.
        :raises ContactError: ``contact.nothing_pending``.
        :raises RegistrationError: ``registration.phone_taken`` (taken meanwhile).
        """
        return self._confirm_change(account_id, code, "phone")

    def confirm_email_change(self, account_id: str, code: str) -> Account:
        """The code sent to the new e-mail: it becomes the account's e-mail.

        As :meth:`confirm_phone_change`: other sessions end, the old and the new
        address (and the phone) are told in the same transaction.

        :raises RegistrationError: ``registration.email_taken`` (taken meanwhile).
        """
        return self._confirm_change(account_id, code, "email")

    def _confirm_change(self, account_id: str, code: str, target: str) -> Account:
        """Confirm a change of the account's ``target`` (``phone`` or ``email``)."""
        by_phone = target == "phone"
        mask = mask_phone if by_phone else mask_email
        channel, other = ("sms", "email") if by_phone else ("email", "sms")
        challenge = self._checked(account_id, target, code)
        now = self.ctx.clock()
        new = challenge.phone  # the challenge's destination: a number or an address
        with self.ctx.storage.transaction() as tx:
            self._spend(tx, challenge)
            record = self._account(tx, account_id)
            old = record.phone if by_phone else record.email
            changed = (
                attrs.evolve(record, phone=new) if by_phone else attrs.evolve(record, email=new)
            )
            try:
                tx.accounts.put(changed)
            except AccountConflict:
                raise RegistrationError(f"{target}_taken") from None
            ended = tx.sessions.delete_for_account(record.id)
            session = self.ctx.open_session(tx, record.id, now)
            self.notices.write(
                tx,
                NOTICES[f"account.{target}_changed"],
                key=f"{challenge.subject_id}:{challenge.generation}",
                recipients=[
                    (channel, old),
                    (channel, new),
                    (other, record.email if by_phone else record.phone),
                    *self._second(tx, record.id),
                ],
                now=now,
                detail=mask(new),
            )
            self._audit(
                tx,
                record.id,
                f"account.{target}_change",
                old=mask(old),
                new=mask(new),
                sessions_ended=ended,
            )
        self.ctx.wake()
        event: DomainEvent = (
            PhoneChanged(
                occurred_at=now, account_id=record.id, phone_masked=mask(new), sessions_ended=ended
            )
            if by_phone
            else EmailChanged(
                occurred_at=now, account_id=record.id, email_masked=mask(new), sessions_ended=ended
            )
        )
        self.ctx.emit(event)
        return Account.from_record(changed, session)

    def confirm_second_contact(self, account_id: str, code: str) -> SecondContact:
        """The code sent to the second contact: it is kept (replacing an earlier one).

        The holder's phone and e-mail are told, in the same transaction.
        """
        challenge = self._checked(account_id, "second", code)
        now = self.ctx.clock()
        kind, value = contact_kind(challenge.phone)
        contact = SecondContact(account_id=str(account_id), kind=kind, value=value, verified_at=now)
        with self.ctx.storage.transaction() as tx:
            self._spend(tx, challenge)
            record = self._account(tx, account_id)
            tx.second_contacts.put(contact)
            self.notices.write(
                tx,
                NOTICES["contact.second_added"],
                key=f"{challenge.subject_id}:{challenge.generation}",
                recipients=[("sms", record.phone), ("email", record.email)],
                now=now,
                detail=contact.masked,
            )
            self._audit(
                tx, record.id, "contact.second_add", kind=kind.value, contact=contact.masked
            )
        self.ctx.wake()
        self.ctx.emit(
            SecondContactAdded(
                occurred_at=now,
                account_id=contact.account_id,
                kind=kind.value,
                contact_masked=contact.masked,
            )
        )
        return contact

    def remove_second_contact(self, account_id: str) -> bool:
        """Forget the second contact; whether there was one (audited)."""
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            self._account(tx, account_id)
            removed = tx.second_contacts.delete(str(account_id))
            if removed:
                self._audit(tx, str(account_id), "contact.second_remove")
        if removed:
            self.ctx.emit(SecondContactRemoved(occurred_at=now, account_id=str(account_id)))
        return removed

    # --- recovery with the second contact ----------------------------------------------------

    def _find(self, tx: Transaction, identifier: str) -> AccountRecord | None:
        text = str(identifier).strip()
        try:
            if "@" in text:
                return tx.accounts.find(email=normalize_email(text))
            digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
            if len(digits) == 16 and not text.startswith(("+", "0")):
                return tx.accounts.find(nik=parse_nik(text).value)
            return tx.accounts.find(phone=normalize_phone(text))
        except (InvalidEmail, InvalidPhone, InvalidNik):
            return None

    def request_recovery(self, identifier: str) -> PasswordResetRequest:
        """ "Nomor hilang": send a code to the account's **second contact**.

        The answer is the same whether or not ``identifier`` has an account
        with a second contact, and whatever a cap says (as the password reset's):
        a request that sent nothing can never succeed.
        """
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            account = self._find(tx, identifier)
            second = None
            if account is not None and account.active:
                second = tx.second_contacts.get(account.id)
        generation: int | None = None
        if account is not None and second is not None:
            try:
                challenge = self._send_code(
                    account,
                    _RECOVERY + account.id,
                    second.kind,
                    second.value,
                    purpose=OtpPurpose.PASSWORD_RESET,
                )
                generation = challenge.generation
            except OtpError:
                generation = None  # capped: not reported (it would tell a stranger)
        request = PasswordResetRecord(
            id=self.ctx.new_id(),
            account_id=None if second is None or account is None else account.id,
            generation=generation,
            created_at=now,
            expires_at=now + self.ctx.policy.reset_ttl,
        )
        with self.ctx.storage.transaction() as tx:
            tx.resets.put(request)
        return PasswordResetRequest(id=request.id, expires_at=request.expires_at)

    def complete_recovery(
        self, request_id: str, code: str, new_password: str, new_phone: str
    ) -> tuple[Account, PendingContact | None]:
        """The second contact's code, a new password and the new phone number.

        The password is set at once (every session ends; a new one is
        returned) and a code goes to ``new_phone``: :meth:`confirm_phone_change`
        (signed in, with that code) makes it the account's phone and tells the
        old number, the e-mail and the second contact. The pending change is
        ``None`` when ``new_phone`` is the account's phone already, or when a
        sending cap holds (the holder asks again from the signed-in pages).

        :raises ResetError: ``reset.invalid`` (one message for every cause).
        :raises WeakPassword: ``password.*``. :raises InvalidPhone: ``phone.*``.
        :raises RegistrationError: ``registration.phone_taken`` (checked before the code
            is spent).
        """
        phone = normalize_phone(new_phone)
        now = self.ctx.clock()
        with self.ctx.storage.transaction(read_only=True) as tx:
            request = tx.resets.get(str(request_id))
            account = challenge = None
            if request is not None and request.account_id is not None:
                account = tx.accounts.get(request.account_id)
                challenge = tx.challenges.get(_RECOVERY + request.account_id)
        if (
            request is None
            or request.used
            or now >= request.expires_at
            or account is None
            or not account.active
            or challenge is None
            or challenge.generation != request.generation
        ):
            raise ResetError("invalid")
        try:
            self.codes.check(challenge, code)
        except OtpError:
            raise ResetError("invalid") from None
        self.ctx.policy.password.check(
            new_password, context=(account.nik, account.full_name, account.email, phone)
        )
        with self.ctx.storage.transaction(read_only=True) as tx:
            holder = tx.accounts.find(phone=phone)
        if holder is not None and holder.id != account.id:
            raise RegistrationError("phone_taken")
        password_hash = self.ctx.hasher.hash(new_password)
        with self.ctx.storage.transaction() as tx:
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
            record = self._account(tx, account.id)
            record = attrs.evolve(record, password_hash=password_hash, password_changed_at=now)
            tx.accounts.put(record)
            ended = tx.sessions.delete_for_account(record.id)
            session = self.ctx.open_session(tx, record.id, now)
            self._audit(tx, record.id, "account.recover_second_contact", sessions_ended=ended)
        self.counters.clear(self.ctx.counter_key("login-fail", f"account:{record.id}"))
        self.ctx.emit(
            PasswordResetCompleted(occurred_at=now, account_id=record.id, sessions_ended=ended)
        )
        pending = None
        if phone != record.phone:
            try:
                pending = self.request_phone_change(record.id, phone)
            except OtpError:
                pending = None
        return Account.from_record(record, session), pending
