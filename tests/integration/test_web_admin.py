"""Administering institutions over the JSON API (``/v1/admin/...``, ``/v1/verifier``).

The API runs on the ``memory`` profile behind Starlette's ``TestClient``;
the administrator is bootstrapped as the CLI does it (``svc.verifiers.add``
with the ``admin`` scope), then everything else goes through HTTP.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import demo_holder
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_adapters.web.problems import PROBLEM_MEDIA_TYPE
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

PURPOSE = "ak1"
ADMIN_PATHS = [
    ("GET", "/v1/admin/verifiers"),
    ("POST", "/v1/admin/verifiers"),
    ("GET", "/v1/admin/verifiers/{id}"),
    ("POST", "/v1/admin/verifiers/{id}/suspend"),
    ("POST", "/v1/admin/verifiers/{id}/resume"),
    ("POST", "/v1/admin/verifiers/{id}/rotate-key"),
    ("POST", "/v1/admin/verifiers/{id}/retire"),
    ("GET", "/v1/admin/verifiers/{id}/activity"),
    ("GET", "/v1/admin/audit"),
]


@pytest.fixture
def svc() -> Siapkerja:
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
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


def as_verifier(key: str) -> dict[str, str]:
    return {"X-Verifier-Key": key}


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message_id"]
    assert body["message_en"]
    return body


def add(client: TestClient, admin_key: str, **body: Any) -> dict[str, Any]:
    payload = {"name": "Disnaker Kota Bandung", "scopes": ["disnaker"], "kind": "disnaker"}
    payload.update(body)
    response = client.post("/v1/admin/verifiers", json=payload, headers=as_verifier(admin_key))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def call(client: TestClient, method: str, path: str, key: str | None, **kw: Any) -> Any:
    headers = {} if key is None else as_verifier(key)
    if method == "POST" and "json" not in kw:
        kw["json"] = {"reason": "cek"}
    return client.request(method, path, headers=headers, **kw)


def test_every_admin_operation_refuses_a_key_without_the_admin_scope(
    client: TestClient, svc: Siapkerja, admin_key: str
) -> None:
    target = add(client, admin_key)["verifier"]["id"]
    _, karirhub_key = svc.verifiers.add("Karirhub", ["karirhub"], kind="job_portal")
    before = svc.verifiers.audit()
    for method, path in ADMIN_PATHS:
        path = path.format(id=target)
        problem(call(client, method, path, karirhub_key), 403, "institution.admin_required")
        problem(call(client, method, path, "skv_forged"), 403, "disclosure.unknown_verifier")
        problem(call(client, method, path, None), 401, "request.verifier_key_required")
    assert svc.verifiers.audit() == before  # nothing was done
    assert svc.verifiers.get(target).active


def test_an_administrator_runs_an_institution_through_its_life(
    client: TestClient, svc: Siapkerja, admin_key: str
) -> None:
    galih = demo_holder(svc)
    token = svc.card_qr(galih.id).token
    admin = svc.verifier(admin_key)
    created = add(client, admin_key, region_code="32.73", contact="disnaker@bandung.go.id")
    verifier, key = created["verifier"], created["api_key"]
    assert verifier["region_code"] == "3273"
    assert verifier["region_name"] == "Kota Bandung"
    assert verifier["status"] == "active"
    svc.grant_consent(galih.id, verifier["id"], PURPOSE)

    def scan(with_key: str) -> Any:
        return client.get(
            f"/v1/scan/{token}", params={"purpose": PURPOSE}, headers=as_verifier(with_key)
        )

    assert scan(key).json()["nik"] == galih.nik
    own = client.get("/v1/verifier", headers=as_verifier(key))
    assert own.status_code == 200
    assert own.json() == verifier

    response = client.post(
        f"/v1/admin/verifiers/{verifier['id']}/suspend",
        json={"reason": "Kunci bocor"},
        headers=as_verifier(admin_key),
    )
    assert response.json()["status"] == "suspended"
    problem(scan(key), 403, "disclosure.verifier_suspended")
    problem(
        client.get("/v1/verifier", headers=as_verifier(key)), 403, "disclosure.verifier_suspended"
    )
    problem(
        client.post(
            f"/v1/admin/verifiers/{verifier['id']}/suspend",
            json={"reason": "lagi"},
            headers=as_verifier(admin_key),
        ),
        409,
        "institution.wrong_status",
    )

    rotated = client.post(
        f"/v1/admin/verifiers/{verifier['id']}/rotate-key", headers=as_verifier(admin_key)
    ).json()
    new_key = rotated["api_key"]
    assert rotated["verifier"]["key_rotated_at"] is not None
    resumed = client.post(
        f"/v1/admin/verifiers/{verifier['id']}/resume", headers=as_verifier(admin_key)
    )
    assert resumed.json()["status"] == "active"
    problem(scan(key), 403, "disclosure.unknown_verifier")  # the old key died with the rotation
    assert scan(new_key).status_code == 200

    activity = client.get(
        f"/v1/admin/verifiers/{verifier['id']}/activity", headers=as_verifier(admin_key)
    ).json()["items"]
    assert [(a["account_id"], a["purpose"], a["channel"]) for a in activity] == [
        (galih.id, PURPOSE, "link")
    ] * 2
    assert "nik" in activity[0]["fields"]
    own_activity = client.get("/v1/verifier/activity", headers=as_verifier(new_key))
    assert own_activity.json()["items"] == activity

    retired = client.post(
        f"/v1/admin/verifiers/{verifier['id']}/retire",
        json={"reason": "Kantor ditutup"},
        headers=as_verifier(admin_key),
    )
    assert retired.json()["status"] == "retired"
    problem(scan(new_key), 403, "disclosure.unknown_verifier")

    audit = client.get(
        "/v1/admin/audit", params={"target": verifier["id"]}, headers=as_verifier(admin_key)
    ).json()["items"]
    assert [a["action"] for a in audit] == [
        "verifier.retire",
        "verifier.resume",
        "verifier.rotate_key",
        "verifier.suspend",
        "verifier.add",
    ]
    assert {a["actor"] for a in audit} == {f"verifier:{admin.id}"}
    assert audit[0]["reason"] == "Kantor ditutup"
    assert key not in str(audit)
    assert new_key not in str(audit)
    listed = client.get(
        "/v1/admin/verifiers", params={"status": "retired"}, headers=as_verifier(admin_key)
    ).json()["items"]
    assert [v["id"] for v in listed] == [verifier["id"]]


def test_the_api_never_makes_an_administrator(
    client: TestClient, svc: Siapkerja, admin_key: str
) -> None:
    response = client.post(
        "/v1/admin/verifiers",
        json={"name": "Admin Kedua", "scopes": ["admin"], "kind": "ministry"},
        headers=as_verifier(admin_key),
    )
    body = problem(response, 422, "request.invalid_body")
    assert body["params"]["field"].startswith("scopes")
    assert [v.name for v in svc.verifiers.list()] == ["Kemnaker"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"region_code": "9999"}, 422, "institution.invalid_region"),
        ({"contact": "bukan alamat"}, 422, "institution.invalid_contact"),
        ({"name": " "}, 422, "institution.invalid_name"),
        ({"kind": "hub"}, 422, "request.invalid_body"),
        ({"scopes": []}, 422, "request.invalid_body"),
        ({"extra": 1}, 422, "request.invalid_body"),
    ],
)
def test_bad_bodies_are_refused_with_typed_problems(
    client: TestClient, svc: Siapkerja, admin_key: str, body: dict[str, Any], status: int, code: str
) -> None:
    payload = {"name": "Instansi", "scopes": ["blk"], "kind": "blk", **body}
    response = client.post("/v1/admin/verifiers", json=payload, headers=as_verifier(admin_key))
    problem(response, status, code)
    assert len(svc.verifiers.list()) == 1


def test_unknown_ids_and_bad_filters(client: TestClient, admin_key: str) -> None:
    headers = as_verifier(admin_key)
    problem(client.get("/v1/admin/verifiers/nope", headers=headers), 404, "institution.unknown")
    problem(
        client.post("/v1/admin/verifiers/nope/retire", json={"reason": "x"}, headers=headers),
        404,
        "institution.unknown",
    )
    problem(
        client.post("/v1/admin/verifiers/nope/suspend", json={}, headers=headers),
        422,
        "request.invalid_body",
    )
    problem(
        client.get("/v1/admin/audit", params={"limit": 0}, headers=headers),
        422,
        "request.invalid_parameter",
    )
    # A time without its offset, or a number: refused as the parameter it is.
    for since in ("2026-01-01T00:00:00", "0.5", "kemarin"):
        problem(
            client.get("/v1/admin/audit", params={"since": since}, headers=headers),
            422,
            "request.invalid_parameter",
        )
    assert client.get(
        "/v1/admin/audit", params={"since": "2026-01-01T00:00:00+07:00"}, headers=headers
    ).json()["items"]


def test_the_document_lists_every_institution_operation() -> None:
    document = openapi_document(None)
    operations = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if "institutions" in operation.get("tags", [])
    }
    assert operations == {
        "admin_add_verifier",
        "admin_list_verifiers",
        "admin_get_verifier",
        "admin_suspend_verifier",
        "admin_resume_verifier",
        "admin_rotate_verifier_key",
        "admin_retire_verifier",
        "admin_verifier_activity",
        "admin_audit",
        "own_verifier",
        "own_verifier_activity",
    }
    add = document["paths"]["/v1/admin/verifiers"]["post"]
    assert add["security"] == [{"verifierKey": []}]
