"""Single sign-on ("Masuk dengan SIAPkerja"): the values of the OpenID Connect provider.

A hub (Karirhub, Skillhub, a regional portal, a BLK site) signs holders in
with their SIAPkerja account and receives a consented profile through
standard OpenID Connect. The protocol itself (requests, PKCE, client
authentication, JWTs) is the web adapter's, built on Authlib
(:mod:`siapkerja_adapters.web.sso`); this module owns the rules, as pure values:

* :class:`SsoClient` — a registered relying party. It belongs to a
  :class:`~siapkerja_core.disclosure.Verifier` (the hub), whose scopes bound
  the fields it may ever ask for; it states **one purpose** the holder
  consents to, which fields are **essential** (the holder cannot untick them)
  and which voluntary, its exact redirect URIs, how it authenticates
  (a secret, or ``private_key_jwt`` with its public keys) and whether it is
  **high-assurance** (PAR and ``private_key_jwt`` required, as FAPI 2.0 asks);
* :class:`SsoToken` — an authorization code, access token, refresh token or
  pushed request as storage keeps it: only an HMAC of the token, the holder,
  the consent it rests on and the fields it releases; every token of one
  sign-in shares a ``grant_id``, so replaying a used code or a rotated refresh
  token ends the whole grant;
* :func:`requested_fields` — the ``scope`` parameter as disclosure fields
  (``openid`` plus standard scopes ``profile``, ``email``, ``phone``,
  ``address`` and one scope per disclosure field, ``nik``, ``work`` …);
* :func:`pairwise_subject` — the ``sub`` a hub sees: an HMAC of the hub and
  the account, so two hubs never see the same ``sub`` for one holder and
  nobody can recover the account (let alone the NIK) from it;
* :data:`SENSITIVE_FIELDS` — fields whose release needs a fresh SMS code
  (step-up) at sign-in.

The claims released are the prefill document's
(:func:`siapkerja_core.prefill.claims_of`): one JSON Schema for the prefill
document, the userinfo answer and the ID token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import attrs
from attrs import field, frozen

from siapkerja_core.disclosure import IDENTITY_NIK, IDENTITY_NIK_MASKED, SCOPES
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.events import DomainEvent
from siapkerja_core.institutions import VerifierStatus
from siapkerja_core.profile import Section

__all__ = [
    "ACCESS_TOKEN_TTL",
    "AMR_OTP",
    "AMR_PASSWORD",
    "AUTHORIZATION_CODE_TTL",
    "BASE_CLAIMS",
    "DEFAULT_RATE_LIMIT",
    "FIELD_SCOPES",
    "MAX_REDIRECT_URIS",
    "PAR_TTL",
    "REFRESH_TOKEN_TTL",
    "SENSITIVE_FIELDS",
    "STANDARD_SCOPES",
    "AuthMethod",
    "ConsentPlan",
    "IdTokenAlg",
    "SsoClient",
    "SsoClientGranted",
    "SsoError",
    "SsoReleased",
    "SsoSignedIn",
    "SsoToken",
    "TokenKind",
    "allowed_fields_of",
    "check_id_token_alg",
    "check_redirect_uri",
    "pairwise_subject",
    "requested_fields",
    "scope_string",
    "valid_client_id",
]

AUTHORIZATION_CODE_TTL: Final = timedelta(seconds=60)
"""An authorization code lives a minute (RFC 6749 §4.1.2 recommends at most ten)."""
PAR_TTL: Final = timedelta(seconds=60)
"""A pushed authorization request's ``request_uri`` lives a minute (RFC 9126 §2.2)."""
ACCESS_TOKEN_TTL: Final = timedelta(minutes=10)
"""Short: a withdrawn consent is honoured at the next call anyway, a leak lasts little."""
REFRESH_TOKEN_TTL: Final = timedelta(days=30)
"""A refresh token rotates on every use; an unused one dies after 30 days."""
DEFAULT_RATE_LIMIT: Final = 600
"""Calls a client may make per minute to the token, userinfo, revocation,
introspection and PAR endpoints, unless registered with another limit."""
MAX_REDIRECT_URIS: Final = 10
AMR_PASSWORD: Final = "pwd"  # noqa: S105 - an RFC 8176 method name
AMR_OTP: Final = "otp"
"""RFC 8176 authentication method references: a password, then an SMS code."""

