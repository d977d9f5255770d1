"""The JSON API over HTTP: the whole journey, every error family as a problem document.

The API runs on the ``memory`` profile behind Starlette's ``TestClient``
(requests go through the real ASGI stack); the SMS code is read from the
memory sender, as a phone would. Every success body is validated against the
schema the OpenAPI document gives for it, and every error is checked as an
RFC 9457 ``application/problem+json`` document with its stable code.
"""

from __future__ import annotations

import base64
import importlib
import logging
import pkgutil
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import attrs
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

import siapkerja_adapters
import siapkerja_core
from siapkerja_adapters.connect import connect
from siapkerja_adapters.web.api import api_routes, create_api_app, openapi_document
from siapkerja_adapters.web.api.bodies import REQUEST_MODELS
from siapkerja_adapters.web.problems import (
    DOMAIN_STATUSES,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_BASE,
    STATUSES,
    RequestError,
    negotiate_language,
    problem_body,
    retry_after,
    safe_params,
    status_of,
)
from siapkerja_core.errors import ConfigurationError, OtpError, SiapkerjaError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.nik import InvalidNik, parse_nik
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import SmsDeliveryError, StorageError
from siapkerja_core.profile import ProfileError
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock as Clock
from support.gates import gate_key, open_events
from support.sms import sms_code as last_code

with warnings.catch_warnings():  # starlette warns when only httpx (not httpx2) is installed
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

JSON = {"Content-Type": "application/json"}
SECRET_HEADER = "X-Registration-Secret"
PASSWORD = "Kuda-Lari-Kencang-7"
NEW_PASSWORD = "Perahu-Layar-Biru-42"
EVENT = "jobfair-2026"
VILLAGE = "3173071001"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


@cache
def tiny_png() -> bytes:
    """A real 16×16 RGB PNG (a gradient), written with zlib alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(16) for v in (x * 16, y * 16, (x + y) * 8))
        for y in range(16)
    )
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def full_sections(nik: str) -> dict[str, Any]:
    """Every section a job seeker's profile needs, as JSON (born when the NIK says)."""
    return {
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": parse_nik(nik).birth_date.isoformat(),
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        "ktp_address": {"village_code": VILLAGE, "street": "Jl. Palmerah Barat No. 10"},
        "domicile_address": {"village_code": VILLAGE, "street": "Jl. Kebon Jeruk Raya 42"},
        "skills": ["PHP", {"name": "Laravel"}],
        "education": [
            {
                "institution": "BINUS University",
                "level": "S1",
                "major": "Teknik Informatika",
                "gpa": 3.4,
                "start_year": 2012,
                "end_year": 2016,
            }
        ],
        "photo": {"content": base64.b64encode(tiny_png()).decode(), "media_type": "image/png"},
    }


def build(clock: Clock | None = None, policy: JourneyPolicy | None = None) -> Siapkerja:
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        clock=None if clock is None else clock.now,
        policy=policy,
        card_base_url="https://skid.kemnaker.go.id/v/",
    )


def residents(svc: Siapkerja) -> list[tuple[str, str, str]]:
    return [
        (r.nik, r.full_name, r.mother_name)
        for r in svc.dukcapil  # type: ignore[attr-defined]
        if r.active
    ]


def phone_of(n: int) -> str:
    return f"0812{n:08d}"


def email_of(n: int) -> str:
    return f"pemegang{n}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def is_problem(response: Any, status: int, code: str, *, lang: str = "id") -> dict[str, Any]:
    """Check ``response`` is the problem document of ``code``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.headers["content-language"] == lang
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["type"] == PROBLEM_TYPE_BASE + code
    assert body["status"] == status
    assert body["title"] == body["message_en"]
    assert body["detail"] == (body["message_en"] if lang == "en" else body["message_id"])
    assert body["message_id"]
    assert body["message_en"]
    assert isinstance(body["params"], dict)
    return body


@cache
def document() -> dict[str, Any]:
    return openapi_document(None)


def conforms(body: object, schema_name: str) -> None:
    """``body`` matches ``#/components/schemas/<schema_name>`` of the OpenAPI document."""
    jsonschema = pytest.importorskip("jsonschema")
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": document()["components"]}
    jsonschema.Draft202012Validator(root).validate(body)


@attrs.frozen
class Member:
    """A signed-up account as the tests drive it."""

    token: str
    account: dict[str, Any]
    phone: str
    email: str


