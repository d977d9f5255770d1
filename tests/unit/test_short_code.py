"""The typed short access code (:mod:`siapkerja_core.tokens.short_code`).

Round trip for any card, purpose and moment; the previous period accepted and
no other; a wrong card, purpose, key or period refused; a retired key's codes
dead; the construction pinned to its documented formula (RFC 4226 dynamic
truncation of HMAC-SHA-256 under an HKDF key); the comparison constant-time;
and the typed forms read leniently, an ``A-…`` code never taken for one.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.tokens import (
    Keyring,
    TokenError,
    check_short_code,
    format_short_code,
    make_short_code,
    mint_access,
    purpose_tag,
    split_short_code,
)
from siapkerja_core.tokens import short_code as module

NOW = datetime(2026, 12, 7, 2, 15, 5, tzinfo=UTC)
RING = Keyring.generate(random.Random(1).randbytes, NOW - timedelta(days=30))
OTHER_RING = Keyring.generate(random.Random(2).randbytes, NOW - timedelta(days=30))

relaxed = settings(deadline=None, max_examples=200)
card_refs = st.integers(0, 2**64 - 1)
purposes = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=64)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)


@relaxed
@given(card=card_refs, purpose=purposes, now=moments, period=st.sampled_from([30, 60, 90]))
def test_round_trip_this_and_the_previous_period_only(
    card: int, purpose: str, now: datetime, period: int
) -> None:
    code = make_short_code(RING, card, purpose, now, period)
    assert len(code) == 8
    assert code.isdigit()
    step = int(now.timestamp()) // period
    match = check_short_code(RING, card, purpose, code, now, period)
    assert match is not None
    assert match.step == step
    assert match.kid == RING.signing_access_key.kid  # type: ignore[union-attr]
    later = now + timedelta(seconds=period)
    assert check_short_code(RING, card, purpose, code, later, period) is not None
    # Two periods on (or before it was made): dead. A collision of 8 digits
    # across steps is possible (1 in 10**8); the assertion allows exactly that.
    for when in (now + timedelta(seconds=2 * period), now - timedelta(seconds=period)):
        other = check_short_code(RING, card, purpose, code, when, period)
        assert other is None or other.step != step


@relaxed
@given(card=card_refs, other=card_refs, purpose=purposes, wrong=purposes)
def test_wrong_card_purpose_or_key_is_refused(
    card: int, other: int, purpose: str, wrong: str
) -> None:
    code = make_short_code(RING, card, purpose, NOW)
    if other != card:
        expected = make_short_code(RING, other, purpose, NOW)
        assert (check_short_code(RING, other, purpose, code, NOW) is None) or expected == code
    if purpose_tag(wrong) != purpose_tag(purpose):
        expected = make_short_code(RING, card, wrong, NOW)
        assert (check_short_code(RING, card, wrong, code, NOW) is None) or expected == code
    foreign = make_short_code(OTHER_RING, card, purpose, NOW)
    assert (check_short_code(RING, card, purpose, foreign, NOW) is None) or foreign == code


def test_known_codes_are_refused_for_other_cards_events_and_periods() -> None:
    code = make_short_code(RING, 42, "JOBFAIR-JKT-2026", NOW)
    assert check_short_code(RING, 42, "JOBFAIR-JKT-2026", code, NOW) is not None
    assert check_short_code(RING, 43, "JOBFAIR-JKT-2026", code, NOW) is None
    assert check_short_code(RING, 42, "TALENT-FEST", code, NOW) is None
    assert check_short_code(RING, 42, "JOBFAIR-JKT-2026", code, NOW + timedelta(minutes=1)) is None
    assert check_short_code(OTHER_RING, 42, "JOBFAIR-JKT-2026", code, NOW) is None
    assert check_short_code(RING, 42, "JOBFAIR-JKT-2026", "1234567", NOW) is None
    assert check_short_code(RING, 42, "JOBFAIR-JKT-2026", "１２３４５６７８", NOW) is None


def test_the_construction_is_the_documented_one() -> None:
    """HKDF(seed, salt, info + kid) → HMAC-SHA-256 → RFC 4226 dynamic truncation."""
    signer = RING.signing_access_key
    assert signer is not None
    assert signer.private_key is not None
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"siapkerja.short-code",
        info=b"siapkerja.short-access-code.v1\x00" + signer.kid.encode(),
    ).derive(signer.private_key)
    step = int(NOW.timestamp()) // 30
    message = (
        b"siapkerja.short\x00"
        + (42).to_bytes(8, "big")
        + purpose_tag("JOBFAIR-JKT-2026").encode()
        + step.to_bytes(8, "big")
    )
    mac = hmac.new(key, message, hashlib.sha256).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    assert make_short_code(RING, 42, "JOBFAIR-JKT-2026", NOW) == f"{value % 10**8:08d}"


def test_a_retired_key_kills_its_codes_and_a_rotated_one_still_checks() -> None:
    code = make_short_code(RING, 7, "E", NOW)
    rotated = RING.rotate(random.Random(3).randbytes, NOW)
    assert check_short_code(rotated, 7, "E", code, NOW) is not None  # minted before rotation
    new_kid = rotated.signing_access_key.kid  # type: ignore[union-attr]
    fresh = make_short_code(rotated, 7, "E", NOW)  # the new key mints
    assert check_short_code(rotated, 7, "E", fresh, NOW) == module.ShortCodeMatch(
        int(NOW.timestamp()) // 30, new_kid
    )
    old_kid = RING.signing_access_key.kid  # type: ignore[union-attr]
    retired = rotated.retire(old_kid, NOW)
    assert check_short_code(retired, 7, "E", code, NOW) is None


def test_a_public_keyring_cannot_make_or_check() -> None:
    public = RING.public()
    with pytest.raises(TokenError) as refused:
        make_short_code(public, 1, "E", NOW)
    assert refused.value.code == "no_key"
    code = make_short_code(RING, 1, "E", NOW)
    assert check_short_code(public, 1, "E", code, NOW) is None


def test_every_candidate_is_compared_in_constant_time() -> None:
    code = make_short_code(RING, 9, "E", NOW)
    with mock.patch.object(module.hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        assert check_short_code(RING, 9, "E", code, NOW) is not None
    # Two steps per active key, all compared, even after the first matched.
    assert compare.call_count == 2 * len([k for k in RING.access_keys if not k.retired])
    with mock.patch.object(module.hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        check_short_code(RING, 9, "E", "00000000", NOW)
    assert compare.call_count == 2 * len([k for k in RING.access_keys if not k.retired])


def test_typed_forms() -> None:
    assert split_short_code("SK-7KQ4-M2XD-9P7 1234 5678") == ("7KQ4M2XD9P7", "12345678")
    assert split_short_code("7kq4m2xd9p7 12345678") == ("7KQ4M2XD9P7", "12345678")
    assert split_short_code(" sk 7kq4-m2xd-9p7\t1234-5678 ") == ("7KQ4M2XD9P7", "12345678")
    assert split_short_code("SK-7KQ4-M2XD-9P7 1234 567") is None  # seven digits
    assert split_short_code("SK-7KQ4-M2XD-9P7 1234 567X") is None
    assert split_short_code("12345678") is None  # digits alone name no card
    assert split_short_code("") is None
    token = mint_access(RING, 5, "E", NOW, status_index=3)
    assert split_short_code(token) is None
    assert format_short_code("12345678") == "1234 5678"


def test_inputs_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="card_ref"):
        make_short_code(RING, -1, "E", NOW)
    with pytest.raises(ValueError, match="card_ref"):
        check_short_code(RING, 2**64, "E", "12345678", NOW)
    with pytest.raises(ValueError, match="timezone"):
        make_short_code(RING, 1, "E", NOW.replace(tzinfo=None))
