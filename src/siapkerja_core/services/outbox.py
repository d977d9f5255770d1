"""The durable SMS outbox: a message is written with the state that needs it, sent after the answer.

A request that issues a code only *enqueues* its SMS (:meth:`SmsOutbox.enqueue`,
inside the request's own transaction): the answer never waits for the SMS
gateway, so it takes the same time and has the same outcome whether or not an
account exists behind an identifier, whether or not the gateway is up. And a
message exists exactly when the challenge it carries was committed, so a crash
between the two loses nothing.

A dispatcher — the serving process's background thread, or ``siapkerja
worker`` — calls :meth:`SmsOutbox.deliver_due`: claim a batch under a lease
(short transaction), send each message outside any transaction with its id as
the idempotency key, then delete it (sent) or reschedule it (failed). Retries
back off exponentially with random jitter, never before the gateway's
``Retry-After``; a permanent refusal (``retryable=False`` on the
:class:`~siapkerja_core.ports.SmsDeliveryError`: an HTTP 4xx other than 429),
too many attempts or the code's expiry end them. The first failure of a code's
message is recorded on its challenge (``with_failed_send`` and an
:class:`~siapkerja_core.events.OtpSendFailed` event, as before the outbox), so
the verification screen says the SMS failed and a resend works at once; a
later successful retry marks it delivered again. A message whose challenge
moved on (a resend, a confirmation, expiry) is dropped unsent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from siapkerja_core.contact import mask_email, mask_phone
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import OtpSendFailed, OtpSent
from siapkerja_core.ports import (
    EmailDeliveryError,
    EmailSender,
    MessageSender,
    SmsDeliveryError,
    Transaction,
)
from siapkerja_core.records import OtpChallenge, OutboxMessage
from siapkerja_core.services.context import ServiceContext

__all__ = ["CHANNELS", "DispatchReport", "OutboxPolicy", "SmsOutbox", "email_parts"]

CHANNELS = ("sms", "email")
"""The outbox's channels: a message goes by SMS (``to`` a number) or e-mail (an address)."""


def email_parts(text: str) -> tuple[str, str]:
    """``(subject, body)`` of an ``email`` message's ``text``: the first line, the rest."""
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


@attrs.frozen(kw_only=True)
class OutboxPolicy:
    """How the outbox retries.

    :param lease: how long a claimed message is a dispatcher's; after it
        another dispatcher may take it (a killed worker's messages come back).
        Longer than one send with its in-call retries.
    :param backoff: the wait after the first failed attempt, doubled after each next one…
    :param max_backoff: …up to this.
    :param jitter: up to this much random time added to each wait, so the
        messages of one outage do not all come back at once.
    :param max_attempts: attempts before a message is given up.
    :param max_retry_after: the longest ``Retry-After`` honoured as such (a
        longer one is cut to it: a code is short-lived).
    """

    lease: timedelta = timedelta(minutes=2)
    backoff: timedelta = timedelta(seconds=2)
    max_backoff: timedelta = timedelta(minutes=5)
    jitter: timedelta = timedelta(seconds=1)
    max_attempts: int = 10
    max_retry_after: timedelta = timedelta(hours=1)

    def __attrs_post_init__(self) -> None:
        if self.lease <= timedelta(0) or self.max_attempts < 1:
            raise ValueError("lease must be positive and max_attempts at least 1")
        if min(self.backoff, self.max_backoff, self.jitter, self.max_retry_after) < timedelta(0):
            raise ValueError("backoff, max_backoff, jitter and max_retry_after must be >= 0")


@attrs.frozen
class DispatchReport:
    """What one :meth:`SmsOutbox.deliver_due` (or a drain) did.

    ``claimed`` messages were taken; of them ``sent`` went out, ``retried``
    failed and wait for a later attempt, ``failed`` were given up and
    ``dropped`` were worthless (superseded or expired) and not sent.
    """

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        pairs = zip(attrs.astuple(self), attrs.astuple(other), strict=True)
        return DispatchReport(*(a + b for a, b in pairs))