def sign_up(client: TestClient, svc: Siapkerja, n: int = 0) -> Member:
    """Resident ``n`` through steps 1–3 of the API."""
    nik, name, mother = residents(svc)[n]
    response = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    assert response.status_code == 201, response.text
    registration_id = response.json()["id"]
    secret = {SECRET_HEADER: response.json()["secret"]}
    response = client.post(
        f"/v1/registrations/{registration_id}/contact",
        json={"email": email_of(n), "phone": phone_of(n), "password": PASSWORD},
        headers=secret,
    )
    assert response.status_code == 200, response.text
    response = client.post(
        f"/v1/registrations/{registration_id}/otp/confirm",
        json={"code": last_code(svc)},
        headers=secret,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Member(body["session"]["token"], body["account"], phone_of(n), email_of(n))


def card_holder(client: TestClient, svc: Siapkerja, n: int = 0) -> Member:
    member = sign_up(client, svc, n)
    nik = residents(svc)[n][0]
    response = client.patch("/v1/me/profile", json=full_sections(nik), headers=bearer(member.token))
    assert response.status_code == 200, response.text
    response = client.post("/v1/me/card", headers=bearer(member.token))
    assert response.status_code == 201, response.text
    return member


def link_token(client: TestClient, member: Member) -> str:
    response = client.get("/v1/me/card/qr", params={"mode": "link"}, headers=bearer(member.token))
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.fixture
def clock() -> Clock:
    return Clock.from_now()


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


class RememberSecrets:
    """What a client of the API does: keep each registration's secret from step 1 and
    send it (``X-Registration-Secret``) on every later call on that registration."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def request(self, request: httpx.Request) -> None:
        found = re.search(r"/v1/registrations/([^/]+)", request.url.path)
        if found and found[1] in self.secrets and SECRET_HEADER not in request.headers:
            request.headers[SECRET_HEADER] = self.secrets[found[1]]

    def response(self, response: httpx.Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.path.endswith("/v1/registrations"):
            response.read()
            if response.status_code == 201:
                body = response.json()
                self.secrets[body["id"]] = body["secret"]


def secret_of(svc: Siapkerja, registration_id: str) -> dict[str, str]:
    """The secret step 1 answered for ``registration_id``, as its header."""
    return {SECRET_HEADER: svc.journey.registrations.secret(registration_id)}


ClientT = TypeVar("ClientT", bound=httpx.Client)


def remembering(client: ClientT) -> ClientT:
    """``client``, sending each registration's secret as a real client would."""
    memory = RememberSecrets()
    client.event_hooks = {"request": [memory.request], "response": [memory.response]}
    return client


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as test_client:
        remembering(test_client)
        yield test_client


# --------------------------------------------------------------------------
# The journey
# --------------------------------------------------------------------------


def test_the_whole_journey_as_json(client: TestClient, svc: Siapkerja) -> None:
    nik, name, mother = residents(svc)[0]

    response = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    assert response.status_code == 201
    registration = response.json()
    conforms(registration, "Registration")
    assert registration["status"] == "verified"
    assert response.headers["location"] == f"/v1/registrations/{registration['id']}"
    assert nik not in response.text
    assert mother not in response.text
    assert response.headers["cache-control"] == "no-store"

    again = client.get(response.headers["location"])
    assert again.status_code == 200
    assert again.json() == {**registration, "secret": None}  # the secret is shown once

    response = client.post(
        f"/v1/registrations/{registration['id']}/contact",
        json={"email": email_of(0), "phone": phone_of(0), "password": PASSWORD},
    )
    assert response.status_code == 200
    pending = response.json()
    conforms(pending, "Registration")
    assert pending["status"] == "pending_otp"
    assert pending["otp"]["delivered"] is True
    assert pending["phone_masked"].startswith("+6281")
    assert "*" in pending["phone_masked"]
    assert PASSWORD not in response.text
    assert phone_of(0) not in response.text

    code = last_code(svc)
    assert svc.sms.messages[-1].to == "+62" + phone_of(0)[1:]  # type: ignore[attr-defined]
    response = client.post(
        f"/v1/registrations/{registration['id']}/otp/confirm", json={"code": code}
    )
    assert response.status_code == 201
    signed_in = response.json()
    conforms(signed_in, "SignedIn")
    assert code not in response.text
    assert signed_in["session"]["token_type"] == "Bearer"
    token = signed_in["session"]["token"]
    headers = bearer(token)

    me = client.get("/v1/me", headers=headers)
    assert me.status_code == 200
    conforms(me.json(), "Account")
    assert me.json()["full_name"] == name
    assert me.json()["nik_masked"] != nik

    profile = client.get("/v1/me/profile", headers=headers)
    assert profile.status_code == 200
    conforms(profile.json(), "Profile")
    assert profile.json()["contact"]["email"] == email_of(0)

    completeness = client.get("/v1/me/completeness", headers=headers)
    conforms(completeness.json(), "Completeness")
    assert completeness.json()["complete"] is False

    updated = client.patch("/v1/me/profile", json=full_sections(nik), headers=headers)
    assert updated.status_code == 200
    conforms(updated.json(), "Profile")
    assert [s["name"] for s in updated.json()["skills"]] == ["PHP", "Laravel"]
    assert updated.json()["biodata"]["headline"] == "IT Professional"

    partial = client.patch(
        "/v1/me/profile", json={"biodata": {"headline": "Backend Developer"}}, headers=headers
    )
    assert partial.json()["biodata"]["headline"] == "Backend Developer"
    assert partial.json()["biodata"]["religion"] == "islam"  # other keys kept

    warnings_response = client.get("/v1/me/profile/warnings", headers=headers)
    assert warnings_response.status_code == 200
    conforms(warnings_response.json(), "ProfileWarnings")

    completeness = client.get("/v1/me/completeness", headers=headers).json()
    assert completeness == {**completeness, "percent": 100, "complete": True, "missing": []}

    issued = client.post("/v1/me/card", headers=headers)
    assert issued.status_code == 201
    conforms(issued.json(), "Card")
    assert issued.json()["holder_name"] == name
    assert issued.json()["qr_url"].startswith("https://skid.kemnaker.go.id/v/")
    card = client.get("/v1/me/card", headers=headers)
    assert card.status_code == 200
    assert card.json()["siapkerja_id"] == issued.json()["siapkerja_id"]

    qr = client.get("/v1/me/card/qr", headers=headers)
    assert qr.status_code == 200
    conforms(qr.json(), "CardQr")
    assert qr.json()["mode"] == "link"
    assert qr.json()["url"] == issued.json()["qr_url"]
    assert qr.json()["svg"].lstrip().startswith("<")

    scan = client.get(f"/v1/scan/{qr.json()['token']}")
    assert scan.status_code == 200
    conforms(scan.json(), "ProfileView")
    assert scan.json()["audience"] == "anonymous"
    assert scan.json()["nik"] is None
    assert email_of(0) not in scan.text
    assert phone_of(0)[1:] not in scan.text

    log = client.get("/v1/me/access-log", headers=headers)
    assert log.status_code == 200
    conforms(log.json(), "AccessLog")
    assert [e["audience"] for e in log.json()["items"]] == ["anonymous"]

    assert client.delete("/v1/sessions/current", headers=headers).status_code == 204
    is_problem(client.get("/v1/me", headers=headers), 401, "login.session_invalid")


def test_sign_in_sign_out_and_password_reset(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)

    login = client.post("/v1/sessions", json={"identifier": member.email, "password": PASSWORD})
    assert login.status_code == 201
    conforms(login.json(), "SignedIn")
    assert PASSWORD not in login.text
    second = login.json()["session"]["token"]
    assert second != member.token

    guess = "Tebakan-Keliru-1"
    wrong = client.post("/v1/sessions", json={"identifier": member.phone, "password": guess})
    body = is_problem(wrong, 401, "login.failed")
    assert guess not in wrong.text
    assert body["params"] == {}

    unknown = client.post("/v1/password-resets", json={"identifier": "nobody@example.com"})
    accepted = client.post("/v1/password-resets", json={"identifier": member.phone})
    assert unknown.status_code == accepted.status_code == 202
    conforms(accepted.json(), "PasswordResetAccepted")
    assert set(unknown.json()) == set(accepted.json())
    assert unknown.json()["message_id"] == accepted.json()["message_id"]
    code = last_code(svc)

    request_id = accepted.json()["id"]
    weak = client.post(
        f"/v1/password-resets/{request_id}/confirm", json={"code": code, "new_password": "abc"}
    )
    is_problem(weak, 422, "password.too_short")
    assert "abc" not in weak.json()["params"].values()

    bad = client.post(
        f"/v1/password-resets/{unknown.json()['id']}/confirm",
        json={"code": code, "new_password": NEW_PASSWORD},
    )
    is_problem(bad, 400, "reset.invalid")

    reset = client.post(
        f"/v1/password-resets/{request_id}/confirm",
        json={"code": code, "new_password": NEW_PASSWORD},
    )
    assert reset.status_code == 200
    conforms(reset.json(), "SignedIn")
    assert NEW_PASSWORD not in reset.text
    assert code not in reset.text

    # Every earlier session ended; the new password signs in.
    is_problem(client.get("/v1/me", headers=bearer(second)), 401, "login.session_invalid")
    fresh = reset.json()["session"]["token"]
    assert client.get("/v1/me", headers=bearer(fresh)).status_code == 200
    again = client.post("/v1/sessions", json={"identifier": member.phone, "password": NEW_PASSWORD})
    assert again.status_code == 201


def test_change_phone_and_resend(client: TestClient, svc: Siapkerja, clock: Clock) -> None:
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    base = f"/v1/registrations/{registration['id']}"
    client.post(
        base + "/contact", json={"email": email_of(0), "phone": phone_of(0), "password": PASSWORD}
    )
    clock.advance(seconds=61)
    changed = client.post(base + "/phone", json={"phone": phone_of(7)})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone_masked"].endswith(phone_of(7)[-3:])
    assert svc.sms.messages[-1].to.endswith(phone_of(7)[1:])  # type: ignore[attr-defined]
    clock.advance(seconds=600)
    resent = client.post(base + "/otp/resend")
    assert resent.status_code == 200, resent.text
    conforms(resent.json(), "Registration")
    confirm = client.post(base + "/otp/confirm", json={"code": last_code(svc)})
    assert confirm.status_code == 201
    assert confirm.json()["account"]["phone"] == "+62" + phone_of(7)[1:]
    is_problem(client.post(base + "/otp/resend"), 409, "registration.already_confirmed")


# --------------------------------------------------------------------------
# The problem format
# --------------------------------------------------------------------------


def test_problems_are_indonesian_by_default_and_english_on_request(client: TestClient) -> None:
    payload = {"nik": "12345", "full_name": "Galih", "mother_name": "Sri"}
    indonesian = is_problem(client.post("/v1/registrations", json=payload), 422, "nik.length")
    assert indonesian["detail"] == InvalidNik("length", length=5).message_id
    assert indonesian["params"] == {"length": 5}

    response = client.post(
        "/v1/registrations", json=payload, headers={"Accept-Language": "en-US,en;q=0.9,id;q=0.5"}
    )
    english = is_problem(response, 422, "nik.length", lang="en")
    assert english["detail"] == InvalidNik("length", length=5).message_en
    assert response.headers["vary"] == "Accept-Language"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "id"),
        ("", "id"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("id", "id"),
        ("in", "id"),
        ("fr, en;q=0.8", "en"),
        ("id;q=0.5, en", "en"),
        ("en;q=0.4, id;q=0.9", "id"),
        ("en;q=0", "id"),
        ("en;q=abc", "id"),
        ("*", "id"),
        ("de, fr", "id"),
    ],
)
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


def test_malformed_json_and_wrong_types_name_the_field(client: TestClient) -> None:
    def invalid(response: Any, field: str) -> dict[str, Any]:
        body = is_problem(response, 422, "request.invalid_body")
        assert body["params"]["field"] == field
        return body

    invalid(client.post("/v1/registrations", content=b'{"nik": ', headers=JSON), "$")
    invalid(client.post("/v1/registrations", content=b"\xff\xfe", headers=JSON), "$")
    invalid(client.post("/v1/registrations", content=b'{"nik": NaN}', headers=JSON), "$")
    invalid(client.post("/v1/registrations", content=b"[1, 2]", headers=JSON), "$")
    invalid(client.post("/v1/registrations"), "$")
    body = invalid(
        client.post("/v1/registrations", json={"nik": 3173071203940042, "full_name": "a"}), "nik"
    )
    assert body["message_en"] == "Field nik is invalid: must be a string."
    invalid(client.post("/v1/registrations", json={"nik": "1", "full_name": "a"}), "mother_name")
    invalid(
        client.post(
            "/v1/registrations",
            json={"nik": "1", "full_name": "a", "mother_name": "b", "admin": True},
        ),
        "admin",
    )
    invalid(
        client.post(
            "/v1/registrations", json={"nik": "1", "full_name": "a" * 201, "mother_name": "b"}
        ),
        "full_name",
    )
    invalid(
        client.post(
            "/v1/registrations", json={"nik": "1\u0000", "full_name": "a", "mother_name": "b"}
        ),
        "nik",
    )
    invalid(
        client.post(
            "/v1/registrations",
            content=b'{"nik": "\\ud800", "full_name": "a", "mother_name": "b"}',
            headers=JSON,
        ),
        "nik",
    )
    too_large = client.post("/v1/registrations", content=b"[" + b" " * (5 * 1024 * 1024) + b"]")
    is_problem(too_large, 413, "request.too_large")


def test_profile_errors_name_the_path(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)
    headers = bearer(member.token)
    bad = {"education": [{"institution": "X", "level": "S1", "start_year": 2010, "gpa": "tinggi"}]}
    body = is_problem(
        client.patch("/v1/me/profile", json=bad, headers=headers), 422, "profile.invalid_field"
    )
    assert body["params"]["field"] == "education[0].gpa"
    assert body["params"]["errors"][0]["field"] == "education[0].gpa"
    assert body["params"]["errors"][0]["code"] == "profile.invalid_field"

    unknown = client.patch("/v1/me/profile", json={"account_id": "x"}, headers=headers)
    assert is_problem(unknown, 422, "profile.unknown_section")["params"]["section"] == "account_id"
    private = client.patch(
        "/v1/me/profile", json={"visibility": {"published": ["contact"]}}, headers=headers
    )
    is_problem(private, 422, "profile.private_section")
    not_object = client.patch("/v1/me/profile", json=["biodata"], headers=headers)
    is_problem(not_object, 422, "request.invalid_body")
    # Nothing was half-written.
    assert client.get("/v1/me/profile", headers=headers).json()["education"] == []


