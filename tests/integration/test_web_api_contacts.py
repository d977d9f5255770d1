"""The contact operations of the JSON API (``/v1/me/contacts``, ``/v1/recovery/second-contact``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_adapters.web.api.contacts import CONTACT_REQUEST_MODELS
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.sms import sms_code

PASSWORD = "kopi tubruk di pal merah"
PHONE = "+6281299999999"
NEW_PHONE = "+6281277770001"
SECOND = "cadangan@example.id"


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(svc: Siapkerja) -> dict[str, str]:
    registration = svc.register(people.NIK, people.NAME, people.MOTHER)
    svc.submit_contact(registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD)
    account = svc.confirm_otp(registration.id, sms_code(svc, PHONE))
    assert account.session is not None
    return {"Authorization": f"Bearer {account.session.token}"}


def mail_code(svc: Siapkerja, address: str) -> str:
    import re

    svc.deliver_outbox()
    message = svc.adapters["email"].last_to(address)  # type: ignore[attr-defined]
    return str(re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)[0])


def test_contacts_as_json(client: TestClient, svc: Siapkerja) -> None:
    headers = bearer(svc)
    shown = client.get("/v1/me/contacts", headers=headers).json()
    assert shown == {
        "phone_masked": "+6281******999",
        "email_masked": shown["email_masked"],
        "second": None,
        "pending": [],
    }
    asked = client.post("/v1/me/contacts/phone", json={"value": NEW_PHONE}, headers=headers)
    assert asked.status_code == 202
    assert asked.json()["masked"] == "+6281******001"
    assert client.get("/v1/me/contacts", headers=headers).json()["pending"][0]["target"] == "phone"
    wrong = client.post("/v1/me/contacts/phone/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "otp.invalid"
    done = client.post(
        "/v1/me/contacts/phone/confirm", json={"code": sms_code(svc, NEW_PHONE)}, headers=headers
    )
    assert done.status_code == 200
    body = done.json()
    assert body["signed_in"]["account"]["phone"] == NEW_PHONE
    assert body["contacts"]["pending"] == []
    # the old session ended; the new one works
    assert client.get("/v1/me/contacts", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {body['signed_in']['session']['token']}"}
    same = client.post("/v1/me/contacts/second", json={"value": NEW_PHONE}, headers=headers)
    assert same.status_code == 409
    assert same.json()["code"] == "contact.same_as_primary"
    client.post("/v1/me/contacts/second", json={"value": SECOND}, headers=headers)
    kept = client.post(
        "/v1/me/contacts/second/confirm", json={"code": mail_code(svc, SECOND)}, headers=headers
    ).json()
    assert kept["signed_in"] is None
    assert kept["contacts"]["second"]["kind"] == "email"

    # the phone is lost: recovery by the second contact (an e-mail here)
    accepted = client.post("/v1/recovery/second-contact", json={"identifier": people.EMAIL})
    assert accepted.status_code == 202
    request_id = accepted.json()["id"]
    recovered = client.post(
        f"/v1/recovery/second-contact/{request_id}/confirm",
        json={
            "code": mail_code(svc, SECOND),
            "new_password": "Perahu-Layar-Biru-42",
            "phone": "+6281277770003",
        },
    )
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["pending"]["masked"] == "+6281******003"
    again = client.post(
        f"/v1/recovery/second-contact/{request_id}/confirm",
        json={"code": "123456", "new_password": "Perahu-Layar-Biru-42", "phone": "+6281277770003"},
    )
    assert again.status_code == 400
    assert again.json()["code"] == "reset.invalid"
    removed = client.delete(
        "/v1/me/second-contact",
        headers={"Authorization": f"Bearer {recovered.json()['signed_in']['session']['token']}"},
    )
    assert removed.json()["second"] is None


def test_the_bodies_are_in_the_document_and_codes_are_write_only() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for model in CONTACT_REQUEST_MODELS:
        assert model.__name__ in schemas
    assert schemas["ContactCode"]["properties"]["code"].get("writeOnly") is True
    assert schemas["SecondContactReset"]["properties"]["new_password"].get("writeOnly") is True