BASE_CLAIMS: Final = ("siapkerja_id", "name")
"""Released with every consent (``openid``): the card number and the name on it."""

STANDARD_SCOPES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "profile": frozenset({Section.HEADLINE, Section.PHOTO, Section.BIRTH, Section.SEX}),
        "email": frozenset({Section.CONTACT}),
        "phone": frozenset({Section.CONTACT}),
        "address": frozenset({Section.DOMICILE_ADDRESS}),
    }
)
"""OpenID Connect's standard scopes as disclosure fields (OIDC Core §5.4).

They ask "as available": a standard scope gives the client the fields of it
it is registered for and silently nothing of the rest."""

FIELD_SCOPES: Final = frozenset({*(s.value for s in Section), IDENTITY_NIK, IDENTITY_NIK_MASKED})
"""One scope per disclosure field (``nik``, ``work``, ``ktp_address`` …): asked
by name, a field the client is not registered for is ``invalid_scope``."""

SENSITIVE_FIELDS: Final = frozenset(
    {IDENTITY_NIK, Section.KTP_ADDRESS.value, Section.RELIGION.value, Section.MARITAL_STATUS.value}
)
"""Fields whose release needs a fresh SMS code at sign-in (step-up), whatever the client."""


class SsoError(SiapkerjaError):
    """A single sign-on refusal (the web adapter turns each into an OAuth error)."""

    domain = "sso"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unknown_client",
            "client_suspended",
            "invalid_client",
            "invalid_redirect_uri",
            "invalid_scope",
            "invalid_fields",
            "invalid_hub",
            "invalid_jwks",
            "invalid_auth_method",
            "invalid_id_token_alg",
            "invalid_rate_limit",
            "invalid_grant",
            "invalid_token",
            "consent_required",
            "consent_withdrawn",
            "essential_refused",
            "step_up_required",
            "rate_limited",
            "wrong_status",
            "account_closed",
            "account_restricted",
        }
    )


class AuthMethod(StrEnum):
    """How a client authenticates at the token endpoint (RFC 7591 names)."""

    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 - a method name
    PRIVATE_KEY_JWT = "private_key_jwt"
    """RFC 7523: a JWT signed with the client's own key; the provider holds only
    the public half (``SsoClient.jwks``). Required of high-assurance clients."""

    @property
    def uses_secret(self) -> bool:
        return self is not AuthMethod.PRIVATE_KEY_JWT


class IdTokenAlg(StrEnum):
    """What a client's ID tokens are signed with (JWA names, RFC 7518 and RFC 8037).

    Both use the keyring's signing access key: ``EdDSA`` the Ed25519 key itself,
    ``ES256`` the P-256 key derived from its seed
    (:mod:`siapkerja_core.tokens.jose_keys`), for relying-party libraries
    that verify ES256 but not EdDSA.
    """

    EDDSA = "EdDSA"
    ES256 = "ES256"


class TokenKind(StrEnum):
    CODE = "code"
    ACCESS = "access"
    REFRESH = "refresh"
    PUSHED = "pushed"
    """A pushed authorization request (RFC 9126): its parameters, under a ``request_uri``."""
    STATE = "state"
    """A client's ``state`` seen in an authorization request: a replay is refused."""
    ASSERTION = "assertion"
    """The ``jti`` of a ``private_key_jwt`` client assertion: used once (RFC 7523 §3)."""


_LOOPBACK: Final = frozenset({"127.0.0.1", "[::1]", "localhost"})
_MAX_URI: Final = 2000


def check_redirect_uri(uri: object) -> str:
    """A redirect URI as registered: absolute, ``https`` (``http`` only on loopback),
    no fragment, no user info. Matching is then exact, character for character.

    :raises SsoError: ``invalid_redirect_uri``.
    """
    if not isinstance(uri, str) or not uri or len(uri) > _MAX_URI or uri != uri.strip():
        raise SsoError("invalid_redirect_uri", uri=str(uri)[:80])
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        raise SsoError("invalid_redirect_uri", uri=uri[:80]) from None
    loopback = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0] in _LOOPBACK
    if (
        parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
        or not host
        or parts.fragment
        or "#" in uri
        or "@" in parts.netloc
        or any(c.isspace() or ord(c) < 0x21 for c in uri)
    ):
        raise SsoError("invalid_redirect_uri", uri=uri[:80])
    return uri