@pytest.mark.parametrize(
    ("contact", "code"),
    [
        ({"email": "bukan-email", "phone": "081234567890"}, "email.syntax"),
        ({"email": "a@example.com", "phone": "12"}, "phone.too_short"),
        ({"email": "a@example.com", "phone": "0212345678"}, "phone.not_mobile"),
    ],
)
def test_contact_validation_is_422(
    client: TestClient, svc: Siapkerja, contact: dict[str, str], code: str
) -> None:
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    response = client.post(
        f"/v1/registrations/{registration['id']}/contact", json={**contact, "password": PASSWORD}
    )
    is_problem(response, 422, code)
    assert PASSWORD not in response.text


@pytest.mark.parametrize("password", ["sandiku", "password123", "12345678"])
def test_weak_password_is_422_and_never_echoed(
    client: TestClient, svc: Siapkerja, password: str
) -> None:
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    response = client.post(
        f"/v1/registrations/{registration['id']}/contact",
        json={"email": email_of(0), "phone": phone_of(0), "password": password},
    )
    assert response.status_code == 422
    assert response.json()["code"].startswith("password.")
    assert password not in response.text


def test_not_found(client: TestClient, svc: Siapkerja) -> None:
    # Without its secret a registration id says nothing, whether or not it exists.
    is_problem(client.get("/v1/registrations/does-not-exist"), 401, "registration.secret_required")
    is_problem(
        client.get("/v1/registrations/does-not-exist", headers=secret_of(svc, "does-not-exist")),
        404,
        "registration.not_found",
    )
    member = sign_up(client, svc)
    headers = bearer(member.token)
    is_problem(client.get("/v1/me/card", headers=headers), 404, "card.no_card")
    is_problem(client.post("/v1/me/card/rotate", headers=headers), 404, "card.no_card")
    is_problem(
        client.delete("/v1/me/consents/nope", headers=headers), 404, "disclosure.unknown_consent"
    )
    is_problem(client.get("/v1/no-such-thing"), 404, "request.not_found")
    is_problem(client.get("/v1/registrations/a/b/c/d"), 404, "request.not_found")


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.put("/v1/me/card")
    body = is_problem(response, 405, "request.method_not_allowed")
    assert body["params"] == {"method": "PUT"}
    assert response.headers["allow"] == "DELETE, GET, HEAD, POST"


def test_conflicts_are_409(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)
    nik, name, mother = residents(svc)[0]
    again = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    body = is_problem(again, 409, "registration.already_registered")
    assert body["params"]["email"] != member.email
    assert "*" in body["params"]["email"]
    assert member.phone[1:] not in again.text

    # Two registrations race for one e-mail: the second confirmation is refused.
    ids = []
    for n in (1, 2):
        nik, name, mother = residents(svc)[n]
        registration = client.post(
            "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
        ).json()
        client.post(
            f"/v1/registrations/{registration['id']}/contact",
            json={"email": "sama@example.com", "phone": phone_of(n), "password": PASSWORD},
        )
        ids.append((registration["id"], last_code(svc)))
    first = client.post(f"/v1/registrations/{ids[0][0]}/otp/confirm", json={"code": ids[0][1]})
    assert first.status_code == 201
    second = client.post(f"/v1/registrations/{ids[1][0]}/otp/confirm", json={"code": ids[1][1]})
    is_problem(second, 409, "registration.email_taken")
    is_problem(
        client.post(f"/v1/registrations/{ids[0][0]}/otp/confirm", json={"code": ids[0][1]}),
        409,
        "registration.already_confirmed",
    )


def test_wrong_code_then_blocked(client: TestClient, svc: Siapkerja) -> None:
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    base = f"/v1/registrations/{registration['id']}"
    client.post(
        base + "/contact", json={"email": email_of(0), "phone": phone_of(0), "password": PASSWORD}
    )
    code = last_code(svc)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    body = is_problem(client.post(base + "/otp/confirm", json={"code": wrong}), 422, "otp.invalid")
    assert body["params"] == {"attempts_left": 4}
    assert wrong not in client.post(base + "/otp/confirm", json={"code": wrong}).text
    for _ in range(3):
        client.post(base + "/otp/confirm", json={"code": wrong})
    is_problem(client.post(base + "/otp/confirm", json={"code": code}), 410, "otp.dead")


# --------------------------------------------------------------------------
# Throttling: 429 with Retry-After
# --------------------------------------------------------------------------


def test_otp_cooldown_is_429_with_retry_after(client: TestClient, svc: Siapkerja) -> None:
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    base = f"/v1/registrations/{registration['id']}"
    client.post(
        base + "/contact", json={"email": email_of(0), "phone": phone_of(0), "password": PASSWORD}
    )
    response = client.post(base + "/otp/resend", headers={"Accept-Language": "en"})
    body = is_problem(response, 429, "otp.cooldown", lang="en")
    assert response.headers["retry-after"] == str(body["params"]["retry_after"]) == "60"


def test_daily_limit_waits_until_the_day_ends(clock: Clock) -> None:
    policy = attrs.evolve(
        JourneyPolicy(), max_sends_per_phone_per_day=2, registration_ttl=timedelta(days=2)
    )
    svc = build(clock, policy)
    client = remembering(TestClient(create_api_app(svc)))
    nik, name, mother = residents(svc)[0]
    registration = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    ).json()
    base = f"/v1/registrations/{registration['id']}"
    first_send = clock.current
    client.post(
        base + "/contact", json={"email": email_of(0), "phone": phone_of(0), "password": PASSWORD}
    )
    clock.advance(seconds=61)
    assert client.post(base + "/otp/resend").status_code == 200
    clock.advance(seconds=600)
    response = client.post(base + "/otp/resend")
    body = is_problem(response, 429, "otp.daily_limit")
    # The day opened with the first send: Retry-After is exactly when it ends.
    expected = int((first_send + timedelta(days=1) - clock.current).total_seconds())
    assert int(response.headers["retry-after"]) == body["params"]["retry_after"] == expected
    clock.advance(seconds=expected - 1)
    is_problem(client.post(base + "/otp/resend"), 429, "otp.daily_limit")
    clock.advance(seconds=1)
    assert client.post(base + "/otp/resend").status_code == 200


