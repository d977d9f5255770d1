"""Tests of the card status list: the IETF format, its signed JWT, and an offline station
that refuses revoked cards and stale lists.

The format is checked against the draft's own test vectors (draft-ietf-oauth-
status-list, appendix "Test vectors": 1-bit and 2-bit lists), and the JWT
against a decoder written here from the JWS rules (RFC 7515 compact form,
RFC 8037 EdDSA) with nothing but ``base64``, ``json`` and ``cryptography``:
no JOSE library is installed to compare with.
"""

from __future__ import annotations

import base64
import json
import random
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_core.i18n import timed
from siapkerja_core.station import OfflineStation
from siapkerja_core.tokens import Keyring, TokenError, mint_access
from siapkerja_core.tokens.status_list import (
    MIN_STATUS_LIST_SIZE,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    StatusList,
    StatusListError,
    sign_status_list,
    status_list_size,
    verify_status_list,
)

NOW = datetime(2026, 12, 6, 9, 0, 0, tzinfo=UTC)
RING = Keyring.generate(random.Random(5).randbytes, NOW - timedelta(days=1))
OTHER = Keyring.generate(random.Random(6).randbytes, NOW - timedelta(days=1))
URI = "https://siapkerja.example.go.id/status-lists/cards"
EVENT = "JOBFAIR-JAKARTA-2026"


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed(entries=(), size: int = MIN_STATUS_LIST_SIZE, iat: datetime = NOW, ttl: int = 900):
    return sign_status_list(RING, StatusList.build(size, entries), sub=URI, iat=iat, ttl=ttl)


# --- the format ----------------------------------------------------------------------

# draft-ietf-oauth-status-list, "Test vectors" (1 bit) and the 2-bit example.
ONE_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
TWO_BITS = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


@pytest.mark.parametrize(
    ("bits", "statuses", "data", "lst"),
    [
        (1, ONE_BIT, bytes([0xB9, 0xA3]), "eNrbuRgAAhcBXQ"),
        (2, TWO_BITS, bytes([0xC9, 0x44, 0xF9]), "eNo76fITAAPfAgc"),
    ],
)
def test_the_drafts_test_vectors(bits, statuses, data, lst):
    built = StatusList.build(len(statuses), enumerate(statuses), bits=bits)
    assert built.data == data
    assert built.to_claim() == {"bits": bits, "lst": lst}
    read = StatusList.from_claim({"bits": bits, "lst": lst})
    assert read.data == data
    assert [read.status(i) for i in range(len(statuses))] == statuses


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(0, 4095), st.integers(1, 3), max_size=64))
def test_build_encode_decode_round_trip(entries):
    built = StatusList.build(4096, entries.items())
    read = StatusList.from_claim(json.loads(json.dumps(built.to_claim())))
    assert read == built
    assert {i: read.status(i) for i in read.set_indexes()} == entries
    assert read.count(0) == 4096 - len(entries)


def test_the_list_is_zlib_deflate_in_base64url_without_padding():
    claim = StatusList.build(MIN_STATUS_LIST_SIZE, [(7, 1)]).to_claim()
    assert "=" not in claim["lst"]
    assert "+" not in claim["lst"]
    assert "/" not in claim["lst"]
    data = zlib.decompress(b64decode(claim["lst"]))
    assert len(data) == MIN_STATUS_LIST_SIZE * 2 // 8  # 32 KiB for 131,072 two-bit entries
    assert data[1] == 0b0100_0000  # entry 7: byte 1, bits 6-7 (least significant first)
    assert len(claim["lst"]) < 200  # mostly zeros: a few dozen bytes on the wire


def test_size_is_a_power_of_two_at_least_131072_and_twice_the_cards():
    assert status_list_size(0) == 131_072
    assert status_list_size(65_536) == 131_072
    assert status_list_size(65_537) == 262_144
    assert status_list_size(10, highest_index=300_000) == 524_288
    assert status_list_size(3_000_000) == 2**23


