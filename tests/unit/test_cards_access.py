"""Access mode: short-lived, purpose-bound codes and the first check-in per (card, event)."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from journey_support import Clock
from test_cards_support import EVENT, build, card_record, holder, personal_strings

from siapkerja_core.errors import CardError, ConfigurationError
from siapkerja_core.gates import GateError
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from siapkerja_core.views import mask_name
from support.gates import check_in, open_events


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


def code(svc: Siapkerja, account_id: str, purpose: str = EVENT) -> str:
    open_events(svc, purpose)
    return svc.card_qr(account_id, mode="access", purpose=purpose).token


def refusal(svc: Siapkerja, token: str, event_id: str = EVENT) -> TokenError | GateError:
    with pytest.raises((TokenError, GateError)) as info:
        check_in(svc, token, event_id)
    assert isinstance(info.value, TokenError | GateError)
    return info.value


def test_an_access_code_is_bound_to_a_purpose_and_a_time_step(svc: Siapkerja, clock: Clock) -> None:
    account, card = holder(svc)
    open_events(svc, EVENT)
    clock.advance(seconds=7)
    qr = svc.card_qr(account.id, mode="access", purpose=EVENT)
    assert qr.mode == "access"
    assert qr.url is None
    assert qr.purpose == EVENT
    assert qr.token.startswith("A-")
    assert qr.expires_at == clock.now() - timedelta(seconds=7) + timedelta(seconds=30)
    text = qr.token.upper()
    compact = card.siapkerja_id.replace("-", "")
    for value in [*personal_strings(account), EVENT, card.siapkerja_id, compact]:
        assert value.upper() not in text, value
    assert qr.qr.version >= 1


def test_a_purpose_is_required(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    for purpose in (None, ""):
        with pytest.raises(CardError) as info:
            svc.card_qr(account.id, mode="access", purpose=purpose)
        assert info.value.full_code == "card.purpose_required"


def test_check_in_records_once(svc: Siapkerja, clock: Clock) -> None:
    account, card = holder(svc)
    clock.advance(seconds=3)
    receipt = check_in(svc, code(svc, account.id), EVENT)
    assert receipt.masked_name == mask_name(account.full_name) != account.full_name
    assert account.full_name not in repr(receipt)  # never the full name nor the number
    assert card.siapkerja_id not in repr(receipt)
    record = receipt.check_in
    assert record.event_id == EVENT
    assert record.station_id == "gate-1"
    assert record.checked_in_at == clock.now()
    assert record.card_ref == card_record(svc, account.id).card_ref
    with svc.storage.transaction() as tx:
        assert tx.check_ins.for_event(EVENT) == [record]


def test_a_replay_is_refused_with_the_first_time(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    token = code(svc, account.id)
    clock.advance(seconds=4)
    first = check_in(svc, token, EVENT).check_in.checked_in_at
    clock.advance(seconds=5)
    error = refusal(svc, token)  # the same code again
    assert error.code == "already_inside"
    since = first.astimezone(timezone(timedelta(hours=7))).strftime("%H.%M WIB")
    assert error.params["since"] == since
    clock.advance(minutes=10)
    error = refusal(svc, code(svc, account.id))  # a fresh code of the same card
    assert error.code == "already_inside"
    assert error.params["since"] == since
    assert since in error.message("en")
    with svc.storage.transaction() as tx:
        assert len(tx.check_ins.for_event(EVENT)) == 1
    assert [e.channel for e in svc.access_log(account.id)] == ["access"]  # refusals unlogged


def test_a_code_expires_after_two_periods(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    token = code(svc, account.id)
    clock.advance(seconds=60)
    assert refusal(svc, token).code == "expired"
    fresh = code(svc, account.id)
    assert check_in(svc, fresh, EVENT).check_in.checked_in_at == clock.now()


def test_a_code_from_the_future_is_expired_too(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    clock.advance(seconds=90)
    future = code(svc, account.id)
    clock.advance(seconds=-90)
    assert refusal(svc, future).code == "expired"


def test_the_access_period_is_a_setting(clock: Clock) -> None:
    svc = build(clock, access_period="10")
    account, _ = holder(svc)
    open_events(svc, EVENT)
    qr = svc.card_qr(account.id, mode="access", purpose=EVENT)
    assert qr.expires_at == clock.now() + timedelta(seconds=10)
    clock.advance(seconds=20)
    assert refusal(svc, qr.token).code == "expired"
    bad = build(clock, access_period="5")
    with pytest.raises(ConfigurationError):
        bad.card_qr("anyone", mode="access", purpose=EVENT)


def test_a_code_for_another_event_is_the_wrong_event(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    assert refusal(svc, code(svc, account.id), "pelatihan-blk-2026").code == "wrong_event"
    assert refusal(svc, code(svc, account.id, "pelatihan-blk-2026")).code == "wrong_event"
    check_in(svc, code(svc, account.id), EVENT)  # the right event still works


def test_one_card_checks_in_once_per_event(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    check_in(svc, code(svc, account.id), EVENT)
    check_in(svc, code(svc, account.id, "kelas-blk-7"), "kelas-blk-7")
    clock.advance(seconds=2)
    check_in(svc, code(svc, other.id), EVENT)
    with svc.storage.transaction() as tx:
        assert len(tx.check_ins.for_event(EVENT)) == 2
        assert len(tx.check_ins.for_event("kelas-blk-7")) == 1


def test_forged_and_malformed_codes_are_refused(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    token = code(svc, account.id)
    flipped = token[:10] + ("1" if token[10] != "1" else "2") + token[11:]
    assert refusal(svc, flipped).code == "forged"
    assert refusal(svc, token[:-5]).code == "malformed"
    assert refusal(svc, "bukan kode").code == "malformed"
    assert refusal(svc, token[:2] + "ZZZZ" + token[6:]).code in {"forged", "malformed"}


def test_access_codes_survive_a_key_rotation_until_retired(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    other, _ = holder(svc, 1)
    old = code(svc, account.id)
    old_other = code(svc, other.id)
    ring = svc.rotate_keys()
    assert code(svc, account.id)[2:6] == ring.signing_access_key.kid  # type: ignore[union-attr]
    check_in(svc, old, EVENT)
    svc.retire_key(old_other[2:6])
    assert refusal(svc, old_other).code == "forged"