def test_login_throttled_is_429(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)
    for _ in range(svc.policy.max_login_failures):
        is_problem(
            client.post("/v1/sessions", json={"identifier": member.phone, "password": "x"}),
            401,
            "login.failed",
        )
    response = client.post("/v1/sessions", json={"identifier": member.phone, "password": PASSWORD})
    body = is_problem(response, 429, "login.throttled")
    assert int(response.headers["retry-after"]) == body["params"]["retry_after"] > 0


def test_verification_locked_is_429(client: TestClient, svc: Siapkerja) -> None:
    nik, name, _mother = residents(svc)[0]
    payload = {"nik": nik, "full_name": name, "mother_name": "Bukan Ibunya"}
    for _ in range(svc.policy.max_verifications_per_nik_per_day):
        body = is_problem(
            client.post("/v1/registrations", json=payload), 422, "registration.mismatch"
        )
        assert body["params"]["fields"] == ["mother_name"]
    response = client.post("/v1/registrations", json=payload)
    is_problem(response, 429, "registration.verification_locked")
    assert int(response.headers["retry-after"]) > 0


# --------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me"),
        ("GET", "/v1/me/profile"),
        ("PATCH", "/v1/me/profile"),
        ("GET", "/v1/me/profile/warnings"),
        ("GET", "/v1/me/completeness"),
        ("POST", "/v1/me/card"),
        ("GET", "/v1/me/card"),
        ("DELETE", "/v1/me/card"),
        ("POST", "/v1/me/card/rotate"),
        ("GET", "/v1/me/card/qr"),
        ("GET", "/v1/me/access-log"),
        ("GET", "/v1/me/consents"),
        ("POST", "/v1/me/consents"),
        ("DELETE", "/v1/me/consents/x"),
        ("DELETE", "/v1/sessions/current"),
    ],
)
def test_me_needs_a_session(client: TestClient, method: str, path: str) -> None:
    missing = client.request(method, path, json={})
    is_problem(missing, 401, "request.authentication_required")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    invalid = client.request(method, path, json={}, headers=bearer("not-a-session"))
    is_problem(invalid, 401, "login.session_invalid")
    assert 'error="invalid_token"' in invalid.headers["www-authenticate"]
    basic = client.request(method, path, json={}, headers={"Authorization": "Basic dXNlcjpwdw=="})
    is_problem(basic, 401, "login.session_invalid")


# --------------------------------------------------------------------------
# The card, tokens and scanning
# --------------------------------------------------------------------------


def test_incomplete_profile_is_409(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)
    response = client.post("/v1/me/card", headers=bearer(member.token))
    body = is_problem(response, 409, "profile.incomplete")
    assert "photo" in body["params"]["missing"]
    assert isinstance(body["params"]["percent"], int)


