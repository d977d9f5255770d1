"""Recovery: "Kendala Masuk ke Akun?" — a code to the account's phone, a new password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs
import pytest
from journey_support import (
    EMAIL,
    GALIH_NIK,
    PASSWORD,
    PHONE,
    PHONE_E164,
    Clock,
    last_code,
    start_pending,
    wrong_code,
)

from siapkerja_core.errors import LoginError, ResetError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import WeakPassword
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account, PasswordResetRequest

NEW_PASSWORD = "gajah terbang di atas awan"


def _account(svc: Siapkerja) -> Account:
    registration, code = start_pending(svc)
    return svc.confirm_otp(registration.id, code)


def _sms_count(svc: Siapkerja) -> int:
    return sum(1 for m in svc.sms.messages if m.to == PHONE_E164)  # type: ignore[attr-defined]


def test_reset_sends_a_code_and_sets_the_new_password(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    request = svc.request_password_reset(EMAIL)
    assert isinstance(request, PasswordResetRequest)
    assert _sms_count(svc) == 2
    text = svc.sms.last_to(PHONE_E164).text  # type: ignore[attr-defined]
    assert "password" in text.casefold()
    assert "jangan" in text.casefold()
    code = last_code(svc, PHONE)
    clock.advance(minutes=1)
    result = svc.reset_password(request.id, code, NEW_PASSWORD)
    assert result.id == account.id
    assert result.session is not None
    assert svc.authenticate(result.session.token).id == account.id
    assert svc.login(GALIH_NIK, NEW_PASSWORD).id == account.id
    with pytest.raises(LoginError) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    assert caught.value.code == "failed"
    [stored] = svc.storage.dump()["accounts"]
    assert stored.password_hash.startswith("$argon2id$")  # type: ignore[attr-defined]
    assert NEW_PASSWORD not in repr(svc.storage.dump())
    assert code not in repr(svc.storage.dump()["challenges"])


@pytest.mark.parametrize("identifier", [GALIH_NIK, "3173 0712 0394 0042", EMAIL, "0812 3456 7890"])
def test_reset_by_any_identifier(svc: Siapkerja, identifier: str) -> None:
    account = _account(svc)
    request = svc.request_password_reset(identifier)
    assert svc.reset_password(request.id, last_code(svc, PHONE), NEW_PASSWORD).id == account.id


def test_reset_ends_every_other_session(svc: Siapkerja) -> None:
    account = _account(svc)
    second = svc.login(EMAIL, PASSWORD)
    tokens = [account.session.token, second.session.token]  # type: ignore[union-attr]
    for token in tokens:
        assert svc.authenticate(token).id == account.id
    request = svc.request_password_reset(GALIH_NIK)
    result = svc.reset_password(request.id, last_code(svc, PHONE), NEW_PASSWORD)
    for token in tokens:
        with pytest.raises(LoginError) as caught:
            svc.authenticate(token)
        assert caught.value.full_code == "login.session_invalid"
    assert svc.authenticate(result.session.token).id == account.id  # type: ignore[union-attr]


def _answer_shape(svc: Siapkerja, request: PasswordResetRequest) -> dict[str, object]:
    return {
        "type": type(request),
        "fields": [a.name for a in attrs.fields(type(request))],
        "id_length": len(request.id),
        "ttl": request.expires_at - svc.now(),
        "message_id": request.message_id,
        "message_en": request.message_en,
        "repr_length": len(repr(request)),
    }


def test_reset_answer_is_the_same_whether_or_not_the_account_exists(svc: Siapkerja) -> None:
    _account(svc)
    existing = svc.request_password_reset(EMAIL)
    shapes = [
        _answer_shape(svc, svc.request_password_reset(identifier))
        for identifier in ("nobody@example.com", "3173071203940099", "081398765432", "?")
    ]
    for shape in shapes:
        assert shape == _answer_shape(svc, existing)
    assert existing.expires_at == svc.now() + timedelta(minutes=30)


def test_reset_errors_are_generic(svc: Siapkerja, clock: Clock) -> None:
    _account(svc)
    request = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    stranger = svc.request_password_reset("nobody@example.com")
    errors = []
    for request_id, given in (
        (request.id, wrong_code(code)),
        ("unknown-request", code),
        (stranger.id, code),
        (stranger.id, "000000"),
    ):
        with pytest.raises(ResetError) as caught:
            svc.reset_password(request_id, given, NEW_PASSWORD)
        errors.append(caught.value)
    clock.advance(minutes=5)  # the code has expired
    with pytest.raises(ResetError) as caught:
        svc.reset_password(request.id, code, NEW_PASSWORD)
    errors.append(caught.value)
    assert {type(e) for e in errors} == {ResetError}
    assert {e.full_code for e in errors} == {"reset.invalid"}
    assert len({str(e) for e in errors}) == 1
    assert all(dict(e.params) == {} for e in errors)


def test_reset_code_is_single_use(svc: Siapkerja) -> None:
    _account(svc)
    request = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    svc.reset_password(request.id, code, NEW_PASSWORD)
    with pytest.raises(ResetError):
        svc.reset_password(request.id, code, "lagi lagi kata sandi baru")
    assert svc.login(EMAIL, NEW_PASSWORD)


def test_reset_code_dies_after_five_wrong_tries(svc: Siapkerja) -> None:
    _account(svc)
    request = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    for _ in range(5):
        with pytest.raises(ResetError):
            svc.reset_password(request.id, wrong_code(code), NEW_PASSWORD)
    with pytest.raises(ResetError):
        svc.reset_password(request.id, code, NEW_PASSWORD)
    assert svc.login(EMAIL, PASSWORD)


def test_weak_new_password_is_refused_and_the_code_stays_usable(svc: Siapkerja) -> None:
    _account(svc)
    request = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    for weak, expected in (
        ("pendek", "password.too_short"),
        ("password123", "password.common"),
        ("galih pambayun 1994", "password.identity"),
    ):
        with pytest.raises(WeakPassword) as caught:
            svc.reset_password(request.id, code, weak)
        assert caught.value.full_code == expected
    assert svc.login(EMAIL, PASSWORD)
    assert svc.reset_password(request.id, code, NEW_PASSWORD).nik == GALIH_NIK


def test_reset_obeys_the_siapkerja_password_preset(make_svc: Callable[..., Siapkerja]) -> None:
    from siapkerja_core.passwords import PasswordPolicy

    svc = make_svc(JourneyPolicy(password=PasswordPolicy.siapkerja()))
    registration, code = start_pending(svc, password="Kuda-Lari-Kencang-7")
    svc.confirm_otp(registration.id, code)
    request = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    with pytest.raises(WeakPassword) as caught:
        svc.reset_password(request.id, code, NEW_PASSWORD)
    assert caught.value.code == "composition"
    assert svc.reset_password(request.id, code, "Gajah-Terbang-9").nik == GALIH_NIK


def test_reset_requests_share_the_cooldown(svc: Siapkerja, clock: Clock) -> None:
    _account(svc)
    first = svc.request_password_reset(EMAIL)
    code = last_code(svc, PHONE)
    second = svc.request_password_reset(EMAIL)  # inside the cooldown: no new SMS
    assert _sms_count(svc) == 2
    assert second.id != first.id
    assert svc.reset_password(second.id, code, NEW_PASSWORD).nik == GALIH_NIK
    clock.advance(seconds=60)
    svc.request_password_reset(EMAIL)
    assert _sms_count(svc) == 3


def test_a_newer_reset_code_kills_the_older_one(svc: Siapkerja, clock: Clock) -> None:
    _account(svc)
    first = svc.request_password_reset(EMAIL)
    old = last_code(svc, PHONE)
    clock.advance(seconds=60)
    second = svc.request_password_reset(EMAIL)
    new = last_code(svc, PHONE)
    with pytest.raises(ResetError):
        svc.reset_password(first.id, old, NEW_PASSWORD)
    assert svc.reset_password(second.id, new, NEW_PASSWORD).nik == GALIH_NIK


def test_reset_obeys_the_daily_cap_of_the_phone(
    make_svc: Callable[..., Siapkerja], clock: Clock
) -> None:
    svc = make_svc(JourneyPolicy(max_sends_per_phone_per_day=2))
    _account(svc)  # one send
    svc.request_password_reset(EMAIL)  # two
    clock.advance(minutes=10)
    capped = svc.request_password_reset(EMAIL)
    assert _sms_count(svc) == 2
    with pytest.raises(ResetError):
        svc.reset_password(capped.id, "000000", NEW_PASSWORD)
    # The answer still looks like any other.
    stranger = svc.request_password_reset("nobody@example.com")
    assert _answer_shape(svc, capped) == _answer_shape(svc, stranger)


def test_reset_obeys_the_hourly_cap(make_svc: Callable[..., Siapkerja], clock: Clock) -> None:
    svc = make_svc(JourneyPolicy(resend_cooldown=timedelta(seconds=1), resend_cooldown_growth=1))
    _account(svc)
    for _ in range(5):
        clock.advance(seconds=1)
        svc.request_password_reset(EMAIL)
    assert _sms_count(svc) == 6  # the registration's code and five reset codes
    clock.advance(seconds=1)
    svc.request_password_reset(EMAIL)
    assert _sms_count(svc) == 6


def test_reset_unblocks_a_throttled_login(svc: Siapkerja) -> None:
    _account(svc)
    for _ in range(5):
        with pytest.raises(LoginError):
            svc.login(EMAIL, "salah sekali kata sandinya")
    with pytest.raises(LoginError) as caught:
        svc.login(EMAIL, PASSWORD)
    assert caught.value.code == "throttled"
    request = svc.request_password_reset(EMAIL)
    svc.reset_password(request.id, last_code(svc, PHONE), NEW_PASSWORD)
    assert svc.login(EMAIL, NEW_PASSWORD).nik == GALIH_NIK