class SmsOutbox:
    """Enqueue messages in the caller's transaction; deliver them from a dispatcher.

    :param ctx: the shared service context (storage, clock, randomness, events).
    :param sms: the sender the dispatcher hands ``sms`` messages to.
    :param policy: leases and retries.
    :param email: the sender of ``email`` messages (``None``: an e-mail message
        is given up at its first attempt, ``mail.unavailable``).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        sms: MessageSender,
        policy: OutboxPolicy | None = None,
        email: EmailSender | None = None,
    ) -> None:
        self.ctx = ctx
        self.sms = sms
        self.policy = policy or OutboxPolicy()
        self.email = email

    # --- the request side ---------------------------------------------------------------

    def enqueue(
        self,
        tx: Transaction,
        *,
        message_id: str,
        to: str,
        text: str,
        now: datetime,
        expires_at: datetime | None = None,
        subject_id: str | None = None,
        generation: int | None = None,
        purpose: str | None = None,
        channel: str = "sms",
    ) -> OutboxMessage:
        """Write a message in ``tx``; it is sent after ``tx`` commits (and never if it rolls back).

        The caller wakes the dispatcher (``ctx.wake()``) once its transaction committed.
        ``channel`` is ``sms`` or ``email`` (the subject is ``text``'s first line).
        """
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
        message = OutboxMessage(
            id=message_id,
            to=to,
            text=text,
            created_at=now,
            available_at=now,
            expires_at=expires_at,
            subject_id=subject_id,
            generation=generation,
            purpose=purpose,
            channel=channel,
        )
        tx.outbox.add(message)
        return message

    # --- the dispatcher side ------------------------------------------------------------

    def deliver_due(self, *, limit: int = 50, lease: timedelta | None = None) -> DispatchReport:
        """Claim up to ``limit`` due messages and try each once; what happened.

        :param lease: this dispatcher's lease (default: the policy's).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        now = self.ctx.clock()
        live: list[OutboxMessage] = []
        dropped = 0
        with self.ctx.storage.transaction() as tx:
            claimed = tx.outbox.claim(now=now, lease=lease or self.policy.lease, limit=limit)
            for message in claimed:
                if self._worthless(tx, message, now):
                    tx.outbox.delete(message.id)
                    dropped += 1
                else:
                    live.append(message)
        report = DispatchReport(claimed=len(claimed), dropped=dropped)
        for message in live:
            report += self._deliver(message)
        return report

    def drain(self, *, batch: int = 50) -> DispatchReport:
        """Deliver until nothing is due (a test, a notebook, ``siapkerja worker --once``)."""
        total = DispatchReport()
        while True:
            report = self.deliver_due(limit=batch)
            total += report
            if report.claimed < batch:
                return total

    def pending(self) -> int:
        """How many messages wait in the outbox (due or not)."""
        with self.ctx.storage.transaction() as tx:
            return tx.outbox.count()

    def _worthless(self, tx: Transaction, message: OutboxMessage, now: datetime) -> bool:
        if message.expires_at is not None and now >= message.expires_at:
            return True
        if message.subject_id is None:
            return False
        challenge = tx.challenges.get(message.subject_id)
        return (
            challenge is None
            or challenge.generation != message.generation
            or not challenge.is_live(now)
        )

    def _send(self, message: OutboxMessage) -> None:
        """Hand ``message`` to the sender of its channel (raises its delivery error)."""
        if message.channel != "email":
            self.sms.send(message.to, message.text, idempotency_key=message.id)
            return
        if self.email is None:
            raise EmailDeliveryError("unavailable", adapter="none", retryable=False)
        subject, body = email_parts(message.text)
        self.email.send_email(message.to, subject, body, idempotency_key=message.id)

    def _deliver(self, message: OutboxMessage) -> DispatchReport:
        try:
            self._send(message)
        except (SmsDeliveryError, EmailDeliveryError) as error:
            return self._failed(message, error)
        now = self.ctx.clock()
        with self.ctx.storage.transaction() as tx:
            tx.outbox.delete(message.id)
            challenge = self._current_challenge(tx, message)
            if challenge is not None and not challenge.delivered:
                tx.challenges.put(challenge.with_late_delivery(now))
        if message.subject_id is not None and message.generation is not None:
            self.ctx.emit(
                OtpSent(
                    occurred_at=now,
                    subject_id=message.subject_id,
                    purpose=message.purpose or "",
                    phone_masked=(
                        mask_email(message.to)
                        if message.channel == "email"
                        else mask_phone(message.to)
                    ),
                    generation=message.generation,
                )
            )
        return DispatchReport(sent=1)

    def _failed(self, message: OutboxMessage, error: SiapkerjaError) -> DispatchReport:
        now = self.ctx.clock()
        params = error.params
        reason = str(params.get("reason") or error.full_code)
        retry_at = now + self._wait(message.attempts, params.get("retry_after"))
        give_up = (
            params.get("retryable") is False
            or message.attempts >= self.policy.max_attempts
            or (message.expires_at is not None and retry_at >= message.expires_at)
        )
        recorded = False
        with self.ctx.storage.transaction() as tx:
            challenge = self._current_challenge(tx, message)
            if challenge is not None and challenge.delivered:
                tx.challenges.put(challenge.with_failed_send(error.full_code))
                recorded = True
            if give_up:
                tx.outbox.delete(message.id)
            else:
                tx.outbox.put(message.retry_at(retry_at, reason))
        if recorded and message.subject_id is not None:
            self.ctx.emit(
                OtpSendFailed(
                    occurred_at=now,
                    subject_id=message.subject_id,
                    purpose=message.purpose or "",
                    reason=error.full_code,
                )
            )
        return DispatchReport(failed=1) if give_up else DispatchReport(retried=1)

    def _current_challenge(self, tx: Transaction, message: OutboxMessage) -> OtpChallenge | None:
        if message.subject_id is None:
            return None
        challenge = tx.challenges.get(message.subject_id)
        if challenge is None or challenge.generation != message.generation:
            return None
        return challenge

    def _wait(self, attempts: int, retry_after: object) -> timedelta:
        """Exponential backoff with jitter after ``attempts`` attempts; never before Retry-After."""
        policy = self.policy
        exponent = min(max(attempts - 1, 0), 30)
        wait = min(policy.backoff * (1 << exponent), policy.max_backoff)
        jitter_ms = int(policy.jitter.total_seconds() * 1000)
        if jitter_ms > 0:
            wait += timedelta(milliseconds=self.ctx.entropy.randbelow(jitter_ms + 1))
        if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool):
            asked = min(timedelta(seconds=max(float(retry_after), 0.0)), policy.max_retry_after)
            wait = max(wait, asked)
        return wait
