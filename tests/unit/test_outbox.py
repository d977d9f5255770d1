"""The durable SMS outbox: enqueued with the challenge, sent after the answer, retried.

Each service here runs with ``sms_dispatch = "worker"`` unless said otherwise:
the request only enqueues, and the test plays the dispatcher with
``svc.deliver_outbox()`` on the manual clock, so every retry is deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from journey_support import (
    EMAIL,
    GALIH_MOTHER,
    GALIH_NAME,
    GALIH_NIK,
    PASSWORD,
    PHONE,
    PHONE_E164,
    Clock,
    Recorder,
    last_code,
)

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sms import MemorySender
from siapkerja_core.events import OtpSendFailed, OtpSent
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import SentMessage, SmsDeliveryError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services import DispatchReport, OutboxPolicy

T = TypeVar("T")


class ScriptedSender:
    """The service's memory sender, made to raise the given errors on its next sends."""

    def __init__(self, sender: MemorySender) -> None:
        self.sender = sender
        self.errors: list[SmsDeliveryError] = []
        self.calls = 0
        self._send = sender.send
        sender.send = self.send  # type: ignore[method-assign]

    @property
    def messages(self) -> list[SentMessage]:
        return self.sender.messages

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self._send(to, text, idempotency_key=idempotency_key)


def _of(recorder: Recorder, kind: type[T]) -> list[T]:
    return [event for event in recorder.events if isinstance(event, kind)]


def _refusal(**params: object) -> SmsDeliveryError:
    return SmsDeliveryError("unavailable", adapter="test", **params)


@pytest.fixture
def sender(worker_svc: Siapkerja) -> ScriptedSender:
    assert isinstance(worker_svc.sms, MemorySender)
    return ScriptedSender(worker_svc.sms)


@pytest.fixture
def worker_svc(clock: Clock, recorder: Recorder) -> Siapkerja:
    svc = connect(
        "memory",
        environ={},
        plugins=[recorder],
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        sms_dispatch="worker",
    )
    svc.outbox.policy = OutboxPolicy(backoff=timedelta(seconds=2), jitter=timedelta(0))
    return svc


def _pending(svc: Siapkerja, phone: str = PHONE) -> str:
    registration = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone=phone, password=PASSWORD)
    return registration.id


def test_the_request_only_enqueues_and_the_dispatcher_sends_after(
    worker_svc: Siapkerja, sender: ScriptedSender, recorder: Recorder
) -> None:
    rid = _pending(worker_svc)
    assert sender.calls == 0  # the answer did not wait for the SMS service
    assert worker_svc.outbox.pending() == 1
    assert not _of(recorder, OtpSent)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, sent=1)
    [message] = sender.messages
    assert message.to == PHONE_E164
    assert worker_svc.outbox.pending() == 0
    [sent] = _of(recorder, OtpSent)
    assert (sent.subject_id, sent.generation) == (rid, 1)
    # The code works as before; the gateway saw the challenge's key.
    worker_svc.confirm_otp(rid, last_code(worker_svc, PHONE, 6))


def test_a_password_reset_never_touches_the_sender_in_the_request(
    worker_svc: Siapkerja, sender: ScriptedSender
) -> None:
    rid = _pending(worker_svc)
    worker_svc.confirm_otp(rid, last_code(worker_svc, PHONE, 6))
    calls = sender.calls
    sender.errors = [_refusal(reason="would have been an oracle")] * 5
    known = worker_svc.request_password_reset(EMAIL)
    unknown = worker_svc.request_password_reset("nobody@example.com")
    assert sender.calls == calls
    assert type(known) is type(unknown)
    assert worker_svc.outbox.pending() == 1


def test_a_permanent_refusal_is_recorded_on_the_challenge_and_given_up(
    worker_svc: Siapkerja, sender: ScriptedSender, recorder: Recorder
) -> None:
    rid = _pending(worker_svc)
    sender.errors = [_refusal(reason="http_400", retryable=False)]
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, failed=1)
    view = worker_svc.registration(rid)
    assert view.sms_failure == "sms.unavailable"
    assert view.otp is not None
    assert view.otp.delivered is False
    assert worker_svc.outbox.pending() == 0
    [failed] = _of(recorder, OtpSendFailed)
    assert failed.subject_id == rid
    resent = worker_svc.resend_otp(rid)  # no cooldown after a failed send
    assert resent.otp is not None
    assert resent.otp.delivered is True


