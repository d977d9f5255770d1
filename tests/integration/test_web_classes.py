"""Classes and programmes over the JSON API, end to end: institution, gate and holder.

The API runs on one service (memory storage) behind Starlette's ``TestClient``:
an institution with its ``X-Verifier-Key`` creates a class, enrols a trainee
who consented, schedules a session, registers its scanner through the event
API, the scanner admits the trainee's access code, and the institution reads
the attendance as JSON and as CSV. A programme's operator defines its rules,
a holder asks whether they are eligible, and the intake's desk admits and
enrols. The refusals are problem documents with their codes.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.demo import FAUZI, GALIH, RIZKI, demo_holder
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.programmes import bundled_programme
from siapkerja_core.views import Account


class Api:
    def __init__(self) -> None:
        self.svc: Siapkerja = connect("memory", environ={})
        self.client = TestClient(create_api_app(self.svc))
        self.galih = demo_holder(self.svc, GALIH)
        self.fauzi = demo_holder(self.svc, FAUZI)
        self.rizki = demo_holder(self.svc, RIZKI)
        self.blk, key = self.svc.register_verifier("BLK Bandung", ["blk"])
        self.blk_headers = {"X-Verifier-Key": key}
        self.pmo, pmo_key = self.svc.register_verifier("PMO Prakerja", ["karirhub"])
        self.pmo_headers = {"X-Verifier-Key": pmo_key}

    def bearer(self, person: Any) -> dict[str, str]:
        account = self.svc.login(identifier=person.nik, password=person.password)
        assert account.session is not None
        return {"Authorization": f"Bearer {account.session.token}"}

    def code(self, holder: Account, event_id: str) -> str:
        return self.svc.card_qr(holder.id, mode="access", purpose=event_id).token

    def window(self) -> dict[str, str]:
        now = self.svc.now()
        return {
            "opens_at": (now - timedelta(minutes=30)).isoformat(),
            "closes_at": (now + timedelta(hours=3)).isoformat(),
        }


@pytest.fixture(scope="module")
def api() -> Api:
    return Api()


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_a_class_from_creation_to_the_attendance_report(api: Api) -> None:
    c, headers = api.client, api.blk_headers
    created = c.post(
        "/v1/classes",
        json={
            "id": "BLK-BDG-LAS-01",
            "name": "Teknik Las, angkatan I",
            "institution_kind": "UPTD",
            "vocation": "Teknik Las",
            "kbji_code": "7212",
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-31",
            "min_attendance": 75,
            "capacity": 16,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["institution_id"] == api.blk.id
    assert [k["id"] for k in c.get("/v1/classes", headers=headers).json()["items"]] == [
        "BLK-BDG-LAS-01"
    ]

    # Galih shared his card with the BLK; Rizki did not.
    api.svc.grant_consent(api.galih.id, api.blk.id, "pendaftaran pelatihan")
    number = api.svc.card(api.galih.id).siapkerja_id
    enrolled = c.post(
        "/v1/classes/BLK-BDG-LAS-01/enrolments", json={"trainee": number}, headers=headers
    )
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["account_id"] == api.galih.id
    problem(
        c.post(
            "/v1/classes/BLK-BDG-LAS-01/enrolments",
            json={"trainee": api.rizki.id},
            headers=headers,
        ),
        403,
        "class.no_consent",
    )

    session = c.post(
        "/v1/classes/BLK-BDG-LAS-01/sessions",
        json={"id": "BLK-BDG-LAS-01-S01", "venue": "Bengkel Las 2", **api.window()},
        headers=headers,
    )
    assert session.status_code == 201, session.text
    assert (session.json()["kind"], session.json()["class_id"]) == (
        "class_session",
        "BLK-BDG-LAS-01",
    )
    station = c.post(
        "/v1/events/BLK-BDG-LAS-01-S01/stations", json={"name": "Pemindai"}, headers=headers
    )
    assert station.status_code == 201, station.text
    gate = {"X-Station-Key": station.json()["api_key"]}

    admitted = c.post(
        "/v1/events/BLK-BDG-LAS-01-S01/admissions",
        json={"token": api.code(api.galih, "BLK-BDG-LAS-01-S01")},
        headers=gate,
    )
    assert admitted.status_code == 201, admitted.text
    problem(
        c.post(
            "/v1/events/BLK-BDG-LAS-01-S01/admissions",
            json={"token": api.code(api.rizki, "BLK-BDG-LAS-01-S01")},
            headers={**gate, "Accept-Language": "en"},
        ),
        403,
        "class.not_enrolled",
    )

    report = c.get("/v1/classes/BLK-BDG-LAS-01/attendance", headers=headers)
    assert report.status_code == 200
    body = report.json()
    assert body["sessions"] == ["BLK-BDG-LAS-01-S01"]
    assert body["summary"]["percent"] == 100.0
    (row,) = body["trainees"]
    assert (row["account_id"], row["attended"], row["held"], row["meets_minimum"]) == (
        api.galih.id,
        1,
        1,
        True,
    )

    for extra in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        as_csv = c.get(
            "/v1/classes/BLK-BDG-LAS-01/attendance",
            headers={**headers, **extra.get("headers", {})},
            params=extra.get("params"),
        )
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert "attendance-BLK-BDG-LAS-01.csv" in as_csv.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(as_csv.text, newline="")))
        assert rows[0]["full_name"] == GALIH.full_name
        assert rows[0]["meets_minimum"] == "true"

    my = c.get("/v1/me/classes", headers=api.bearer(GALIH))
    assert [k["id"] for k in my.json()["items"]] == ["BLK-BDG-LAS-01"]

    withdrawn = c.delete(f"/v1/classes/BLK-BDG-LAS-01/enrolments/{number}", headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["active"] is False
    listed = c.get("/v1/classes/BLK-BDG-LAS-01/enrolments", headers=headers).json()["items"]
    assert [e["active"] for e in listed] == [False]
    sessions = c.get("/v1/classes/BLK-BDG-LAS-01/sessions", headers=headers).json()["items"]
    assert [s["id"] for s in sessions] == ["BLK-BDG-LAS-01-S01"]


def test_institution_calls_need_a_key_of_the_right_institution(api: Api) -> None:
    c = api.client
    problem(c.get("/v1/classes"), 401, "request.verifier_key_required")
    problem(
        c.get("/v1/classes", headers={"X-Verifier-Key": "skv_nope"}),
        403,
        "disclosure.unknown_verifier",
    )
    _karirhub, key = api.svc.register_verifier("Karirhub", ["karirhub"])
    problem(c.get("/v1/classes", headers={"X-Verifier-Key": key}), 403, "class.not_institution")
    _other, other_key = api.svc.register_verifier("LPK lain", ["skillhub"])
    c.post(
        "/v1/classes",
        json={
            "id": "LPK-X",
            "name": "X",
            "institution_kind": "LPKS",
            "vocation": "X",
            "starts_on": "2027-01-01",
            "ends_on": "2027-01-02",
        },
        headers={"X-Verifier-Key": other_key},
    )
    problem(c.get("/v1/classes/LPK-X/attendance", headers=api.blk_headers), 403, "class.not_owner")
    problem(c.get("/v1/classes/NOPE/attendance", headers=api.blk_headers), 404, "class.not_found")


def test_a_bad_class_is_a_422_naming_the_field(api: Api) -> None:
    c = api.client
    base = {
        "id": "K-BAD",
        "name": "X",
        "institution_kind": "UPTP",
        "vocation": "X",
        "starts_on": "2027-01-02",
        "ends_on": "2027-01-01",
    }
    body = problem(c.post("/v1/classes", json=base, headers=api.blk_headers), 422, "class.invalid")
    assert body["params"]["field"] == "ends_on"
    problem(
        c.post("/v1/classes", json={**base, "institution_kind": "BLK"}, headers=api.blk_headers),
        422,
        "request.invalid_body",
    )
    problem(
        c.post(
            "/v1/classes",
            json={**base, "id": "a b", "ends_on": "2027-01-03"},
            headers=api.blk_headers,
        ),
        422,
        "class.invalid",
    )
    problem(
        c.post("/v1/classes", json={**base, "min_attendance": 101}, headers=api.blk_headers),
        422,
        "request.invalid_body",
    )


def test_a_programme_from_definition_to_the_desk(api: Api) -> None:
    c = api.client
    definition = {
        "id": "magang-muda",
        "name": "Magang Muda",
        "exclusion_group": "magang-muda",
        "requirements": [
            {"rule": "profile_complete"},
            {"rule": "age_between", "min": 18, "max": 35},
            {"rule": "not_enrolled", "groups": ["magang-muda"]},
            {"rule": "manual", "key": "ijazah", "text_id": "Ijazah SMA", "text_en": "A diploma"},
        ],
    }
    defined = c.post("/v1/programmes", json=definition, headers=api.pmo_headers)
    assert defined.status_code == 200, defined.text
    assert defined.json()["owner_id"] == api.pmo.id
    problem(
        c.post("/v1/programmes", json=definition, headers=api.blk_headers), 409, "programme.exists"
    )
    bad = {**definition, "requirements": [{"rule": "age_between", "min": 40, "max": 30}]}
    body = problem(
        c.post("/v1/programmes", json=bad, headers=api.pmo_headers), 422, "programme.invalid"
    )
    assert body["params"]["at"] == "requirements[0].max"
    problem(
        c.post("/v1/programmes", json=[1], headers=api.pmo_headers), 422, "request.invalid_body"
    )

    listed = c.get("/v1/programmes")
    assert listed.status_code == 200
    assert "magang-muda" in [p["id"] for p in listed.json()["items"]]
    assert c.get("/v1/programmes/magang-muda").json()["requirements"][1] == {
        "rule": "age_between",
        "min": 18,
        "max": 35,
    }
    problem(c.get("/v1/programmes/nope"), 404, "programme.not_found")
    hidden = {**definition, "id": "tertutup", "public": False}
    assert c.post("/v1/programmes", json=hidden, headers=api.pmo_headers).status_code == 200
    assert "tertutup" not in [p["id"] for p in c.get("/v1/programmes").json()["items"]]
    problem(c.get("/v1/programmes/tertutup"), 404, "programme.not_found")

    # The holders ask.
    galih = c.get("/v1/me/programmes/magang-muda/eligibility", headers=api.bearer(GALIH))
    assert galih.status_code == 200
    assert galih.json()["eligible"] is True
    assert [r["outcome"] for r in galih.json()["results"]] == ["met", "met", "met", "to_verify"]
    fauzi = c.get("/v1/me/programmes/magang-muda/eligibility", headers=api.bearer(FAUZI))
    failed = [r for r in fauzi.json()["results"] if r["outcome"] == "not_met"]
    assert [r["rule"] for r in failed] == ["age_between"]
    assert "58" in failed[0]["reason_id"]
    assert "58" in failed[0]["reason_en"]
    problem(
        c.get("/v1/me/programmes/magang-muda/eligibility"), 401, "request.authentication_required"
    )

    # The desk.
    intake = c.post(
        "/v1/programmes/magang-muda/intakes",
        json={"id": "MAGANG-1", "venue": "Loket 1", **api.window()},
        headers=api.pmo_headers,
    )
    assert intake.status_code == 201, intake.text
    assert intake.json()["programme_id"] == "magang-muda"
    problem(
        c.post(
            "/v1/programmes/magang-muda/intakes",
            json={"id": "MAGANG-X", "venue": "X", **api.window()},
            headers=api.blk_headers,
        ),
        403,
        "programme.not_operator",
    )
    desk = c.post(
        "/v1/events/MAGANG-1/stations", json={"name": "Loket 1"}, headers=api.pmo_headers
    ).json()["api_key"]
    admitted = c.post(
        "/v1/events/MAGANG-1/admissions",
        json={"token": api.code(api.galih, "MAGANG-1")},
        headers={"X-Station-Key": desk},
    )
    assert admitted.status_code == 201, admitted.text
    refused = problem(
        c.post(
            "/v1/events/MAGANG-1/admissions",
            json={"token": api.code(api.fauzi, "MAGANG-1")},
            headers={"X-Station-Key": desk, "Accept-Language": "en"},
        ),
        403,
        "programme.not_eligible",
    )
    assert refused["params"]["rules"] == ["age_between"]
    assert "Age 58" in refused["detail"]
    enrolled = c.get("/v1/programmes/magang-muda/enrolments", headers=api.pmo_headers)
    assert [e["account_id"] for e in enrolled.json()["items"]] == [api.galih.id]
    mine = c.get("/v1/me/programmes", headers=api.bearer(GALIH)).json()["items"]
    assert [(e["programme_id"], e["event_id"]) for e in mine] == [("magang-muda", "MAGANG-1")]


def test_every_operation_is_in_the_openapi_document(api: Api) -> None:
    paths = openapi_document(api.svc)["paths"]
    expected = {
        ("/v1/classes", "post"),
        ("/v1/classes", "get"),
        ("/v1/classes/{class_id}", "get"),
        ("/v1/classes/{class_id}/enrolments", "post"),
        ("/v1/classes/{class_id}/enrolments", "get"),
        ("/v1/classes/{class_id}/enrolments/{trainee}", "delete"),
        ("/v1/classes/{class_id}/sessions", "post"),
        ("/v1/classes/{class_id}/sessions", "get"),
        ("/v1/classes/{class_id}/attendance", "get"),
        ("/v1/programmes", "get"),
        ("/v1/programmes", "post"),
        ("/v1/programmes/{programme_id}", "get"),
        ("/v1/programmes/{programme_id}/intakes", "post"),
        ("/v1/programmes/{programme_id}/enrolments", "get"),
        ("/v1/me/programmes/{programme_id}/eligibility", "get"),
        ("/v1/me/programmes", "get"),
        ("/v1/me/classes", "get"),
    }
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert expected <= documented
    attendance = paths["/v1/classes/{class_id}/attendance"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(attendance)
    assert paths["/v1/classes"]["post"]["security"] == [{"verifierKey": []}]
    assert paths["/v1/me/programmes"]["get"]["security"] == [{"bearerAuth": []}]


def test_the_holder_declares_an_employment_status_through_the_profile_api(api: Api) -> None:
    c, bearer = api.client, api.bearer(FAUZI)
    assert c.get("/v1/me/profile", headers=bearer).json()["biodata"]["employment_status"] is None
    changed = c.patch(
        "/v1/me/profile", json={"biodata": {"employment_status": "phk"}}, headers=bearer
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["biodata"]["employment_status"] == "phk"
    body = problem(
        c.patch(
            "/v1/me/profile", json={"biodata": {"employment_status": "pensiun"}}, headers=bearer
        ),
        422,
        "profile.invalid_field",
    )
    assert body["params"]["field"] == "biodata.employment_status"
    api.svc.programmes.define(bundled_programme("jkp"))
    jkp = c.get("/v1/me/programmes/jkp/eligibility", headers=bearer).json()
    assert jkp["eligible"] is True
    assert {r["rule"] for r in jkp["results"] if r["outcome"] == "to_verify"} == {
        "jkp_participant",
        "contribution_period",
        "termination_reason",
        "willing_to_work",
    }
