"""The e-mail sender contract (the ``email`` port), for any adapter.

Subclass :class:`EmailSenderContract` and give it a ``mailer`` fixture; the
checks are those of :class:`~siapkerja_core.ports.EmailSender`'s docstring:
a receipt for the e-mail given, the first receipt again for a repeated
idempotency key (across threads too), and a body holding a one-time code
never logged above DEBUG nor shown in a receipt's repr.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import ClassVar, Final

import pytest

from siapkerja_adapters.testing.contract import AdapterContract
from siapkerja_core.ports import EmailSender, SentEmail

__all__ = ["BODY", "SUBJECT", "TO", "EmailSenderContract"]

TO: Final = "galih@example.id"
SUBJECT: Final = "SIAPkerja Kemnaker: kode verifikasi"
CODE: Final = "482913"
BODY: Final = f"Kode verifikasi SIAPkerja: {CODE}"


class EmailSenderContract(AdapterContract):
    """The contract of the ``email`` port; provide the ``mailer`` fixture (as ``sender``)."""

    kind: ClassVar[str] = "email"
    port: ClassVar[type] = EmailSender

    @pytest.fixture
    def adapter_under_test(self, mailer: EmailSender) -> EmailSender:
        return mailer

    def test_send_returns_a_receipt_for_the_same_message(self, mailer: EmailSender) -> None:
        before = datetime.now(UTC)
        receipt = mailer.send_email(TO, SUBJECT, BODY)
        assert isinstance(receipt, SentEmail)
        assert (receipt.to, receipt.subject, receipt.body) == (TO, SUBJECT, BODY)
        assert isinstance(receipt.message_id, str)
        assert receipt.message_id
        assert receipt.sent_at.tzinfo is not None
        assert before <= receipt.sent_at <= datetime.now(UTC)

    def test_the_same_idempotency_key_returns_the_first_receipt(self, mailer: EmailSender) -> None:
        first = mailer.send_email(TO, SUBJECT, BODY, idempotency_key="notice:1")
        again = mailer.send_email(TO, SUBJECT, BODY, idempotency_key="notice:1")
        other = mailer.send_email(TO, SUBJECT, BODY, idempotency_key="notice:2")
        assert again == first
        assert other.message_id != first.message_id

    def test_idempotency_holds_across_threads(self, mailer: EmailSender) -> None:
        receipts: list[SentEmail] = []
        barrier = threading.Barrier(6)

        def send() -> None:
            barrier.wait()
            receipts.append(mailer.send_email(TO, SUBJECT, BODY, idempotency_key="race"))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(receipts) == 6, "a send raised in a thread"
        assert len({r.message_id for r in receipts}) == 1

    def test_the_body_is_never_logged_above_debug(
        self, mailer: EmailSender, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            receipt = mailer.send_email(TO, SUBJECT, BODY)
        leaked = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
        assert all(CODE not in message for message in leaked)
        assert CODE not in repr(receipt)
