"""The provider's metadata (OpenID Connect Discovery 1.0, RFC 8414): exactly what works.

This module owns :func:`metadata`, the document served at
``/.well-known/openid-configuration``. Each value states what the provider
does and nothing more: the code flow only, PKCE S256 only, EdDSA ID tokens,
pairwise subjects, the three client authentication methods, PAR (required
per client, so ``require_pushed_authorization_requests`` is false), ``iss``
in authorization responses (RFC 9207), RP-initiated logout, and the scopes
and claims the prefill document's JSON Schema defines.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from siapkerja_adapters.web.sso.server import ASSERTION_ALGORITHMS, AUTH_METHODS
from siapkerja_core.prefill import prefill_schema
from siapkerja_core.sso import FIELD_SCOPES, STANDARD_SCOPES

__all__ = ["ENVELOPE", "PROTOCOL_CLAIMS", "claims_supported", "metadata", "scopes_supported"]

ENVELOPE: Final = frozenset({"schema_version", "issued_at", "purpose", "institution", "fields"})
"""The prefill document's members that are its envelope, not claims about the holder."""
PROTOCOL_CLAIMS: Final = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
)
"""The ID token's own claims (OIDC Core §2)."""


@cache
def claims_supported() -> tuple[str, ...]:
    """The protocol claims, then the prefill schema's top-level claim names."""
    names = [n for n in prefill_schema()["properties"] if n not in ENVELOPE]
    return (*PROTOCOL_CLAIMS, *names)


def scopes_supported() -> list[str]:
    """``openid``, the standard scopes, ``offline_access``, then one scope per field."""
    return ["openid", *STANDARD_SCOPES, "offline_access", *sorted(FIELD_SCOPES)]


def metadata(issuer: str, sso: Any = None) -> dict[str, Any]:
    """The provider metadata for ``issuer`` (endpoints below it)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "jwks_uri": f"{issuer}/oauth2/jwks",
        "pushed_authorization_request_endpoint": f"{issuer}/oauth2/par",
        "require_pushed_authorization_requests": False,
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "scopes_supported": scopes_supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": list(claims_supported()),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["id", "en"],
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }
