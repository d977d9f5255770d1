"""The pure parts of the OpenID Connect provider's web binding, without a server.

The EdDSA compact JWS (signed and checked by hand, checked here against
joserfc), the OAuth errors the service's refusals become (ASCII-only
descriptions, 429 with ``Retry-After``), the Starlette binding's parameter
reading (limits, repetitions) and the discovery document's claims, read from
the prefill schema.
"""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("starlette", reason="the web binding needs siapkerja[web]")

from authlib.oauth2.rfc6749 import InvalidRequestError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from siapkerja_adapters.web.sso.binding import (
    MAX_PARAMETERS,
    ReadRequest,
    StarletteOAuth2Request,
    parse_parameters,
)
from siapkerja_adapters.web.sso.discovery import claims_supported, metadata
from siapkerja_adapters.web.sso.server import (
    RateLimitedError,
    oauth_error,
    sign_eddsa,
    split_jws,
    verify_eddsa,
)
from siapkerja_core.sso import SsoError


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def key_pair(kid: str = "k1") -> tuple[bytes, dict[str, str]]:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw, {"kty": "OKP", "crv": "Ed25519", "x": _b64(public), "kid": kid, "alg": "EdDSA"}


def test_an_eddsa_token_signed_here_verifies_with_joserfc_and_here() -> None:
    raw, public = key_pair()
    token = sign_eddsa("k1", raw, {"iss": "https://op.example", "sub": "abc"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        decoded = jwt.decode(token, KeySet.import_key_set({"keys": [public]}), algorithms=["EdDSA"])
    assert decoded.header == {"alg": "EdDSA", "kid": "k1", "typ": "JWT"}
    assert verify_eddsa(token, {"keys": [public]}) == {"iss": "https://op.example", "sub": "abc"}


def test_verify_eddsa_refuses_other_keys_algorithms_and_garbage() -> None:
    raw, public = key_pair()
    _, other = key_pair()
    token = sign_eddsa("k1", raw, {"a": 1})
    with pytest.raises(ValueError, match="no key"):
        verify_eddsa(token, {"keys": [{**other, "kid": "k1"}]})
    header, payload, signature = token.split(".")
    none = _b64(b'{"alg":"none","kid":"k1"}')
    with pytest.raises(ValueError, match="not EdDSA"):
        verify_eddsa(f"{none}.{payload}.", {"keys": [public]})
    for garbage in ("", "a.b", "a.b.c", "é.é.é", "x" * 9000, f"{header}.{payload}.{signature}.x"):
        with pytest.raises(ValueError):
            verify_eddsa(garbage, {"keys": [public]})
    with pytest.raises(ValueError):
        verify_eddsa(token, {"keys": "nope"})
    with pytest.raises(ValueError):
        split_jws(None)


def test_service_refusals_become_oauth_errors_with_ascii_descriptions() -> None:
    assert oauth_error(SsoError("invalid_grant")).error == "invalid_grant"
    assert oauth_error(SsoError("consent_withdrawn")).error == "invalid_grant"
    assert oauth_error(SsoError("unknown_client")).status_code == 401
    assert oauth_error(SsoError("invalid_scope", scope="x")).error == "invalid_scope"
    assert oauth_error(SsoError("invalid_token")).status_code == 401
    limited = oauth_error(SsoError("rate_limited", retry_after=17))
    assert isinstance(limited, RateLimitedError)
    status, body, headers = limited()
    assert status == 429
    assert ("Retry-After", "17") in headers
    assert body["error"] == "temporarily_unavailable"
    for code in SsoError.codes:
        description = oauth_error(SsoError(code)).description or ""
        assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description), code


def test_parameters_are_read_with_limits() -> None:
    assert parse_parameters("a=1&b=2&a=3") == [("a", "1"), ("b", "2"), ("a", "3")]
    with pytest.raises(InvalidRequestError):
        parse_parameters("&".join(f"p{i}=1" for i in range(MAX_PARAMETERS + 1)))
    with pytest.raises(InvalidRequestError):
        parse_parameters("a=" + "x" * 9000)
    with pytest.raises(InvalidRequestError):
        parse_parameters("a=%00")
    with pytest.raises(InvalidRequestError):
        parse_parameters("a=%FF")


def test_the_oauth_request_keeps_repetitions_and_prefers_the_form() -> None:
    read = ReadRequest(
        "POST",
        "https://op.example/oauth2/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        query=[("grant_type", "from-query")],
        form=[("grant_type", "authorization_code"), ("code", "a"), ("code", "b")],
    )
    request = StarletteOAuth2Request(read)
    assert request.payload.grant_type == "authorization_code"
    assert request.payload.datalist["code"] == ["a", "b"]
    assert request.form["code"] == "a"
    assert request.args == {"grant_type": "from-query"}
    assert StarletteOAuth2Request(read.replaced({"code": "c"})).form == {"code": "c"}


def test_discovery_names_the_prefill_claims_and_no_envelope() -> None:
    claims = claims_supported()
    assert claims[:3] == ("sub", "iss", "aud")
    assert {"name", "siapkerja_id", "nik", "work", "address", "picture"} <= set(claims)
    assert not {"schema_version", "issued_at", "purpose", "institution", "fields"} & set(claims)
    meta = metadata("https://op.example/siapkerja")
    assert meta["jwks_uri"] == "https://op.example/siapkerja/oauth2/jwks"
    assert meta["code_challenge_methods_supported"] == ["S256"]