def _uris(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    checked = tuple(dict.fromkeys(check_redirect_uri(v) for v in values))
    if len(checked) > MAX_REDIRECT_URIS:
        raise SsoError("invalid_redirect_uri", uri=f"> {MAX_REDIRECT_URIS}")
    return checked


def _fields(values: Iterable[str]) -> frozenset[str]:
    found = frozenset(str(v) for v in values)
    unknown = sorted(found - FIELD_SCOPES)
    if unknown:
        raise SsoError("invalid_fields", fields=", ".join(unknown))
    return found


def _jwks(value: Mapping[str, Any] | str | None) -> Mapping[str, Any] | None:
    """A JWK Set of public keys (no private member), frozen as its canonical JSON."""
    if value is None:
        return None
    try:
        data = json.loads(value) if isinstance(value, str) else dict(value)
        keys = data["keys"]
        if not isinstance(keys, list) or not keys or len(keys) > 10:
            raise ValueError("keys")
        for key in keys:
            if not isinstance(key, dict) or key.get("kty") not in ("EC", "OKP", "RSA"):
                raise ValueError("kty")
            if "d" in key or "p" in key or "q" in key:
                raise ValueError("a private key")  # the provider must never hold it
    except (ValueError, KeyError, TypeError):
        raise SsoError("invalid_jwks") from None
    return MappingProxyType({"keys": [dict(k) for k in keys]})


def _to_method(value: AuthMethod | str) -> AuthMethod:
    try:
        return AuthMethod(value)
    except ValueError:
        raise SsoError(
            "invalid_auth_method", method=str(value)[:40], known=", ".join(AuthMethod)
        ) from None


def check_id_token_alg(value: IdTokenAlg | str) -> IdTokenAlg:
    """``value`` as an :class:`IdTokenAlg`. :raises SsoError: ``invalid_id_token_alg``."""
    try:
        return IdTokenAlg(value)
    except ValueError:
        raise SsoError(
            "invalid_id_token_alg", alg=str(value)[:40], known=", ".join(IdTokenAlg)
        ) from None


def _to_status(value: VerifierStatus | str) -> VerifierStatus:
    return VerifierStatus(value)


@frozen(kw_only=True)
class SsoClient:
    """A relying party registered to sign holders in (one hub may register several).

    ``verifier_id`` is the hub (its scopes bound ``fields``, and its ``sub``
    is shared by all its clients); ``purpose`` is what the holder consents to,
    canonical as :func:`~siapkerja_core.disclosure.normalize_purpose` makes
    it; ``fields`` the disclosure fields it may ask for, of which
    ``essential`` cannot be unticked. ``purpose_label`` is the purpose as the
    administrator wrote it, what the consent screen shows (``purpose`` is
    lower-cased). ``redirect_uris`` match exactly.
    ``high_assurance``: pushed authorization requests and ``private_key_jwt``
    are required. ``step_up``: every sign-in for this client needs a fresh
    SMS code (as does any release of a :data:`SENSITIVE_FIELDS` field).
    ``rate_limit``: calls per minute to the back-channel endpoints.
    ``id_token_alg``: what its ID tokens are signed with, ``EdDSA`` (the
    default) or ``ES256``.
    """

    id: str
    verifier_id: str
    name: str
    purpose: str
    purpose_label: str = field()
    fields: frozenset[str] = field(converter=_fields)
    essential: frozenset[str] = field(converter=_fields, factory=frozenset)
    redirect_uris: tuple[str, ...] = field(converter=_uris)
    post_logout_redirect_uris: tuple[str, ...] = field(converter=_uris, default=())
    auth_method: AuthMethod = field(converter=_to_method, default=AuthMethod.CLIENT_SECRET_BASIC)
    jwks: Mapping[str, Any] | None = field(
        converter=_jwks, default=None, eq=False, hash=False, repr=False
    )
    id_token_alg: IdTokenAlg = field(converter=check_id_token_alg, default=IdTokenAlg.EDDSA)
    high_assurance: bool = False
    step_up: bool = False
    rate_limit: int = DEFAULT_RATE_LIMIT
    status: VerifierStatus = field(converter=_to_status, default=VerifierStatus.ACTIVE)
    created_at: datetime
    secret_rotated_at: datetime | None = None

    @purpose_label.default
    def _purpose_as_stored(self) -> str:
        return self.purpose

    def __attrs_post_init__(self) -> None:
        if not self.redirect_uris:
            raise SsoError("invalid_redirect_uri", uri="")
        if not self.essential <= self.fields:
            raise SsoError("invalid_fields", fields=", ".join(sorted(self.essential - self.fields)))
        if self.high_assurance and self.auth_method is not AuthMethod.PRIVATE_KEY_JWT:
            raise SsoError(
                "invalid_auth_method", method=self.auth_method.value, known="private_key_jwt"
            )
        if self.auth_method is AuthMethod.PRIVATE_KEY_JWT and self.jwks is None:
            raise SsoError("invalid_jwks")
        if (
            not isinstance(self.rate_limit, int)
            or isinstance(self.rate_limit, bool)
            or not 1 <= self.rate_limit <= 100_000
        ):
            raise SsoError("invalid_rate_limit", limit=100_000)

    @property
    def active(self) -> bool:
        return self.status is VerifierStatus.ACTIVE

    @property
    def voluntary(self) -> frozenset[str]:
        """The fields the holder may untick."""
        return self.fields - self.essential

    def jwks_json(self) -> str | None:
        """:attr:`jwks` as canonical JSON (how storage keeps it)."""
        return None if self.jwks is None else json.dumps(dict(self.jwks), sort_keys=True)


def allowed_fields_of(scopes: Iterable[str]) -> frozenset[str]:
    """The fields a verifier with ``scopes`` may ever be registered to ask for.

    The profile's sections and the NIK items; not the AK/I status, which is a
    Disnaker's view of the card and no claim of a hub's.
    """
    allowed: set[str] = set()
    for scope in scopes:
        allowed |= SCOPES[scope]
    return frozenset(str(f) for f in allowed) & FIELD_SCOPES


def requested_fields(scope: str | None, client: SsoClient) -> frozenset[str]:
    """The disclosure fields the ``scope`` parameter asks of ``client``'s registration.

    ``openid`` is required. Standard scopes give what the client is registered
    for of them; a field scope the client is not registered for, or an
    unknown scope value, is refused.

    >>> # requested_fields("openid profile work", client)

    :raises SsoError: ``invalid_scope``.
    """
    values = (scope or "").split()
    if "openid" not in values:
        raise SsoError("invalid_scope", scope="openid")
    wanted: set[str] = set()
    for value in dict.fromkeys(values):
        if value in ("openid", "offline_access"):
            continue
        if value in STANDARD_SCOPES:
            wanted |= {str(f) for f in STANDARD_SCOPES[value]} & client.fields
        elif value in FIELD_SCOPES and value in client.fields:
            wanted.add(value)
        else:
            raise SsoError("invalid_scope", scope=value[:40])
    if IDENTITY_NIK in wanted:
        wanted.discard(IDENTITY_NIK_MASKED)  # the full NIK says more than the masked one
    return frozenset(wanted)


def scope_string(fields: Iterable[str], *, offline: bool = False) -> str:
    """The ``scope`` of a grant of ``fields``: ``openid`` and the field scopes, sorted."""
    extra = ["offline_access"] if offline else []
    return " ".join(["openid", *sorted(fields), *extra])


def pairwise_subject(key: bytes, verifier_id: str, account_id: str) -> str:
    """The ``sub`` hub ``verifier_id`` sees for ``account_id`` (OIDC Core §8.1, pairwise).

    An HMAC-SHA256 keyed with the service's secret: stable for the pair, different
    per hub, and revealing neither the account id nor the NIK. 43 base64url characters.
    """
    message = b"siapkerja.sub\x1f" + verifier_id.encode() + b"\x1f" + account_id.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _string_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(str(v) for v in values)


def _string_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _frozen_params(params: Mapping[str, str] | None) -> Mapping[str, str] | None:
    return None if params is None else MappingProxyType(dict(params))


@frozen(kw_only=True)
class SsoToken:
    """A code, access or refresh token, or a pushed request, as storage keeps it.

    ``token_hash`` is an HMAC of the token (the token itself is never stored);
    ``grant_id`` ties every token of one sign-in together. ``fields`` are the
    disclosure fields released, ``consent_id`` the consent they rest on:
    withdrawing it makes every token of the grant useless at its next use.
    ``used_at`` marks a spent code or a rotated refresh token: presenting it
    again ends the grant. ``params`` holds a pushed request's parameters.
    """

    token_hash: str
    kind: TokenKind = field(converter=TokenKind)
    client_id: str
    grant_id: str
    issued_at: datetime
    expires_at: datetime
    account_id: str | None = None
    consent_id: str | None = None
    fields: frozenset[str] = field(factory=frozenset, converter=_string_set)
    scope: str = ""
    redirect_uri: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    auth_time: datetime | None = None
    amr: tuple[str, ...] = field(default=(), converter=_string_tuple)
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    params: Mapping[str, str] | None = field(
        default=None,
        converter=_frozen_params,
        eq=False,
        hash=False,
    )

    def live_at(self, now: datetime) -> bool:
        """Neither expired, revoked nor spent."""
        return self.revoked_at is None and self.used_at is None and now < self.expires_at

    def spent(self, now: datetime) -> SsoToken:
        return attrs.evolve(self, used_at=now)

    def revoked(self, now: datetime) -> SsoToken:
        return self if self.revoked_at is not None else attrs.evolve(self, revoked_at=now)


@frozen(kw_only=True)
class ConsentPlan:
    """What the consent screen shows for one authorization request.

    ``essential`` and ``voluntary`` split the fields requested (the base
    claims come with any consent); ``remembered`` is the active consent that
    already covers them (``None``: ask); ``step_up``: a fresh SMS code is
    needed before the code is issued.
    """

    client: SsoClient
    essential: frozenset[str]
    voluntary: frozenset[str]
    remembered: str | None
    previously_granted: frozenset[str] | None
    step_up: bool

    @property
    def fields(self) -> frozenset[str]:
        return self.essential | self.voluntary

    def granted(self, chosen: Iterable[str] | None) -> frozenset[str]:
        """The fields granted when the holder keeps ``chosen`` (``None``: all).

        :raises SsoError: ``essential_refused`` — an essential field was unticked.
        """
        if chosen is None:
            return self.fields
        kept = frozenset(chosen) & self.fields
        if not self.essential <= kept:
            raise SsoError("essential_refused", fields=", ".join(sorted(self.essential - kept)))
        return kept


_CLIENT_ID: Final = re.compile(r"[A-Za-z0-9._~-]{1,100}")


def valid_client_id(client_id: object) -> bool:
    """Whether ``client_id`` has a client id's shape (checked before any storage read)."""
    return isinstance(client_id, str) and _CLIENT_ID.fullmatch(client_id) is not None


@frozen(kw_only=True)
class SsoSignedIn(DomainEvent):
    """A holder signed in to a hub ("Masuk dengan SIAPkerja"): tokens were issued.

    No personal data: ids and the field names the grant may release.
    """

    name: ClassVar[str] = "sso.signed_in"
    account_id: str
    client_id: str
    verifier_id: str
    fields: tuple[str, ...]


@frozen(kw_only=True)
class SsoClientGranted(DomainEvent):
    """A holder consented to a hub they had no active consent with: a new SSO client.

    Emitted once per new grant (not when an existing consent is renewed or
    widened); the holder is told by a notice (``docs/notices.md``).
    """

    name: ClassVar[str] = "sso.client_granted"
    account_id: str
    client_id: str
    client_name: str
    fields: tuple[str, ...]


@frozen(kw_only=True)
class SsoReleased(DomainEvent):
    """A hub received a holder's consented claims at the userinfo endpoint (field names only)."""

    name: ClassVar[str] = "sso.released"
    account_id: str
    client_id: str
    verifier_id: str
    fields: tuple[str, ...]