def test_a_transient_failure_is_retried_with_backoff_then_delivered_late(
    worker_svc: Siapkerja, sender: ScriptedSender, clock: Clock, recorder: Recorder
) -> None:
    rid = _pending(worker_svc)
    sender.errors = [_refusal(reason="http_503"), _refusal(reason="timeout")]
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, retried=1)
    failed = worker_svc.registration(rid)
    assert failed.sms_failure is not None  # the screen can say so, and resend works
    assert len(_of(recorder, OtpSendFailed)) == 1
    clock.advance(seconds=1.9)
    assert worker_svc.deliver_outbox().claimed == 0  # 2 s after the first attempt
    clock.advance(seconds=0.2)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, retried=1)
    clock.advance(seconds=3.9)
    assert worker_svc.deliver_outbox().claimed == 0  # then 4 s: exponential
    clock.advance(seconds=0.2)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, sent=1)
    late = worker_svc.registration(rid)
    assert late.sms_failure is None
    assert late.otp is not None
    assert late.otp.delivered is True
    assert len(_of(recorder, OtpSendFailed)) == 1  # recorded once, not per attempt


def test_a_retry_waits_for_the_gateways_retry_after(
    worker_svc: Siapkerja, sender: ScriptedSender, clock: Clock
) -> None:
    _pending(worker_svc)
    sender.errors = [_refusal(reason="http_429", retry_after=30.0)]
    worker_svc.deliver_outbox()
    clock.advance(seconds=29)
    assert worker_svc.deliver_outbox().claimed == 0
    clock.advance(seconds=1)
    assert worker_svc.deliver_outbox().sent == 1


def test_jitter_spreads_the_retries_of_one_outage(
    worker_svc: Siapkerja, sender: ScriptedSender
) -> None:
    worker_svc.outbox.policy = OutboxPolicy(
        backoff=timedelta(seconds=2), jitter=timedelta(seconds=1)
    )
    waits = {worker_svc.outbox._wait(1, None) for _ in range(50)}
    assert len(waits) > 10
    assert all(timedelta(seconds=2) <= w <= timedelta(seconds=3) for w in waits)
    assert worker_svc.outbox._wait(30, None) <= OutboxPolicy().max_backoff + timedelta(seconds=1)


def test_a_message_is_given_up_after_its_attempts(
    worker_svc: Siapkerja, sender: ScriptedSender, clock: Clock
) -> None:
    worker_svc.outbox.policy = OutboxPolicy(
        backoff=timedelta(seconds=1), jitter=timedelta(0), max_attempts=3
    )
    _pending(worker_svc)
    sender.errors = [_refusal(reason="http_503")] * 3
    reports = []
    for _ in range(3):
        reports.append(worker_svc.deliver_outbox())
        clock.advance(seconds=10)
    assert [(r.retried, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    assert worker_svc.outbox.pending() == 0


def test_a_superseded_code_is_dropped_not_sent(
    worker_svc: Siapkerja, sender: ScriptedSender, clock: Clock
) -> None:
    rid = _pending(worker_svc)
    sender.errors = [_refusal(reason="http_503")]
    worker_svc.deliver_outbox()  # the first code's send failed: it waits for a retry
    worker_svc.resend_otp(rid)  # a new code: the old one is dead
    clock.advance(seconds=10)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=2, sent=1, dropped=1)
    [message] = sender.messages
    worker_svc.confirm_otp(rid, last_code(worker_svc, PHONE, 6))
    assert message.text.count(last_code(worker_svc, PHONE, 6)) == 1


def test_an_expired_code_is_not_sent(
    worker_svc: Siapkerja, sender: ScriptedSender, clock: Clock
) -> None:
    _pending(worker_svc)
    clock.advance(hours=1)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, dropped=1)
    assert sender.calls == 0


def test_the_outbox_thread_delivers_without_a_drain(clock: Clock) -> None:
    svc = connect(
        "memory",
        environ={},
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        sms_dispatch="thread",
        sms_dispatch_poll="0.05",
    )
    _pending(svc)
    sender = svc.sms
    assert isinstance(sender, MemorySender)
    for _ in range(200):  # the thread was woken by the commit; no drain here
        if sender.messages:
            break
        time.sleep(0.01)
    assert [m.to for m in sender.messages] == [PHONE_E164]


def test_sms_dispatch_refuses_an_unknown_mode(make_svc: Callable[..., Siapkerja]) -> None:
    from siapkerja_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        connect("memory", environ={}, sms_dispatch="carrier-pigeon")
