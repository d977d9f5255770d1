"""The holder's rights over HTTP, on SQLite and PostgreSQL: the whole web application
(``create_app``) with the ``sql`` storage.

* the export downloads as an attachment and validates against the JSON Schema the
  application serves; it holds the sign-in the API just made, the verifier's scan
  and the SSO release;
* a restriction refuses a verifier's scan (``token.suspended``) and an SSO release
  (the userinfo endpoint), and lifting it restores the scan;
* a withdrawal of every consent is honoured on each institution's next call: the
  verifier sees the public view only, the SSO access token is refused;
* an objection waits on the officer's dashboard (``overdue`` after 3×24 h) until an
  officer completes it; the breach notice names the holder.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import SsoClient
from support import people
from support.clock import ManualClock
from support.sms import sms_code

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "kopi tubruk di pal merah"
PHONE = "0812-9999-9999"
REDIRECT = "https://karirhub.example/cb"


def make_service(clock: ManualClock, database_url: str, schema: str | None = None) -> Siapkerja:
    extra = {} if schema is None else {"database_schema": schema}
    return connect(
        environ={},
        load_entrypoints=False,
        storage="sql",
        database_url=database_url,
        sms="memory",
        dukcapil="offline",
        secret_key="rights-integration-secret-0123456789",
        storage_key="k1:" + base64.urlsafe_b64encode(b"r" * 32).decode(),
        database_migrate="true",
        hasher=PasswordHasher.fast_for_tests(),
        clock=clock.now,
        card_base_url="https://skid.kemnaker.go.id/v/",
        **extra,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture(params=["sqlite", "postgresql"])
def svc(request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path) -> Iterator[Siapkerja]:
    if request.param == "sqlite":
        made = make_service(clock, f"sqlite:///{tmp_path / 'rights.sqlite3'}")
    else:
        url = request.getfixturevalue("postgres_url")
        made = make_service(clock, url, request.getfixturevalue("postgres_schema"))
    try:
        yield made
    finally:
        made.storage.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    app = create_app(svc, secret_key="s" * 32)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def holder(svc: Siapkerja) -> str:
    """Galih: registered, a complete profile, a card; his account id."""
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    registration = svc.submit_contact(
        registration.id, email=people.EMAIL, phone=PHONE, password=PASSWORD
    )
    account = svc.confirm_otp(registration.id, code=sms_code(svc))
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id


def sign_in(client: TestClient) -> dict[str, str]:
    response = client.post(
        "/api/v1/sessions", json={"identifier": people.EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['session']['token']}"}


def verifier_with_consent(svc: Siapkerja, account_id: str) -> dict[str, str]:
    verifier, key = svc.register_verifier("BLK Bekasi", ["skillhub"])
    svc.grant_consent(account_id, verifier.id, "pelatihan")
    return {"X-Verifier-Key": key}


def sso_token(svc: Siapkerja, account_id: str) -> tuple[SsoClient, str]:
    """A hub's client and an access token for the holder, as after a sign-in."""
    client, _ = svc.sso.add_client(
        name="Karirhub", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose="Melamar"
    )
    plan = svc.sso.plan(client, account_id, "openid email")
    consent = svc.sso.approve(client, account_id, plan)
    code = svc.sso.issue_code(
        client,
        account_id,
        consent_id=consent.id,
        fields=plan.fields,
        scope="openid email",
        redirect_uri=REDIRECT,
        nonce="n",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        auth_time=svc.now(),
        amr=["pwd"],
    )
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    return client, tokens.access_token


def userinfo(client: TestClient, token: str) -> Any:
    return client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})


def scan(client: TestClient, token: str, key: dict[str, str]) -> Any:
    return client.get(f"/api/v1/scan/{token}", params={"purpose": "pelatihan"}, headers=key)


def test_the_export_validates_against_the_served_schema(svc: Siapkerja, client: TestClient) -> None:
    account_id = holder(svc)
    key = verifier_with_consent(svc, account_id)
    me = sign_in(client)
    link = svc.card_qr(account_id).token
    assert scan(client, link, key).status_code == 200
    _hub, access = sso_token(svc, account_id)
    assert userinfo(client, access).status_code == 200
    schema = client.get("/schemas/export/v1.json")
    assert schema.status_code == 200
    assert schema.headers["content-type"].startswith("application/schema+json")
    response = client.get("/api/v1/me/rights/export", headers=me)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    document = response.json()
    jsonschema.validate(document, schema.json(), format_checker=jsonschema.FormatChecker())
    assert document["account"]["nik"] == people.NIK
    assert "password_hash" not in response.text
    processing = document["processing"]
    assert [line["kind"] for line in processing["sign_ins"]] == ["sign_in"]
    channels = {entry["channel"] for entry in processing["access_log"]}
    assert len(processing["access_log"]) >= 2
    assert len(channels) == 2
    assert processing["sso"]
    assert all("token" not in k for k in processing["sso"][0])
    receipts = client.get("/api/v1/me/rights", headers=me).json()["items"]
    assert [r["kind"] for r in receipts] == ["access"]
    assert receipts[0]["status"] == "completed"


