"""The JSON API of disputes and re-proofing, over Starlette's TestClient, on every storage.

A claimant opens a claim and confirms the new phone (``X-Dispute-Secret``
on every later call); the holder lists and answers it with their session;
an administrator lists, reads the trail, records an officer's check and
decides; the claimant signs in with the NIK. A re-proofing completes with a
face match. The problems say what went wrong with the right status.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from test_disputes import clock, recorder, svc  # noqa: F401 - the fixtures, on every storage

from siapkerja_adapters.dukcapil_offline import face_image
from siapkerja_adapters.web.api import create_api_app
from siapkerja_core.service import Siapkerja
from support.sms import sms_code
from support.sso import PEOPLE, holder

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "sawah hijau di lembang"


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as made:
        yield made


@pytest.fixture
def admin(svc: Siapkerja) -> dict[str, str]:  # noqa: F811
    _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
    return {"X-Verifier-Key": key}


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def identity(n: int, phone: str) -> dict[str, str]:
    person = PEOPLE[n]
    return {
        "nik": person.nik,
        "full_name": person.full_name,
        "mother_name": person.mother_name,
        "phone": phone,
    }


def test_a_dispute_through_the_api(
    client: TestClient,
    svc: Siapkerja,  # noqa: F811
    admin: dict[str, str],
) -> None:
    old = holder(svc, 0, card=False)
    assert old.session is not None
    as_holder = {"Authorization": f"Bearer {old.session.token}"}
    body = {**identity(0, "081399990001"), "email": "klaim@example.com", "password": PASSWORD}
    opened = client.post("/v1/disputes", json=body)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["status"] == "pending_otp"
    secret = {"X-Dispute-Secret": case["secret"]}
    path = f"/v1/cases/{case['id']}"
    problem(client.get(path), 401, "dispute.secret_required")
    problem(client.get(path, headers={"X-Dispute-Secret": "nope"}), 401, "dispute.secret_required")
    code = sms_code(svc, "081399990001")
    confirmed = client.post(f"{path}/otp/confirm", json={"code": code}, headers=secret)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "awaiting_holder"
    assert client.get(path, headers=secret).json()["secret"] is None  # answered once only

    # The holder sees it (nothing of the claimant) and answers.
    mine = client.get("/v1/me/disputes", headers=as_holder)
    assert [c["id"] for c in mine.json()["items"]] == [case["id"]]
    assert "klaim" not in mine.text
    assert "9999" not in mine.text
    problem(client.get("/v1/me/disputes"), 401, "request.authentication_required")
    answer = f"/v1/me/disputes/{case['id']}/answer"
    problem(
        client.post(answer, json={"answer": "maybe"}, headers=as_holder),
        422,
        "request.invalid_body",
    )
    answered = client.post(answer, json={"answer": "not_mine"}, headers=as_holder)
    assert answered.json()["status"] == "awaiting_decision", answered.text

    # An officer decides.
    listed = client.get("/v1/admin/disputes?status=awaiting_decision", headers=admin).json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    assert listed["items"][0]["nik"] != PEOPLE[0].nik
    problem(
        client.get("/v1/admin/disputes", headers=as_holder), 401, "request.verifier_key_required"
    )
    decision = f"/v1/admin/disputes/{case['id']}/decision"
    problem(
        client.post(decision, json={"upheld": True, "reason": "KTP asli"}, headers=admin),
        409,
        "dispute.evidence_required",
    )
    check = {
        "officer_id": "198001012005011001",
        "office": "Disnaker Kota Bandung",
        "documents": ["KTP-el", "KK"],
    }
    checked = client.post(f"/v1/admin/disputes/{case['id']}/checks", json=check, headers=admin)
    assert checked.status_code == 200, checked.text
    decided = client.post(decision, json={"upheld": True, "reason": "KTP asli"}, headers=admin)
    assert decided.status_code == 200, decided.text
    result = decided.json()
    assert result["status"] == "upheld"
    assert [r["action"] for r in result["trail"]][-3:] == [
        "account.freeze",
        "dispute.decide",
        "account.create",
    ]
    assert all(r["actor"].startswith("verifier:") for r in result["trail"][-3:])

    # The old session is dead; the claimant signs in with the NIK.
    problem(client.get("/v1/me", headers=as_holder), 401, "login.session_invalid")
    signed_in = client.post(
        "/v1/sessions", json={"identifier": PEOPLE[0].nik, "password": PASSWORD}
    )
    assert signed_in.status_code == 201, signed_in.text
    assert signed_in.json()["account"]["id"] == result["new_account_id"]
    assert client.get("/v1/admin/disputes/overdue", headers=admin).json() == {"items": []}


def test_a_reproofing_through_the_api(client: TestClient, svc: Siapkerja) -> None:  # noqa: F811
    account = holder(svc, 1, card=False)
    started = client.post("/v1/reproofings", json=identity(1, "081377770001"))
    assert started.status_code == 201, started.text
    case = started.json()
    secret = {"X-Dispute-Secret": case["secret"]}
    path = f"/v1/cases/{case['id']}"
    code = sms_code(svc, "081377770001")
    assert (
        client.post(f"{path}/otp/confirm", json={"code": code}, headers=secret).json()["status"]
        == "awaiting_evidence"
    )
    problem(
        client.post(f"{path}/face", json={"image": "not base64!"}, headers=secret),
        422,
        "dispute.invalid_image",
    )
    photo = base64.b64encode(face_image(PEOPLE[1].nik)).decode("ascii")
    matched = client.post(f"{path}/face", json={"image": photo}, headers=secret)
    assert matched.status_code == 200, matched.text
    assert matched.json()["status"] == "recovered"
    assert [e["kind"] for e in matched.json()["evidence"]] == ["dukcapil", "face"]
    assert svc.login("081377770001", "Kuda-Lari-Kencang-7").id == account.id


def test_opening_problems(client: TestClient, svc: Siapkerja) -> None:  # noqa: F811
    problem(
        client.post("/v1/reproofings", json=identity(2, "081366660001")), 404, "dispute.no_account"
    )
    wrong = {**identity(2, "081366660001"), "mother_name": "BUKAN"}
    holder(svc, 2, card=False)
    problem(client.post("/v1/reproofings", json=wrong), 422, "registration.mismatch")