@pytest.mark.parametrize(
    "claim",
    [
        None,
        [],
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1},
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ=="},  # padding is not base64url-without-padding
        {"bits": 1, "lst": "!!!!"},
        {"bits": 1, "lst": "eNrbuRgAAhcB"},  # truncated deflate stream
        {"bits": 1, "lst": base64.urlsafe_b64encode(b"not zlib").decode().rstrip("=")},
    ],
)
def test_a_broken_status_list_claim_is_malformed(claim):
    with pytest.raises(StatusListError) as info:
        StatusList.from_claim(claim)
    assert info.value.code == "malformed"


def test_a_decompression_bomb_is_refused_not_inflated():
    bomb = zlib.compress(bytes(2**28 + 2**20), 9)  # 257 MiB of zeros: over 2**30 two-bit entries
    claim = {"bits": 2, "lst": base64.urlsafe_b64encode(bomb).decode().rstrip("=")}
    with pytest.raises(StatusListError):
        StatusList.from_claim(claim)


# --- the signed token ----------------------------------------------------------------


def test_the_token_is_a_compact_eddsa_jws_a_second_decoder_accepts():
    token = signed([(3, STATUS_INVALID), (9, STATUS_SUSPENDED)])
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64decode(header_b64))
    payload = json.loads(b64decode(payload_b64))
    assert header == {"alg": "EdDSA", "kid": RING.signing_access_key.kid, "typ": "statuslist+jwt"}
    assert payload["sub"] == URI
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == payload["iat"] + 900
    assert payload["ttl"] == 900
    assert payload["status_list"]["bits"] == 2
    # The signature is Ed25519 over the ASCII signing input, with the JWKS key.
    jwk = next(k for k in RING.public_jwks()["keys"] if k["kid"] == header["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"]))
    public.verify(b64decode(signature_b64), f"{header_b64}.{payload_b64}".encode())
    entries = zlib.decompress(b64decode(payload["status_list"]["lst"]))
    assert entries[0] == 0b0100_0000
    assert entries[2] == 0b0000_1000


def test_verify_reads_what_sign_wrote_with_public_keys_only():
    token = signed([(3, STATUS_INVALID)])
    read = verify_status_list(RING.public(), token, NOW + timedelta(minutes=5))
    assert (read.sub, read.iat, read.ttl, read.kid) == (URI, NOW, 900, RING.signing_access_key.kid)
    assert read.exp == NOW + timedelta(seconds=900)
    assert read.status_list.status(3) == STATUS_INVALID
    assert read.status_list.status(4) == 0
    assert read.status_list.size == MIN_STATUS_LIST_SIZE


def test_forged_expired_and_malformed_lists_are_told_apart():
    token = signed()
    header, payload, signature = token.split(".")

    def code(text: str, now: datetime = NOW, ring: Keyring = RING) -> str:
        with pytest.raises(StatusListError) as info:
            verify_status_list(ring, text, now)
        return info.value.code

    assert code(token, ring=OTHER) == "forged"
    assert code(token, ring=RING.retire(RING.signing_access_key.kid, NOW)) == "forged"
    other_claims = json.loads(b64decode(payload)) | {"exp": 4_000_000_000}
    other = base64.urlsafe_b64encode(json.dumps(other_claims).encode()).decode().rstrip("=")
    assert code(f"{header}.{other}.{signature}") == "forged"
    assert code(token, NOW + timedelta(seconds=900)) == "expired"
    assert code(token, NOW - timedelta(minutes=5)) == "expired"  # issued in the future
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"statuslist+jwt"}').decode()
    assert code(f"{none_header.rstrip('=')}.{payload}.") == "malformed"
    jwt_header = base64.urlsafe_b64encode(b'{"alg":"EdDSA","kid":"X","typ":"JWT"}').decode()
    assert code(f"{jwt_header.rstrip('=')}.{payload}.{signature}") == "malformed"
    for junk in ("", "a.b", "a.b.c.d", "ä.b.c", None, 42, "x" * (9 * 2**20)):
        assert code(junk) == "malformed"  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_altered_list_token_verifies(data):
    token = signed([(5, 1)])
    at = data.draw(st.integers(0, len(token) - 1))
    new = data.draw(st.sampled_from("AQgw-_.x0"))
    altered = token[:at] + new + token[at + 1 :]
    if altered == token:
        return
    with pytest.raises(StatusListError):
        verify_status_list(RING, altered, NOW)


