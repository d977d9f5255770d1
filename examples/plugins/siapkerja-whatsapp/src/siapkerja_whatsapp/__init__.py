"""siapkerja_whatsapp: one-time codes as WhatsApp messages (an ``sms`` adapter).

A sample third-party plug-in. It owns :class:`WhatsAppSender` (siapkerja's
``MessageSender`` port over a WhatsApp-Business-style HTTP API), its settings
factory, and the two hooks siapkerja calls: ``siapkerja_adapters`` registers
the adapter as ``sms = "whatsapp"``, ``siapkerja_configure`` checks its
settings before anything is built. The package publishes this module under
the ``siapkerja`` entry-point group (pyproject.toml), so ``connect()`` finds
it once it is installed.

It uses only siapkerja's public API: the port's receipt and error, the
settings, ``hookimpl`` and ``AdapterRegistration``.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.plugins import AdapterRegistration
from siapkerja_core.ports import SentMessage, SmsDeliveryError
from siapkerja_core.settings import Settings

__all__ = ["PLUGIN_NAME", "WhatsAppSender", "whatsapp_sender_from_settings"]

PLUGIN_NAME: Final = "whatsapp"
"""The entry-point name: a copy passed in ``plugins=`` is not registered twice."""

DEFAULT_URL: Final = "https://graph.facebook.com/v21.0"

logger = logging.getLogger("siapkerja_whatsapp")


class WhatsAppSender:
    """Sends each message as a WhatsApp text through the Business API.

    :param phone_number_id: the sending number's id in the API.
    :param token: the access token (sent as a bearer token, never logged).
    :param url: the API's base URL, version included.
    :param timeout: seconds for connecting and for the reply.
    """

    def __init__(
        self, phone_number_id: str, token: str, *, url: str = DEFAULT_URL, timeout: float = 5.0
    ) -> None:
        self.endpoint = f"{url.rstrip('/')}/{phone_number_id}/messages"
        self._client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {token}"})
        # The API has no idempotency key: the receipts of the keys already used are
        # kept here, and concurrent sends with one key wait for the first.
        self._cond = threading.Condition()
        self._sending: set[str] = set()
        self._receipts: dict[str, SentMessage] = {}

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> SentMessage:
        """Send ``text`` to ``to`` (E.164); a used ``idempotency_key`` returns its receipt.

        :raises SmsDeliveryError: ``sms.unavailable`` when the API refuses or fails.
        """
        if idempotency_key is None:
            return self._deliver(to, text)
        with self._cond:
            while idempotency_key in self._sending:
                self._cond.wait()
            if idempotency_key in self._receipts:
                return self._receipts[idempotency_key]
            self._sending.add(idempotency_key)
        try:
            receipt = self._deliver(to, text)
            with self._cond:
                self._receipts[idempotency_key] = receipt
            return receipt
        finally:
            with self._cond:
                self._sending.discard(idempotency_key)
                self._cond.notify_all()

    def _deliver(self, to: str, text: str) -> SentMessage:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.removeprefix("+"),  # the API takes the digits of the E.164 number
            "type": "text",
            "text": {"preview_url": False, "body": text},
        }
        try:
            response = self._client.post(self.endpoint, json=body)
        except httpx.HTTPError as error:
            logger.warning("whatsapp message not sent: %s", type(error).__name__)
            raise SmsDeliveryError(
                "unavailable", adapter="whatsapp", reason="unreachable", retryable=True
            ) from None
        if response.status_code != 200:
            logger.warning("whatsapp API refused the message: HTTP %d", response.status_code)
            raise SmsDeliveryError(
                "unavailable",
                adapter="whatsapp",
                reason=f"http_{response.status_code}",
                retryable=response.status_code == 429 or response.status_code >= 500,
            )
        message_id = _message_id(response)
        logger.info("whatsapp message sent as %s", message_id)
        logger.debug("whatsapp message text: %s", text)
        return SentMessage(to=to, text=text, message_id=message_id, sent_at=datetime.now(UTC))

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __repr__(self) -> str:
        return f"WhatsAppSender(endpoint={self.endpoint!r})"


def _message_id(response: httpx.Response) -> str:
    # {"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}
    try:
        document: Any = response.json()
        message_id = document["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        message_id = None
    if not isinstance(message_id, str) or not message_id:
        raise SmsDeliveryError(
            "unavailable", adapter="whatsapp", reason="malformed", retryable=False
        )
    return message_id


def whatsapp_sender_from_settings(settings: Settings) -> WhatsAppSender:
    """Factory of the ``whatsapp`` ``sms`` adapter (settings: see :func:`siapkerja_configure`)."""
    return WhatsAppSender(
        settings.require_str("whatsapp_phone_number_id"),
        settings.require_str("whatsapp_token"),
        url=settings.get_str("whatsapp_url", DEFAULT_URL),
        timeout=settings.get_float("whatsapp_timeout", 5.0, minimum=0.001),
    )


@hookimpl
def siapkerja_adapters() -> list[AdapterRegistration]:
    """Offer the ``whatsapp`` sms adapter."""
    return [
        AdapterRegistration(
            kind="sms",
            name="whatsapp",
            factory=whatsapp_sender_from_settings,
            description="One-time codes as WhatsApp text messages (Business API).",
        )
    ]


@hookimpl
def siapkerja_configure(settings: Settings) -> None:
    """Check the adapter's settings when ``sms = "whatsapp"``, before anything is built."""
    if settings.sms != "whatsapp":
        return
    for key in ("whatsapp_phone_number_id", "whatsapp_token"):
        settings.require_str(key, reason="required when sms = 'whatsapp'")
    url = settings.get_str("whatsapp_url", DEFAULT_URL)
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError("invalid", name="whatsapp_url", reason="expected https://…")
