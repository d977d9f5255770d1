"""The prefill operations over HTTP: an institution with its ``X-Verifier-Key`` asks, the
holder answers with their bearer token, the institution fetches the document.

Through ``create_app`` (the pages' application with the API mounted at
``/api``), so the schema route ``/schemas/prefill/1.0.json`` is there too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from test_web_api import Member, TestClient, bearer, build, card_holder, link_token

from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.api import openapi_document
from siapkerja_core.prefill import prefill_schema
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock as Clock

PURPOSE = "Pendaftaran Pelatihan Las 2026"


@pytest.fixture
def svc() -> Siapkerja:
    return build(Clock.from_now())


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    app = create_app(svc, dev=True)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test:
        yield test


@pytest.fixture
def api(svc: Siapkerja) -> Iterator[TestClient]:
    app = create_app(svc, dev=True)
    with TestClient(app, base_url="http://testserver/api", raise_server_exceptions=False) as test:
        yield test


@pytest.fixture
def member(api: TestClient, svc: Siapkerja) -> Member:
    return card_holder(api, svc)


@pytest.fixture
def blk_key(svc: Siapkerja) -> str:
    return svc.register_verifier("BLK Bekasi", ["blk"])[1]


def institution(key: str) -> dict[str, str]:
    return {"X-Verifier-Key": key}


def ask(api: TestClient, key: str, token: str, **body: Any) -> Any:
    return api.post(
        "/v1/consent-requests",
        json={"token": token, "purpose": PURPOSE, **body},
        headers=institution(key),
    )


def test_ask_approve_fetch_over_http(api: TestClient, member: Member, blk_key: str) -> None:
    token = link_token(api, member)
    asked = ask(api, blk_key, token, fields=["contact", "skills"], essential=["nik"])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending"
    assert request["fields"] == ["contact", "nik", "skills"]
    assert request["institution"] == "BLK Bekasi"
    assert "account_id" not in request  # the institution learns no holder id

    refused = api.post(
        "/v1/prefill", json={"token": token, "purpose": PURPOSE}, headers=institution(blk_key)
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "prefill.consent_required"

    pending = api.get("/v1/me/consent-requests", headers=bearer(member.token)).json()["items"]
    assert [p["id"] for p in pending] == [request["id"]]
    path = f"/v1/me/consent-requests/{request['id']}/approve"
    dropped = api.post(path, json={"fields": ["skills"]}, headers=bearer(member.token))
    assert dropped.status_code == 422
    assert dropped.json()["code"] == "prefill.essential_refused"
    approved = api.post(path, json={"fields": ["nik", "skills"]}, headers=bearer(member.token))
    assert approved.status_code == 200, approved.text
    assert approved.json()["fields"] == ["nik", "skills"]
    again = api.post(path, headers=bearer(member.token))
    assert again.status_code == 409

    status = api.get(f"/v1/consent-requests/{request['id']}", headers=institution(blk_key))
    assert status.json()["status"] == "approved"
    assert status.json()["granted_fields"] == ["nik", "skills"]

    document = api.post(
        "/v1/prefill", json={"token": token, "purpose": PURPOSE}, headers=institution(blk_key)
    )
    assert document.status_code == 200
    data = document.json()
    jsonschema.validate(data, prefill_schema())
    assert data["fields"] == ["nik", "skills"]
    assert isinstance(data["nik"], str)
    assert "email" not in data
    resume = api.post(
        "/v1/prefill",
        params={"format": "json-resume"},
        json={"token": token, "purpose": PURPOSE},
        headers=institution(blk_key),
    ).json()
    assert set(resume) == {"$schema", "basics", "skills", "meta"}


def test_institution_operations_need_a_valid_key(
    api: TestClient, member: Member, blk_key: str
) -> None:
    token = link_token(api, member)
    body = {"token": token, "purpose": PURPOSE}
    assert api.post("/v1/consent-requests", json=body).status_code == 401
    wrong = api.post("/v1/consent-requests", json=body, headers=institution("skv_0000"))
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "disclosure.unknown_verifier"
    assert api.post("/v1/prefill", json=body).status_code == 401
    assert api.get("/v1/consent-requests/abc").status_code == 401


def test_requests_stay_with_their_institution_and_holder(
    api: TestClient, svc: Siapkerja, member: Member, blk_key: str
) -> None:
    request = ask(api, blk_key, link_token(api, member)).json()
    _, other_key = svc.register_verifier("LPK Lain", ["blk"])
    peeked = api.get(f"/v1/consent-requests/{request['id']}", headers=institution(other_key))
    assert peeked.status_code == 404
    stranger = card_holder(api, svc, 1)
    assert api.get("/v1/me/consent-requests", headers=bearer(stranger.token)).json() == {
        "items": []
    }
    declined = api.post(
        f"/v1/me/consent-requests/{request['id']}/decline", headers=bearer(stranger.token)
    )
    assert declined.status_code == 404
    declined = api.post(
        f"/v1/me/consent-requests/{request['id']}/decline", headers=bearer(member.token)
    )
    assert declined.json()["status"] == "declined"


def test_fields_outside_the_scope_are_a_400(
    api: TestClient, svc: Siapkerja, member: Member
) -> None:
    _, karirhub = svc.register_verifier("Karirhub", ["karirhub"])
    refused = ask(api, karirhub, link_token(api, member), fields=["nik"])
    assert refused.status_code == 400
    assert refused.json()["code"] == "prefill.fields_outside_scope"
    unknown = ask(api, karirhub, link_token(api, member), fields=["mother_name"])
    assert unknown.status_code == 422  # not a field at all: the body's schema refuses it


def test_the_schema_is_served_and_named_by_the_api(client: TestClient) -> None:
    served = client.get("/schemas/prefill/1.0.json")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/schema+json")
    assert served.json() == prefill_schema()
    operation = openapi_document()["paths"]["/v1/prefill"]["post"]
    assert operation["security"] == [{"verifierKey": []}]
    described = operation["responses"]["200"]["description"]
    assert "/schemas/prefill/1.0.json" in described


def test_the_profile_patch_takes_labour_codes(api: TestClient, member: Member) -> None:
    job = {"title": "Backend Developer", "company": "Company", "start": "2021-06"}
    esco = "http://data.europa.eu/esco/skill/0a2f7f0e-1111-4222-8333-444455556666"
    patched = api.patch(
        "/v1/me/profile",
        json={
            "work": [{**job, "occupation": {"kbji": "251201", "isco08": "2512"}}],
            "skills": ["Java", {"name": "PHP", "esco_uri": esco}],
            "biodata": {"occupation": {"isco08": "2512"}},
        },
        headers=bearer(member.token),
    )
    assert patched.status_code == 200, patched.text
    profile = patched.json()
    assert profile["work"][0]["occupation"] == {
        "kbji": "2512.01",
        "isco08": "2512",
        "esco_uri": None,
    }
    assert profile["skills"] == [
        {"name": "Java", "esco_uri": None},
        {"name": "PHP", "esco_uri": esco},
    ]
    assert profile["biodata"]["occupation"]["isco08"] == "2512"
    refused = api.patch(
        "/v1/me/profile",
        json={"skills": [{"name": "PHP", "esco_uri": esco.replace("skill", "occupation")}]},
        headers=bearer(member.token),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "profile.invalid_field"
    assert refused.json()["params"]["field"] == "skills[0].esco_uri"