def test_restriction_refuses_a_verifier_scan_and_an_sso_release(
    svc: Siapkerja, client: TestClient
) -> None:
    account_id = holder(svc)
    key = verifier_with_consent(svc, account_id)
    link = svc.card_qr(account_id).token
    _hub, access = sso_token(svc, account_id)
    me = sign_in(client)
    restricted = client.post("/api/v1/me/rights/restriction", headers=me)
    assert restricted.status_code == 201, restricted.text
    assert restricted.json()["kind"] == "restriction"
    refused = scan(client, link, key)
    assert refused.status_code == 403
    assert refused.json()["code"] == "token.suspended"
    assert userinfo(client, access).status_code == 401
    again = client.post("/api/v1/me/rights/restriction", headers=me)
    assert again.status_code == 409
    assert again.json()["code"] == "rights.already_restricted"
    # the data are kept, and the holder still reads them
    assert client.get("/api/v1/me/rights/export", headers=me).status_code == 200
    lifted = client.delete("/api/v1/me/rights/restriction", headers=me)
    assert lifted.status_code == 201, lifted.text
    assert scan(client, link, key).status_code == 200
    _hub2, fresh = sso_token(svc, account_id)
    assert userinfo(client, fresh).status_code == 200


def test_withdrawal_is_honoured_on_each_institutions_next_call(
    svc: Siapkerja, client: TestClient
) -> None:
    account_id = holder(svc)
    key = verifier_with_consent(svc, account_id)
    link = svc.card_qr(account_id).token
    _hub, access = sso_token(svc, account_id)
    before = scan(client, link, key)
    assert before.status_code == 200
    assert before.json()["nik"] is not None
    assert userinfo(client, access).status_code == 200
    me = sign_in(client)
    withdrawn = client.post("/api/v1/me/rights/withdrawal", headers=me)
    assert withdrawn.status_code == 201, withdrawn.text
    after = scan(client, link, key)
    assert after.status_code == 200
    assert after.json()["nik"] is None
    assert userinfo(client, access).status_code == 401
    consents = client.get("/api/v1/me/consents", headers=me).json()["items"]
    assert consents
    assert all(c["withdrawn_at"] is not None for c in consents)


def test_the_officer_dashboard_and_the_breach_notice(
    svc: Siapkerja, client: TestClient, clock: ManualClock
) -> None:
    account_id = holder(svc)
    key = verifier_with_consent(svc, account_id)
    _admin, admin_key = svc.register_verifier("Kemnaker", ["admin"])
    officer = {"X-Verifier-Key": admin_key}
    me = sign_in(client)
    start = clock.now()
    assert scan(client, svc.card_qr(account_id).token, key).status_code == 200
    objection = client.post(
        "/api/v1/me/rights/objection", json={"note": "Ditolak otomatis"}, headers=me
    )
    assert objection.status_code == 201, objection.text
    request_id = objection.json()["id"]
    listed = client.get("/api/v1/admin/rights-requests", headers=officer)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["id"] == request_id
    assert item["overdue"] is False
    assert item["note"] == "Ditolak otomatis"
    assert client.get("/api/v1/admin/rights-requests", headers=key).status_code == 403
    clock.advance(hours=73)
    overdue = client.get(
        "/api/v1/admin/rights-requests", params={"overdue": "true"}, headers=officer
    ).json()["items"]
    assert [i["id"] for i in overdue] == [request_id]
    assert overdue[0]["overdue"] is True
    done = client.post(
        f"/api/v1/admin/rights-requests/{request_id}/complete",
        json={"reason": "Ditinjau petugas"},
        headers=officer,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert client.get("/api/v1/admin/rights-requests", headers=officer).json()["items"] == []
    notice = client.post(
        "/api/v1/admin/breach-notice",
        json={
            "since": (start - timedelta(minutes=1)).isoformat(),
            "until": clock.now().isoformat(),
            "description": "Kunci API BLK Bekasi bocor.",
            "actions": "Kunci dicabut.",
            "notify": True,
        },
        headers=officer,
    )
    assert notice.status_code == 200, notice.text
    body = notice.json()
    assert body["holders"] == [account_id]
    assert body["notified"] == 1
    svc.deliver_outbox()  # the web application's dispatcher sends after the answer
    assert "data pribadi Anda mungkin terungkap" in list(svc.sms.messages)[-1].text  # type: ignore[attr-defined]
    assert body["holder_count"] == 1
    assert "BLK Bekasi" in body["text_id"]
    assert "Pasal 46" in body["text_id"]
    wrong = client.post(
        "/api/v1/admin/breach-notice",
        json={
            "since": clock.now().isoformat(),
            "until": start.isoformat(),
            "description": "x",
            "actions": "y",
        },
        headers=officer,
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "rights.invalid_window"


def test_correction_goes_through_dukcapil_and_erasure_ends_the_session(
    svc: Siapkerja, client: TestClient
) -> None:
    account_id = holder(svc)
    me = sign_in(client)
    wrong = client.post(
        "/api/v1/me/rights/correction",
        json={"full_name": people.NAME, "mother_name": "Bukan Ibunya"},
        headers=me,
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["code"] == "registration.mismatch"
    corrected = client.post(
        "/api/v1/me/rights/correction",
        json={"full_name": people.NAME, "mother_name": people.MOTHER},
        headers=me,
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["kind"] == "correction"
    unconfirmed = client.post("/api/v1/me/rights/erasure", json={}, headers=me)
    assert unconfirmed.status_code == 422
    wrong = client.post("/api/v1/me/rights/erasure", json={"password": "salah"}, headers=me)
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "rights.wrong_password"
    erased = client.post("/api/v1/me/rights/erasure", json={"password": PASSWORD}, headers=me)
    assert erased.status_code == 201, erased.text
    assert erased.json()["kind"] == "erasure"
    assert client.get("/api/v1/me", headers=me).status_code == 401
    again = client.post("/api/v1/sessions", json={"identifier": people.EMAIL, "password": PASSWORD})
    assert again.status_code == 401
    with svc.storage.transaction() as tx:
        assert tx.accounts.get(account_id) is None
