"""The JSON API's factors: enrol an authenticator app and recovery codes as the holder,
then sign in in two steps (``login.factor_required`` carries ``pending``), in one step
(``factor_code``), and reset the password with a recovery code; a replay is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock

PASSWORD = "kopi tubruk di pal merah"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.from_now()


@pytest.fixture
def svc(clock: ManualClock) -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=clock.now)


@pytest.fixture
def api(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_app(svc, dev=True), base_url="http://testserver/api") as client:
        yield client


def _holder(svc: Siapkerja) -> None:
    svc.import_account(
        nik=people.NIK, full_name=people.NAME, email=people.EMAIL, phone="081277771234"
    )
    request = svc.request_password_reset(people.EMAIL)
    svc.deliver_outbox()
    code = re.search(r"(\d{6})", svc.sms.messages[-1].text)  # type: ignore[attr-defined]
    assert code
    svc.reset_password(request.id, code.group(1), PASSWORD)


def test_factors_through_the_api(svc: Siapkerja, api: TestClient, clock: ManualClock) -> None:
    _holder(svc)
    login = {"identifier": people.EMAIL, "password": PASSWORD}
    signed = api.post("/v1/sessions", json=login)
    assert signed.status_code == 201
    auth = {"Authorization": f"Bearer {signed.json()['session']['token']}"}

    started = api.post("/v1/me/authenticator", headers=auth)
    assert started.status_code == 201
    enrolment = started.json()
    assert enrolment["uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(enrolment["secret"])
    wrong = api.post(
        f"/v1/me/authenticator/{enrolment['factor_id']}/confirm",
        json={"code": "000000"},
        headers=auth,
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "factor.invalid_code"
    confirmed = api.post(
        f"/v1/me/authenticator/{enrolment['factor_id']}/confirm",
        json={"code": totp.at(clock.now())},
        headers=auth,
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["kind"] == "totp"
    codes = api.post("/v1/me/recovery-codes", headers=auth).json()["codes"]
    assert len(codes) == 10
    listed = api.get("/v1/me/factors", headers=auth).json()["items"]
    assert sorted(f["kind"] for f in listed) == ["recovery_codes", "totp"]
    assert enrolment["secret"] not in str(listed)

    required = api.post("/v1/sessions", json=login)
    assert required.status_code == 401
    problem = required.json()
    assert problem["code"] == "login.factor_required"
    assert "totp" in problem["params"]["kinds"]
    clock.advance(seconds=30)
    code = totp.at(clock.now())
    second = api.post("/v1/sessions/factor", json={"pending": problem["pending"], "code": code})
    assert second.status_code == 201
    replay = api.post("/v1/sessions", json={**login, "factor_code": code})
    assert replay.status_code == 401
    assert replay.json()["code"] == "login.factor_failed"

    reset = api.post("/v1/password-resets", json={"identifier": people.NIK}).json()
    new_password = "teh botol di tanah abang"
    done = api.post(
        f"/v1/password-resets/{reset['id']}/confirm-by-factor",
        json={"code": codes[0], "new_password": new_password},
    )
    assert done.status_code == 200
    clock.advance(seconds=30)
    one_step = api.post(
        "/v1/sessions",
        json={
            "identifier": people.NIK,
            "password": new_password,
            "factor_code": totp.at(clock.now()),
        },
    )
    assert one_step.status_code == 201
    auth = {"Authorization": f"Bearer {one_step.json()['session']['token']}"}
    gone = api.delete(f"/v1/me/factors/{confirmed.json()['id']}", headers=auth)
    assert gone.status_code == 204
    missing = api.delete(f"/v1/me/factors/{confirmed.json()['id']}", headers=auth)
    assert missing.status_code == 404
