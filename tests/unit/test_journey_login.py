"""Sign-in by NIK, e-mail or phone; one generic failure; throttling; hash upgrades."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from journey_support import (
    EMAIL,
    GALIH_NIK,
    PASSWORD,
    PHONE_E164,
    Clock,
    phone_number,
    residents,
    start_pending,
)

from siapkerja_core.errors import LoginError
from siapkerja_core.limits import JourneyPolicy
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account


def _account(svc: Siapkerja) -> Account:
    registration, code = start_pending(svc)
    return svc.confirm_otp(registration.id, code)


@pytest.mark.parametrize(
    "identifier",
    [
        GALIH_NIK,
        "3173 0712 0394 0042",
        " 3173-0712-0394-0042 ",
        EMAIL,
        EMAIL.upper(),
        f"  {EMAIL}  ",
        PHONE_E164,
        "081234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "３１７３０７１２０３９４００４２",  # full-width digits
        "０８１２３４５６７８９０",
        "+62 0812 3456 7890",  # trunk 0 kept after +62
        "(0812) 3456-7890",
        "Galih.Pambayun@Example.com",
    ],
)
def test_login_by_nik_email_or_phone_in_any_spelling(svc: Siapkerja, identifier: str) -> None:
    account = _account(svc)
    signed_in = svc.login(identifier, PASSWORD)
    assert signed_in.id == account.id
    assert signed_in.session is not None
    assert signed_in.session.token != account.session.token  # type: ignore[union-attr]
    assert svc.authenticate(signed_in.session.token).id == account.id


def test_one_generic_failure_for_unknown_identifier_and_wrong_password(svc: Siapkerja) -> None:
    _account(svc)
    failures = []
    for identifier, password in (
        (GALIH_NIK, "salah sekali kata sandinya"),
        (EMAIL, "salah sekali kata sandinya"),
        ("nobody@example.com", PASSWORD),
        ("3173071203940099", PASSWORD),
        ("081398765432", PASSWORD),
        ("bukan apa-apa", PASSWORD),
    ):
        with pytest.raises(LoginError) as caught:
            svc.login(identifier, password)
        failures.append(caught.value)
    assert {type(e) for e in failures} == {LoginError}
    assert {e.full_code for e in failures} == {"login.failed"}
    assert len({str(e) for e in failures}) == 1
    assert len({(e.message_id, e.message_en) for e in failures}) == 1
    assert all(dict(e.params) == {} for e in failures)


def test_login_of_a_pending_registration_fails(svc: Siapkerja) -> None:
    start_pending(svc)
    with pytest.raises(LoginError) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    assert caught.value.full_code == "login.failed"


def test_login_is_throttled_per_identifier_and_lifts_after_the_window(
    svc: Siapkerja, clock: Clock
) -> None:
    account = _account(svc)
    (nik, name, mother) = next(r for r in residents(svc, 5) if r[0] != GALIH_NIK)
    other, code = start_pending(
        svc, nik=nik, name=name, mother=mother, email="lain@example.com", phone=phone_number(4)
    )
    svc.confirm_otp(other.id, code)
    for _ in range(5):
        with pytest.raises(LoginError) as caught:
            svc.login(EMAIL, "salah sekali kata sandinya")
        assert caught.value.code == "failed"
    # Even the right password is refused now, in any spelling of the identifier.
    for identifier in (EMAIL, EMAIL.upper()):
        with pytest.raises(LoginError) as caught:
            svc.login(identifier, PASSWORD)
        assert caught.value.full_code == "login.throttled"
        assert caught.value.params["retry_after"] == 15 * 60
    # Another identifier is not throttled.
    assert svc.login("lain@example.com", PASSWORD).id != account.id
    clock.advance(minutes=15)
    assert svc.login(EMAIL, PASSWORD).id == account.id


def test_unknown_identifiers_are_throttled_too(svc: Siapkerja) -> None:
    for _ in range(5):
        with pytest.raises(LoginError):
            svc.login("nobody@example.com", PASSWORD)
    with pytest.raises(LoginError) as caught:
        svc.login("nobody@example.com", PASSWORD)
    assert caught.value.code == "throttled"


def test_throttle_limits_are_configurable(make_svc: Callable[..., Siapkerja], clock: Clock) -> None:
    svc = make_svc(JourneyPolicy(max_login_failures=2, login_failure_window=timedelta(minutes=2)))
    _account(svc)
    for _ in range(2):
        with pytest.raises(LoginError):
            svc.login(GALIH_NIK, "salah sekali kata sandinya")
    with pytest.raises(LoginError) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    assert caught.value.code == "throttled"
    clock.advance(minutes=2)
    assert svc.login(GALIH_NIK, PASSWORD).nik == GALIH_NIK


def test_success_clears_the_failure_count(svc: Siapkerja) -> None:
    _account(svc)
    for _ in range(4):
        with pytest.raises(LoginError):
            svc.login(GALIH_NIK, "salah sekali kata sandinya")
    svc.login(GALIH_NIK, PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginError) as caught:
            svc.login(GALIH_NIK, "salah sekali kata sandinya")
        assert caught.value.code == "failed"
    assert svc.login(GALIH_NIK, PASSWORD).nik == GALIH_NIK


def test_hash_is_upgraded_when_argon2_parameters_change(svc: Siapkerja, clock: Clock) -> None:
    """The one test with the production (OWASP) hasher: the stored hash is upgraded to it."""
    _account(svc)
    [before] = svc.storage.dump()["accounts"]
    old_hash = before.password_hash  # type: ignore[attr-defined]
    assert "m=8," in old_hash
    owasp = PasswordHasher()
    assert owasp.needs_rehash(old_hash)
    upgraded = Siapkerja(
        settings=svc.settings,
        plugins=svc.plugins,
        adapters=svc.adapters,
        clock=clock.now,
        policy=svc.policy,
        hasher=owasp,
    )
    upgraded.login(EMAIL, PASSWORD)
    [after] = svc.storage.dump()["accounts"]
    new_hash = after.password_hash  # type: ignore[attr-defined]
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in new_hash
    assert not owasp.needs_rehash(new_hash)
    assert owasp.verify(new_hash, PASSWORD)
    # Still signs in, with both services, and a wrong password still fails.
    assert upgraded.login(GALIH_NIK, PASSWORD).nik == GALIH_NIK
    assert svc.login(GALIH_NIK, PASSWORD).nik == GALIH_NIK
    with pytest.raises(LoginError):
        upgraded.login(GALIH_NIK, "salah sekali kata sandinya")


def test_logout_ends_the_session(svc: Siapkerja) -> None:
    _account(svc)
    account = svc.login(GALIH_NIK, PASSWORD)
    assert account.session is not None
    svc.logout(account.session.token)
    with pytest.raises(LoginError) as caught:
        svc.authenticate(account.session.token)
    assert caught.value.full_code == "login.session_invalid"
    svc.logout("unknown-token")  # ignored


def test_session_expires(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    assert account.session is not None
    clock.advance(hours=12)
    with pytest.raises(LoginError) as caught:
        svc.authenticate(account.session.token)
    assert caught.value.code == "session_invalid"
