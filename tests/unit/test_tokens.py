"""Tests of siapkerja_core.tokens: link and access tokens, the keyring, errors, QR size.

The central property: no altered token verifies. Every single-character
change (bit flip, insertion, deletion, replacement — ASCII or not) of a valid
link or access token is refused with ``malformed`` or ``forged`` and never
with anything but a ``TokenError``. Changes of letter case alone are the one
exception by design: reading is case-insensitive.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_encode

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.tokens import (
    ACCESS_ALGORITHM,
    ACCESS_SALT,
    ALPHABET,
    LINK_ALGORITHM,
    MAX_STATUS_INDEX,
    MAX_VERSION,
    MODE_ALPHANUMERIC,
    MODE_BYTE,
    AccessClaims,
    Ed25519Algorithm,
    Ed25519Key,
    HmacKey,
    Keyring,
    LinkClaims,
    TokenError,
    TruncatedHMACAlgorithm,
    check_link_version,
    link_signer,
    link_token_from_url,
    link_url,
    mint_access,
    mint_link,
    purpose_tag,
    qr_segments,
    verify_access,
    verify_link,
)

NOW = datetime(2026, 11, 27, 9, 0, 10, tzinfo=UTC)
EVENT = "JOBFAIR-JAKARTA-2026"
CARD = 0x1F2E3D4C5B6A7988
BASE_URL = "https://siapkerja.go.id/kartu/"  # exactly 30 characters
MAX_CARD = 2**64 - 1

relaxed = settings(deadline=None, max_examples=300)
card_refs = st.integers(0, MAX_CARD)
versions = st.integers(0, MAX_VERSION)

LINK_PATTERN = re.compile(r"L-[0-9A-Z]{4}-[0-9A-Z]{13}-[0-9A-Z]{1,7}-[0-9A-Z]{32}")
# A-, kid, card, purpose tag, low 20 bits of the step, status index, signature: no separators.
ACCESS_PATTERN = re.compile(
    r"A-[0-9A-Z]{4}[0-9A-Z]{13}[0-9A-Z]{8}[0-9A-Z]{4}[0-9A-Z]{1,6}[0-9A-Z]{103}"
)
INDEX = 0x1_2345  # a status index of a list of 131,072 entries: 4 symbols


def seeded(seed: int):
    """A deterministic stand-in for ``secrets.token_bytes``."""
    return random.Random(seed).randbytes


RING = Keyring.generate(seeded(1), NOW - timedelta(days=30))
OTHER_RING = Keyring.generate(seeded(2), NOW - timedelta(days=30))


def link_token(card_ref: int = CARD, version: int = 3, ring: Keyring = RING) -> str:
    return mint_link(ring, card_ref, version)


def access_token(
    card_ref: int = CARD, ring: Keyring = RING, now: datetime = NOW, index: int = INDEX
) -> str:
    return mint_access(ring, card_ref, EVENT, now, status_index=index)


def access_fields(token: str) -> tuple[str, str, str, str, str, str]:
    """kid, card, tag, step (low 20 bits), status index, signature."""
    return token[2:6], token[6:19], token[19:27], token[27:31], token[31:-103], token[-103:]


def crockford(text: str) -> int:
    value = 0
    for symbol in text:
        value = value * 32 + ALPHABET.index(symbol)
    return value


def step_symbols(value: int) -> str:
    """``value`` as a Crockford numeral without leading zeros (written independently)."""
    text = ""
    while True:
        value, digit = divmod(value, 32)
        text = ALPHABET[digit] + text
        if not value:
            return text


def refused(call, *args) -> TokenError:
    with pytest.raises(TokenError) as info:
        call(*args)
    return info.value


# --- link tokens -------------------------------------------------------------------


@relaxed
@given(card_refs, versions)
def test_link_round_trip(card_ref, version):
    token = mint_link(RING, card_ref, version)
    assert LINK_PATTERN.fullmatch(token)
    assert len(token) == 54 + len(token.split("-")[3])
    claims = verify_link(RING, token)
    assert claims == LinkClaims(card_ref, version, RING.signing_link_key.kid)
    assert verify_link(RING, token.lower()) == claims  # case-insensitive


def test_link_layout_field_by_field():
    token = link_token(CARD, 3)
    mode, kid, card, version, signature = token.split("-")
    assert (mode, kid, version) == ("L", RING.signing_link_key.kid, "3")
    assert len(card) == 13
    assert crockford(card) == CARD
    assert len(signature) == 32  # 160 bits
    assert len(token) == 55
    assert len(link_token(MAX_CARD, MAX_VERSION)) == 61


def test_link_is_deterministic_and_card_bound():
    assert link_token() == link_token()
    assert link_token(CARD, 3) != link_token(CARD, 4) != link_token(CARD + 1, 4)


def test_link_signature_is_itsdangerous_compatible():
    """The signature is what an itsdangerous Signer with the same settings produces."""
    token = link_token()
    body, encoded = token.rsplit("-", 1)
    signature = crockford(encoded).to_bytes(20, "big")
    signer = link_signer(RING.signing_link_key.secret)
    assert signer.get_signature(body) == base64_encode(signature)
    assert signer.verify_signature(body.encode(), base64_encode(signature))
    assert signer.derive_key() == RING.signing_link_key._derived
    assert (signer.salt, signer.key_derivation) == (b"siapkerja.link", "hmac")


@relaxed
@given(st.binary(min_size=0, max_size=200), st.binary(max_size=300))
def test_truncated_hmac_is_hmac_sha256_cut_to_160_bits(key, value):
    expected = hmac.new(key, value, hashlib.sha256).digest()[:20]
    assert LINK_ALGORITHM.get_signature(key, value) == expected
    assert LINK_ALGORITHM.verify_signature(key, value, expected)
    assert not LINK_ALGORITHM.verify_signature(key, value + b"x", expected)


def test_truncated_hmac_other_sizes_and_cache_bound():
    algorithm = TruncatedHMACAlgorithm(hashlib.sha1, 10)
    for index in range(300):  # more keys than the cache holds
        key = index.to_bytes(2, "big") * 16
        assert algorithm.get_signature(key, b"v") == hmac.new(key, b"v", "sha1").digest()[:10]
    assert len(algorithm._pads) <= 256


def test_check_link_version_revokes_old_versions_and_revoked_cards():
    claims = verify_link(RING, link_token(CARD, 3))
    assert check_link_version(claims, 3) is claims
    assert refused(check_link_version, claims, 4).code == "revoked"  # re-issued: bumped
    assert refused(check_link_version, claims, 2).code == "revoked"
    assert refused(check_link_version, claims, None).code == "revoked"  # card revoked


@pytest.mark.parametrize(
    ("card_ref", "version"),
    [(-1, 0), (2**64, 0), (0, -1), (0, MAX_VERSION + 1), (True, 0), (0, 1.0), ("1", 0)],
)
def test_mint_link_refuses_out_of_range_values(card_ref, version):
    with pytest.raises(ValueError):
        mint_link(RING, card_ref, version)


def test_link_url_and_back():
    token = link_token()
    assert link_url(BASE_URL, token) == BASE_URL + token
    assert link_url("https://x.id/v", token) == f"https://x.id/v/{token}"
    assert link_url("https://x.id/v?t=", token) == f"https://x.id/v?t={token}"
    url = link_url(BASE_URL, token)
    assert link_token_from_url(BASE_URL, url) == token
    assert link_token_from_url(BASE_URL, "HTTPS://SIAPKERJA.GO.ID/kartu/" + token) == token
    for other in ("https://evil.example/kartu/" + token, BASE_URL.upper() + token, BASE_URL):
        assert refused(link_token_from_url, BASE_URL, other).code == "malformed"


# --- access tokens -----------------------------------------------------------------


status_indexes = st.integers(0, MAX_STATUS_INDEX)


@relaxed
@given(card_refs, st.text(max_size=40), st.integers(0, 2**34), status_indexes)
def test_access_round_trip_with_a_public_keyring(card_ref, purpose, seconds, index):
    now = datetime.fromtimestamp(seconds, UTC)
    token = mint_access(RING, card_ref, purpose, now, status_index=index)
    assert ACCESS_PATTERN.fullmatch(token)
    assert len(token) == 134 + max(1, (index.bit_length() + 4) // 5) <= 140
    claims = verify_access(RING.public(), token, purpose, now)
    assert claims == AccessClaims(
        card_ref, purpose_tag(purpose), seconds // 30, claims.kid, status_index=index
    )
    assert claims.kid == RING.signing_access_key.kid


@relaxed
@given(st.integers(0, 2**34), st.integers(-1, 1))
def test_the_whole_step_comes_back_from_its_low_bits_across_every_wrap(seconds, drift):
    """The code carries 20 bits of its step; the verifier's clock supplies the rest."""
    minted = datetime.fromtimestamp(seconds, UTC)
    token = mint_access(RING, CARD, EVENT, minted, status_index=INDEX)
    checked_at = minted + timedelta(seconds=30 * drift)
    assert verify_access(RING, token, EVENT, checked_at).step == seconds // 30


