"""Built-in adapters of the e-mail sender port: ``console``, ``memory`` and ``smtp``.

:class:`ConsoleMailer` (development, the default) prints each e-mail;
:class:`MemoryMailer` (tests, notebooks) keeps them and can be told to fail;
:class:`SmtpMailer` hands them to a mail server with the standard library's
:mod:`smtplib` (STARTTLS or implicit TLS, optional login). All three keep the
:class:`~siapkerja_core.ports.EmailSender` contract, checked by
``tests/contract/test_mail_contract.py``.

Settings of ``smtp``: ``smtp_host`` (required), ``smtp_port`` (default 587),
``smtp_security`` (``starttls`` default, ``tls`` or ``none``), ``smtp_username``
and ``smtp_password`` (both or neither), ``mail_from`` (the sender address,
required), ``smtp_timeout`` (seconds, default 10).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Final, TextIO

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.ports import EmailDeliveryError, SentEmail
from siapkerja_core.settings import Settings

__all__ = [
    "SMTP_SECURITY",
    "ConsoleMailer",
    "MemoryMailer",
    "SmtpMailer",
    "console_mailer_from_settings",
    "memory_mailer_from_settings",
    "smtp_mailer_from_settings",
]

logger = logging.getLogger("siapkerja.mail")

SMTP_SECURITY: Final = ("starttls", "tls", "none")
"""The values of ``smtp_security``."""

_KEYS_KEPT: Final = 4096


def _system_clock() -> datetime:
    return datetime.now(UTC)


class _Receipts:
    """The idempotency keys already used and their receipts (bounded, thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._receipts: OrderedDict[str, SentEmail] = OrderedDict()

    def get(self, key: str | None) -> SentEmail | None:
        return None if key is None else self._receipts.get(key)

    def keep(self, key: str | None, receipt: SentEmail) -> None:
        if key is None:
            return
        self._receipts[key] = receipt
        while len(self._receipts) > _KEYS_KEPT:
            self._receipts.popitem(last=False)


class ConsoleMailer:
    """Writes each e-mail to a text stream instead of sending it (development).

    :param stream: where to write; ``None`` means the current ``sys.stdout``.
    """

    def __init__(
        self, stream: TextIO | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._stream = stream
        self._clock = clock or _system_clock
        self._receipts = _Receipts()
        self.messages: list[SentEmail] = []
        """Every e-mail written, oldest first."""

    def send_email(
        self, to: str, subject: str, body: str, *, idempotency_key: str | None = None
    ) -> SentEmail:
        with self._receipts.lock:
            earlier = self._receipts.get(idempotency_key)
            if earlier is not None:
                return earlier
            receipt = SentEmail(
                to=to,
                subject=subject,
                body=body,
                message_id=f"mail_{secrets.token_hex(8)}",
                sent_at=self._clock(),
            )
            stream = self._stream if self._stream is not None else sys.stdout
            stream.write(f"[siapkerja email] to {to}: {subject}\n{body}\n")
            stream.flush()
            logger.debug("console email %s to %s", receipt.message_id, to)
            self.messages.append(receipt)
            del self.messages[:-_KEYS_KEPT]
            self._receipts.keep(idempotency_key, receipt)
            return receipt

    def __repr__(self) -> str:
        return "ConsoleMailer()"


class MemoryMailer:
    """Keeps each e-mail in :attr:`messages` (tests, notebooks); ``fail_next(n)`` fails sends."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.messages: list[SentEmail] = []
        self._clock = clock or _system_clock
        self._receipts = _Receipts()
        self._failures_left = 0

    def send_email(
        self, to: str, subject: str, body: str, *, idempotency_key: str | None = None
    ) -> SentEmail:
        with self._receipts.lock:
            earlier = self._receipts.get(idempotency_key)
            if earlier is not None:
                return earlier
            if self._failures_left > 0:
                self._failures_left -= 1
                raise EmailDeliveryError("unavailable", adapter="memory")
            receipt = SentEmail(
                to=to,
                subject=subject,
                body=body,
                message_id=f"mail_{secrets.token_hex(8)}",
                sent_at=self._clock(),
            )
            self.messages.append(receipt)
            self._receipts.keep(idempotency_key, receipt)
            return receipt

    def last_to(self, address: str) -> SentEmail | None:
        """The latest e-mail sent to ``address``, or ``None``."""
        with self._receipts.lock:
            for message in reversed(self.messages):
                if message.to == address:
                    return message
        return None

    def fail_next(self, n: int = 1) -> None:
        """Make the next ``n`` sends raise ``EmailDeliveryError``."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        with self._receipts.lock:
            self._failures_left = n

    def __repr__(self) -> str:
        return f"MemoryMailer(messages={len(self.messages)})"


class SmtpMailer:
    """Sends each e-mail through an SMTP server (:mod:`smtplib`), one connection per send.

    The idempotency key becomes the ``Message-ID`` (``<key@siapkerja>``), so a
    receiving system can drop a repeat; within the process a key already sent
    returns its first receipt without sending. A 5xx refusal is permanent
    (``retryable=False``: the outbox gives the message up); a connection failure,
    a timeout or a 4xx is worth retrying.

    :param host: the server. :param port: its port.
    :param sender: the ``From`` address.
    :param security: ``starttls`` (upgrade a plain connection), ``tls`` (implicit
        TLS, usually port 465) or ``none`` (a local relay only).
    :param username: with ``password``, log in after the TLS handshake.
    :param ssl_context: the TLS context (default: :func:`ssl.create_default_context`).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        sender: str,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if security not in SMTP_SECURITY:
            raise ValueError(f"security must be one of {SMTP_SECURITY}")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._clock = clock or _system_clock
        self._receipts = _Receipts()
        self._send_lock = threading.Lock()

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self._timeout, context=self._context()
            )
        client = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        if self.security == "starttls":
            client.starttls(context=self._context())
        return client

    def send_email(
        self, to: str, subject: str, body: str, *, idempotency_key: str | None = None
    ) -> SentEmail:
        # One send at a time: a key is checked and used under the lock, so two threads
        # with one key never both send (the outbox's dispatcher sends one by one anyway).
        with self._send_lock:
            earlier = self._receipts.get(idempotency_key)
            if earlier is not None:
                return earlier
            receipt = self._send(to, subject, body, idempotency_key)
            self._receipts.keep(idempotency_key, receipt)
            return receipt

    def _send(self, to: str, subject: str, body: str, idempotency_key: str | None) -> SentEmail:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        now = self._clock()
        message["Date"] = format_datetime(now)
        message_id = (
            f"<{idempotency_key.replace(':', '.')}@siapkerja>"
            if idempotency_key
            else make_msgid(domain="siapkerja")
        )
        message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with self._connect() as client:
                if self._username is not None and self._password is not None:
                    client.login(self._username, self._password)
                client.send_message(message)
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise EmailDeliveryError(
                "unavailable",
                adapter="smtp",
                reason=f"smtp_{error.smtp_code}",
                retryable=not permanent,
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise EmailDeliveryError(
                "unavailable", adapter="smtp", reason="recipient_refused", retryable=False
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise EmailDeliveryError(
                "unavailable", adapter="smtp", reason=type(error).__name__, retryable=True
            ) from error
        logger.debug("smtp email %s to %s", message_id, to)
        return SentEmail(to=to, subject=subject, body=body, message_id=message_id, sent_at=now)

    def __repr__(self) -> str:
        return f"SmtpMailer(host={self.host!r}, port={self.port}, security={self.security!r})"


def console_mailer_from_settings(settings: Settings) -> ConsoleMailer:
    """Factory of ``email = "console"``: ``sms_console_stream`` also picks its stream."""
    choice = settings.get_choice("sms_console_stream", "stdout", ("stdout", "stderr"))
    return ConsoleMailer(sys.stderr) if choice == "stderr" else ConsoleMailer()


def memory_mailer_from_settings(_settings: Settings) -> MemoryMailer:
    """Factory of ``email = "memory"`` (no settings)."""
    return MemoryMailer()


def smtp_mailer_from_settings(settings: Settings) -> SmtpMailer:
    """Factory of ``email = "smtp"`` (see the module docstring for its settings).

    :raises ConfigurationError: ``config.invalid`` naming the key at fault.
    """
    username = settings.get_str("smtp_username")
    password = settings.get("smtp_password") or None  # as given: a password may have blanks
    if (username is None) != (password is None):
        raise ConfigurationError(
            "invalid", name="smtp_username", reason="set smtp_username and smtp_password together"
        )
    return SmtpMailer(
        host=settings.require_str("smtp_host", reason="the SMTP server's host name"),
        port=settings.get_int("smtp_port", 587, minimum=1, maximum=65535),
        sender=settings.require_str("mail_from", reason="the sender address of e-mails"),
        security=settings.get_choice("smtp_security", "starttls", SMTP_SECURITY),
        username=username,
        password=password,
        timeout=settings.get_float("smtp_timeout", 10.0, above=0),
    )