def test_every_status_list_error_speaks_both_languages():
    for code, params in [
        ("malformed", {"reason": "typ"}),
        ("forged", {}),
        ("expired", {**timed("iat", NOW), **timed("exp", NOW + timedelta(minutes=15))}),
    ]:
        error = StatusListError(code, **params)
        assert error.full_code == f"status_list.{code}"
        assert error.message_id
        assert error.message_en
        assert error.message_id != error.message_en
        assert "T0" not in error.message_id + error.message_en  # no ISO moment for a person


def test_an_expired_status_list_says_its_dates_as_a_citizen_reads_them():
    error = StatusListError(
        "expired",
        **timed("iat", datetime(2026, 12, 6, 9, 0, tzinfo=UTC)),
        **timed("exp", datetime(2026, 12, 6, 9, 15, tzinfo=UTC)),
    )
    assert "diterbitkan 6 Desember 2026 pukul 16.00 WIB" in error.message_id
    assert "valid until 6 December 2026, 16.15 WIB" in error.message_en
    assert error.params["iat"] == "2026-12-06T09:00:00+00:00"  # machines keep ISO 8601


# --- an offline station --------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


ALICE, BUDI = (0x0A11CE0000000001, 77_001), (0x0B0D100000000002, 90_210)


def code_of(card: tuple[int, int], at: datetime) -> str:
    return mint_access(RING, card[0], EVENT, at, status_index=card[1])


def refusal(station: OfflineStation, token: str) -> str:
    with pytest.raises(TokenError) as info:
        station.scan(token)
    return info.value.code


def test_a_station_refuses_a_card_its_list_marks_and_admits_the_others():
    clock = Clock()
    station = OfflineStation(
        RING.public(), EVENT, "GATE-1", clock, status_list=signed([(ALICE[1], STATUS_INVALID)])
    )
    assert refusal(station, code_of(ALICE, clock.now)) == "revoked"
    assert station.scan(code_of(BUDI, clock.now)).card_ref == BUDI[0]
    assert station.status_fetched_at == NOW


def test_a_suspended_entry_is_refused_as_suspended():
    clock = Clock()
    station = OfflineStation(
        RING.public(), EVENT, "GATE-1", clock, status_list=signed([(BUDI[1], STATUS_SUSPENDED)])
    )
    assert refusal(station, code_of(BUDI, clock.now)) == "suspended"


