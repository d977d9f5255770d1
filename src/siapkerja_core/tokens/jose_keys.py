"""The access keys as JOSE keys: Ed25519 (EdDSA) and a P-256 key derived from each (ES256).

Many relying-party libraries verify ES256 but not EdDSA, so ID tokens may be
signed with either (per client). The P-256 key pair needs **no stored secret
of its own**: it is derived deterministically from the Ed25519 key's 32-byte
seed, so ``siapkerja keys rotate`` and ``retire`` (and the keyring stamp that
makes every process reload) apply to ES256 exactly as to EdDSA, and the
keyring's format does not change.

The derivation (version 1, fixed; changing it changes every ES256 key)::

    okm = HKDF-SHA256(ikm=seed, salt=none, info=b"siapkerja.es256/1", length=48)
    d   = int.from_bytes(okm, "big") mod (n - 1) + 1

``n`` is the order of P-256. Reducing 384 bits (64 more than ``n`` has)
modulo ``n - 1`` is FIPS 186-5 §A.2.1's "extra random bits" method: ``d`` lies
in ``[1, n - 1]`` with a bias below 2**-64. ``d`` is then an ordinary
P-256 private key (``cryptography``'s ``ec.derive_private_key``). Its ``kid``
is the RFC 7638 JWK thumbprint of its public key (43 characters), which
can never equal an Ed25519 ``kid`` (4 characters).

A station's keyring holds public keys only: it cannot derive the P-256 keys
(nor does it need them; access codes and status lists stay EdDSA).
Pure: no I/O, no randomness.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any, Final

from attrs import field, frozen
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siapkerja_core.tokens.keyring import Ed25519Key, Keyring

__all__ = [
    "ES256_INFO",
    "P256_ORDER",
    "Es256Key",
    "derive_p256_scalar",
    "es256_key",
    "jwk_thumbprint",
    "okp_jwk",
    "signing_jwks",
]

ES256_INFO: Final = b"siapkerja.es256/1"
"""HKDF's ``info``: names the derivation and its version."""
P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""``n``, the order of the P-256 group (SEC 2 §2.4.2, FIPS 186-5)."""
_OKM_BYTES: Final = 48


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def derive_p256_scalar(seed: bytes) -> int:
    """The P-256 private scalar ``d`` of an Ed25519 seed, in ``[1, n - 1]`` (see the module).

    :raises ValueError: ``seed`` is not 32 bytes.
    """
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise ValueError("an Ed25519 seed has 32 bytes")
    okm = HKDF(algorithm=hashes.SHA256(), length=_OKM_BYTES, salt=None, info=ES256_INFO).derive(
        seed
    )
    return int.from_bytes(okm, "big") % (P256_ORDER - 1) + 1


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: base64url SHA-256 of the required members, sorted, without spaces."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@frozen
class Es256Key:
    """A P-256 key pair derived from an access key (``source_kid``): it shares its
    creation and retirement. ``private_value`` is ``d``, 32 bytes big-endian."""

    kid: str
    x: bytes
    y: bytes
    private_value: bytes = field(repr=False)
    source_kid: str
    iat: int

    def public_jwk(self) -> dict[str, Any]:
        """RFC 7517/7518: ``kty`` EC, ``crv`` P-256, ``x``, ``y``, ``kid``, ``alg`` ES256."""
        return {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
            "x": _b64url(self.x),
            "y": _b64url(self.y),
            "iat": self.iat,
        }

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(self.private_value, "big"), ec.SECP256R1())


@lru_cache(maxsize=64)
def _derive(seed: bytes) -> tuple[bytes, bytes, bytes, str]:
    d = derive_p256_scalar(seed)
    numbers = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    kid = jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": _b64url(x), "y": _b64url(y)})
    return d.to_bytes(32, "big"), x, y, kid


def es256_key(key: Ed25519Key) -> Es256Key:
    """The P-256 key derived from access key ``key`` (cached: 64 keys).

    :raises ValueError: ``key`` has no private half (a station's).
    """
    if key.private_key is None:
        raise ValueError("a public Ed25519 key has no seed to derive a P-256 key from")
    private_value, x, y, kid = _derive(key.private_key)
    return Es256Key(
        kid=kid,
        x=x,
        y=y,
        private_value=private_value,
        source_kid=key.kid,
        iat=int(key.created_at.timestamp()),
    )


def okp_jwk(key: Ed25519Key) -> dict[str, Any]:
    """``key``'s public half as a JWK (RFC 8037), as :meth:`Keyring.public_jwks` lists it."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": key.kid,
        "x": _b64url(key.public_key),
        "iat": int(key.created_at.timestamp()),
    }


def signing_jwks(keyring: Keyring) -> dict[str, Any]:
    """Every active access key as a public JWK Set, twice: the Ed25519 key (EdDSA) and,
    where the keyring holds its seed, the P-256 key derived from it (ES256).

    The OKP keys come first, in keyring order, then the EC keys. Retired keys are
    left out, so relying parties that reload the set stop trusting them.
    """
    active = [k for k in keyring.access_keys if not k.retired]
    ec_keys = [es256_key(k).public_jwk() for k in active if k.private_key is not None]
    return {"keys": [okp_jwk(k) for k in active] + ec_keys}