def test_a_code_older_than_half_the_step_wrap_reads_as_forged_not_as_another_step():
    token = access_token()
    wrap = timedelta(seconds=30 * 2**20)  # about a year at 30 s
    assert refused(verify_access, RING, token, EVENT, NOW + wrap / 4).code == "expired"
    assert refused(verify_access, RING, token, EVENT, NOW + wrap).code == "forged"
    assert refused(verify_access, RING, token, EVENT, NOW + wrap * 3 / 4).code == "forged"


def test_access_layout_field_by_field():
    token = access_token()
    kid, card, tag, step, index, signature = access_fields(token)
    assert token[:2] == "A-"
    assert (kid, tag) == (RING.signing_access_key.kid, purpose_tag(EVENT))
    assert crockford(card) == CARD
    assert crockford(step) == (int(NOW.timestamp()) // 30) % 2**20
    assert crockford(index) == INDEX
    assert len(signature) == 103  # 512 bits + 3 zero bits
    assert signature[-1] in "08GR"
    assert len(token) == 138  # was 140 before status indexes: separators and step bits went
    claims = verify_access(RING, token, EVENT, NOW)
    assert claims.issued_at() == datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
    assert claims.status_index == INDEX


@pytest.mark.parametrize(
    ("index", "length"), [(0, 135), (31, 135), (2**17 - 1, 138), (MAX_STATUS_INDEX, 140)]
)
def test_access_codes_stay_at_most_140_characters_and_one_version_6_m_qr(index, length):
    token = mint_access(RING, MAX_CARD, EVENT, NOW, status_index=index)
    assert len(token) == length <= 150
    qr = segno.make_qr(qr_segments(token), error="m", boost_error=False)
    assert (qr.version, qr.error, qr.is_micro) == (6, "M", False)


def test_status_index_out_of_range_is_refused_at_minting():
    for index in (-1, MAX_STATUS_INDEX + 1):
        with pytest.raises(ValueError):
            mint_access(RING, CARD, EVENT, NOW, status_index=index)


def test_access_signature_is_plain_ed25519_over_salted_text_and_the_whole_step():
    token = access_token()
    body, encoded = token[:-103], token[-103:]
    signature = (crockford(encoded) >> 3).to_bytes(64, "big")
    step = int(NOW.timestamp()) // 30
    message = body.encode() + b"." + step_symbols(step).encode()
    public = Ed25519PublicKey.from_public_bytes(RING.signing_access_key.public_key)
    public.verify(signature, ACCESS_SALT + b"\x00" + message)  # raises if not
    algorithm = Ed25519Algorithm(ACCESS_SALT + b"\x00")
    key = RING.signing_access_key
    assert algorithm.get_signature(key.private_key, message) == signature
    assert ACCESS_ALGORITHM.verify_signature(key.public_key, message, signature)
    assert not algorithm.verify_signature(key.public_key, body.encode(), signature)


def test_purpose_tag_is_a_hash_not_the_text():
    tag = purpose_tag(EVENT)
    assert len(tag) == 8
    assert set(tag) <= set(ALPHABET)
    expected = hashlib.sha256(b"siapkerja.purpose\x00" + EVENT.encode()).digest()[:5]
    assert crockford(tag) == int.from_bytes(expected, "big")
    assert purpose_tag("KELAS-BLK-SERANG") != tag


def test_wrong_purpose():
    error = refused(verify_access, RING, access_token(), "KELAS-BLK-SERANG", NOW)
    assert error.code == "wrong_purpose"


@pytest.mark.parametrize("steps", [-3, -2, -1, 0, 1, 2, 3])
def test_expiry_with_leeway_both_ways(steps):
    token = access_token(now=NOW + timedelta(seconds=30 * steps))  # minted `steps` from now
    if abs(steps) <= 1:
        assert verify_access(RING, token, EVENT, NOW).card_ref == CARD
    else:  # too old, or from the future
        assert refused(verify_access, RING, token, EVENT, NOW).code == "expired"


def test_expiry_leeway_zero_and_other_periods():
    token = access_token()
    assert verify_access(RING, token, EVENT, NOW, leeway_steps=0)
    later = NOW + timedelta(seconds=30)
    assert refused(verify_access, RING, token, EVENT, later, 30, 0).code == "expired"
    slow = mint_access(RING, CARD, EVENT, NOW, period=300)
    assert verify_access(RING, slow, EVENT, NOW + timedelta(minutes=5), period=300)
    assert refused(verify_access, RING, slow, EVENT, NOW + timedelta(minutes=11), 300).code == (
        "expired"
    )


def test_access_needs_aware_time_and_a_positive_period():
    naive = datetime(2026, 11, 27, 9, 0)
    with pytest.raises(ValueError):
        mint_access(RING, CARD, EVENT, naive)
    with pytest.raises(ValueError):
        verify_access(RING, access_token(), EVENT, naive)
    with pytest.raises(ValueError):
        mint_access(RING, CARD, EVENT, NOW, period=0)


def test_signature_checked_before_purpose_and_time():
    token = access_token(ring=OTHER_RING)
    assert refused(verify_access, RING, token, "other", NOW + timedelta(days=1)).code == "forged"


# --- modes -------------------------------------------------------------------------


def test_wrong_mode_both_ways():
    error = refused(verify_link, RING, access_token())
    assert (error.code, error.params) == ("wrong_mode", {"expected": "link", "found": "access"})
    error = refused(verify_access, RING, link_token(), EVENT, NOW)
    assert (error.code, error.params) == ("wrong_mode", {"expected": "access", "found": "link"})
    assert refused(verify_link, RING, access_token().lower()).code == "wrong_mode"


def test_a_link_token_relabelled_as_access_is_not_wrong_mode_but_malformed():
    token = "A" + link_token()[1:]
    assert refused(verify_access, RING, token, EVENT, NOW).code == "malformed"
    assert refused(verify_link, RING, token).code == "malformed"


# --- nothing altered verifies ------------------------------------------------------

PALETTE = ALPHABET + ALPHABET.lower() + "ILOUilou-_.:/+ =$%*0\x00\n"
characters = st.one_of(st.sampled_from(PALETTE), st.characters())


@st.composite
def mutated(draw, tokens):
    token = draw(tokens)
    kind = draw(st.sampled_from(["flip", "insert", "delete", "replace"]))
    if kind == "insert":
        at = draw(st.integers(0, len(token)))
        return token, token[:at] + draw(characters) + token[at:]
    at = draw(st.integers(0, len(token) - 1))
    if kind == "delete":
        return token, token[:at] + token[at + 1 :]
    flip = chr(ord(token[at]) ^ (1 << draw(st.integers(0, 7))))
    new = flip if kind == "flip" else draw(characters)
    return token, token[:at] + new + token[at + 1 :]


def same_up_to_case(token: str, other: str) -> bool:
    return other.isascii() and other.upper() == token.upper()


def assert_refused(verify, original: str, altered: str) -> None:
    with pytest.raises(TokenError) as info:
        verify(altered)
    assert info.value.code in {"malformed", "forged"}, info.value.code
    assert original not in str(info.value)
    assert altered not in str(info.value)


link_tokens = st.builds(lambda c, v: mint_link(RING, c, v), card_refs, versions)
access_tokens = st.builds(
    lambda c, i: mint_access(RING, c, EVENT, NOW, status_index=i), card_refs, status_indexes
)


@settings(deadline=None, max_examples=1500)
@given(mutated(link_tokens))
def test_no_altered_link_token_verifies(pair):
    token, altered = pair
    if not same_up_to_case(token, altered):
        assert_refused(lambda t: verify_link(RING, t), token, altered)


@settings(deadline=None, max_examples=600)
@given(mutated(access_tokens))
def test_no_altered_access_token_verifies(pair):
    token, altered = pair
    if not same_up_to_case(token, altered):
        assert_refused(lambda t: verify_access(RING, t, EVENT, NOW), token, altered)


@pytest.mark.parametrize("mode", ["link", "access"])
def test_every_replacement_and_every_truncation_is_refused(mode):
    if mode == "link":
        token, verify = link_token(), (lambda t: verify_link(RING, t))
        palette = PALETTE
    else:
        token, verify = access_token(), (lambda t: verify_access(RING, t, EVENT, NOW))
        palette = ALPHABET + "-I"  # every symbol; Ed25519 checks are slow
    for at in range(len(token)):
        for new in palette:
            altered = token[:at] + new + token[at + 1 :]
            if not same_up_to_case(token, altered):
                assert_refused(verify, token, altered)
    for end in range(len(token)):
        assert refused(verify, token[:end]).code == "malformed"


@pytest.mark.parametrize(
    "junk",
    ["", "L", "L-", None, 42, b"L-AAAA", "x" * 10_000, "L-ÄÖÜ", "ſ", "\u212a"],
)
def test_junk_is_malformed(junk):
    assert refused(verify_link, RING, junk).code == "malformed"
    assert refused(verify_access, RING, junk, EVENT, NOW).code == "malformed"


def test_non_ascii_look_alikes_are_refused():
    """``str.upper`` maps the long s onto S: it must not sneak an altered token through."""
    token = link_token(25, 1)  # card 25 is "000000000000S"
    altered = token.replace("000S-", "000\u017f-")
    assert altered != token
    assert altered.upper() == token.upper()
    assert refused(verify_link, RING, altered).code == "malformed"


# --- keys and rotation -------------------------------------------------------------


def test_generate_gives_one_key_of_each_kind():
    assert len(RING.link_keys) == len(RING.access_keys) == 1
    assert RING.signing_link_key is RING.link_keys[0]
    assert RING.signing_access_key is RING.access_keys[0]
    for kid in (RING.signing_link_key.kid, RING.signing_access_key.kid):
        assert len(kid) == 4
        assert set(kid) <= set(ALPHABET)
    assert not RING.is_public


def test_rotation_new_key_signs_old_keys_verify_retired_keys_fail():
    old_link, old_access = link_token(), access_token()
    rotated = RING.rotate(seeded(3), NOW)
    assert len(rotated.link_keys) == len(rotated.access_keys) == 2
    assert rotated.signing_link_key.kid not in {RING.signing_link_key.kid}
    new_link, new_access = link_token(ring=rotated), access_token(ring=rotated)
    assert new_link.split("-")[1] == rotated.signing_link_key.kid
    assert access_fields(new_access)[0] == rotated.signing_access_key.kid
    # old tokens keep verifying; the old ring does not know the new keys
    assert verify_link(rotated, old_link).kid == RING.signing_link_key.kid
    assert verify_access(rotated.public(), old_access, EVENT, NOW)
    assert refused(verify_link, RING, new_link).code == "forged"
    # retire the old keys: their tokens are forged from now on
    retired = rotated.retire(RING.signing_link_key.kid, NOW).retire(
        RING.signing_access_key.kid, NOW
    )
    assert refused(verify_link, retired, old_link).code == "forged"
    assert refused(verify_access, retired.public(), old_access, EVENT, NOW).code == "forged"
    assert verify_link(retired, new_link).kid == rotated.signing_link_key.kid
    assert verify_access(retired, new_access, EVENT, NOW)
    assert retired.link_keys[0].retired
    assert retired.link_keys[0].retired_at == NOW


@pytest.mark.parametrize("kind", ["link", "access"])
def test_rotating_one_kind_leaves_the_other_as_it_was(kind):
    other = "access" if kind == "link" else "link"
    rotated = RING.rotate(seeded(3), NOW, kinds=(kind,))
    assert len(getattr(rotated, f"{kind}_keys")) == 2
    assert getattr(rotated, f"{other}_keys") == getattr(RING, f"{other}_keys")
    assert getattr(rotated, f"signing_{kind}_key") != getattr(RING, f"signing_{kind}_key")
    if kind == "link":  # the stations' public keys: unchanged by a new link key
        assert rotated.public_jwks() == RING.public_jwks()
    # both kinds by default, drawing the same bytes in the same order as before
    assert RING.rotate(seeded(3), NOW) == RING.rotate(seeded(3), NOW, kinds=("link", "access"))


def test_retiring_the_newest_key_falls_back_and_retiring_all_stops_minting():
    rotated = RING.rotate(seeded(3), NOW)
    fallback = rotated.retire(rotated.signing_link_key.kid, NOW)
    assert fallback.signing_link_key == RING.signing_link_key
    empty = fallback.retire(RING.signing_link_key.kid, NOW)
    assert empty.signing_link_key is None
    error = refused(mint_link, empty, CARD, 1)
    assert (error.code, error.params) == ("no_key", {"kind": "link"})
    assert empty.retire(RING.signing_link_key.kid, NOW + timedelta(days=1)) == empty  # no-op
    with pytest.raises(KeyError):
        RING.retire("ZZZZ", NOW)


def test_public_keyring_verifies_access_but_cannot_mint():
    public = RING.public()
    assert public.is_public
    assert public.link_keys == ()
    assert all(key.private_key is None for key in public.access_keys)
    assert public.signing_access_key is None
    assert verify_access(public, access_token(), EVENT, NOW).card_ref == CARD
    error = refused(mint_access, public, CARD, EVENT, NOW)
    assert (error.code, error.params) == ("no_key", {"kind": "access"})
    assert refused(mint_link, public, CARD, 1).code == "no_key"
    assert refused(verify_link, public, link_token()).code == "forged"
    with pytest.raises(ValueError):
        public.rotate(seeded(4), NOW)


def test_keyring_to_dict_from_dict_round_trip():
    ring = RING.rotate(seeded(5), NOW).retire(RING.signing_access_key.kid, NOW)
    data = json.loads(json.dumps(ring.to_dict()))
    assert data["format"] == "siapkerja.keyring/1"
    again = Keyring.from_dict(data)
    assert again == ring
    assert verify_link(again, link_token(ring=ring)) == verify_link(ring, link_token(ring=ring))
    assert Keyring.from_dict(ring.public().to_dict()) == ring.public()
    assert "private_key" not in json.dumps(ring.public().to_dict())


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(format="other"),
        lambda d: d["link"][0].update(kid="0000"),
        lambda d: d["link"][0].update(secret="AAAA"),
        lambda d: d["link"][0].update(secret="not base64!"),
        lambda d: d["access"][0].pop("public_key"),
        lambda d: d["access"][0].update(created_at="yesterday"),
        lambda d: d["access"][0].update(created_at="2026-11-27T09:00:00"),  # naive
        lambda d: d["access"][0].update(private_key=d["link"][0]["secret"]),  # not its pair
        lambda d: d.update(link=[d["link"][0], d["link"][0]]),  # duplicate kid
    ],
)
def test_keyring_from_dict_refuses_damage(damage):
    data = RING.to_dict()
    damage(data)
    with pytest.raises(ConfigurationError) as info:
        Keyring.from_dict(data)
    assert info.value.full_code == "config.invalid"
    assert RING.link_keys[0].secret.hex() not in str(info.value)


