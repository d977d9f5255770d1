"""Step 3: the code confirms the registration; the account is active and signed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

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
    phone_number,
    start_pending,
)

from siapkerja_core.errors import OtpError, RegistrationError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.records import RegistrationStatus
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account


def test_confirm_creates_an_active_account_with_a_session(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    account = svc.confirm_otp(registration.id, code)
    assert isinstance(account, Account)
    assert account.nik == GALIH_NIK
    assert account.full_name == GALIH_NAME
    assert account.email == EMAIL
    assert account.phone == PHONE_E164
    assert account.session is not None
    assert account.session.account_id == account.id
    assert account.session.expires_at == clock.now() + timedelta(hours=12)
    assert svc.authenticate(account.session.token).id == account.id
    view = svc.registration(registration.id)
    assert view.status is RegistrationStatus.CONFIRMED
    assert view.account_id == account.id
    [stored] = svc.storage.dump()["accounts"]
    assert stored.active  # type: ignore[attr-defined]
    assert stored.password_hash.startswith("$argon2id$")  # type: ignore[attr-defined]
    # The session token is stored only as a keyed hash.
    assert account.session.token not in repr(svc.storage.dump())
    assert svc.login(GALIH_NIK, PASSWORD).id == account.id


def test_account_repr_masks_personal_data(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    account = svc.confirm_otp(registration.id, code)
    for value in (GALIH_NIK, EMAIL, PHONE_E164):
        assert value not in repr(account)
        assert value not in repr(registration)


def test_cannot_confirm_twice(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    svc.confirm_otp(registration.id, code)
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp(registration.id, code)
    assert caught.value.full_code == "registration.already_confirmed"
    with pytest.raises(RegistrationError) as caught:
        svc.resend_otp(registration.id)
    assert caught.value.full_code == "registration.already_confirmed"
    assert len(svc.storage.dump()["accounts"]) == 1


def test_confirm_before_contacts_is_the_wrong_step(svc: Siapkerja) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp(rid, "123456")
    assert caught.value.full_code == "registration.wrong_step"


def test_confirm_unknown_registration(svc: Siapkerja) -> None:
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp("0" * 32, "123456")
    assert caught.value.full_code == "registration.not_found"


def test_expired_registration_then_a_fresh_one_works(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc(JourneyPolicy(registration_ttl=timedelta(minutes=3)))
    registration, code = start_pending(svc)
    assert registration.expires_at == clock.now() + timedelta(minutes=3)
    clock.advance(minutes=3)  # the code would still be valid for two more minutes
    for call in (
        lambda: svc.confirm_otp(registration.id, code),
        lambda: svc.resend_otp(registration.id),
        lambda: svc.change_phone(registration.id, phone=phone_number(1)),
    ):
        with pytest.raises(RegistrationError) as caught:
            call()
        assert caught.value.full_code == "registration.expired"
    assert svc.storage.dump()["accounts"] == []

    fresh, fresh_code = start_pending(svc, phone=phone_number(2))
    assert fresh.id != registration.id
    account = svc.confirm_otp(fresh.id, fresh_code)
    assert account.nik == GALIH_NIK
    assert account.phone == "+62812" + phone_number(2)[4:]
    assert len(svc.storage.dump()["accounts"]) == 1


def test_registration_expires_after_24_hours_by_default(svc: Siapkerja, clock: Clock) -> None:
    registration = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    clock.advance(hours=23, minutes=59)
    pending = svc.submit_contact(registration.id, email=EMAIL, phone=PHONE, password=PASSWORD)
    code = last_code(svc, PHONE)
    clock.advance(minutes=1)
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp(pending.id, code)
    assert caught.value.code == "expired"
    # The same NIK registers again cleanly, with the same phone and e-mail.
    again, code = start_pending(svc)
    assert svc.confirm_otp(again.id, code).nik == GALIH_NIK


def test_an_expired_verified_registration_refuses_contacts(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc(JourneyPolicy(registration_ttl=timedelta(hours=1)))
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    clock.advance(hours=1)
    with pytest.raises(RegistrationError) as caught:
        svc.submit_contact(rid, email=EMAIL, phone=PHONE, password=PASSWORD)
    assert caught.value.code == "expired"
    assert svc.sms.messages == []  # type: ignore[attr-defined]


def test_two_registrations_of_one_nik_the_second_confirm_is_already_registered(
    svc: Siapkerja, clock: Clock
) -> None:
    first, code1 = start_pending(svc, phone=phone_number(1), email="satu@example.com")
    second, code2 = start_pending(svc, phone=phone_number(2), email="dua@example.com")
    svc.confirm_otp(second.id, code2)
    with pytest.raises(RegistrationError) as caught:
        svc.confirm_otp(first.id, code1)
    assert caught.value.full_code == "registration.already_registered"
    assert len(svc.storage.dump()["accounts"]) == 1


def test_wrong_code_does_not_confirm(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    with pytest.raises(OtpError):
        svc.confirm_otp(registration.id, "abc")
    assert svc.registration(registration.id).status is RegistrationStatus.PENDING_OTP
    assert svc.confirm_otp(registration.id, code).nik == GALIH_NIK