def test_done_when_a_card_revoked_longer_ago_than_the_max_age_is_refused_offline():
    """The issue's promise: revoked online at R, refused offline at every gate after R + max age.

    The service signs a list on every change (here: at once) or at half its
    ttl; a station that refreshes within the max age therefore holds a list
    issued after R once R + max age has passed. A station that did not
    refresh refuses everyone instead of admitting on stale data.
    """
    clock = Clock()
    max_age = 900
    before = signed(iat=clock.now, ttl=max_age)  # Alice still valid
    fresh_gate = OfflineStation(RING.public(), EVENT, "GATE-1", clock, status_list=before)
    stale_gate = OfflineStation(RING.public(), EVENT, "GATE-2", clock, status_list=before)
    clock.advance(60)  # Alice's card is revoked online now (R)
    revoked_at = clock.now
    # The gate refreshes every half max age; the service signed each list it got
    # after the revocation, so each marks Alice.
    for _ in range(2):
        clock.advance(max_age // 2)
        fresh_gate.update_status_list(
            signed([(ALICE[1], STATUS_INVALID)], iat=clock.now, ttl=max_age)
        )
    clock.now = revoked_at + timedelta(seconds=max_age + 1)  # revoked longer ago than max age
    assert refusal(fresh_gate, code_of(ALICE, clock.now)) == "revoked"
    assert fresh_gate.scan(code_of(BUDI, clock.now)).card_ref == BUDI[0]
    # the gate that never refreshed admits no one: its list is older than its max age
    assert refusal(stale_gate, code_of(ALICE, clock.now)) == "status_stale"
    assert refusal(stale_gate, code_of(BUDI, clock.now)) == "status_stale"


def test_a_list_is_relied_on_until_its_iat_plus_max_age_and_not_a_second_more():
    clock = Clock()
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock, status_list=signed(ttl=600))
    clock.advance(599)
    assert station.scan(code_of(ALICE, clock.now))
    clock.advance(1)
    assert refusal(station, code_of(BUDI, clock.now)) == "status_stale"
    assert station.status_fresh_until() == NOW + timedelta(seconds=600)


def test_a_station_may_be_stricter_than_the_lists_ttl_never_laxer():
    clock = Clock()
    strict = OfflineStation(
        RING.public(), EVENT, "G", clock, status_list=signed(ttl=900), status_max_age=300
    )
    lax = OfflineStation(
        RING.public(), EVENT, "G", clock, status_list=signed(ttl=900), status_max_age=3600
    )
    clock.advance(301)
    assert refusal(strict, code_of(ALICE, clock.now)) == "status_stale"
    assert lax.scan(code_of(ALICE, clock.now))
    clock.advance(600)
    assert refusal(lax, code_of(BUDI, clock.now)) == "status_stale"


def test_a_required_list_that_is_missing_refuses_everyone_until_one_arrives():
    clock = Clock()
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock, require_status_list=True)
    assert refusal(station, code_of(ALICE, clock.now)) == "status_stale"
    station.update_status_list(signed())
    assert station.scan(code_of(ALICE, clock.now))


def test_without_a_list_a_station_works_as_before():
    clock = Clock()
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock)
    assert station.status_list is None
    assert station.status_fresh_until() is None
    assert station.scan(code_of(ALICE, clock.now))


def test_a_card_beyond_the_held_list_cannot_be_vouched_for():
    clock = Clock()
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock, status_list=signed())
    newer = (0xC17A000000000003, MIN_STATUS_LIST_SIZE + 5)  # the list grew since it was fetched
    assert refusal(station, code_of(newer, clock.now)) == "status_stale"


def test_a_forged_or_older_list_is_refused_and_the_held_one_kept():
    clock = Clock()
    current = signed([(ALICE[1], STATUS_INVALID)])
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock, status_list=current)
    forged = sign_status_list(
        OTHER, StatusList.build(MIN_STATUS_LIST_SIZE, []), sub=URI, iat=NOW, ttl=900
    )
    with pytest.raises(StatusListError) as info:
        station.update_status_list(forged)
    assert info.value.code == "forged"
    older = signed(iat=NOW - timedelta(seconds=60))  # a replayed list from before the revocation
    with pytest.raises(StatusListError) as info:
        station.update_status_list(older)
    assert info.value.code == "expired"
    assert station.status_list is not None
    assert station.status_list.token == current
    assert refusal(station, code_of(ALICE, clock.now)) == "revoked"


def test_a_forged_code_is_forged_even_at_a_stale_station():
    clock = Clock()
    station = OfflineStation(RING.public(), EVENT, "GATE-1", clock, require_status_list=True)
    foreign = mint_access(OTHER, ALICE[0], EVENT, clock.now, status_index=ALICE[1])
    assert refusal(station, foreign) == "forged"
