"""Use 1 over HTTP: the holder applies, reports and downloads; a Disnaker officer legalises.

Through the JSON API app (``create_api_app``) on the memory storage with a
manual clock: the holder's operations with a bearer session, the officer's
with ``X-Verifier-Key``; refusals are problem documents with ``aki.*`` codes;
every operation is in the OpenAPI document.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.demo import FAUZI, GALIH, demo_holder
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

# 03:00 UTC is 10:00 WIB: the same date in both.
START = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def svc(clock: ManualClock) -> Siapkerja:
    return connect("memory", environ={}, clock=clock.now)


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(svc: Siapkerja, person=GALIH) -> dict[str, str]:
    demo_holder(svc, person)
    account = svc.login(identifier=person.nik, password=person.password)
    assert account.session is not None
    return {"Authorization": f"Bearer {account.session.token}"}


def officer_key(svc: Siapkerja, office: str, name: str = "Disnaker") -> dict[str, str]:
    verifier, key = svc.register_verifier(name, ["disnaker"])
    svc.aki.appoint_officer(verifier.id, office)
    return {"X-Verifier-Key": key}


def test_apply_legalise_report_and_download(
    client: TestClient, svc: Siapkerja, clock: ManualClock
) -> None:
    holder = bearer(svc)
    officer = officer_key(svc, "3173", "Disnaker Jakarta Barat")

    applied = client.post("/v1/me/aki", headers=holder)
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert body["status"] == "applied"
    assert body["office_code"] == "3173"  # the domicile's kabupaten/kota
    assert body["number"].startswith("AK1-3173-2026-")
    assert body["reports"] == []
    assert body["valid_until"] is None

    again = client.post("/v1/me/aki", headers=holder, json={"office_code": "3273"})
    assert again.status_code == 409
    assert again.json()["code"] == "aki.already_registered"

    listed = client.get("/v1/aki/applications", headers=officer)
    assert listed.status_code == 200, listed.text
    assert [r["number"] for r in listed.json()["items"]] == [body["number"]]

    one = client.get(f"/v1/aki/applications/{body['number']}", headers=officer)
    assert one.status_code == 200, one.text
    assert one.json()["holder"]["nik"] == GALIH.nik  # the disnaker scope: the full NIK
    assert one.json()["holder"]["aki"]["status"] == "applied"

    legalised = client.post(
        f"/v1/aki/applications/{body['id']}/legalisation",
        headers=officer,
        json={"officer_name": "Siti Rahma"},
    )
    assert legalised.status_code == 200, legalised.text
    record = legalised.json()
    assert record["status"] == "legalised"
    assert (record["legalised_on"], record["valid_until"]) == ("2026-12-07", "2028-12-07")
    assert [r["due_on"] for r in record["reports"]] == [
        "2027-06-07",
        "2027-12-07",
        "2028-06-07",
        "2028-12-07",
    ]

    early = client.post("/v1/me/aki/reports", headers=holder)
    assert early.status_code == 409
    assert early.json()["code"] == "aki.report_too_early"
    assert early.json()["params"]["opens_on"] == "2027-05-08"

    clock.advance(days=180)  # 2027-06-05: inside report 1's window
    holder = bearer(svc)  # signed in again: sessions do not last half a year
    made = client.post("/v1/me/aki/reports", headers=holder)
    assert made.status_code == 201, made.text
    assert made.json() == {"index": 1, "due_on": "2027-06-07", "reported_on": "2027-06-05"}
    done = client.post("/v1/me/aki/reports", headers=holder)
    assert done.json()["code"] == "aki.report_done"
    mine = client.get("/v1/me/aki", headers=holder).json()
    assert mine["reports"][0]["state"] == "done"

    pdf = client.get("/v1/me/aki/document.pdf", headers=holder)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    pypdf = pytest.importorskip("pypdf")
    assert record["number"] in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    svg = client.get("/v1/me/aki/document.svg", headers=holder)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert record["number"] in svg.text

    placed = client.post(
        f"/v1/aki/applications/{record['number']}/placement",
        headers=officer,
        json={"employer": "PT Maju Jaya", "position": "Operator", "placed_on": "2027-06-01"},
    )
    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == "placed"
    assert placed.json()["placement"]["employer"] == "PT Maju Jaya"
    closed = client.post(
        f"/v1/aki/applications/{record['number']}/removal",
        headers=officer,
        json={"reason": "moved"},
    )
    assert closed.status_code == 409
    assert closed.json()["code"] == "aki.transition"

    ledger = client.get("/v1/me/access-log", headers=holder).json()["items"]
    officer_lines = [e for e in ledger if e["channel"] == "aki"]
    # One line per officer action (the manual clock stands still: compared unordered).
    assert sorted(e["purpose"].split(":")[0] for e in officer_lines) == [
        "aki legalise",
        "aki list",
        "aki place",
        "aki view",
    ]
    assert all("(3173)" in e["purpose"] for e in officer_lines)


def test_an_officer_of_another_office_is_refused(client: TestClient, svc: Siapkerja) -> None:
    holder = bearer(svc)
    number = client.post("/v1/me/aki", headers=holder).json()["number"]
    bandung = officer_key(svc, "3273", "Disnaker Kota Bandung")
    assert client.get("/v1/aki/applications", headers=bandung).json()["items"] == []
    refused = client.post(f"/v1/aki/applications/{number}/legalisation", headers=bandung)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == "aki.wrong_office"
    assert client.get("/v1/me/aki", headers=holder).json()["status"] == "applied"


def test_who_is_not_an_officer_is_refused(client: TestClient, svc: Siapkerja) -> None:
    holder = bearer(svc)
    number = client.post("/v1/me/aki", headers=holder).json()["number"]
    _, karirhub = svc.register_verifier("Karirhub", ["karirhub"])
    refused = client.get(f"/v1/aki/applications/{number}", headers={"X-Verifier-Key": karirhub})
    assert (refused.status_code, refused.json()["code"]) == (403, "aki.not_officer")
    # A disnaker verifier not appointed to any office is no officer either.
    _, unappointed = svc.register_verifier("Disnaker", ["disnaker"])
    refused = client.get("/v1/aki/applications", headers={"X-Verifier-Key": unappointed})
    assert refused.json()["code"] == "aki.not_officer"
    forged = client.get("/v1/aki/applications", headers={"X-Verifier-Key": "skv_nope"})
    assert forged.status_code == 403
    missing = client.get("/v1/aki/applications")
    assert missing.status_code == 401
    # The key is checked before the body: a stranger learns nothing of what it holds.
    stranger = client.post(f"/v1/aki/applications/{number}/placement", json={"x": 1})
    assert (stranger.status_code, stranger.json()["code"]) == (
        401,
        "request.verifier_key_required",
    )
    # A holder's session is no officer's key.
    assert client.get("/v1/aki/applications", headers=holder).status_code == 401


def test_bad_input_is_a_problem_never_a_crash(client: TestClient, svc: Siapkerja) -> None:
    holder = bearer(svc)
    unknown = client.post("/v1/me/aki", headers=holder, json={"office_code": "9999"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "aki.office_unknown")
    province = client.post("/v1/me/aki", headers=holder, json={"office_code": "32"})
    assert province.json()["code"] == "aki.office_unknown"
    extra = client.post("/v1/me/aki", headers=holder, json={"office": "3273"})
    assert extra.status_code == 422
    assert client.get("/v1/me/aki", headers=holder).json()["code"] == "aki.not_found"
    officer = officer_key(svc, "3273")
    client.post("/v1/me/aki", headers=holder, json={"office_code": "3273"})
    for reference in ("AK1-3273-2026-0000000-1", "nope", "x" * 64):
        missing = client.get(f"/v1/aki/applications/{reference}", headers=officer)
        assert missing.status_code == 404, (reference, missing.text)
    bad_reason = client.post(
        "/v1/aki/applications/nope/removal", headers=officer, json={"reason": "bored"}
    )
    assert bad_reason.status_code == 422
    assert client.get("/v1/me/aki/document.pdf").status_code == 401


def test_the_disnaker_scope_sees_the_status_on_a_scan(client: TestClient, svc: Siapkerja) -> None:
    holder = bearer(svc)
    client.post("/v1/me/aki", headers=holder)
    token = client.get("/v1/me/card/qr", headers=holder).json()["token"]
    disnaker, key = svc.register_verifier("Disnaker Jakarta Barat", ["disnaker"])
    karirhub, karirhub_key = svc.register_verifier("Karirhub", ["karirhub"])
    for verifier in (disnaker, karirhub):
        client.post(
            "/v1/me/consents",
            headers=holder,
            json={"verifier_id": verifier.id, "purpose": "aki"},
        )
    seen = client.get(
        f"/v1/scan/{token}", params={"purpose": "aki"}, headers={"X-Verifier-Key": key}
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["aki"]["status"] == "applied"
    assert "aki" in seen.json()["disclosed"]
    other = client.get(
        f"/v1/scan/{token}", params={"purpose": "aki"}, headers={"X-Verifier-Key": karirhub_key}
    )
    assert other.json()["aki"] is None
    assert client.get(f"/v1/scan/{token}").json()["aki"] is None  # anonymous
    own = client.get(f"/v1/scan/{token}", headers=holder).json()
    assert own["aki"]["status"] == "applied"
    # A consent may narrow a disnaker's view to the status alone.
    narrow, narrow_key = svc.register_verifier("Disnaker Kota Bandung", ["disnaker"])
    granted = client.post(
        "/v1/me/consents",
        headers=holder,
        json={"verifier_id": narrow.id, "purpose": "aki", "fields": ["aki"]},
    )
    assert granted.status_code == 201, granted.text
    only = client.get(
        f"/v1/scan/{token}", params={"purpose": "aki"}, headers={"X-Verifier-Key": narrow_key}
    ).json()
    assert (only["disclosed"], only["data"], only["nik"]) == (["aki"], {}, None)
    assert only["aki"]["number"].startswith("AK1-3173-")


def test_every_aki_operation_is_in_the_document(svc: Siapkerja) -> None:
    paths = openapi_document(svc)["paths"]
    operations = {
        item[method]["operationId"]
        for path, item in paths.items()
        if "aki" in path
        for method in item
    }
    assert operations == {
        "aki_apply",
        "aki_get",
        "aki_report",
        "aki_document_pdf",
        "aki_document_svg",
        "aki_applications",
        "aki_application",
        "aki_legalise",
        "aki_place",
        "aki_remove",
    }


def test_two_holders_two_offices(client: TestClient, svc: Siapkerja) -> None:
    galih, fauzi = bearer(svc), bearer(svc, FAUZI)
    client.post("/v1/me/aki", headers=galih)
    assert client.post("/v1/me/aki", headers=fauzi, json={"office_code": "3273"}).status_code == 201
    bandung = officer_key(svc, "3273")
    jakarta = officer_key(svc, "3173")
    assert [
        r["office_code"]
        for r in client.get("/v1/aki/applications", headers=bandung).json()["items"]
    ] == ["3273"]
    assert [
        r["office_code"]
        for r in client.get("/v1/aki/applications", headers=jakarta).json()["items"]
    ] == ["3173"]
