"""A real SMTP server for the tests (aiosmtpd, on 127.0.0.1 and a free port).

It keeps every message it accepted in ``messages`` (``email.message.Message``
objects, parsed from the wire) and can be told to refuse the next ones with
an SMTP status (``refuse_next(550)``), so the SMTP adapter is tested against
the protocol, not a mock.
"""

from __future__ import annotations

import email
import socket
import threading
from email.message import Message
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """``with SmtpServer() as server:`` — ``server.host``, ``.port``, ``.messages``."""

    def __init__(self) -> None:
        pytest.importorskip("aiosmtpd", reason="the SMTP tests need aiosmtpd (dev extra)")
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self._refusals: list[int] = []
        self._controller: Any = None

    def refuse_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` messages' DATA with ``status`` (4xx or 5xx)."""
        with self._lock:
            self._refusals.extend([status] * count)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self._refusals:
                status = self._refusals.pop(0)
                return f"{status} refused by the test server"
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def __enter__(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
