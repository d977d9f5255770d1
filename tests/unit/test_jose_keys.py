"""Tests of siapkerja_core.tokens.jose_keys: the P-256 keys derived from the access keys.

Properties: the derivation is deterministic, gives a valid P-256 private scalar
(in [1, n - 1], its public point the one ``cryptography`` computes) and distinct
keys for distinct seeds, whose kid never equals an Ed25519 kid. A known answer
pins version 1 of the derivation, checked against an HKDF written out here from
RFC 5869 (not ``cryptography``'s), and the kid against joserfc's RFC 7638
thumbprint. The JWK Set lists both keys of every active access key and forgets
retired ones; a signature made with the derived key verifies with joserfc.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from siapkerja_core.tokens import (
    ES256_INFO,
    Ed25519Key,
    Keyring,
    derive_p256_scalar,
    es256_key,
    jwk_thumbprint,
    signing_jwks,
)
from siapkerja_core.tokens.jose_keys import P256_ORDER

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
seeds = st.binary(min_size=32, max_size=32)


def rfc5869(ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 with no salt, from RFC 5869 §2.2 and §2.3."""
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def test_the_group_order_is_p256s() -> None:
    # n times the generator is the point at infinity: cryptography refuses d = n, accepts n - 1.
    ec.derive_private_key(P256_ORDER - 1, ec.SECP256R1())
    with pytest.raises(ValueError):
        ec.derive_private_key(P256_ORDER, ec.SECP256R1())


def test_known_answer() -> None:
    seed = bytes(range(32))
    okm = rfc5869(seed, b"siapkerja.es256/1", 48)
    assert ES256_INFO == b"siapkerja.es256/1"
    expected = int.from_bytes(okm, "big") % (P256_ORDER - 1) + 1
    assert derive_p256_scalar(seed) == expected
    assert expected == 0x1DF2AD9DCB3BE098578A9D470F84C8BC381CA996EBA5777E1B83BAB866535A14
    key = es256_key(Ed25519Key.from_private_bytes(seed, NOW))
    jwk = key.public_jwk()
    assert jwk["x"] == "yqfOZZlzFW_PgPOjFn1GdG8AggmoJUkUfNDQdCSYs0I"
    assert jwk["y"] == "KHUb6DXfQVCVKLO4lwzTyLHmdnbHA4KrvR1VUuYL9Dg"
    assert key.kid == "ebDhyscmEHWEBk0JpHFFlosmrLfFFJuDlFLt_KinaAM"
    assert key.kid == ECKey.import_key(jwk).thumbprint()  # RFC 7638, by joserfc
    assert key.kid == jwk_thumbprint(jwk)
    assert {k: jwk[k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
    }
    assert key.private_value == expected.to_bytes(32, "big")


@settings(deadline=None, max_examples=200)
@given(seeds)
def test_the_derivation_is_deterministic_and_valid(seed: bytes) -> None:
    d = derive_p256_scalar(seed)
    assert d == derive_p256_scalar(bytes(seed))
    assert 1 <= d <= P256_ORDER - 1
    access = Ed25519Key.from_private_bytes(seed, NOW)
    key = es256_key(access)
    assert key == es256_key(Ed25519Key.from_private_bytes(seed, NOW))
    public = key.private_key().public_key().public_numbers()
    assert (public.x, public.y) == (int.from_bytes(key.x, "big"), int.from_bytes(key.y, "big"))
    assert public.curve.name == "secp256r1"
    assert key.kid != access.kid
    assert key.source_kid == access.kid
    assert len(key.kid) == 43


@settings(deadline=None, max_examples=200)
@given(seeds, seeds)
def test_distinct_seeds_give_distinct_keys(one: bytes, other: bytes) -> None:
    if one == other:
        return
    assert derive_p256_scalar(one) != derive_p256_scalar(other)
    first = es256_key(Ed25519Key.from_private_bytes(one, NOW))
    second = es256_key(Ed25519Key.from_private_bytes(other, NOW))
    assert first.kid != second.kid
    assert (first.x, first.y) != (second.x, second.y)


def test_a_seed_has_32_bytes_and_a_public_key_has_none() -> None:
    for wrong in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError):
            derive_p256_scalar(wrong)
    public = Ed25519Key.from_private_bytes(bytes(32), NOW).public()
    with pytest.raises(ValueError, match="seed"):
        es256_key(public)


def test_the_key_set_has_both_keys_of_each_active_key_and_forgets_retired_ones() -> None:
    counter = iter(range(1, 1000))
    ring = Keyring.generate(lambda n: bytes([next(counter)]) * n, NOW)
    ring = ring.rotate(lambda n: bytes([next(counter)]) * n, NOW + timedelta(days=1))
    old, new = ring.access_keys
    jwks = signing_jwks(ring)
    kids = [k["kid"] for k in jwks["keys"]]
    assert kids == [old.kid, new.kid, es256_key(old).kid, es256_key(new).kid]
    assert jwks["keys"][:2] == ring.public_jwks()["keys"]  # the stations' set, unchanged
    assert all("d" not in k for k in jwks["keys"])
    retired = ring.retire(old.kid, NOW + timedelta(days=2))
    kids = [k["kid"] for k in signing_jwks(retired)["keys"]]
    assert kids == [new.kid, es256_key(new).kid]
    # A station's keyring has no seeds: its Ed25519 keys only.
    assert signing_jwks(ring.public())["keys"] == ring.public_jwks()["keys"]


def test_a_token_signed_with_the_derived_key_verifies_with_joserfc() -> None:
    key = es256_key(Ed25519Key.from_private_bytes(bytes(range(1, 33)), NOW))
    private = ECKey.import_key(key.private_key())
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, {"sub": "x"}, private, ["ES256"])
    keys = KeySet.import_key_set({"keys": [key.public_jwk()]})
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.claims == {"sub": "x"}
    assert decoded.header["kid"] == key.kid
