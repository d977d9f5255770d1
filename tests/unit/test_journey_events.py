"""Domain events through the ``siapkerja_event`` hook, and the composition root's arguments."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from journey_support import (
    EMAIL,
    GALIH_MOTHER,
    GALIH_NAME,
    GALIH_NIK,
    PASSWORD,
    PHONE,
    Clock,
    Recorder,
    last_code,
    wrong_code,
)

from siapkerja_adapters.connect import connect
from siapkerja_core.errors import LoginError, OtpError, RegistrationError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import HashParameters, PasswordHasher
from siapkerja_core.service import Siapkerja

NEW_PASSWORD = "gajah terbang di atas awan"


def test_events_of_the_whole_journey_in_order(
    svc: Siapkerja, recorder: Recorder, clock: Clock
) -> None:
    codes: list[str] = []
    with pytest.raises(RegistrationError):
        svc.register(GALIH_NIK, GALIH_NAME, "Siti Rahayu")
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    svc.sms.fail_next()  # type: ignore[attr-defined]
    svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    svc.resend_otp(rid)
    codes.append(last_code(svc, PHONE))
    with pytest.raises(OtpError):
        svc.confirm_otp(rid, wrong_code(codes[-1]))
    account = svc.confirm_otp(rid, codes[-1])
    assert account.session is not None
    svc.login(EMAIL, PASSWORD)
    with pytest.raises(LoginError):
        svc.login(EMAIL, "salah sekali kata sandinya")
    clock.advance(minutes=1)
    request = svc.request_password_reset(GALIH_NIK)
    codes.append(last_code(svc, PHONE))
    svc.reset_password(request.id, codes[-1], NEW_PASSWORD)

    assert recorder.names() == [
        "registration.verification_failed",
        "registration.started",
        "otp.send_failed",
        "otp.sent",
        "account.activated",
        "login.succeeded",
        "login.failed",
        "otp.sent",
        "password_reset.requested",
        "password_reset.completed",
    ]
    journey_events = [e for e in recorder.events if e.name != "adapter.built"]
    by_name = {e.name: e for e in journey_events}
    assert by_name["registration.verification_failed"].reason == "mismatch"  # type: ignore[attr-defined]
    assert by_name["login.failed"].identifier_kind == "email"  # type: ignore[attr-defined]
    assert by_name["password_reset.completed"].sessions_ended == 2  # type: ignore[attr-defined]
    assert by_name["account.activated"].account_id == account.id  # type: ignore[attr-defined]
    assert all(e.occurred_at.tzinfo is not None for e in journey_events)

    secrets = [*codes, PASSWORD, NEW_PASSWORD, GALIH_NIK, account.session.token]
    secrets += ["Sri Wahyuni", "SRI WAHYUNI", "sri wahyuni", "Wahyuni", "WAHYUNI", "Siti Rahayu"]
    for event in journey_events:
        values = attrs.asdict(event)
        text = repr(event) + repr(values)
        for secret in secrets:
            assert secret not in text, (event.name, secret)
        for value in values.values():
            assert not (isinstance(value, str) and value.isdigit() and len(value) == 16)


def test_every_failed_verification_is_an_event(svc: Siapkerja, recorder: Recorder) -> None:
    for nik, name, mother in (
        ("3173071203940099", GALIH_NAME, GALIH_MOTHER),
        ("1371036508603299", "Yusnidar Roza Jambak", "Hj. Nurhasanah Handayani Chaniago"),
        (GALIH_NIK, "Budi Santoso", GALIH_MOTHER),
    ):
        with pytest.raises(RegistrationError):
            svc.register(nik, name, mother)
    failed = [e for e in recorder.events if e.name == "registration.verification_failed"]
    assert [e.reason for e in failed] == ["nik_not_found", "nik_inactive", "mismatch"]  # type: ignore[attr-defined]
    for event in failed:
        assert "*" in event.nik_masked  # type: ignore[attr-defined]
        assert "Yusnidar" not in repr(event)


def test_a_failing_plugin_does_not_stop_the_journey(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    from siapkerja_core.hookspecs import hookimpl

    class Broken:
        @hookimpl
        def siapkerja_event(self, event: object) -> None:
            raise RuntimeError("audit log is down")

    svc = connect(
        "memory",
        environ={},
        plugins=[Broken()],
        clock=clock.now,
        hasher=PasswordHasher.fast_for_tests(),
    )
    registration = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    assert registration.nik == GALIH_NIK
    assert "audit log is down" in caplog.text


def test_connect_uses_the_given_policy_clock_and_hasher(clock: Clock) -> None:
    """``connect(policy=..., clock=..., hasher=...)`` must reach the service it builds."""
    policy = JourneyPolicy(otp_ttl=timedelta(minutes=3), otp_length=8)
    hasher = PasswordHasher(HashParameters(memory_kib=16, time_cost=1, parallelism=1))
    svc = connect("memory", environ={}, policy=policy, clock=clock.now, hasher=hasher)
    assert svc.policy is policy
    assert svc.now() == clock.now()
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    view = svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert view.created_at == clock.now()
    assert view.otp is not None
    assert view.otp.expires_at == clock.now() + timedelta(minutes=3)
    last_code(svc, PHONE, length=8)
    [record] = svc.storage.dump()["registrations"]
    assert "m=16,t=1,p=1" in record.password_hash  # type: ignore[attr-defined]
