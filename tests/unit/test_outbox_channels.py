"""The outbox's channels: an ``email`` message goes to the e-mail sender, retried alike;
without an e-mail sender it is given up, and SMS messages are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from journey_support import Clock

from siapkerja_adapters.connect import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.services import DispatchReport
from siapkerja_core.services.outbox import email_parts


@pytest.fixture
def worker_svc(clock: Clock) -> Siapkerja:
    return connect(
        "memory",
        environ={},
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        sms_dispatch="worker",
    )


def enqueue(svc: Siapkerja, message_id: str, channel: str, to: str) -> None:
    now = svc.now()
    with svc.storage.transaction() as tx:
        svc.outbox.enqueue(
            tx,
            message_id=message_id,
            to=to,
            text="Subjek pesan\n\nIsi pesan\nbaris dua",
            now=now,
            expires_at=now + timedelta(hours=1),
            channel=channel,
        )


def test_email_parts_split_the_subject_from_the_body() -> None:
    assert email_parts("Subjek\n\nIsi\nbaris") == ("Subjek", "Isi\nbaris")
    assert email_parts("Hanya subjek") == ("Hanya subjek", "")


def test_each_channel_goes_to_its_sender(worker_svc: Siapkerja) -> None:
    enqueue(worker_svc, "m-mail", "email", "galih@example.id")
    enqueue(worker_svc, "m-sms", "sms", "+6281234567890")
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=2, sent=2)
    mail = worker_svc.adapters["email"].messages  # type: ignore[attr-defined]
    assert [(m.to, m.subject, m.body) for m in mail] == [
        ("galih@example.id", "Subjek pesan", "Isi pesan\nbaris dua")
    ]
    sms = worker_svc.sms.messages  # type: ignore[attr-defined]
    assert [(m.to, m.text) for m in sms] == [
        ("+6281234567890", "Subjek pesan\n\nIsi pesan\nbaris dua")
    ]


def test_a_failed_email_is_retried_after_its_backoff(worker_svc: Siapkerja, clock: Clock) -> None:
    worker_svc.adapters["email"].fail_next(1)  # type: ignore[attr-defined]
    enqueue(worker_svc, "m-retry", "email", "galih@example.id")
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, retried=1)
    assert worker_svc.outbox.pending() == 1
    clock.advance(seconds=10)
    assert worker_svc.deliver_outbox() == DispatchReport(claimed=1, sent=1)
    assert worker_svc.outbox.pending() == 0


def test_without_an_email_sender_an_email_is_given_up(clock: Clock) -> None:
    svc = connect(
        "memory",
        environ={},
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
        sms_dispatch="worker",
    )
    svc.outbox.email = None
    enqueue(svc, "m-none", "email", "galih@example.id")
    assert svc.deliver_outbox() == DispatchReport(claimed=1, failed=1)
    assert svc.outbox.pending() == 0


def test_an_unknown_channel_is_refused(worker_svc: Siapkerja) -> None:
    with pytest.raises(ValueError):
        enqueue(worker_svc, "m-bad", "fax", "x")
