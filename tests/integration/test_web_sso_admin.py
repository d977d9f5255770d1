"""Administering single sign-on clients over the JSON API (``/v1/admin/sso-clients``).

The API runs on the ``memory`` profile behind Starlette's ``TestClient``; the
administrator is bootstrapped as the CLI does it (``svc.verifiers.add`` with
the ``admin`` scope), then every action goes through HTTP and its effect is
read back from ``svc.sso`` itself: a suspended client is refused by
``usable_client``, a rotated secret no longer passes ``check_client_secret``.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_adapters.web.problems import PROBLEM_MEDIA_TYPE, problem_response, status_of
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import SsoError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

BASE = "/v1/admin/sso-clients"
CALLBACK = "https://karirhub.kemnaker.go.id/oidc/callback"
ADMIN_PATHS = [
    ("GET", BASE),
    ("POST", BASE),
    ("GET", BASE + "/{id}"),
    ("PATCH", BASE + "/{id}"),
    ("POST", BASE + "/{id}/suspend"),
    ("POST", BASE + "/{id}/resume"),
    ("POST", BASE + "/{id}/rotate-secret"),
    ("POST", BASE + "/{id}/remove"),
]


@pytest.fixture
def svc() -> Siapkerja:
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        secret_key="sso-admin-secret-key-0123456789abcdef",
        card_base_url="https://skid.kemnaker.go.id/v/",
    )


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc)) as made:
        yield made


@pytest.fixture
def admin_key(svc: Siapkerja) -> str:
    _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
    return key


@pytest.fixture
def hub_id(svc: Siapkerja) -> str:
    hub, _ = svc.verifiers.add("Karirhub", ["karirhub"], kind="job_portal", actor="cli:root")
    return hub.id


def as_admin(key: str, lang: str | None = None) -> dict[str, str]:
    headers = {"X-Verifier-Key": key}
    if lang is not None:
        headers["Accept-Language"] = lang
    return headers


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message_id"]
    assert body["message_en"]
    return body


def public_jwks() -> dict[str, Any]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "rp-1", "use": "sig"}]}


def create(client: TestClient, key: str, **body: Any) -> Any:
    payload: dict[str, Any] = {"redirect_uris": [CALLBACK], "purpose": "lamaran-kerja"}
    payload.update(body)
    return client.post(BASE, json=payload, headers=as_admin(key))


def created(client: TestClient, key: str, **body: Any) -> dict[str, Any]:
    response = create(client, key, **body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_client_is_created_and_its_secret_answered_once(
    client: TestClient, svc: Siapkerja, admin_key: str, hub_id: str
) -> None:
    made = created(client, admin_key, verifier_id=hub_id, essential=["headline"])
    shown, secret = made["client"], made["client_secret"]
    assert secret
    assert shown["verifier_id"] == hub_id
    assert shown["status"] == "active"
    assert shown["redirect_uris"] == [CALLBACK]
    assert shown["auth_method"] == "client_secret_basic"
    assert shown["essential"] == ["headline"]
    assert "headline" in shown["fields"]
    assert "nik" not in shown["fields"]  # the hub's scope bounds them: karirhub sees nik_masked
    core = svc.sso.client(shown["id"])
    assert svc.sso.check_client_secret(core, secret)
    assert not svc.sso.check_client_secret(core, secret + "x")

    one = client.get(f"{BASE}/{shown['id']}", headers=as_admin(admin_key))
    assert one.status_code == 200
    assert one.json() == shown
    listed = client.get(BASE, headers=as_admin(admin_key))
    assert listed.json()["items"] == [shown]
    for answer in (one, listed):
        assert secret not in answer.text
        assert '"client_secret":' not in answer.text
    audit = client.get(
        "/v1/admin/audit", params={"target": shown["id"]}, headers=as_admin(admin_key)
    ).json()["items"]
    assert [a["action"] for a in audit] == ["sso_client.add"]
    assert secret not in str(audit)


def test_a_client_with_a_new_hub_registers_the_hub_too(
    client: TestClient, svc: Siapkerja, admin_key: str
) -> None:
    made = created(client, admin_key, name="Portal Kerja Jabar", scopes=["bizhub"], kind="other")
    hub = svc.verifiers.get(made["client"]["verifier_id"])
    assert hub.name == "Portal Kerja Jabar"
    assert hub.scopes == frozenset({"bizhub"})
    assert set(made["client"]["fields"]) <= {
        "contact",
        "domicile_address",
        "education",
        "headline",
        "nik_masked",
        "photo",
        "skills",
        "work",
    }


def test_an_administrator_runs_a_client_through_its_life(
    client: TestClient, svc: Siapkerja, admin_key: str, hub_id: str
) -> None:
    admin = svc.verifier(admin_key)
    made = created(client, admin_key, verifier_id=hub_id)
    client_id, first_secret = made["client"]["id"], made["client_secret"]
    headers = as_admin(admin_key)
    assert svc.sso.usable_client(client_id).id == client_id

    suspended = client.post(
        f"{BASE}/{client_id}/suspend", json={"reason": "Dicek"}, headers=headers
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    with pytest.raises(SsoError) as refused:
        svc.sso.usable_client(client_id)
    assert refused.value.code == "client_suspended"
    problem(
        client.post(f"{BASE}/{client_id}/suspend", json={"reason": "lagi"}, headers=headers),
        409,
        "sso.wrong_status",
    )

    resumed = client.post(f"{BASE}/{client_id}/resume", headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "active"
    assert svc.sso.usable_client(client_id).active
    problem(client.post(f"{BASE}/{client_id}/resume", headers=headers), 409, "sso.wrong_status")

    rotated = client.post(
        f"{BASE}/{client_id}/rotate-secret", json={"reason": "Bocor"}, headers=headers
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret
    assert new_secret != first_secret
    assert rotated.json()["client"]["secret_rotated_at"] is not None
    core = svc.sso.client(client_id)
    assert not svc.sso.check_client_secret(core, first_secret)
    assert svc.sso.check_client_secret(core, new_secret)

    changed = client.patch(
        f"{BASE}/{client_id}",
        json={
            "redirect_uris": [CALLBACK, "https://karirhub.kemnaker.go.id/cb2"],
            "essential": ["contact"],
            "step_up": True,
            "rate_limit": 120,
            "reason": "Alamat baru",
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["redirect_uris"][1] == "https://karirhub.kemnaker.go.id/cb2"
    assert changed.json()["essential"] == ["contact"]
    assert changed.json()["step_up"] is True
    assert changed.json()["rate_limit"] == 120
    assert svc.sso.client(client_id).rate_limit == 120

    removed = client.post(
        f"{BASE}/{client_id}/remove", json={"reason": "Kerja sama berakhir"}, headers=headers
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["status"] == "retired"
    with pytest.raises(SsoError) as gone:
        svc.sso.usable_client(client_id)
    assert gone.value.code == "unknown_client"
    problem(
        client.post(f"{BASE}/{client_id}/rotate-secret", headers=headers), 409, "sso.wrong_status"
    )
    listed = client.get(BASE, params={"status": "retired"}, headers=headers).json()["items"]
    assert [c["id"] for c in listed] == [client_id]
    assert client.get(BASE, params={"status": "active"}, headers=headers).json()["items"] == []

    audit = client.get("/v1/admin/audit", params={"target": client_id}, headers=headers).json()
    assert [a["action"] for a in audit["items"]] == [
        "sso_client.remove",
        "sso_client.update",
        "sso_client.rotate_secret",
        "sso_client.resume",
        "sso_client.suspend",
        "sso_client.add",
    ]
    assert {a["actor"] for a in audit["items"]} == {f"verifier:{admin.id}"}
    reasons = [a["reason"] for a in audit["items"]]
    assert reasons[0] == "Kerja sama berakhir"
    assert reasons[1] == "Alamat baru"
    assert "Dicek" in reasons
    assert first_secret not in str(audit)
    assert new_secret not in str(audit)


def test_every_operation_refuses_a_key_without_the_admin_scope(
    client: TestClient, svc: Siapkerja, admin_key: str, hub_id: str
) -> None:
    target = created(client, admin_key, verifier_id=hub_id)["client"]["id"]
    _, hub_key = svc.verifiers.add("Skillhub", ["skillhub"], kind="job_portal")
    before = svc.verifiers.audit()
    for method, path in ADMIN_PATHS:
        path = path.format(id=target)
        for key, status, code in (
            (hub_key, 403, "institution.admin_required"),
            ("skv_forged", 403, "disclosure.unknown_verifier"),
            (None, 401, "request.verifier_key_required"),
        ):
            headers = {} if key is None else as_admin(key)
            kwargs: dict[str, Any] = {}
            if method in ("POST", "PATCH"):
                kwargs["json"] = {"reason": "cek"}
            problem(client.request(method, path, headers=headers, **kwargs), status, code)
    assert svc.verifiers.audit() == before  # nothing was done
    assert svc.sso.client(target).active


def test_the_api_never_creates_an_administrator_hub(
    client: TestClient, svc: Siapkerja, admin_key: str
) -> None:
    body = problem(
        create(client, admin_key, name="Admin Kedua", scopes=["admin"]),
        422,
        "request.invalid_body",
    )
    assert body["params"]["field"].startswith("scopes")
    assert [v.name for v in svc.verifiers.list()] == ["Kemnaker"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"rate_limit": 0}, "request.invalid_body", "rate_limit"),
        ({"fields": ["gaji"]}, "request.invalid_body", "fields"),
        ({"redirect_uris": []}, "request.invalid_body", "redirect_uris"),
        ({"auth_method": "none"}, "request.invalid_body", "auth_method"),
        ({"secret": "pilih sendiri"}, "request.invalid_body", "secret"),
        # The hub: an existing one, or a new one with its scopes; never both, never neither.
        ({"verifier_id": None}, "request.invalid_body", "verifier_id"),
        ({"name": "Hub Baru"}, "request.invalid_body", "name"),
        ({"scopes": ["karirhub"]}, "request.invalid_body", "scopes"),
        ({"verifier_id": None, "name": "Hub Baru"}, "request.invalid_body", "scopes"),
        ({"redirect_uris": ["http://karirhub.example/cb"]}, "sso.invalid_redirect_uri", None),
        ({"redirect_uris": [CALLBACK + "#frag"]}, "sso.invalid_redirect_uri", None),
        ({"fields": ["nik"]}, "sso.invalid_fields", None),  # outside the karirhub scope
        ({"essential": ["religion"]}, "sso.invalid_fields", None),
        ({"auth_method": "private_key_jwt"}, "sso.invalid_jwks", None),
        ({"high_assurance": True}, "sso.invalid_auth_method", None),
        # The provider never holds a private key: a private member is not a known field.
        (
            {"auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "OKP", "d": "x"}]}},
            "request.invalid_body",
            "jwks.keys[0].d",
        ),
        (
            {"auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "x"}]}},
            "request.invalid_body",
            "jwks.keys[0].k",
        ),
        (
            {"auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct"}]}},
            "sso.invalid_jwks",  # a symmetric key: no public key at all
            None,
        ),
        ({"jwks": {"keys": []}}, "request.invalid_body", "jwks.keys"),
    ],
)
def test_bad_bodies_are_refused_with_bilingual_problems(
    client: TestClient,
    svc: Siapkerja,
    admin_key: str,
    hub_id: str,
    body: dict[str, Any],
    code: str,
    field: str | None,
) -> None:
    payload: dict[str, Any] = {
        "redirect_uris": [CALLBACK],
        "purpose": "lamaran-kerja",
        "verifier_id": hub_id,
        **body,
    }
    english = problem(client.post(BASE, json=payload, headers=as_admin(admin_key, "en")), 422, code)
    indonesian = problem(client.post(BASE, json=payload, headers=as_admin(admin_key)), 422, code)
    assert english["detail"] == english["message_en"]
    assert indonesian["detail"] == indonesian["message_id"]
    assert english["message_id"] != english["message_en"]  # two languages, not one twice
    if field is not None:
        assert english["params"]["field"].startswith(field)
    assert svc.sso.clients() == []


def test_unknown_clients_and_hubs(
    client: TestClient, svc: Siapkerja, admin_key: str, hub_id: str
) -> None:
    headers = as_admin(admin_key)
    problem(client.get(f"{BASE}/nope", headers=headers), 404, "sso.unknown_client")
    problem(
        client.post(f"{BASE}/nope/remove", json={"reason": "x"}, headers=headers),
        404,
        "sso.unknown_client",
    )
    problem(
        client.patch(f"{BASE}/nope", json={"step_up": True}, headers=headers),
        404,
        "sso.unknown_client",
    )
    problem(
        client.post(f"{BASE}/nope/suspend", json={}, headers=headers), 422, "request.invalid_body"
    )
    problem(create(client, admin_key, verifier_id="no-such-hub"), 404, "institution.unknown")
    assert svc.sso.clients() == []
    problem(
        client.get(BASE, params={"status": "sleeping"}, headers=headers),
        422,
        "request.invalid_parameter",
    )
    assert client.get(BASE, params={"verifier_id": hub_id}, headers=headers).json() == {"items": []}


def test_a_private_key_jwt_client_has_no_secret_to_rotate(
    client: TestClient, svc: Siapkerja, admin_key: str, hub_id: str
) -> None:
    jwks = public_jwks()
    made = created(
        client,
        admin_key,
        verifier_id=hub_id,
        auth_method="private_key_jwt",
        jwks=jwks,
        high_assurance=True,
    )
    assert made["client_secret"] is None
    assert made["client"]["jwks"] == jwks
    assert made["client"]["high_assurance"] is True
    client_id = made["client"]["id"]
    problem(
        client.post(f"{BASE}/{client_id}/rotate-secret", headers=as_admin(admin_key)),
        409,
        "sso.wrong_status",
    )
    other = public_jwks()
    changed = client.patch(f"{BASE}/{client_id}", json={"jwks": other}, headers=as_admin(admin_key))
    assert changed.status_code == 200, changed.text
    assert changed.json()["jwks"] == other
    assert svc.sso.client(client_id).jwks == other


def test_sso_codes_map_to_statuses() -> None:
    expected = {
        "unknown_client": 404,
        "client_suspended": 403,
        "wrong_status": 409,
        "invalid_redirect_uri": 422,
        "invalid_fields": 422,
        "invalid_jwks": 422,
        "rate_limited": 429,
        "invalid_client": 401,
    }
    for code, status in expected.items():
        assert status_of(SsoError(code)) == status, code
    for code in SsoError.codes:
        assert 400 <= status_of(SsoError(code)) < 500, code  # none is the server's fault


def test_a_rate_limited_problem_says_when_to_retry() -> None:
    response = problem_response(SsoError("rate_limited", retry_after=7), "en")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    challenge = problem_response(SsoError("invalid_client"), "en")
    assert challenge.headers["WWW-Authenticate"].startswith("Basic ")


def test_the_document_describes_the_operations() -> None:
    document = openapi_document()
    paths = document["paths"]
    assert set(paths[BASE]) == {"get", "post"}
    assert set(paths[BASE + "/{client_id}"]) == {"get", "patch"}
    created_schema = paths[BASE]["post"]["responses"]["201"]["content"]["application/json"]
    assert created_schema["schema"]["$ref"].endswith("/SsoClientSecret")
    client_schema = document["components"]["schemas"]["SsoClient"]
    assert "client_secret" not in client_schema["properties"]  # the secret only with /rotate
    operations = [
        op for path, item in paths.items() if path.startswith(BASE) for op in item.values()
    ]
    assert len(operations) == len(ADMIN_PATHS)
    for operation in operations:
        assert operation["security"] == [{"verifierKey": []}]
        assert operation["tags"] == ["sso-clients"]
