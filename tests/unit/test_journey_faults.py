"""Bad input and failing dependencies: typed errors, nothing stored, recovery paths."""

from __future__ import annotations

import pytest
from journey_support import (
    EMAIL,
    GALIH_MOTHER,
    GALIH_NAME,
    GALIH_NIK,
    PASSWORD,
    PHONE,
    PHONE_E164,
    Clock,
    last_code,
)

from siapkerja_core.contact import InvalidEmail, InvalidPhone
from siapkerja_core.errors import OtpError, SiapkerjaError
from siapkerja_core.nik import InvalidNik
from siapkerja_core.passwords import WeakPassword
from siapkerja_core.ports import RegistryUnavailable
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.service import Siapkerja


def _sent(svc: Siapkerja) -> int:
    return len(svc.sms.messages)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "nik",
    [
        "",
        "   ",
        "3173",
        "31730712039400420",
        "3173O71203940042",  # a letter O
        "9973071203940042",  # no such province
        "3173079903940042",  # no such birth date
        "3173071203940000",  # serial 0000
    ],
)
def test_malformed_nik_is_typed_and_stores_nothing(svc: Siapkerja, nik: str) -> None:
    before = svc.storage.dump()
    with pytest.raises(InvalidNik) as caught:
        svc.register(nik, GALIH_NAME, GALIH_MOTHER)
    assert caught.value.full_code.startswith("nik.")
    assert caught.value.code in type(caught.value).messages
    assert svc.storage.dump() == before
    assert _sent(svc) == 0


@pytest.mark.parametrize(
    ("field", "value", "error", "prefix"),
    [
        ("email", "galih(at)example.com", InvalidEmail, "email."),
        ("email", "x" * 600 + "@example.com", InvalidEmail, "email."),
        ("phone", "0812", InvalidPhone, "phone."),
        ("phone", "021-12345678", InvalidPhone, "phone."),
        ("phone", "+44 7911 123456", InvalidPhone, "phone."),
        ("password", "1234567", WeakPassword, "password."),
        ("password", "qwertyuiop", WeakPassword, "password."),
    ],
)
def test_malformed_contacts_are_typed_and_store_nothing(
    svc: Siapkerja, field: str, value: str, error: type[SiapkerjaError], prefix: str
) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    before = svc.storage.dump()
    given = {"email": EMAIL, "phone": PHONE, "password": PASSWORD} | {field: value}
    with pytest.raises(error) as caught:
        svc.submit_contact(rid, **given)
    assert caught.value.full_code.startswith(prefix)
    assert svc.storage.dump() == before
    assert svc.registration(rid).status is RegistrationStatus.VERIFIED
    assert _sent(svc) == 0
    # Stable codes: the same input gives the same code.
    with pytest.raises(error) as again:
        svc.submit_contact(rid, **given)
    assert again.value.full_code == caught.value.full_code


def test_dukcapil_unreachable(svc: Siapkerja) -> None:
    before = svc.storage.dump()
    svc.dukcapil.fail_next()  # type: ignore[attr-defined]
    with pytest.raises(RegistryUnavailable) as caught:
        svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    assert caught.value.full_code == "dukcapil.unavailable"
    assert svc.storage.dump() == before
    assert svc.storage.dump()["registrations"] == []
    # Once it is back, the same request works.
    assert svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).status is RegistrationStatus.VERIFIED


def test_dukcapil_outages_do_not_lock_the_nik(svc: Siapkerja) -> None:
    limit = svc.policy.max_verifications_per_nik_per_day
    svc.dukcapil.fail_next(limit + 1)  # type: ignore[attr-defined]
    for _ in range(limit + 1):
        with pytest.raises(RegistryUnavailable):
            svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    assert svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).status is RegistrationStatus.VERIFIED


def test_sms_failure_keeps_the_registration_pending_and_resend_works_at_once(
    svc: Siapkerja, clock: Clock
) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    svc.sms.fail_next()  # type: ignore[attr-defined]
    answer = svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert _sent(svc) == 0
    for view in (answer, svc.registration(rid)):
        assert view.status is RegistrationStatus.PENDING_OTP
        assert view.sms_failure is not None
        assert view.sms_failure.startswith("sms.")
        assert view.otp is not None
        assert view.otp.delivered is False
        assert view.otp.resend_available_at <= clock.now()
    # The sender is back: no cooldown applies after a failed send.
    resent = svc.resend_otp(rid)
    assert resent.otp is not None
    assert resent.otp.delivered is True
    assert svc.sms.last_to(PHONE_E164) is not None  # type: ignore[attr-defined]
    account = svc.confirm_otp(rid, last_code(svc, PHONE))
    assert account.phone == PHONE_E164


def test_repeated_sms_failures_do_not_use_up_the_hourly_sends(svc: Siapkerja) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    svc.sms.fail_next(3)  # type: ignore[attr-defined]
    svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    svc.resend_otp(rid)
    svc.resend_otp(rid)
    view = svc.resend_otp(rid)
    assert view.otp is not None
    assert view.otp.delivered is True
    assert view.otp.sends_left_this_hour == 4
    # After a delivered send the cooldown applies again.
    with pytest.raises(OtpError) as caught:
        svc.resend_otp(rid)
    assert caught.value.code == "cooldown"


def test_sms_failure_on_resend_keeps_the_previous_state_usable(
    svc: Siapkerja, clock: Clock
) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    clock.advance(seconds=60)
    svc.sms.fail_next()  # type: ignore[attr-defined]
    view = svc.resend_otp(rid)
    assert view.status is RegistrationStatus.PENDING_OTP
    assert view.otp is not None
    assert view.otp.delivered is False
    assert view.sms_failure is not None
    svc.resend_otp(rid)  # at once
    assert svc.confirm_otp(rid, last_code(svc, PHONE)).nik == GALIH_NIK


def test_a_non_string_code_is_a_typed_error(svc: Siapkerja) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    for code in ("", "       ", "１２３", "12345678901234567890", None):
        with pytest.raises(OtpError):
            svc.confirm_otp(rid, code)  # type: ignore[arg-type]