def test_token_errors(client: TestClient, svc: Siapkerja, clock: Clock) -> None:
    member = card_holder(client, svc)
    headers = bearer(member.token)
    token = link_token(client, member)

    is_problem(client.get("/v1/scan/not-a-token"), 400, "token.malformed")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    is_problem(client.get(f"/v1/scan/{forged}"), 403, "token.forged")

    open_events(svc, EVENT, "pelatihan")
    gate = {"X-Station-Key": gate_key(svc, EVENT)}
    access = client.get(
        "/v1/me/card/qr", params={"mode": "access", "purpose": EVENT}, headers=headers
    )
    assert access.status_code == 200
    conforms(access.json(), "CardQr")
    assert access.json()["expires_at"] is not None
    access_token = access.json()["token"]
    is_problem(client.get(f"/v1/scan/{access_token}"), 422, "token.wrong_mode")
    # Only a registered gate checks in: not a stranger, not the holder's own session.
    for caller in ({}, headers, {"X-Station-Key": "sks_guessed"}):
        response = client.post(
            "/v1/check-ins", json={"token": access_token, "event_id": EVENT}, headers=caller
        )
        assert response.status_code == 401, caller
        assert response.json()["code"] in {
            "gate.station_credential_required",
            "gate.unknown_station",
        }
    is_problem(
        client.post("/v1/check-ins", json={"token": token, "event_id": EVENT}, headers=gate),
        422,
        "token.wrong_mode",
    )
    is_problem(
        client.post(
            "/v1/check-ins",
            json={"token": access_token, "event_id": "other-event"},
            headers=gate,
        ),
        403,  # the gate claims an event it is not registered for: the gate's fault
        "gate.station_not_for_event",
    )
    first = client.post(
        "/v1/check-ins", json={"token": access_token, "event_id": EVENT}, headers=gate
    )
    assert first.status_code == 201
    conforms(first.json(), "GateReceipt")
    assert first.json()["check_in"]["station_id"] == "gate-1"
    assert first.json()["photo"]["media_type"] == "image/png"  # from the server, not the QR
    assert "full_name" not in first.json()
    assert "siapkerja_id" not in first.json()
    replay = client.post(
        "/v1/check-ins", json={"token": access_token, "event_id": EVENT}, headers=gate
    )
    body = is_problem(replay, 409, "gate.already_inside")
    assert body["params"]["since"].endswith(" WIB")

    later = client.get(
        "/v1/me/card/qr", params={"mode": "access", "purpose": "pelatihan"}, headers=headers
    ).json()["token"]
    clock.advance(minutes=10)
    is_problem(
        client.post(
            "/v1/check-ins",
            json={"token": later, "event_id": "pelatihan"},
            headers={"X-Station-Key": gate_key(svc, "pelatihan")},
        ),
        410,
        "gate.expired",
    )

    rotated = client.post("/v1/me/card/rotate", headers=headers)
    assert rotated.status_code == 200
    conforms(rotated.json(), "CardState")
    is_problem(client.get(f"/v1/scan/{token}"), 410, "token.revoked")

    revoked = client.delete("/v1/me/card", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    is_problem(client.get("/v1/me/card", headers=headers), 410, "card.revoked")
    is_problem(client.get("/v1/me/card/qr", headers=headers), 410, "card.revoked")
    assert client.post("/v1/me/card", headers=headers).status_code == 201  # issued again


def test_qr_mode_and_purpose(client: TestClient, svc: Siapkerja) -> None:
    member = card_holder(client, svc)
    headers = bearer(member.token)
    is_problem(
        client.get("/v1/me/card/qr", params={"mode": "access"}, headers=headers),
        422,
        "card.purpose_required",
    )
    body = is_problem(
        client.get("/v1/me/card/qr", params={"mode": "banner"}, headers=headers), 422, "card.mode"
    )
    assert body["params"] == {"mode": "banner"}
    is_problem(
        client.get("/v1/me/card/qr", params={"mode": "x" * 17}, headers=headers),
        422,
        "request.invalid_parameter",
    )


def test_scan_by_audience(client: TestClient, svc: Siapkerja) -> None:
    holder = card_holder(client, svc)
    other = sign_up(client, svc, 1)
    token = link_token(client, holder)
    nik = residents(svc)[0][0]
    verifier, key = svc.register_verifier("Karirhub", ["karirhub"])

    anonymous = client.get(f"/v1/scan/{token}").json()
    assert anonymous["audience"] == "anonymous"
    assert anonymous["nik"] is None
    assert "contact" not in anonymous["disclosed"]
    assert "skills" in anonymous["disclosed"]

    own = client.get(f"/v1/scan/{token}", headers=bearer(holder.token)).json()
    assert own["audience"] == "holder"
    assert own["nik"] == nik
    assert own["data"]["contact"]["email"] == holder.email

    stranger = client.get(f"/v1/scan/{token}", headers=bearer(other.token)).json()
    assert stranger["audience"] == "account"
    assert stranger["nik"] is None
    is_problem(
        client.get(f"/v1/scan/{token}", headers=bearer("expired-session")),
        401,
        "login.session_invalid",
    )

    verifier_headers = {"X-Verifier-Key": key}
    is_problem(
        client.get(f"/v1/scan/{token}", headers=verifier_headers),
        400,
        "disclosure.purpose_required",
    )
    is_problem(
        client.get(
            f"/v1/scan/{token}",
            params={"purpose": "rekrutmen"},
            headers={"X-Verifier-Key": "skv_wrong"},
        ),
        403,
        "disclosure.unknown_verifier",
    )
    without = client.get(
        f"/v1/scan/{token}", params={"purpose": "rekrutmen"}, headers=verifier_headers
    )
    assert without.status_code == 200
    assert without.json()["audience"] == "verifier"
    assert without.json()["consent_required"] is True
    assert "contact" not in without.json()["disclosed"]

    granted = client.post(
        "/v1/me/consents",
        json={"verifier_id": verifier.id, "purpose": "rekrutmen"},
        headers=bearer(holder.token),
    )
    assert granted.status_code == 201
    conforms(granted.json(), "Consent")
    assert granted.json()["fields"] is None
    assert granted.json()["active"] is True

    consented = client.get(
        f"/v1/scan/{token}", params={"purpose": "rekrutmen"}, headers=verifier_headers
    ).json()
    assert consented["consent_required"] is False
    assert consented["verifier"] == "Karirhub"
    assert "contact" in consented["disclosed"]
    assert consented["nik"] == nik[:4] + "*" * 10 + nik[14:]  # karirhub sees the masked NIK

    log = client.get("/v1/me/access-log", headers=bearer(holder.token)).json()["items"]
    # Newest first (a page of the ledger: docs/api-http.md).
    assert [e["audience"] for e in reversed(log)] == [
        "anonymous",
        "holder",
        "account",
        "verifier",
        "verifier",
    ]
    assert log[0]["verifier_name"] == "Karirhub"
    assert log[0]["purpose"] == "rekrutmen"

    listed = client.get("/v1/me/consents", headers=bearer(holder.token))
    conforms(listed.json(), "ConsentList")
    consent_id = listed.json()["items"][0]["id"]
    withdrawn = client.delete(f"/v1/me/consents/{consent_id}", headers=bearer(holder.token))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["active"] is False
    assert withdrawn.json()["withdrawn_at"]
    after = client.get(
        f"/v1/scan/{token}", params={"purpose": "rekrutmen"}, headers=verifier_headers
    ).json()
    assert after["consent_required"] is True


def test_consent_errors(client: TestClient, svc: Siapkerja) -> None:
    holder = sign_up(client, svc)
    headers = bearer(holder.token)
    verifier, _key = svc.register_verifier("BLK Bandung", ["blk"])
    is_problem(
        client.post(
            "/v1/me/consents", json={"verifier_id": "nope", "purpose": "x"}, headers=headers
        ),
        403,
        "disclosure.unknown_verifier",
    )
    is_problem(
        client.post(
            "/v1/me/consents", json={"verifier_id": verifier.id, "purpose": "  "}, headers=headers
        ),
        400,
        "disclosure.purpose_required",
    )
    narrow = client.post(
        "/v1/me/consents",
        json={"verifier_id": verifier.id, "purpose": "pelatihan", "fields": ["skills", "nik"]},
        headers=headers,
    )
    assert narrow.status_code == 201
    assert narrow.json()["fields"] == ["nik", "skills"]
    body = is_problem(
        client.post(
            "/v1/me/consents",
            json={"verifier_id": verifier.id, "purpose": "p", "fields": ["mother_name"]},
            headers=headers,
        ),
        422,
        "request.invalid_body",
    )
    assert body["params"]["field"] == "fields[0]"


def test_station_keys_are_a_public_jwks(client: TestClient) -> None:
    response = client.get("/v1/station-keys")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    conforms(response.json(), "Jwks")
    assert response.json()["keys"]
    assert all(k["kty"] == "OKP" for k in response.json()["keys"])
    assert "d" not in response.json()["keys"][0]


# --------------------------------------------------------------------------
# The outside world down, and the unexpected
# --------------------------------------------------------------------------


def test_dukcapil_down_is_503_with_retry_after(client: TestClient, svc: Siapkerja) -> None:
    nik, name, mother = residents(svc)[0]
    svc.dukcapil.fail_next()  # type: ignore[attr-defined]
    response = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    body = is_problem(response, 503, "dukcapil.unavailable")
    assert response.headers["retry-after"] == "30"
    assert "adapter" not in body["params"]  # internals stay inside


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SmsDeliveryError("unavailable", adapter="memory"), 503, "sms.unavailable"),
        (StorageError("unavailable"), 503, "storage.unavailable"),
        (OtpError("send_limit", retry_after=120), 429, "otp.send_limit"),
    ],
)
def test_failures_of_the_facade_become_problems(
    client: TestClient,
    svc: Siapkerja,
    monkeypatch: pytest.MonkeyPatch,
    error: SiapkerjaError,
    status: int,
    code: str,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> object:
        raise error

    monkeypatch.setattr(svc, "registration", fail)
    response = client.get("/v1/registrations/any", headers=secret_of(svc, "any"))
    is_problem(response, status, code)
    assert int(response.headers["retry-after"]) > 0


def test_server_faults_show_nothing_of_themselves(
    client: TestClient,
    svc: Siapkerja,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(svc, "registration", crash)
    with caplog.at_level(logging.ERROR, logger="siapkerja.web.api"):
        response = client.get(
            "/v1/registrations/any", headers={"Accept-Language": "en", **secret_of(svc, "any")}
        )
    body = is_problem(response, 500, "server.internal", lang="en")
    assert body["params"] == {}
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "hunter2" in caplog.text  # the operator sees it in the log

    def misconfigured(*_args: object, **_kwargs: object) -> object:
        raise ConfigurationError("file", path="/etc/siapkerja/secret.toml", reason="gone")

    monkeypatch.setattr(svc, "registration", misconfigured)
    response = client.get("/v1/registrations/any", headers=secret_of(svc, "any"))
    is_problem(response, 500, "server.internal")
    assert "secret.toml" not in response.text


# --------------------------------------------------------------------------
# The status table
# --------------------------------------------------------------------------


def _import_everything() -> None:
    for package in (siapkerja_core, siapkerja_adapters):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.endswith("migrations.env"):
                continue  # an Alembic script: runs only under `alembic`
            try:
                importlib.import_module(module.name)
            except ImportError:  # an optional extra that is not installed
                continue


def _error_classes() -> list[type[SiapkerjaError]]:
    _import_everything()
    found: list[type[SiapkerjaError]] = []
    pending = [SiapkerjaError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in found:
                found.append(subclass)
                pending.append(subclass)
    return found


def test_every_code_of_every_error_class_has_a_status() -> None:
    classes = _error_classes()
    names = {c.__name__ for c in classes}
    assert {"InvalidNik", "TokenError", "OtpError", "ProfileIncomplete", "RequestError"} <= names
    unmapped = [
        f"{cls.__module__}.{cls.__name__}: {cls.domain}.{code}"
        for cls in classes
        for code in cls.messages
        if f"{cls.domain}.{code}" not in STATUSES
    ]
    assert unmapped == []


def test_the_table_holds_no_stale_code() -> None:
    known = {f"{cls.domain}.{code}" for cls in _error_classes() for code in cls.messages}
    assert set(STATUSES) - known == set()


@pytest.mark.parametrize(
    ("prefix", "statuses"),
    [
        ("nik.", {422}),
        ("phone.", {422}),
        ("email.", {422}),
        ("password.", {422}),
        ("siapkerja_id.", {422}),
        ("otp.", {422, 410, 429}),
        ("login.", {401, 429}),
        ("token.", {400, 403, 404, 409, 410, 422, 500}),  # 404: unknown_key (retiring)
        ("disclosure.", {400, 403, 404}),
        ("config.", {500}),
    ],
)
def test_families_map_as_documented(prefix: str, statuses: set[int]) -> None:
    family = {status for code, status in STATUSES.items() if code.startswith(prefix)}
    assert family
    assert family <= statuses


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("registration.already_registered", 409),
        ("registration.email_taken", 409),
        ("registration.phone_taken", 409),
        ("registration.not_found", 404),
        ("otp.cooldown", 429),
        ("otp.send_limit", 429),
        ("otp.daily_limit", 429),
        ("login.throttled", 429),
        ("registration.verification_locked", 429),
        ("login.failed", 401),
        ("login.session_invalid", 401),
        ("token.malformed", 400),
        ("token.forged", 403),
        ("token.expired", 410),
        ("token.revoked", 410),
        ("token.replayed", 409),
        ("token.wrong_mode", 422),
        ("token.wrong_purpose", 422),
        ("dukcapil.unavailable", 503),
        ("sms.unavailable", 503),
        ("storage.unavailable", 503),
        ("profile.incomplete", 409),
        ("profile.invalid_field", 422),
        ("request.invalid_body", 422),
    ],
)
def test_status_of_the_named_codes(code: str, status: int) -> None:
    assert STATUSES[code] == status


def test_codes_outside_the_table_fall_back_by_domain() -> None:
    class PluginTokenError(SiapkerjaError):
        domain = "token"
        codes = frozenset({"shiny_new"})  # its texts: error.token.shiny_new in a catalogue

    class PluginError(SiapkerjaError):
        domain = "someplugin"
        codes = frozenset({"broke"})

    assert status_of(PluginTokenError("shiny_new")) == DOMAIN_STATUSES["token"] == 400
    assert status_of(PluginError("broke")) == 500


def test_retry_after_only_for_429_and_503() -> None:
    error = OtpError("cooldown", retry_after=42)
    assert retry_after(error, 429) == 42
    assert retry_after(error, 422) is None
    now = datetime(2026, 5, 1, 23, 59, 30, tzinfo=UTC)
    assert retry_after(OtpError("daily_limit"), 429, now) == 30
    assert retry_after(StorageError("unavailable"), 503) == 30


def test_params_keep_no_secret_and_only_json() -> None:
    params = {
        "password": "hunter2",
        "code": "123456",
        "token": "L-abc",
        "adapter": "http",
        "field": "nik",
        "retry_after": 5,
        "missing": ("photo", "skills"),
        "scopes": frozenset({"b", "a"}),
        "when": datetime(2026, 1, 1, tzinfo=UTC),
        "ratio": float("nan"),
        "errors": (ProfileError("invalid_field", field="gpa", reason="x"),),
    }
    safe = safe_params(params)
    assert safe == {
        "field": "nik",
        "retry_after": 5,
        "missing": ["photo", "skills"],
        "scopes": ["a", "b"],
        "errors": [
            {
                "code": "profile.invalid_field",
                "message_id": "Isian gpa tidak valid: x.",
                "message_en": "Field gpa is invalid: x.",
                "field": "gpa",
            }
        ],
    }


def test_problem_body_shape() -> None:
    body = problem_body(RequestError("not_found"), 404, "en")
    assert body == {
        "type": "https://siapkerja.dev/problems/request.not_found",
        "title": "There is no such API endpoint.",
        "status": 404,
        "detail": "There is no such API endpoint.",
        "code": "request.not_found",
        "message_id": "Alamat API ini tidak ada.",
        "message_en": "There is no such API endpoint.",
        "params": {},
    }


# --------------------------------------------------------------------------
# The OpenAPI document
# --------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(client: TestClient) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"] == "3.1.0"
    validator.validate(served)
    assert "servers" not in served  # at the root: the default server "/"


def test_the_document_and_the_routes_agree(svc: Siapkerja) -> None:
    served = {
        (route.path, method)
        for route in create_api_app(svc).routes
        if isinstance(route, Route) and route.name != "api_fallback"
        for method in (route.methods or set())
        if method != "HEAD"
    }
    documented = {
        (path, method.upper())
        for path, item in openapi_document(svc)["paths"].items()
        for method in item
    }
    assert served == documented


def test_every_body_has_a_schema_and_operations_use_them() -> None:
    text = str(document()["paths"])
    names = [model.__name__ for model in REQUEST_MODELS]
    for name in names:
        assert name in document()["components"]["schemas"]
        assert f"#/components/schemas/{name}" in text
    secrets = [
        (name, prop)
        for name in names
        for prop, schema in document()["components"]["schemas"][name]["properties"].items()
        if schema.get("writeOnly")
    ]
    assert ("SubmitContact", "password") in secrets
    assert ("ConfirmOtp", "code") in secrets


def test_every_problem_code_is_in_the_document() -> None:
    code = document()["components"]["schemas"]["Problem"]["properties"]["code"]
    assert code["x-statuses"] == dict(STATUSES)
    assert all(re.fullmatch(code["pattern"], c) for c in STATUSES)


def test_mounted_under_a_prefix() -> None:
    svc = build()
    app = Starlette(routes=[Mount("/api", routes=api_routes(svc))])
    client = remembering(TestClient(app))
    nik, name, mother = residents(svc)[0]
    response = client.post(
        "/api/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    assert response.status_code == 201
    assert response.headers["location"].startswith("/api/v1/registrations/")
    assert client.get(response.headers["location"]).status_code == 200
    served = client.get("/api/v1/openapi.json").json()
    assert served["servers"] == [{"url": "/api"}]
    is_problem(client.get("/api/v1/nothing-here"), 404, "request.not_found")


def test_the_docs_table_names_every_code() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api-http.md").read_text("utf-8")
    table = text.split("## Error codes and statuses", 1)[1]
    missing = [
        code
        for code in STATUSES
        if f"`{code}`" not in table
        and f"`{code.split('.')[0]}.*`" not in table
        and f"`{code.split('.')[1]}`" not in table
    ]
    assert missing == []


def test_a_422_lists_every_invalid_field(client: TestClient) -> None:
    response = client.post(
        "/v1/registrations",
        json={"nik": 3173071203940042, "full_name": "a" * 201, "admin": True},
        headers={"Accept-Language": "en"},
    )
    body = is_problem(response, 422, "request.invalid_body", lang="en")
    assert body["params"]["field"] == "nik"  # the first, named in the message
    assert body["message_en"] == "Field nik is invalid: must be a string."
    errors = body["params"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("nik", "request.invalid_body"),
        ("full_name", "request.invalid_body"),
        ("mother_name", "request.invalid_body"),
        ("admin", "request.invalid_body"),
    ]
    assert errors[1]["message_en"] == "Field full_name is invalid: must be at most 200 characters."
    assert errors[1]["message_id"] == "Isian full_name tidak valid: paling banyak 200 karakter."
    assert errors[2]["message_en"] == "Field mother_name is invalid: is required."
    assert errors[3]["message_en"] == "Field admin is invalid: is not a known field."


def test_bad_parameters_and_body_together_are_one_problem(
    client: TestClient, svc: Siapkerja
) -> None:
    long_id = "r" * 129
    response = client.post(
        f"/v1/registrations/{long_id}/contact", json={"email": 1, "phone": "0812"}
    )
    body = is_problem(response, 422, "request.invalid_body")
    fields = {(e["field"], e["code"]) for e in body["params"]["errors"]}
    assert fields == {
        ("registration_id", "request.invalid_parameter"),
        ("email", "request.invalid_body"),
        ("password", "request.invalid_body"),
    }
    only_parameter = client.get(f"/v1/registrations/{long_id}")
    assert is_problem(only_parameter, 422, "request.invalid_parameter")["params"]["field"] == (
        "registration_id"
    )


def test_head_is_a_get_without_its_body(client: TestClient) -> None:
    keys = client.head("/v1/station-keys")
    assert keys.status_code == 200
    assert keys.headers["content-type"] == "application/jwk-set+json"
    assert client.head("/v1/openapi.json").status_code == 200
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert all("head" not in item for item in paths.values())  # not an operation of its own


def test_refusals_keep_the_wording_of_0_1(client: TestClient) -> None:
    null = client.post(
        "/v1/registrations",
        json={"nik": None, "full_name": "a", "mother_name": "b"},
        headers={"Accept-Language": "en"},
    )
    assert is_problem(null, 422, "request.invalid_body", lang="en")["message_en"] == (
        "Field nik is invalid: is required."
    )
    long_token = client.get("/v1/scan/" + "x" * 513, headers={"Accept-Language": "en"})
    assert is_problem(long_token, 422, "request.invalid_parameter", lang="en")["message_en"] == (
        "Parameter token is invalid: must be at most 512 characters."
    )
    text_plain = client.post(
        "/v1/registrations",
        content=b'{"nik": "1", "full_name": "a", "mother_name": "b"}',
        headers={"Content-Type": "text/plain"},
    )
    # JSON sent as text/plain (a cross-site "simple" request, no CORS preflight) is refused.
    is_problem(text_plain, 415, "request.unsupported_media_type")
