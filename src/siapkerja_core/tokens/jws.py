"""Compact JWS (RFC 7515) signed and verified with the keyring's algorithms: EdDSA and ES256.

This module owns the few lines that make and check a compact JWS with
``cryptography``: ``EdDSA`` with an Ed25519 seed, ``ES256`` with a P-256
scalar (its DER signature becomes the 64 bytes R || S, RFC 7518 §3.4). The
card status list (:mod:`.status_list`) and the OpenID Connect provider's ID
tokens (:mod:`siapkerja_adapters.web.sso.server`) are signed here.

Not joserfc: it signs and verifies EdDSA only with a SecurityWarning (RFC 9864
renames the algorithm "Ed25519"), which the suite makes an error and which a
busy server should not log per token.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = ["MAX_JWS_LENGTH", "sign_eddsa", "sign_jws", "split_jws", "verify_eddsa", "verify_jws"]

MAX_JWS_LENGTH: Final = 8192
"""The longest compact JWS read (an ID token, a client assertion, a hint)."""
_MAX_JWT: Final = MAX_JWS_LENGTH


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(segment: str) -> bytes:
    if not segment.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_part(segment: str) -> dict[str, Any]:
    value = json.loads(_unb64(segment))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _sign_raw(alg: str, private_key: bytes, signing_input: bytes) -> bytes:
    if alg == "EdDSA":
        return Ed25519PrivateKey.from_private_bytes(private_key).sign(signing_input)
    if alg == "ES256":
        key = ec.derive_private_key(int.from_bytes(private_key, "big"), ec.SECP256R1())
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError(f"unsupported algorithm {alg!r}")


def sign_jws(
    alg: str, kid: str, private_key: bytes, claims: Mapping[str, Any], typ: str = "JWT"
) -> str:
    """A compact JWS of ``claims``: header ``{"alg": alg, "kid": kid, "typ": typ}``.

    ``private_key`` is 32 bytes: an Ed25519 seed (``EdDSA``) or a P-256 private
    scalar, big-endian (``ES256``), as ``svc.sso.signing_key(alg)`` gives them.

    :raises ValueError: another algorithm.
    """
    header = {"alg": alg, "kid": kid, "typ": typ}
    parts = [_b64(json.dumps(p, separators=(",", ":")).encode()) for p in (header, dict(claims))]
    signing_input = ".".join(parts)
    signature = _sign_raw(alg, private_key, signing_input.encode())
    return f"{signing_input}.{_b64(signature)}"


def sign_eddsa(kid: str, private_key: bytes, claims: Mapping[str, Any], typ: str = "JWT") -> str:
    """A compact JWS of ``claims``: header ``{"alg": "EdDSA", "kid": kid, "typ": typ}``."""
    return sign_jws("EdDSA", kid, private_key, claims, typ)


def split_jws(token: object) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS, unverified.

    :raises ValueError: anything malformed.
    """
    if not isinstance(token, str) or len(token) > _MAX_JWT or not token.isascii():
        raise ValueError("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    return (
        _json_part(parts[0]),
        _json_part(parts[1]),
        f"{parts[0]}.{parts[1]}".encode("ascii"),
        _unb64(parts[2]),
    )


def _okp_public(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 key")
    return Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))


def _ec_public(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    x, y = jwk.get("x"), jwk.get("y")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or not isinstance(x, str):
        raise ValueError("not a P-256 key")
    if not isinstance(y, str):
        raise ValueError("not a P-256 key")
    x_bytes, y_bytes = _unb64(x), _unb64(y)
    if len(x_bytes) != 32 or len(y_bytes) != 32:
        raise ValueError("not a P-256 key")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big"), ec.SECP256R1()
    )
    return numbers.public_key()  # ValueError: not on the curve


def _verify_raw(alg: str, jwk: Mapping[str, Any], signature: bytes, signing_input: bytes) -> None:
    """:raises InvalidSignature, ValueError: not this key's signature."""
    if alg == "EdDSA":
        _okp_public(jwk).verify(signature, signing_input)
        return
    if len(signature) != 64:
        raise InvalidSignature
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    _ec_public(jwk).verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


def verify_jws(
    token: object, jwks: Mapping[str, Any], algorithms: Iterable[str] = ("EdDSA",)
) -> dict[str, Any]:
    """The claims of a compact JWS signed with one of ``algorithms`` (``EdDSA``,
    ``ES256``) by a key of ``jwks`` (by ``kid``; a key of another type never verifies).

    :raises ValueError: malformed, another algorithm, an unknown key, a bad signature.
    """
    allowed = [a for a in algorithms if a in ("EdDSA", "ES256")]
    header, claims, signing_input, signature = split_jws(token)
    alg = header.get("alg")
    if alg not in allowed:
        raise ValueError("not " + " or ".join(allowed))
    kid = header.get("kid")
    keys = jwks.get("keys")
    candidates = [
        k
        for k in (keys if isinstance(keys, list) else [])
        if isinstance(k, dict) and (kid is None or k.get("kid") == kid)
    ]
    for jwk in candidates:
        try:
            _verify_raw(alg, jwk, signature, signing_input)
        except (InvalidSignature, ValueError, binascii.Error):
            continue
        return claims
    raise ValueError("no key verifies the signature")


def verify_eddsa(token: object, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of an EdDSA compact JWS signed by a key of ``jwks`` (by ``kid``).

    :raises ValueError: malformed, another algorithm, an unknown key, a bad signature.
    """
    return verify_jws(token, jwks, ("EdDSA",))