def test_public_jwks_for_stations():
    ring = RING.rotate(seeded(6), NOW).retire(RING.signing_access_key.kid, NOW)
    jwks = json.loads(json.dumps(ring.public_jwks()))
    assert [key["kid"] for key in jwks["keys"]] == [ring.signing_access_key.kid]  # no retired
    key = jwks["keys"][0]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key
    assert "secret" not in json.dumps(jwks)
    station = Keyring.from_jwks(jwks)
    assert station.is_public
    assert verify_access(station, access_token(ring=ring), EVENT, NOW)
    assert refused(verify_access, station, access_token(), EVENT, NOW).code == "forged"
    for bad in ({}, {"keys": [{"kty": "EC"}]}, {"keys": [dict(key, x="AAAA")]}):
        with pytest.raises(ConfigurationError):
            Keyring.from_jwks(bad)


def test_key_constructors_check_their_material():
    link = RING.signing_link_key
    with pytest.raises(ValueError):
        HmacKey(kid="0000", secret=link.secret, created_at=NOW)
    with pytest.raises(ValueError):
        HmacKey.from_secret(b"short", NOW)
    with pytest.raises(ValueError):
        HmacKey.from_secret(link.secret, datetime(2026, 1, 1))  # naive
    access = RING.signing_access_key
    with pytest.raises(ValueError):
        Ed25519Key(
            kid=access.kid, public_key=access.public_key, created_at=NOW, private_key=b"1" * 32
        )
    with pytest.raises(ValueError):
        Ed25519Key.from_public_bytes(b"123", NOW)
    wib = timezone(timedelta(hours=7))
    key = HmacKey.from_secret(link.secret, datetime(2026, 11, 27, 16, 0, tzinfo=wib))
    assert key.created_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert key.created_at.tzinfo is UTC


