"""Built-in adapters of the message-sender (SMS) port: ``console`` and ``memory``.

This module owns :class:`ConsoleSender` (development: prints each message)
and :class:`MemorySender` (tests and notebooks: keeps each message, can be
told to fail). Both keep the :class:`~siapkerja_core.ports.MessageSender`
contract, checked by ``tests/contract/test_sms_contract.py``.
"""

from __future__ import annotations

import logging
import secrets
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, TextIO

from siapkerja_core.ports import SentMessage, SmsDeliveryError
from siapkerja_core.settings import Settings

__all__ = [
    "CONSOLE_STREAMS",
    "ConsoleSender",
    "MemorySender",
    "console_from_settings",
    "memory_from_settings",
]

CONSOLE_STREAMS: Final = ("stdout", "stderr")
"""The values of ``sms_console_stream``: where the ``console`` adapter prints."""

logger = logging.getLogger("siapkerja.sms")

# Enough for every retry window of a development server; bounded so a
# long-running process does not grow without limit.
_CONSOLE_KEYS_KEPT: Final = 4096


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _new_message_id() -> str:
    return f"msg_{secrets.token_hex(8)}"


class ConsoleSender:
    """Writes each message to a text stream instead of sending it (development).

    The message, one-time code included, goes to ``stream`` (``sys.stdout`` by
    default, looked up at each send so pytest's capture and notebooks see it)
    and to the ``siapkerja.sms`` logger at DEBUG only. The latest messages
    stay in :attr:`messages` (a bounded outbox) so a demo or a development
    outbox page can show what was "sent".

    :param stream: where to write; ``None`` means the current ``sys.stdout``.
    :param clock: returns the aware current time; defaults to the system clock.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._stream = stream
        self._clock = clock or _system_clock
        self._lock = threading.Lock()
        self._receipts: OrderedDict[str, SentMessage] = OrderedDict()
        self.messages: deque[SentMessage] = deque(maxlen=_CONSOLE_KEYS_KEPT)
        """The latest messages written, oldest first (bounded: a long-running dev server)."""

    def last_to(self, number: str) -> SentMessage | None:
        """Return the latest message written for ``number`` (E.164), or ``None``."""
        with self._lock:
            for message in reversed(self.messages):
                if message.to == number:
                    return message
        return None

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Write ``text`` for ``to`` and return a receipt (see ``MessageSender``)."""
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._receipts:
                return self._receipts[idempotency_key]
            receipt = SentMessage(
                to=to, text=text, message_id=_new_message_id(), sent_at=self._clock()
            )
            stream = self._stream if self._stream is not None else sys.stdout
            stream.write(f"[siapkerja sms] to {to}: {text}\n")
            stream.flush()
            logger.debug("console sms %s to %s: %s", receipt.message_id, to, text)
            self.messages.append(receipt)
            if idempotency_key is not None:
                self._receipts[idempotency_key] = receipt
                while len(self._receipts) > _CONSOLE_KEYS_KEPT:
                    self._receipts.popitem(last=False)
            return receipt

    def __repr__(self) -> str:
        return "ConsoleSender()"


class MemorySender:
    """Keeps each message in :attr:`messages` instead of sending it (tests, notebooks).

    ``fail_next(n)`` makes the next ``n`` sends raise
    :class:`~siapkerja_core.ports.SmsDeliveryError`, to exercise failure paths.

    :param clock: returns the aware current time; defaults to the system clock.
    """

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.messages: list[SentMessage] = []
        """Every message sent, oldest first (each has ``.to`` and ``.text``)."""
        self._clock = clock or _system_clock
        self._lock = threading.Lock()
        self._receipts: dict[str, SentMessage] = {}
        self._failures_left = 0

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Record ``text`` for ``to`` and return a receipt (see ``MessageSender``)."""
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._receipts:
                return self._receipts[idempotency_key]
            if self._failures_left > 0:
                self._failures_left -= 1
                raise SmsDeliveryError("unavailable", adapter="memory")
            receipt = SentMessage(
                to=to, text=text, message_id=_new_message_id(), sent_at=self._clock()
            )
            self.messages.append(receipt)
            if idempotency_key is not None:
                self._receipts[idempotency_key] = receipt
            logger.debug("memory sms %s to %s", receipt.message_id, to)
            return receipt

    def last_to(self, number: str) -> SentMessage | None:
        """Return the latest message sent to ``number`` (E.164), or ``None``."""
        with self._lock:
            for message in reversed(self.messages):
                if message.to == number:
                    return message
        return None

    def fail_next(self, n: int = 1) -> None:
        """Make the next ``n`` sends raise ``SmsDeliveryError`` (replaces any earlier count)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        with self._lock:
            self._failures_left = n

    def __repr__(self) -> str:
        return f"MemorySender(messages={len(self.messages)})"


def console_from_settings(settings: Settings) -> ConsoleSender:
    """Factory for the ``console`` adapter: ``sms_console_stream`` is ``stdout`` or ``stderr``."""
    choice = settings.get_choice("sms_console_stream", "stdout", CONSOLE_STREAMS)
    return ConsoleSender(sys.stderr) if choice == "stderr" else ConsoleSender()


def memory_from_settings(_settings: Settings) -> MemorySender:
    """Factory for the ``memory`` adapter (it has no settings)."""
    return MemorySender()
