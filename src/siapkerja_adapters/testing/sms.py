"""The message-sender contract (the ``sms`` port), for any adapter.

Subclass :class:`MessageSenderContract` and give it a ``sender`` fixture; the
checks are those of :class:`~siapkerja_core.ports.MessageSender`'s docstring:
a receipt for the message given, a fresh message id per message, the first
receipt again for a repeated idempotency key (across threads too), and the
one-time code never logged above DEBUG nor shown in a receipt's repr.

An adapter in front of a real service runs it against a stand-in for that
service on 127.0.0.1 (:class:`~siapkerja_adapters.testing.servers.JsonHttpServer`),
so the contract goes through the adapter's real HTTP code.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import ClassVar, Final

import pytest

from siapkerja_adapters.testing.contract import AdapterContract
from siapkerja_core.ports import MessageSender, SentMessage

__all__ = ["CODE", "OTHER", "TEXT", "TO", "MessageSenderContract"]

TO: Final = "+6281234567890"
"""The recipient of the contract's messages (E.164, as the core passes numbers)."""
OTHER: Final = "+6285700001111"
CODE: Final = "482913"
TEXT: Final = f"Kode verifikasi SIAPkerja: {CODE}"
"""A message holding a one-time code: an adapter must never log it above DEBUG."""


class MessageSenderContract(AdapterContract):
    """The contract of the ``sms`` port; provide the ``sender`` fixture.

    ``sender`` returns the adapter, ready to send (close it in the fixture's
    teardown), in the subclass or a ``conftest.py``. Set ``adapter_name`` to
    check its registration too, with an ``adapter_settings`` fixture giving
    what its factory needs.
    """

    kind: ClassVar[str] = "sms"
    port: ClassVar[type] = MessageSender

    @pytest.fixture
    def adapter_under_test(self, sender: MessageSender) -> MessageSender:
        return sender

    def test_send_returns_a_receipt_for_the_same_message(self, sender: MessageSender) -> None:
        before = datetime.now(UTC)
        receipt = sender.send(TO, TEXT)
        assert isinstance(receipt, SentMessage)
        assert (receipt.to, receipt.text) == (TO, TEXT)
        assert isinstance(receipt.message_id, str)
        assert receipt.message_id
        assert receipt.sent_at.tzinfo is not None
        assert before <= receipt.sent_at <= datetime.now(UTC)

    def test_each_send_gets_its_own_message_id(self, sender: MessageSender) -> None:
        ids = {sender.send(TO, TEXT).message_id for _ in range(5)}
        ids.add(sender.send(OTHER, TEXT, idempotency_key="k").message_id)
        assert len(ids) == 6

    def test_the_same_idempotency_key_returns_the_first_receipt(
        self, sender: MessageSender
    ) -> None:
        first = sender.send(TO, TEXT, idempotency_key="otp-1")
        again = sender.send(TO, TEXT, idempotency_key="otp-1")
        other = sender.send(TO, TEXT, idempotency_key="otp-2")
        assert again == first
        assert other.message_id != first.message_id

    def test_idempotency_holds_across_threads(self, sender: MessageSender) -> None:
        receipts: list[SentMessage] = []
        barrier = threading.Barrier(8)

        def send() -> None:
            barrier.wait()
            receipts.append(sender.send(TO, TEXT, idempotency_key="race"))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(receipts) == 8, "a send raised in a thread"
        assert len({r.message_id for r in receipts}) == 1

    def test_the_text_is_never_logged_above_debug(
        self, sender: MessageSender, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            sender.send(TO, TEXT)
        leaked = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
        assert all(CODE not in message for message in leaked)

    def test_the_receipt_repr_hides_the_text(self, sender: MessageSender) -> None:
        receipt = sender.send(TO, TEXT)
        assert CODE not in repr(receipt)
        assert TO in repr(receipt)