def test_colliding_kids_are_redrawn_and_a_stuck_source_fails_loudly():
    with pytest.raises(RuntimeError):
        Keyring.generate(lambda n: b"\x07" * n, NOW).rotate(lambda n: b"\x07" * n, NOW)
    with pytest.raises(ValueError):
        Keyring(RING.link_keys * 2, ())


def test_secrets_stay_out_of_reprs():
    text = repr(RING) + repr(RING.link_keys) + repr(RING.access_keys)
    assert RING.signing_link_key.secret.hex() not in text
    assert repr(RING.signing_link_key.secret) not in text
    assert repr(RING.signing_access_key.private_key) not in text
    assert "secret" not in text
    assert "private_key" not in text


# --- privacy -----------------------------------------------------------------------


@relaxed
@given(st.integers(10**12, MAX_CARD))
def test_tokens_carry_no_readable_personal_data(card_ref):
    link, access = link_token(card_ref), access_token(card_ref)
    for token in (link, access):
        assert token[:2] in {"L-", "A-"}  # the mode letter, then base32 and dashes only
        assert set(token[2:]) <= set(ALPHABET + "-")
        assert str(card_ref) not in token
        assert f"{card_ref:X}" not in token
    assert EVENT not in access.upper()
    assert "JAKARTA" not in access.upper()


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "params"),
    [
        ("malformed", {}),
        ("forged", {}),
        ("expired", {}),
        ("revoked", {}),
        ("wrong_mode", {"expected": "link", "found": "access"}),
        ("wrong_purpose", {}),
        ("replayed", {"first_at": "2026-11-27T09:00:10+00:00"}),
        ("no_key", {"kind": "access"}),
        ("suspended", {}),
        ("status_stale", {}),
    ],
)
def test_every_error_code_speaks_both_languages(code, params):
    error = TokenError(code, **params)
    assert error.full_code == f"token.{code}"
    assert error.message_id
    assert error.message_en
    assert error.message_id != error.message_en
    assert str(error).startswith(f"[token.{code}] ")
    assert pickle.loads(pickle.dumps(error)).params == error.params  # noqa: S301
    if code == "replayed":
        assert "2026-11-27T09:00:10+00:00" in error.message_en


