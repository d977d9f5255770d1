"""A fake WhatsApp Business API on 127.0.0.1, and the sender under test pointed at it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from siapkerja_whatsapp import WhatsAppSender

from siapkerja_adapters.testing import JsonHttpServer, Received


class FakeWhatsApp(JsonHttpServer):
    """``POST /v21.0/{phone-number-id}/messages`` with a bearer token, as the Cloud API."""

    PHONE_NUMBER_ID = "106540352242922"
    TOKEN = "EAAG-test-token"  # noqa: S105 - the fake API's own token

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.delivered: list[dict[str, object]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v21.0"

    def handle(self, request: Received) -> tuple[int, object]:
        if (request.method, request.path) != ("POST", f"/v21.0/{self.PHONE_NUMBER_ID}/messages"):
            return 404, {"error": {"message": "Unknown path", "code": 100}}
        if request.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return 401, {"error": {"message": "Invalid OAuth access token", "code": 190}}
        body = request.json()
        to = body.get("to", "")
        if body.get("messaging_product") != "whatsapp" or not to.isdigit():
            return 400, {"error": {"message": "Invalid parameter", "code": 100}}
        self.delivered.append(body)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.HBgM{next(self._ids):08d}"}],
        }


@pytest.fixture
def whatsapp_api() -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as api:
        yield api


@pytest.fixture
def adapter_settings(whatsapp_api: FakeWhatsApp) -> dict[str, object]:
    """What the registered factory needs (``sms = "whatsapp"``)."""
    return {
        "whatsapp_url": whatsapp_api.base_url,
        "whatsapp_phone_number_id": whatsapp_api.PHONE_NUMBER_ID,
        "whatsapp_token": whatsapp_api.TOKEN,
    }


@pytest.fixture
def sender(whatsapp_api: FakeWhatsApp) -> Iterator[WhatsAppSender]:
    adapter = WhatsAppSender(
        whatsapp_api.PHONE_NUMBER_ID, whatsapp_api.TOKEN, url=whatsapp_api.base_url
    )
    yield adapter
    adapter.close()
