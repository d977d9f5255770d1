"""Link mode: URLs under the configured base, opaque tokens, rotation, revocation, keys."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from journey_support import Clock
from test_cards_support import (
    BASE_URL,
    EVENT,
    build,
    holder,
    personal_strings,
)

from siapkerja_core.gates import GateError
from siapkerja_core.service import DEFAULT_CARD_BASE_URL, Siapkerja
from siapkerja_core.tokens import ALPHABET, TokenError
from support.gates import check_in, open_events


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


def refused(svc: Siapkerja, token: str) -> str:
    with pytest.raises(TokenError) as info:
        svc.resolve(token)
    return info.value.code


def test_the_url_is_under_the_configured_base(svc: Siapkerja) -> None:
    account, card = holder(svc)
    qr = svc.card_qr(account.id)
    assert qr.mode == "link"
    assert qr.url is not None
    assert qr.url.startswith(BASE_URL)
    assert qr.url == BASE_URL + qr.token
    assert qr.version == 1
    assert card.qr_text == qr.url


def test_the_default_base_is_the_development_server(clock: Clock) -> None:
    svc = build(clock, card_base_url=DEFAULT_CARD_BASE_URL)
    account, _ = holder(svc)
    url = svc.card_qr(account.id).url
    assert url is not None
    assert url.startswith(DEFAULT_CARD_BASE_URL)
    assert svc.resolve(url).siapkerja_id == svc.card(account.id).siapkerja_id


def test_a_base_url_without_a_slash_gets_one(clock: Clock) -> None:
    svc = build(clock, card_base_url="https://kartu.example.id/p")
    account, _ = holder(svc)
    qr = svc.card_qr(account.id)
    assert qr.url == "https://kartu.example.id/p/" + qr.token
    assert svc.resolve(qr.url).full_name == account.full_name  # type: ignore[arg-type]


def test_the_token_carries_no_personal_data(svc: Siapkerja) -> None:
    account, card = holder(svc)
    token = svc.card_qr(account.id).token
    compact = card.siapkerja_id.replace("-", "")
    forbidden = [*personal_strings(account), card.siapkerja_id, compact, compact[2:]]
    forbidden += [part for part in account.full_name.upper().split() if len(part) >= 3]
    upper = token.upper()
    for value in forbidden:
        assert value.upper() not in upper, value
    assert token.startswith("L-")
    assert set(token) <= set(ALPHABET) | {"L", "-"}


def test_resolve_by_url_and_by_token(svc: Siapkerja) -> None:
    account, card = holder(svc)
    qr = svc.card_qr(account.id)
    assert qr.url is not None
    by_url = svc.resolve(qr.url)
    by_token = svc.resolve(qr.token)
    assert by_url.siapkerja_id == by_token.siapkerja_id == card.siapkerja_id
    assert by_url.full_name == account.full_name
    assert by_url.card_active
    assert svc.resolve(qr.token.lower()).siapkerja_id == card.siapkerja_id  # case-insensitive
    assert svc.resolve(f"  {qr.url}\n").siapkerja_id == card.siapkerja_id


def test_a_url_under_another_base_is_malformed(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    token = svc.card_qr(account.id).token
    assert refused(svc, "https://evil.example.com/v/" + token) == "malformed"


@pytest.mark.parametrize("change", ["rotate", "reissue"])
def test_old_tokens_are_revoked_after_rotation_or_reissue(svc: Siapkerja, change: str) -> None:
    account, _ = holder(svc)
    old = svc.card_qr(account.id)
    if change == "rotate":
        svc.rotate_card(account.id)
    else:
        svc.issue_card(account.id)
    new = svc.card_qr(account.id)
    assert new.token != old.token
    assert refused(svc, old.token) == "revoked"
    assert refused(svc, old.url or "") == "revoked"
    assert svc.resolve(new.token).full_name == account.full_name
    svc.rotate_card(account.id)
    assert refused(svc, new.token) == "revoked"
    assert refused(svc, old.token) == "revoked"


def test_a_revoked_card_answers_no_token(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    first = svc.card_qr(account.id).token
    svc.rotate_card(account.id)
    current = svc.card_qr(account.id).token
    open_events(svc, EVENT)
    access = svc.card_qr(account.id, mode="access", purpose=EVENT).token
    svc.revoke_card(account.id)
    assert refused(svc, first) == "revoked"
    assert refused(svc, current) == "revoked"
    with pytest.raises(GateError) as info:
        check_in(svc, access, EVENT)
    assert info.value.code == "revoked"
    svc.issue_card(account.id)  # issued again: a new version, the old tokens stay dead
    assert refused(svc, current) == "revoked"
    assert svc.resolve(svc.card_qr(account.id).token).card_active


def _flip(symbol: str) -> str:
    return "1" if symbol != "1" else "2"


def test_forged_and_mutated_tokens_are_refused(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    token = svc.card_qr(account.id).token
    variants = [
        token[:-1] + _flip(token[-1]),  # signature
        token[:10] + _flip(token[10]) + token[11:],  # card reference
        token[:2] + "ZZZZ" + token[6:],  # key id
        token.replace("-1-", "-2-", 1),  # version
        token[:-1],  # truncated
        token + "0",
        "L-" + token[2:].replace("-", "", 1),
        "hello",
        "",
        token.replace("0", "O"),
        "L-ÄBCD" + token[6:],
    ]
    for variant in variants:
        if variant == token:
            continue
        assert refused(svc, variant) in {"forged", "malformed"}, variant
    assert refused(svc, token[:-1] + _flip(token[-1])) == "forged"
    assert refused(svc, token[:10] + _flip(token[10]) + token[11:]) == "forged"


def test_an_access_code_is_the_wrong_mode_for_resolve(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    open_events(svc, EVENT)
    access = svc.card_qr(account.id, mode="access", purpose=EVENT)
    assert refused(svc, access.token) == "wrong_mode"
    link = svc.card_qr(account.id).token
    with pytest.raises(TokenError) as info:
        check_in(svc, link, EVENT)
    assert info.value.code == "wrong_mode"


def test_rotate_keys_keeps_old_tokens_and_signs_with_the_new_key(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    old = svc.card_qr(account.id).token
    old_kid = old[2:6]
    ring = svc.rotate_keys()
    new_kid = ring.signing_link_key.kid  # type: ignore[union-attr]
    assert new_kid != old_kid
    new = svc.card_qr(account.id).token
    assert new[2:6] == new_kid
    assert svc.resolve(old).full_name == account.full_name  # still verifies
    assert svc.resolve(new).full_name == account.full_name
    assert svc.card(account.id).qr_text.endswith(new)


def test_retiring_the_link_key_forges_its_tokens(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    old = svc.card_qr(account.id).token
    old_kid = old[2:6]
    svc.rotate_keys()
    ring = svc.retire_key(old_kid)
    assert old_kid not in {k.kid for k in ring.link_keys if not k.retired}
    assert refused(svc, old) == "forged"
    fresh = svc.card_qr(account.id)
    assert fresh.token[2:6] != old_kid
    assert svc.resolve(fresh.token).full_name == account.full_name


def test_retiring_the_signing_link_key_forges_its_tokens(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    old = svc.card_qr(account.id).token
    svc.retire_key(old[2:6])
    assert refused(svc, old) == "forged"
    fresh = svc.card_qr(account.id)  # the service goes on with a new key
    assert fresh.token[2:6] != old[2:6]
    assert svc.resolve(fresh.token).full_name == account.full_name


def _within(seconds: float, call: Callable[[], object]) -> list[object]:
    """``call()``'s result or exception, failing the test if it has not returned in time."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # reported to the caller
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), "the call hung (deadlock)"
    return outcome


def test_a_second_service_on_the_same_storage_can_retire_a_key(svc: Siapkerja) -> None:
    # An operator's process (a fresh facade over the shared storage) retires a
    # leaked key before doing anything else.
    account, _ = holder(svc)
    old = svc.card_qr(account.id).token
    svc.rotate_keys()
    operator = Siapkerja(settings=svc.settings, plugins=svc.plugins, adapters=svc.adapters)
    (ring,) = _within(2, lambda: operator.retire_key(old[2:6]))
    assert not isinstance(ring, Exception), ring
    assert refused(operator, old) == "forged"


def test_retiring_an_unknown_key_on_a_fresh_service_fails_fast(clock: Clock) -> None:
    # No keyring is stored yet: expected a prompt typed refusal, not a hang.
    (outcome,) = _within(2, lambda: build(clock).retire_key("ZZZZ"))
    assert isinstance(outcome, TokenError), outcome
    assert outcome.full_code == "token.unknown_key"
    assert outcome.params["kid"] == "ZZZZ"
