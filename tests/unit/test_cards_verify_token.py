"""``Siapkerja.verify_token``: every check of a scan or a check-in, and nothing recorded."""

from __future__ import annotations

import pytest
from journey_support import Clock, Recorder
from test_cards_support import EVENT, build, holder

from siapkerja_core import CardError
from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import AccessClaims, LinkClaims, TokenError
from support.gates import check_in, open_events


@pytest.fixture
def svc(clock: Clock, recorder: Recorder) -> Siapkerja:
    return build(clock, recorder)


def refusal(svc: Siapkerja, token: str, purpose: str | None = None) -> str:
    with pytest.raises(TokenError) as info:
        svc.verify_token(token, purpose=purpose)
    return info.value.code


def test_a_link_token_or_its_url_gives_its_claims_and_records_nothing(
    svc: Siapkerja, recorder: Recorder
) -> None:
    account, _ = holder(svc)
    qr = svc.card_qr(account.id)
    heard = len(recorder.events)
    claims = svc.verify_token(qr.token)
    assert isinstance(claims, LinkClaims)
    assert claims.version == 1
    assert claims.kid == svc.cards.keyring().signing_link_key.kid  # type: ignore[union-attr]
    assert svc.verify_token(qr.url or "") == claims
    assert svc.access_log(account.id) == []  # an operator's check is not a scan
    assert len(recorder.events) == heard  # no CardScanned either


def test_a_link_token_is_refused_as_a_scan_would_refuse_it(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    token = svc.card_qr(account.id).token
    at = len(token) - 5  # a symbol of the signature
    forged = token[:at] + ("0" if token[at] != "0" else "1") + token[at + 1 :]
    assert refusal(svc, forged) == "forged"
    assert refusal(svc, "bukan-token") == "malformed"
    svc.rotate_card(account.id)
    assert refusal(svc, token) == "revoked"  # an older version
    fresh = svc.card_qr(account.id).token
    svc.revoke_card(account.id)
    assert refusal(svc, fresh) == "revoked"  # a revoked card


def test_an_access_code_is_checked_without_a_check_in(svc: Siapkerja, clock: Clock) -> None:
    account, _ = holder(svc)
    open_events(svc, EVENT)
    code = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    claims = svc.verify_token(code, purpose=EVENT)
    assert isinstance(claims, AccessClaims)
    assert svc.verify_token(code, purpose=EVENT) == claims  # checking twice is no replay
    assert svc.access_log(account.id) == []
    assert check_in(svc, code, EVENT).check_in.event_id == EVENT
    assert refusal(svc, code, purpose="lain") == "wrong_purpose"
    clock.advance(seconds=120)
    assert refusal(svc, code, purpose=EVENT) == "expired"


def test_an_access_code_needs_its_event_after_its_signature(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    open_events(svc, EVENT)
    code = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    with pytest.raises(CardError) as info:
        svc.verify_token(code)
    assert info.value.code == "purpose_required"
    # A symbol inside the signature (its last ones carry padding bits that must be zero).
    at = len(code) - 20
    forged = code[:at] + ("0" if code[at] != "0" else "1") + code[at + 1 :]
    assert refusal(svc, forged) == "forged"  # a forged code says so first


def test_an_access_code_of_a_revoked_card_is_revoked(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    open_events(svc, EVENT)
    code = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    svc.revoke_card(account.id)
    assert refusal(svc, code, purpose=EVENT) == "revoked"


def test_a_retired_key_is_refused(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    qr = svc.card_qr(account.id)
    kid = svc.cards.keyring().signing_link_key.kid  # type: ignore[union-attr]
    svc.rotate_keys()
    assert isinstance(svc.verify_token(qr.token), LinkClaims)  # older keys keep verifying
    svc.retire_key(kid)
    assert refusal(svc, qr.token) == "forged"


def test_a_check_makes_no_keys(clock: Clock) -> None:
    svc = build(clock)
    assert refusal(svc, "L-0000-0000000000000-1-0000") == "forged"  # no keys: nothing is genuine
    with svc.storage.transaction() as tx:
        assert tx.keyring.get() is None