# --- the QR code -------------------------------------------------------------------


def test_the_base_url_is_thirty_characters():
    assert len(BASE_URL) == 30


@pytest.mark.parametrize(
    ("card_ref", "version"), [(0, 0), (CARD, 1), (CARD, 1000), (MAX_CARD, MAX_VERSION)]
)
def test_a_link_qr_is_version_5_or_less_at_level_m(card_ref, version):
    url = link_url(BASE_URL, link_token(card_ref, version))
    segments = qr_segments(url)
    assert segments == [(BASE_URL[:-1], MODE_BYTE), (url[len(BASE_URL) - 1 :], MODE_ALPHANUMERIC)]
    assert (MODE_BYTE, MODE_ALPHANUMERIC) == (
        segno.consts.MODE_BYTE,
        segno.consts.MODE_ALPHANUMERIC,
    )
    qr = segno.make_qr(segments, error="m", boost_error=False)
    assert not qr.is_micro
    assert qr.error == "M"
    assert qr.version <= 5
    # the same URL as one byte-mode string needs a larger code
    assert segno.make_qr(url, error="m", boost_error=False).version > qr.version


def test_qr_segments_shapes():
    assert qr_segments("HTTPS://SK.ID/V/L-ABCD") == [("HTTPS://SK.ID/V/L-ABCD", MODE_ALPHANUMERIC)]
    assert qr_segments("https://x.id/ab") == [("https://x.id/ab", MODE_BYTE)]
    assert qr_segments("https://x.id/v/ABCDEFGH") == [
        ("https://x.id/v", MODE_BYTE),
        ("/ABCDEFGH", MODE_ALPHANUMERIC),
    ]
    assert qr_segments("") == [("", MODE_ALPHANUMERIC)]
    access = access_token()
    qr = segno.make_qr(qr_segments(access), error="m", boost_error=False)
    assert qr.version <= 6  # an access code alone: 135-140 alphanumeric characters
