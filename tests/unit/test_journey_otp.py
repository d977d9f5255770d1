"""The SMS code's life: generate, store hashed, check, expire, resend, caps, phone change."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
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
    PHONE_E164,
    Clock,
    e164,
    last_code,
    phone_number,
    residents,
    start_pending,
    wrong_code,
)

from siapkerja_core import records as records_module
from siapkerja_core.contact import InvalidPhone
from siapkerja_core.errors import ConfigurationError, OtpError, RegistrationError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.records import OtpChallenge, RegistrationStatus
from siapkerja_core.service import Siapkerja

FAST_RESEND = JourneyPolicy(resend_cooldown=timedelta(seconds=1), resend_cooldown_growth=1)


def _sms_count(svc: Siapkerja, phone: str = PHONE) -> int:
    return sum(1 for m in svc.sms.messages if m.to == e164(phone))  # type: ignore[attr-defined]


# --- the code ---------------------------------------------------------------------


def test_code_is_six_digits(svc: Siapkerja) -> None:
    _registration, code = start_pending(svc)
    assert len(code) == 6
    assert code.isdigit()


def test_code_length_is_configurable(make_svc: Callable[..., Siapkerja]) -> None:
    svc = make_svc(JourneyPolicy(otp_length=8))
    registration, code = start_pending(svc)
    assert len(code) == 8
    assert svc.confirm_otp(registration.id, code).nik == GALIH_NIK


@pytest.mark.parametrize(("length"), [5, 11])
def test_code_length_out_of_range_is_a_configuration_error(length: int) -> None:
    with pytest.raises(ConfigurationError):
        JourneyPolicy(otp_length=length)


def test_code_is_stored_only_as_a_keyed_hash(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    dump = svc.storage.dump()
    # Known personal values hold digit runs of their own: leave them out of the search.
    text = repr(dump)
    for value in (GALIH_NIK, PHONE_E164, EMAIL):
        text = text.replace(value, "")
    assert code not in text
    for table in dump.values():
        for record in table:
            for value in attrs.asdict(record, recurse=False).values():  # type: ignore[arg-type]
                shown = str(value)
                for known in (GALIH_NIK, PHONE_E164, EMAIL):
                    shown = shown.replace(known, "")
                assert code not in shown
    [challenge] = dump["challenges"]
    digest = challenge.code_hash  # type: ignore[attr-defined]
    assert len(digest) == 64
    unkeyed = [
        hashlib.sha256(code.encode()).hexdigest(),
        hashlib.sha256(f"{registration.id}{code}".encode()).hexdigest(),
        hashlib.sha256(f"otp\x1f{registration.id}\x1f1\x1f{code}".encode()).hexdigest(),
    ]
    assert digest not in unkeyed


def test_code_is_compared_in_constant_time(svc: Siapkerja, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "hmac.compare_digest(" in inspect.getsource(OtpChallenge.check)
    registration, code = start_pending(svc)
    calls: list[tuple[object, object]] = []
    real = records_module.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(records_module.hmac, "compare_digest", spy)
    with pytest.raises(OtpError):
        svc.confirm_otp(registration.id, wrong_code(code))
    svc.confirm_otp(registration.id, code)
    assert len(calls) == 2


def test_code_accepts_spaces_and_full_width_digits(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    typed = " ".join(chr(ord("０") + int(d)) for d in code)
    assert svc.confirm_otp(registration.id, typed).nik == GALIH_NIK


# --- validity -----------------------------------------------------------------------


def test_code_is_valid_for_five_minutes(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    assert registration.otp is not None
    assert registration.otp.expires_at == clock.now() + timedelta(minutes=5)
    clock.advance(minutes=4, seconds=59)
    assert svc.confirm_otp(registration.id, code).nik == GALIH_NIK


def test_code_expires_after_five_minutes(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    clock.advance(minutes=5)
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, code)
    assert caught.value.full_code == "otp.expired"
    # A new code works.
    svc.resend_otp(registration.id)
    assert svc.confirm_otp(registration.id, last_code(svc, PHONE)).nik == GALIH_NIK


def test_code_ttl_is_configurable(make_svc: Callable[..., Siapkerja], clock: Clock) -> None:
    svc = make_svc(JourneyPolicy(otp_ttl=timedelta(minutes=2)))
    registration, code = start_pending(svc)
    clock.advance(minutes=2)
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, code)
    assert caught.value.code == "expired"


def test_code_ttl_above_ten_minutes_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        JourneyPolicy(otp_ttl=timedelta(minutes=11))
    assert caught.value.full_code == "config.invalid"
    assert JourneyPolicy(otp_ttl=timedelta(minutes=10)).otp_ttl == timedelta(minutes=10)


def test_five_wrong_tries_kill_the_code(svc: Siapkerja) -> None:
    registration, code = start_pending(svc)
    bad = wrong_code(code)
    for left in (4, 3, 2, 1):
        with pytest.raises(OtpError) as caught:
            svc.confirm_otp(registration.id, bad)
        assert caught.value.full_code == "otp.invalid"
        assert caught.value.params["attempts_left"] == left
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, bad)
    assert caught.value.full_code == "otp.dead"
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, code)
    assert caught.value.full_code == "otp.dead"
    view = svc.registration(registration.id)
    assert view.status is RegistrationStatus.PENDING_OTP
    assert view.otp is not None
    assert view.otp.attempts_left == 0
    assert svc.storage.dump()["accounts"] == []


def test_max_attempts_is_configurable(make_svc: Callable[..., Siapkerja]) -> None:
    svc = make_svc(JourneyPolicy(otp_max_attempts=2))
    registration, code = start_pending(svc)
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, wrong_code(code))
    assert caught.value.params["attempts_left"] == 1
    with pytest.raises(OtpError) as caught:
        svc.confirm_otp(registration.id, wrong_code(code))
    assert caught.value.code == "dead"
    with pytest.raises(OtpError):
        svc.confirm_otp(registration.id, code)


# --- resend -----------------------------------------------------------------------


def test_resend_issues_a_new_code_and_kills_the_old_one(svc: Siapkerja, clock: Clock) -> None:
    registration, old = start_pending(svc)
    clock.advance(seconds=60)
    svc.resend_otp(registration.id)
    assert _sms_count(svc) == 2
    new = last_code(svc, PHONE)
    if new != old:  # one chance in a million that the new code repeats the old
        with pytest.raises(OtpError) as caught:
            svc.confirm_otp(registration.id, old)
        assert caught.value.code == "invalid"
    assert svc.confirm_otp(registration.id, new).nik == GALIH_NIK


def test_resend_resets_the_attempts_of_a_dead_code(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    for _ in range(5):
        with pytest.raises(OtpError):
            svc.confirm_otp(registration.id, wrong_code(code))
    clock.advance(seconds=60)
    view = svc.resend_otp(registration.id)
    assert view.otp is not None
    assert view.otp.attempts_left == 5
    assert svc.confirm_otp(registration.id, last_code(svc, PHONE)).nik == GALIH_NIK


def test_resend_cooldown_starts_at_60_seconds_and_grows(svc: Siapkerja, clock: Clock) -> None:
    registration, _ = start_pending(svc)
    expected_waits = [60, 120, 240, 480]
    for wait in expected_waits:
        with pytest.raises(OtpError) as caught:
            svc.resend_otp(registration.id)
        assert caught.value.full_code == "otp.cooldown"
        assert caught.value.retry_after == wait
        clock.advance(seconds=wait - 1)
        with pytest.raises(OtpError) as caught:
            svc.resend_otp(registration.id)
        assert caught.value.code == "cooldown"
        assert caught.value.retry_after == 1
        clock.advance(seconds=1)
        svc.resend_otp(registration.id)
    assert _sms_count(svc) == 5


def test_resend_available_at_is_reported(svc: Siapkerja, clock: Clock) -> None:
    registration, _ = start_pending(svc)
    assert registration.otp is not None
    assert registration.otp.resend_available_at == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=60)
    view = svc.resend_otp(registration.id)
    assert view.otp is not None
    assert view.otp.resend_available_at == clock.now() + timedelta(seconds=120)


def test_at_most_five_sends_per_registration_per_hour(svc: Siapkerja, clock: Clock) -> None:
    registration, _ = start_pending(svc)
    for wait in (60, 120, 240, 480):
        clock.advance(seconds=wait)
        svc.resend_otp(registration.id)
    assert _sms_count(svc) == 5
    clock.advance(seconds=960)  # the sixth cooldown has passed, but the hour has not
    with pytest.raises(OtpError) as caught:
        svc.resend_otp(registration.id)
    assert caught.value.full_code == "otp.send_limit"
    assert caught.value.retry_after == 3600 - (60 + 120 + 240 + 480 + 960)
    assert _sms_count(svc) == 5


def test_send_limit_lifts_after_the_hour(make_svc: Callable[..., Siapkerja], clock: Clock) -> None:
    svc = make_svc(FAST_RESEND)
    registration, _ = start_pending(svc)
    for _ in range(4):
        clock.advance(seconds=1)
        svc.resend_otp(registration.id)
    clock.advance(seconds=1)
    with pytest.raises(OtpError) as caught:
        svc.resend_otp(registration.id)
    assert caught.value.code == "send_limit"
    assert caught.value.retry_after == 3600 - 5
    clock.advance(seconds=3600 - 5)
    svc.resend_otp(registration.id)
    assert _sms_count(svc) == 6


def test_daily_cap_per_phone_spans_registrations(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    policy = attrs.evolve(
        FAST_RESEND, max_sends_per_phone_per_day=3, registration_ttl=timedelta(days=2)
    )
    svc = make_svc(policy)
    people = residents(svc, 3)
    nik, name, mother = people[0]
    first, _ = start_pending(svc, nik=nik, name=name, mother=mother)
    clock.advance(seconds=1)
    svc.resend_otp(first.id)
    nik, name, mother = people[1]
    start_pending(svc, nik=nik, name=name, mother=mother, email="b@example.com")
    assert _sms_count(svc) == 3
    nik, name, mother = people[2]
    third = svc.register(nik, name, mother)
    with pytest.raises(OtpError) as caught:
        svc.submit_contact(third.id, email="c@example.com", phone=PHONE, password=PASSWORD)
    assert caught.value.full_code == "otp.daily_limit"
    clock.advance(seconds=1)
    with pytest.raises(OtpError) as caught:
        svc.resend_otp(first.id)
    assert caught.value.code == "daily_limit"
    # Another number is not affected.
    svc.submit_contact(third.id, email="c@example.com", phone=phone_number(7), password=PASSWORD)
    assert _sms_count(svc) == 3
    # The next day the number may receive codes again.
    clock.advance(days=1)
    svc.resend_otp(first.id)
    assert _sms_count(svc) == 4


def test_daily_cap_per_nik_spans_registrations_and_numbers(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc(attrs.evolve(FAST_RESEND, max_sends_per_nik_per_day=2))
    start_pending(svc, phone=phone_number(1))
    start_pending(svc, phone=phone_number(2), email="dua@example.com")
    third = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER)
    with pytest.raises(OtpError) as caught:
        svc.submit_contact(
            third.id, email="tiga@example.com", phone=phone_number(3), password=PASSWORD
        )
    assert caught.value.full_code == "otp.daily_limit"
    assert svc.registration(third.id).status is RegistrationStatus.VERIFIED
    clock.advance(days=1)
    registration, code = start_pending(svc, phone=phone_number(3), email="tiga@example.com")
    assert svc.confirm_otp(registration.id, code).phone == e164(phone_number(3))


# --- change of phone --------------------------------------------------------------------


def test_change_phone_sends_a_new_code_to_the_new_number(svc: Siapkerja, clock: Clock) -> None:
    registration, old = start_pending(svc)
    new_phone = "0813-9876-5432"
    clock.advance(seconds=60)
    view = svc.change_phone(registration.id, phone=new_phone)
    assert view.phone == e164(new_phone)
    assert view.status is RegistrationStatus.PENDING_OTP
    new = last_code(svc, new_phone)
    if new != old:
        with pytest.raises(OtpError):
            svc.confirm_otp(registration.id, old)
    account = svc.confirm_otp(registration.id, new)
    assert account.phone == e164(new_phone)


def test_change_phone_validates_the_new_number(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    clock.advance(seconds=60)
    before = svc.storage.dump()
    with pytest.raises(InvalidPhone) as caught:
        svc.change_phone(registration.id, phone="021-12345678")
    assert caught.value.full_code.startswith("phone.")
    assert svc.storage.dump() == before
    assert svc.registration(registration.id).phone == PHONE_E164
    assert svc.confirm_otp(registration.id, code).phone == PHONE_E164


def test_change_phone_obeys_the_cooldown_and_hourly_cap(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc()
    registration, _ = start_pending(svc)
    with pytest.raises(OtpError) as caught:
        svc.change_phone(registration.id, phone=phone_number(1))
    assert caught.value.code == "cooldown"
    assert svc.registration(registration.id).phone == PHONE_E164

    fast = make_svc(FAST_RESEND)
    registration, _ = start_pending(fast)
    for n in range(4):
        clock.advance(seconds=1)
        fast.change_phone(registration.id, phone=phone_number(n))
    clock.advance(seconds=1)
    with pytest.raises(OtpError) as caught:
        fast.change_phone(registration.id, phone=phone_number(9))
    assert caught.value.code == "send_limit"
    assert fast.registration(registration.id).phone == e164(phone_number(3))


def test_change_phone_obeys_the_daily_cap_of_the_new_number(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc(attrs.evolve(FAST_RESEND, max_sends_per_phone_per_day=1))
    (nik1, name1, mother1), (nik2, name2, mother2) = residents(svc, 2)
    start_pending(svc, nik=nik1, name=name1, mother=mother1, phone=phone_number(5))
    registration, _ = start_pending(svc, nik=nik2, name=name2, mother=mother2)
    clock.advance(seconds=1)
    with pytest.raises(OtpError) as caught:
        svc.change_phone(registration.id, phone=phone_number(5))
    assert caught.value.code == "daily_limit"


def test_change_phone_after_confirmation_is_refused(svc: Siapkerja, clock: Clock) -> None:
    registration, code = start_pending(svc)
    svc.confirm_otp(registration.id, code)
    clock.advance(seconds=60)
    with pytest.raises(RegistrationError) as caught:
        svc.change_phone(registration.id, phone=phone_number(1))
    assert caught.value.full_code == "registration.already_confirmed"


def test_change_phone_before_contacts_is_the_wrong_step(svc: Siapkerja) -> None:
    rid = svc.register(GALIH_NIK, GALIH_NAME, GALIH_MOTHER).id
    with pytest.raises(RegistrationError) as caught:
        svc.change_phone(rid, phone=PHONE)
    assert caught.value.full_code == "registration.wrong_step"
    with pytest.raises(RegistrationError) as caught:
        svc.resend_otp(rid)
    assert caught.value.full_code == "registration.wrong_step"


# --- the message ------------------------------------------------------------------------


def test_sms_is_indonesian_names_the_service_and_warns_not_to_share(svc: Siapkerja) -> None:
    start_pending(svc)
    text = svc.sms.last_to(PHONE_E164).text  # type: ignore[attr-defined]
    folded = text.casefold()
    assert "siapkerja" in folded
    assert "kode" in folded
    assert "jangan" in folded
    assert "siapa pun" in folded or "siapapun" in folded
    assert "berlaku 5 menit" in folded
