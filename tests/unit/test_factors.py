"""Factors beyond SMS: authenticator apps (RFC 6238 via pyotp), recovery codes, sign-in
with a second factor, the throttled step-up and the password reset by factor."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from journey_support import (
    EMAIL,
    GALIH_NIK,
    PASSWORD,
    PHONE_E164,
    Clock,
    Recorder,
    start_pending,
)

from siapkerja_core.errors import LoginError, ResetError
from siapkerja_core.factors import (
    RECOVERY_ALPHABET,
    FactorError,
    FactorKind,
    clean_recovery_code,
    match_totp,
    new_recovery_code,
    totp_step,
)
from siapkerja_core.passwords import WeakPassword
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.factors import FactorFailed, FactorRequired
from siapkerja_core.views import Account

NEW_PASSWORD = "gajah terbang di atas awan"

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" and its 8-digit codes.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("moment", "expected"), RFC_VECTORS)
def test_pyotp_gives_the_rfc_6238_appendix_b_codes(moment: int, expected: str) -> None:
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(moment) == expected


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_match_totp_takes_one_step_either_side_and_no_more() -> None:
    totp = pyotp.TOTP(RFC_SECRET)
    now = _at(1_234_567_890)
    step = totp_step(now)
    for offset in (-1, 0, 1):
        code = totp.at(now.timestamp() + 30 * offset)
        assert match_totp(RFC_SECRET, code, now, last_step=None) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.at(now.timestamp() + 30 * offset)
        if code not in {totp.at(now.timestamp() + 30 * o) for o in (-1, 0, 1)}:
            assert match_totp(RFC_SECRET, code, now, last_step=None) is None


def test_match_totp_refuses_a_replayed_or_older_step() -> None:
    totp = pyotp.TOTP(RFC_SECRET)
    now = _at(1_234_567_890)
    step = totp_step(now)
    code = totp.at(now)
    assert match_totp(RFC_SECRET, code, now, last_step=step) is None  # the same step: replay
    earlier = totp.at(now.timestamp() - 30)
    assert match_totp(RFC_SECRET, earlier, now, last_step=step) is None  # older than the last
    later = totp.at(now.timestamp() + 30)
    assert match_totp(RFC_SECRET, later, now, last_step=step) == step + 1


@given(st.text(max_size=12))
def test_match_totp_never_accepts_what_is_not_six_digits(text: str) -> None:
    clean = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if len(clean) == 6 and clean.isascii() and clean.isdigit():
        return
    assert match_totp(RFC_SECRET, text, _at(1_234_567_890), last_step=None) is None


@given(st.randoms(use_true_random=False))
def test_recovery_codes_are_grouped_60_bit_and_read_back_in_any_spelling(rng: object) -> None:
    code = new_recovery_code(rng.randrange)  # type: ignore[attr-defined]
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert len(RECOVERY_ALPHABET) ** 12 >= 2**60
    cleaned = clean_recovery_code(code)
    assert cleaned == code.replace("-", "")
    assert clean_recovery_code(code.upper().replace("-", " ")) == cleaned
    assert clean_recovery_code(code[:-1]) is None


def test_look_alike_letters_read_as_digits() -> None:
    assert clean_recovery_code("oil0-1111-2222") == "0110" + "11112222"


def _of(recorder: Recorder, name: str) -> list[object]:
    return [event for event in recorder.events if event.name == name]


# --- the service --------------------------------------------------------------------------


def _account(svc: Siapkerja) -> Account:
    registration, code = start_pending(svc)
    return svc.confirm_otp(registration.id, code)


def _enrol(svc: Siapkerja, clock: Clock, account: Account) -> str:
    enrolment = svc.factors.start_totp(account.id)
    assert enrolment.uri.startswith("otpauth://totp/")
    assert "issuer=SIAPkerja" in enrolment.uri
    assert enrolment.qr_svg.startswith("<svg")
    assert enrolment.secret not in repr(enrolment)
    code = pyotp.TOTP(enrolment.secret).at(clock.now())
    summary = svc.factors.confirm_totp(account.id, enrolment.factor_id, code)
    assert summary.kind == "totp"
    return enrolment.secret


def _next_code(secret: str, clock: Clock) -> str:
    clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def test_enrolment_needs_a_right_first_code(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    enrolment = svc.factors.start_totp(account.id)
    assert svc.factors.list(account.id) == []  # pending is not a factor yet
    with pytest.raises(FactorError) as caught:
        svc.factors.confirm_totp(account.id, enrolment.factor_id, "000000")
    assert caught.value.code in {"invalid_code"}
    with pytest.raises(FactorError) as caught:
        svc.factors.confirm_totp("someone-else", enrolment.factor_id, "000000")
    assert caught.value.code == "no_enrolment"
    code = pyotp.TOTP(enrolment.secret).at(clock.now())
    svc.factors.confirm_totp(account.id, enrolment.factor_id, code)
    assert [f.kind for f in svc.factors.list(account.id)] == ["totp"]
    with pytest.raises(FactorError):  # confirmed once: the enrolment is gone
        svc.factors.confirm_totp(account.id, enrolment.factor_id, code)


def test_a_lapsed_enrolment_is_refused(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    enrolment = svc.factors.start_totp(account.id)
    clock.advance(minutes=16)
    code = pyotp.TOTP(enrolment.secret).at(clock.now())
    with pytest.raises(FactorError) as caught:
        svc.factors.confirm_totp(account.id, enrolment.factor_id, code)
    assert caught.value.code == "no_enrolment"


def test_sign_in_asks_for_the_factor_and_refuses_a_replayed_code(
    svc: Siapkerja, clock: Clock, recorder: Recorder
) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    assert ("factor.enrolled") in recorder.names()
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    required = caught.value
    assert required.full_code == "login.factor_required"
    assert "totp" in required.kinds
    assert required.pending
    assert required.pending not in str(required)
    code = _next_code(secret, clock)
    signed_in = svc.factors.complete_login(required.pending, code=code)
    assert signed_in.session is not None
    assert signed_in.id == account.id
    # The same code again (a replay), within its window: refused.
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    with pytest.raises(FactorFailed) as failed:
        svc.factors.complete_login(caught.value.pending, code=code)
    assert failed.value.full_code == "login.factor_failed"
    # The next step's code works.
    assert svc.factors.complete_login(caught.value.pending, code=_next_code(secret, clock))


def test_a_wrong_password_never_reaches_the_factor(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    _enrol(svc, clock, account)
    with pytest.raises(LoginError) as caught:
        svc.login(GALIH_NIK, "not the password at all")
    assert caught.value.code == "failed"
    assert not isinstance(caught.value, FactorRequired)


def test_a_pending_token_lapses_and_cannot_be_forged(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    pending = caught.value.pending
    account_id, expires, nonce, mac = pending.split(".")
    forged = f"{account_id}.{int(expires) + 3600}.{nonce}.{mac}"
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(forged, code=_next_code(secret, clock))
    clock.advance(minutes=6)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(pending, code=_next_code(secret, clock))


def test_wrong_factor_codes_are_throttled_per_account(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    pending = caught.value.pending
    for _ in range(5):
        with pytest.raises(FactorFailed):
            svc.factors.complete_login(pending, code="000000")
    good = pyotp.TOTP(secret).at(clock.now().timestamp() + 30)
    with pytest.raises(LoginError) as throttled:
        svc.factors.complete_login(pending, code=good)  # not evaluated: the cap is reached
    assert throttled.value.code == "throttled"
    assert throttled.value.params["retry_after"] > 0


def test_recovery_codes_work_once_and_a_new_set_replaces_the_old(
    svc: Siapkerja, clock: Clock, recorder: Recorder
) -> None:
    account = _account(svc)
    _enrol(svc, clock, account)
    first = svc.factors.generate_recovery_codes(account.id)
    assert len(first.codes) == 10
    assert len(set(first.codes)) == 10
    assert first.codes[0] not in repr(first)
    stored = repr(svc.storage.dump()["factors"])
    assert all(code not in stored and code.replace("-", "") not in stored for code in first.codes)
    assert svc.factors.recovery_codes_left(account.id) == 10
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    svc.factors.complete_login(caught.value.pending, code=first.codes[0].upper())
    assert svc.factors.recovery_codes_left(account.id) == 9
    assert _of(recorder, "recovery_code.used")[-1].remaining == 9  # type: ignore[attr-defined]
    with pytest.raises(FactorRequired) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(caught.value.pending, code=first.codes[0])  # spent
    second = svc.factors.generate_recovery_codes(account.id)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(caught.value.pending, code=first.codes[1])  # old set
    svc.factors.complete_login(caught.value.pending, code=second.codes[1])
    summary = [f for f in svc.factors.list(account.id) if f.kind == "recovery_codes"]
    assert summary[0].remaining == 9
    assert "recovery_codes.generated" in recorder.names()


def test_a_factor_code_with_the_password_signs_in_at_once(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    signed_in = svc.login(GALIH_NIK, PASSWORD, factor_code=_next_code(secret, clock))
    assert signed_in.id == account.id


def test_a_throttled_account_steps_up_with_an_authenticator_code(
    svc: Siapkerja, clock: Clock
) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    for _ in range(5):
        with pytest.raises(LoginError):
            svc.login(GALIH_NIK, "wrong password here")
    with pytest.raises(LoginError) as caught:
        svc.login(GALIH_NIK, PASSWORD)
    assert caught.value.code == "throttled"
    signed_in = svc.login(GALIH_NIK, PASSWORD, factor_code=_next_code(secret, clock))
    assert signed_in.id == account.id


def test_unknown_accounts_fail_the_factor_step_alike(svc: Siapkerja) -> None:
    _account(svc)
    with pytest.raises(LoginError) as unknown:
        svc.login("nobody@example.org", PASSWORD, factor_code="123456")
    with pytest.raises(LoginError) as known:
        svc.login(EMAIL, PASSWORD, factor_code="123456")  # no factor enrolled
    assert unknown.value.full_code == known.value.full_code == "login.factor_failed"


def test_reset_with_an_authenticator_code_when_the_sms_does_not_arrive(
    svc: Siapkerja, clock: Clock, recorder: Recorder
) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    request = svc.request_password_reset(EMAIL)
    with pytest.raises(WeakPassword):
        svc.factors.reset_password(request.id, _next_code(secret, clock), "123")
    code = pyotp.TOTP(secret).at(clock.now())  # not spent by the weak attempt
    result = svc.factors.reset_password(request.id, code, NEW_PASSWORD)
    assert result.id == account.id
    assert result.session is not None
    with pytest.raises(ResetError):  # the request is spent
        svc.factors.reset_password(request.id, _next_code(secret, clock), NEW_PASSWORD + "x")
    assert "password_reset.completed" in recorder.names()


def test_reset_with_a_recovery_code(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    _enrol(svc, clock, account)
    codes = svc.factors.generate_recovery_codes(account.id).codes
    request = svc.request_password_reset(GALIH_NIK)
    with pytest.raises(ResetError):
        svc.factors.reset_password(request.id, "aaaa-bbbb-cccc", NEW_PASSWORD)
    svc.factors.reset_password(request.id, codes[3], NEW_PASSWORD)
    assert svc.factors.recovery_codes_left(account.id) == 9
    with pytest.raises(FactorRequired):
        svc.login(GALIH_NIK, NEW_PASSWORD)


def test_reset_by_factor_refuses_an_unknown_request(svc: Siapkerja) -> None:
    request = svc.request_password_reset("nobody@example.org")
    with pytest.raises(ResetError):
        svc.factors.reset_password(request.id, "123456", NEW_PASSWORD)


def test_remove_and_officer_reset_are_audited_and_announced(
    svc: Siapkerja, clock: Clock, recorder: Recorder
) -> None:
    account = _account(svc)
    _enrol(svc, clock, account)
    svc.factors.generate_recovery_codes(account.id)
    by_kind = {f.kind: f for f in svc.factors.list(account.id)}
    totp, codes = by_kind["totp"], by_kind["recovery_codes"]
    svc.factors.remove(account.id, codes.id)
    with pytest.raises(FactorError) as caught:
        svc.factors.remove("someone-else", totp.id)
    assert caught.value.code == "not_found"
    removed = svc.factors.reset(account.id, actor="cli:officer", reason="KTP checked in person")
    assert [r.kind for r in removed] == ["totp"]
    assert svc.factors.list(account.id) == []
    assert svc.login(GALIH_NIK, PASSWORD).id == account.id  # password alone again
    kinds = [(e.kind, e.by) for e in _of(recorder, "factor.removed")]  # type: ignore[attr-defined]
    assert kinds == [("recovery_codes", "holder"), ("totp", "officer")]
    with svc.storage.transaction() as tx:
        actions = [r.action for r in tx.audit.list(target=account.id)]
    assert "factor.reset" in actions
    assert "factor.enrol" in actions
    for event in _of(recorder, "factor.removed"):
        assert event.account_id == account.id  # type: ignore[attr-defined]


def test_recovery_codes_alone_do_not_ask_for_a_second_step(svc: Siapkerja) -> None:
    account = _account(svc)
    svc.factors.generate_recovery_codes(account.id)
    assert svc.login(GALIH_NIK, PASSWORD).id == account.id
    assert FactorKind.RECOVERY_CODES.value in svc.factors.kinds(account.id)


def test_the_sms_to_the_phone_is_not_needed(svc: Siapkerja, clock: Clock) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    before = sum(1 for m in svc.sms.messages if m.to == PHONE_E164)  # type: ignore[attr-defined]
    svc.login(GALIH_NIK, PASSWORD, factor_code=_next_code(secret, clock))
    after = sum(1 for m in svc.sms.messages if m.to == PHONE_E164)  # type: ignore[attr-defined]
    assert before == after


# --- passkeys (py_webauthn, a software authenticator) -----------------------------------

ORIGIN, RP_ID = "https://siapkerja.example.go.id", "siapkerja.example.go.id"


def _with_passkeys(svc: Siapkerja) -> None:
    from siapkerja_adapters.webauthn import PyWebAuthn, relying_party

    rp_id, origin = relying_party(ORIGIN + "/app/")
    assert (rp_id, origin) == (RP_ID, ORIGIN)
    svc.factors.use_webauthn(PyWebAuthn(), rp_id=rp_id, origin=origin)


def test_passkeys_need_the_adapter(svc: Siapkerja) -> None:
    account = _account(svc)
    with pytest.raises(FactorError) as caught:
        svc.factors.passkey_registration_options(account.id)
    assert caught.value.code == "passkeys_unavailable"


def test_a_passkey_registers_and_stands_for_the_second_step(
    svc: Siapkerja, recorder: Recorder
) -> None:
    from support.webauthn import SoftAuthenticator

    _with_passkeys(svc)
    account = _account(svc)
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    begun = svc.factors.passkey_registration_options(account.id)
    summary = svc.factors.register_passkey(
        account.id, begun.ceremony_id, device.create(begun.options), label="Ponsel Galih"
    )
    assert summary.kind == "passkey"
    assert summary.label == "Ponsel Galih"
    assert _of(recorder, "factor.enrolled")[-1].kind == "passkey"  # type: ignore[attr-defined]
    # The ceremony is single-use: the same answer again is refused.
    with pytest.raises(FactorError) as caught:
        svc.factors.register_passkey(account.id, begun.ceremony_id, device.create(begun.options))
    assert caught.value.code == "passkey_failed"

    with pytest.raises(FactorRequired) as required:
        svc.login(GALIH_NIK, PASSWORD)
    assert "passkey" in required.value.kinds
    pending = required.value.pending
    options = svc.factors.passkey_sign_in_options(pending)
    signed_in = svc.factors.complete_login(
        pending, ceremony_id=options.ceremony_id, passkey=device.get(options.options)
    )
    assert signed_in.id == account.id
    # A second use of the same ceremony, or an answer for another origin, fails.
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(
            pending, ceremony_id=options.ceremony_id, passkey=device.get(options.options)
        )
    options = svc.factors.passkey_sign_in_options(pending)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(
            pending,
            ceremony_id=options.ceremony_id,
            passkey=device.get(options.options, origin="https://evil.example"),
        )


def test_a_cloned_passkey_whose_counter_went_back_is_refused(svc: Siapkerja) -> None:
    from support.webauthn import SoftAuthenticator

    _with_passkeys(svc)
    account = _account(svc)
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    begun = svc.factors.passkey_registration_options(account.id)
    svc.factors.register_passkey(account.id, begun.ceremony_id, device.create(begun.options))
    with pytest.raises(FactorRequired) as required:
        svc.login(GALIH_NIK, PASSWORD)
    pending = required.value.pending
    options = svc.factors.passkey_sign_in_options(pending)
    device.counter = 10
    svc.factors.complete_login(
        pending, ceremony_id=options.ceremony_id, passkey=device.get(options.options)
    )
    device.counter = 5  # a clone of the device, behind the original
    options = svc.factors.passkey_sign_in_options(pending)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(
            pending, ceremony_id=options.ceremony_id, passkey=device.get(options.options)
        )
    [passkey] = svc.factors.list(account.id)
    removed = svc.factors.remove(account.id, passkey.id)
    assert removed.kind == "passkey"
    assert svc.login(GALIH_NIK, PASSWORD).id == account.id


def test_a_passkey_of_another_account_is_refused(svc: Siapkerja, clock: Clock) -> None:
    from support.webauthn import SoftAuthenticator

    _with_passkeys(svc)
    account = _account(svc)
    _enrol(svc, clock, account)
    stranger = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)  # never registered
    with pytest.raises(FactorRequired) as required:
        svc.login(GALIH_NIK, PASSWORD)
    options = svc.factors.passkey_sign_in_options(required.value.pending)
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(
            required.value.pending,
            ceremony_id=options.ceremony_id,
            passkey=stranger.get(options.options),
        )


def test_no_event_carries_a_secret_or_a_code(
    svc: Siapkerja, clock: Clock, recorder: Recorder
) -> None:
    account = _account(svc)
    secret = _enrol(svc, clock, account)
    codes = svc.factors.generate_recovery_codes(account.id).codes
    svc.login(GALIH_NIK, PASSWORD, factor_code=codes[0])
    svc.factors.reset(account.id, actor="cli:officer", reason="checked")
    names = {e.name for e in recorder.events}
    assert {"factor.enrolled", "recovery_codes.generated", "recovery_code.used"} <= names
    assert "factor.removed" in names
    text = repr(recorder.events)
    assert secret not in text
    assert all(code not in text and code.replace("-", "") not in text for code in codes)
    for event in recorder.events:
        if event.name.startswith(("factor.", "recovery_code")):
            assert event.account_id == account.id  # type: ignore[attr-defined]
            assert event.kind in {"totp", "passkey", "recovery_codes"}  # type: ignore[attr-defined]


@given(st.text(max_size=300))
def test_a_malformed_pending_token_is_refused_not_raised(text: str) -> None:
    from journey_support import build_service

    svc = _SHARED.get("svc") or _SHARED.setdefault("svc", build_service(Clock()))
    with pytest.raises(FactorFailed):
        svc.factors.complete_login(text, code="123456")


_SHARED: dict[str, Siapkerja] = {}
