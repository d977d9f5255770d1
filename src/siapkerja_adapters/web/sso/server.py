"""The OpenID Connect provider's protocol engine: Authlib's grants and endpoints over ``svc.sso``.

This module owns :class:`SsoServer`, an Authlib authorization server (on
the Starlette binding of :mod:`.binding`) whose models and storage are the
service's :class:`~siapkerja_core.services.sso.SingleSignOn`:

* the **authorization code grant** with OpenID Connect (``nonce`` required,
  ``prompt``), **PKCE with S256 only and always required**, the code issued
  and redeemed by the service, and an **ID token** signed as the client is
  registered: ``EdDSA`` with the keyring's Ed25519 key, or ``ES256`` with the
  P-256 key derived from it (``kid`` in the header, ``at_hash``);
* the **refresh token grant**: rotation and reuse detection are the service's;
* **client authentication** as each client is registered:
  ``client_secret_basic``, ``client_secret_post`` or ``private_key_jwt``
  (RFC 7523: the assertion's ``aud`` is the issuer or the token endpoint, its
  ``jti`` spent once), and a per-client **rate limit** once a client is known;
* **revocation** (RFC 7009), **introspection** (RFC 7662), **pushed
  authorization requests** (RFC 9126, which Authlib lacks: :meth:`SsoServer.push`),
  **RP-initiated logout** validation, and the authorization response's
  ``iss`` (RFC 9207).

Every :class:`~siapkerja_core.sso.SsoError` becomes an OAuth error here
(:func:`oauth_error`), in English as RFC 6749 asks; the Indonesian wording
is the holder's pages' (:mod:`.pages`). Methods run in a worker thread.
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    AuthorizationCodeGrant,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import AuthorizationCodeMixin
from authlib.oidc.core.errors import RequestNotSupportedError
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from siapkerja_adapters.web.sso.binding import (
    OAuthResponse,
    ReadRequest,
    StarletteAuthorizationServer,
)
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.sso import (
    AuthMethod,
    IdTokenAlg,
    SsoClient,
    SsoError,
    SsoToken,
    scope_string,
)
from siapkerja_core.tokens.jws import sign_eddsa, sign_jws, split_jws, verify_eddsa, verify_jws

__all__ = [
    "ASSERTION_ALGORITHMS",
    "AUTH_METHODS",
    "ID_TOKEN_ALGORITHMS",
    "ID_TOKEN_TTL",
    "MAX_ASSERTION_LIFETIME",
    "Holder",
    "RateLimitedError",
    "SsoServer",
    "oauth_error",
    "sign_eddsa",
    "sign_jws",
    "verify_eddsa",
    "verify_jws",
]

AUTH_METHODS: Final = [m.value for m in AuthMethod]
"""The client authentication methods offered (each client uses the one it registered)."""
ID_TOKEN_ALGORITHMS: Final = [a.value for a in IdTokenAlg]
"""What ID tokens are signed with (each client's registered ``id_token_alg``)."""
ASSERTION_ALGORITHMS: Final = ["EdDSA", "ES256", "PS256", "RS256"]
"""What a ``private_key_jwt`` assertion may be signed with (no ``none``, no HMAC)."""
MAX_ASSERTION_LIFETIME: Final = 600
"""Seconds ahead a client assertion's ``exp`` may lie (RFC 7523 §3 leaves it to us)."""
ID_TOKEN_TTL: Final = 300
"""An ID token is good for five minutes: it proves a sign-in, it is no session."""

_ISSUER: ContextVar[str] = ContextVar("siapkerja_sso_issuer")
"""The issuer of the request being handled (set by :meth:`SsoServer.bind`)."""


def _issuer() -> str:
    return _ISSUER.get()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def _ascii(text: str) -> str:
    """A description RFC 6749 §5.2 allows: printable ASCII without ``"`` and ``\\``."""
    return "".join(
        c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "'" if c == '"' else "?" for c in text
    )[:300]


class RateLimitedError(OAuth2Error):  # type: ignore[misc]
    """HTTP 429 with ``Retry-After``: the client called too often this minute."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(_ascii(f"Too many requests; retry after {retry_after} seconds."))
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


class UnsupportedTokenTypeError(OAuth2Error):  # type: ignore[misc]
    """RFC 7009 §2.2.1: a ``token_type_hint`` this server does not know (HTTP 400;
    Authlib's answers 401, as if the client had failed to authenticate)."""

    error = "unsupported_token_type"
    status_code = 400


def _check_token_params(request: OAuth2Request, supported: Iterable[str]) -> None:
    """``token`` present; a ``token_type_hint``, if any, one of ``supported``."""
    if "token" not in request.form:
        raise InvalidRequestError("Missing 'token' in request.")
    hint = request.form.get("token_type_hint")
    if hint and hint not in supported:
        raise UnsupportedTokenTypeError(
            _ascii(f"Unsupported token_type_hint; use one of: {', '.join(supported)}.")
        )


_GRANT_CODES: Final = frozenset({"invalid_grant", "consent_withdrawn", "account_closed"})
_CLIENT_CODES: Final = frozenset({"unknown_client", "client_suspended", "invalid_client"})


def oauth_error(error: SiapkerjaError) -> OAuth2Error:
    """The OAuth error for a service refusal (English description, RFC 6749 §5.2)."""
    description = _ascii(error.message("en"))
    if isinstance(error, SsoError):
        if error.code == "rate_limited":
            value = error.params.get("retry_after")
            seconds = value if isinstance(value, int) and value > 0 else 60
            return RateLimitedError(seconds)
        if error.code in _GRANT_CODES:
            return InvalidGrantError(description)
        if error.code in _CLIENT_CODES:
            return InvalidClientError(description=description, status_code=401)
        if error.code == "invalid_scope":
            return InvalidScopeError(description)
        if error.code == "invalid_token":
            return InvalidTokenError(description)
    return InvalidRequestError(description)


# --------------------------------------------------------------------------
# Authlib's models over the service's values
# --------------------------------------------------------------------------


class Client(ClientMixin):  # type: ignore[misc]
    """An :class:`~siapkerja_core.sso.SsoClient` as Authlib asks about it."""

    def __init__(self, model: SsoClient, server: SsoServer) -> None:
        self.model = model
        self._server = server

    @property
    def client_id(self) -> str:
        return self.model.id

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.model.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.model.id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is required: no default, exact match only

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.model.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self._server.sso.check_client_secret(self.model, client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.model.auth_method.value

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class CodeRecord(AuthorizationCodeMixin):  # type: ignore[misc]
    """A redeemed authorization code (the service's grant record)."""

    def __init__(self, token: SsoToken) -> None:
        self.token = token
        self.code_challenge = token.code_challenge
        self.code_challenge_method = token.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.token.redirect_uri

    def get_scope(self) -> str:
        return self.token.scope

    def get_nonce(self) -> str | None:
        return self.token.nonce

    def get_auth_time(self) -> int | None:
        at = self.token.auth_time
        return None if at is None else int(at.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str] | None:
        return list(self.token.amr) or None


class Holder:
    """The signed-in holder who granted an authorization request (Authlib's "user")."""

    __slots__ = ("account_id", "amr", "auth_time", "consent_id", "fields")

    def __init__(
        self,
        account_id: str,
        *,
        consent_id: str,
        fields: Iterable[str],
        auth_time: datetime,
        amr: Iterable[str],
    ) -> None:
        self.account_id = account_id
        self.consent_id = consent_id
        self.fields = frozenset(fields)
        self.auth_time = auth_time
        self.amr = tuple(amr)


# --------------------------------------------------------------------------
# Grants and extensions
# --------------------------------------------------------------------------


def _bearer(issued: Any) -> dict[str, Any]:
    token: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": int(issued.expires_in),
        "scope": issued.scope,
    }
    if issued.refresh_token:
        token["refresh_token"] = issued.refresh_token
    return token


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization code grant, codes issued and redeemed by the service."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    server: SsoServer

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        if not isinstance(grant_user, Holder):
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        payload = self.request.payload
        requested = (payload.scope or "").split()
        # The state is spent only now: an anonymous request stores nothing, and the
        # first of two requests racing with one state wins (the pages checked it unused).
        if payload.state and not self.server.sso.spend_state(
            self.request.client.model, payload.state
        ):
            raise InvalidRequestError(
                "This state was used before.", redirect_uri=redirect_uri, state=payload.state
            )
        code = self.server.sso.issue_code(
            self.request.client.model,
            grant_user.account_id,
            consent_id=grant_user.consent_id,
            fields=grant_user.fields,
            scope=scope_string(grant_user.fields, offline="offline_access" in requested),
            redirect_uri=redirect_uri,
            nonce=payload.data.get("nonce"),
            code_challenge=payload.data.get("code_challenge"),
            code_challenge_method=payload.data.get("code_challenge_method"),
            auth_time=grant_user.auth_time,
            amr=grant_user.amr,
        )
        params = [("code", code)]
        if payload.state:
            params.append(("state", payload.state))
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params))]

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        self._check_before_redeeming(client)
        try:
            return CodeRecord(self.server.sso.redeem_code(client.model, code))
        except SsoError as error:
            if error.code == "invalid_grant":
                return None
            raise oauth_error(error) from None

    def _check_before_redeeming(self, client: Client) -> None:
        """A malformed request never spends the code: ``code_verifier`` present and
        well-formed (every code carries a PKCE challenge), ``redirect_uri`` present and
        registered. A *wrong* verifier, or another registered redirect URI than the
        code's, is found after redeeming and spends it (an attack signal)."""
        form = self.request.form
        verifier = form.get("code_verifier")
        if not verifier:
            raise InvalidRequestError("Missing 'code_verifier'")
        if not CODE_VERIFIER_PATTERN.match(verifier):
            raise InvalidRequestError("Invalid 'code_verifier'")
        redirect_uri = self.request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidGrantError("Invalid 'redirect_uri' in request.")

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Nothing: redeeming marked the code used."""

    def authenticate_user(self, authorization_code: CodeRecord) -> str | None:
        return authorization_code.token.account_id

    @hooked  # type: ignore[untyped-decorator]
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        record: CodeRecord = self.request.authorization_code
        self.request.user = record.token.account_id
        try:
            issued = self.server.sso.issue_tokens(client.model, record.token)
        except SiapkerjaError as error:
            raise oauth_error(error) from None
        return 200, _bearer(issued), self.TOKEN_RESPONSE_HEADER


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation: the service spends the old refresh token (reuse ends the grant).

    A ``scope`` parameter is not honoured: the new tokens carry the grant's scope."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    server: SsoServer

    def validate_token_request(self) -> None:
        self.request.client = self._validate_request_client()
        if not self.request.form.get("refresh_token"):
            raise InvalidRequestError("Missing 'refresh_token' in request.")

    @hooked  # type: ignore[untyped-decorator]
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        try:
            issued = self.server.sso.refresh(client.model, self.request.form["refresh_token"])
        except SiapkerjaError as error:
            raise oauth_error(error) from None
        return 200, _bearer(issued), self.TOKEN_RESPONSE_HEADER


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE (RFC 7636) required of every client, S256 only (``plain`` and none refused)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class OpenIDConnect(OpenIDCode):  # type: ignore[misc]
    """OpenID Connect on the code grant: ``nonce`` required, the ID token signed with the
    client's ``id_token_alg`` (EdDSA or ES256)."""

    def __init__(self, server: SsoServer) -> None:
        super().__init__(require_nonce=True)
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # replays are caught by the spent state and the one-time code

    def get_client_algorithm(self, client: Client) -> str:
        return client.model.id_token_alg.value

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.server.clock().timestamp())
        return {"iss": _issuer(), "aud": client.model.id, "iat": now, "exp": now + ID_TOKEN_TTL}

    def encode_id_token(self, token: Mapping[str, Any], request: OAuth2Request) -> str:
        client: Client = request.client
        claims = self.get_compatible_claims(request)
        claims.update(self.get_authorization_code_claims(request.authorization_code))
        alg = self.get_client_algorithm(client)
        at_hash = create_half_hash(token["access_token"], alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode("ascii")
        grant = request.authorization_code.token
        claims.update(self.server.sso.id_token_claims(client.model, grant))
        kid, private_key = self.server.sso.signing_key(alg)
        return sign_jws(alg, kid, private_key, claims)


class Issuer(IssuerParameter):  # type: ignore[misc]
    """RFC 9207: ``iss`` in every authorization response, errors included."""

    def get_issuer(self) -> str:
        return _issuer()


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """``private_key_jwt`` (RFC 7523 §2.2): the client's own key, its ``jti`` spent once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: SsoServer) -> None:
        super().__init__(validate_jti=True)
        self.server = server

    def get_audiences(self) -> list[str]:
        issuer = _issuer()
        return [issuer, issuer + "/oauth2/token", issuer + "/oauth2/par"]

    def resolve_client_public_key(self, client: Client) -> Any:
        try:
            return KeySet.import_key_set(dict(client.model.jwks or {"keys": []}))
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientError(
                description="The client's registered keys are unusable."
            ) from None

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            header = split_jws(assertion)[0]
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidClientError(description="Invalid JWT assertion.") from None
        alg = header.get("alg")
        if alg not in ASSERTION_ALGORITHMS:
            raise InvalidClientError(description="Unsupported assertion algorithm.")
        if alg == "EdDSA":
            try:
                claims = verify_eddsa(assertion, resolve_key.as_dict(private=False))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                raise InvalidClientError(description="Invalid assertion signature.") from None
        else:
            try:
                claims = dict(jose_jwt.decode(assertion, resolve_key, algorithms=[alg]).claims)
            except (JoseError, ValueError, TypeError):
                raise InvalidClientError(description="Invalid assertion signature.") from None
        self.verify_claims(claims)
        return claims

    def verify_claims(self, claims: Any) -> None:
        """Authlib's checks (``iss`` = ``sub`` = the client, ``aud``, ``exp``, ``jti`` once),
        and a lifetime of at most :data:`MAX_ASSERTION_LIFETIME`: an assertion is for one
        request, and its ``jti`` is remembered until it expires."""
        exp = claims.get("exp")
        if isinstance(exp, int) and exp > time.time() + MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(description="The assertion lives too long (exp).")
        super().verify_claims(claims)

    def validate_jti(self, claims: Mapping[str, Any], jti: Any) -> bool:
        client = self.server.query_client(claims.get("sub"))
        exp = claims.get("exp")
        if client is None or not isinstance(jti, str) or not isinstance(exp, int):
            return False
        if not 1 <= len(jti) <= 200:
            return False
        expires = datetime.fromtimestamp(min(exp, 2**31), UTC)
        return bool(self.server.sso.spend_assertion(client.model, jti, expires))


# --------------------------------------------------------------------------
# Revocation, introspection, logout
# --------------------------------------------------------------------------


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: the service revokes (a refresh token takes its grant along)."""

    CLIENT_AUTH_METHODS = AUTH_METHODS
    server: SsoServer

    def check_params(self, request: OAuth2Request, client: Client) -> None:
        _check_token_params(request, self.SUPPORTED_TOKEN_TYPES)

    def create_endpoint_response(self, request: OAuth2Request) -> Any:
        client = self.authenticate_endpoint_client(request)
        self.check_params(request, client)
        try:
            self.server.sso.revoke(client.model, request.form["token"])
        except SiapkerjaError as error:
            raise oauth_error(error) from None
        return 200, {}, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662: active only for the caller's own live token under an active consent."""

    CLIENT_AUTH_METHODS = AUTH_METHODS
    server: SsoServer

    def check_params(self, request: OAuth2Request, client: Client) -> None:
        _check_token_params(request, self.SUPPORTED_TOKEN_TYPES)

    def create_endpoint_response(self, request: OAuth2Request) -> Any:
        client = self.authenticate_endpoint_client(request)
        self.check_params(request, client)
        try:
            body = dict(self.server.sso.introspect(client.model, request.form["token"]))
        except SiapkerjaError as error:
            raise oauth_error(error) from None
        if body.get("active"):
            body.setdefault("iss", _issuer())
        return 200, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout: the ``id_token_hint`` checked with the provider's own keys.

    The pages end the session (after the holder confirms): :meth:`end_session`
    is not called here."""

    server: SsoServer

    def get_server_jwks(self) -> dict[str, Any]:
        return dict(self.server.sso.jwks())

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        # Authlib's check decodes with joserfc, which warns on EdDSA: the same check
        # by hand (signature by one of our keys, EdDSA or ES256 as the client's ID
        # tokens are, our issuer; exp not checked, §2).
        try:
            claims = verify_jws(id_token_hint, self.get_server_jwks(), ID_TOKEN_ALGORITHMS)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidRequestError("The id_token_hint was not issued here.") from None
        if claims.get("iss") != _issuer():
            raise InvalidRequestError("The id_token_hint was not issued here.")
        return claims

    def end_session(self, end_session_request: Any) -> None:
        """Nothing here: the pages end the session once the holder confirms."""


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class SsoServer(StarletteAuthorizationServer):
    """The provider's Authlib server over ``svc.sso``.

    Call :meth:`bind` (in the worker thread) with the issuer before any other method.
    """

    def __init__(self, sso: Any, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(scopes_supported=None)
        self.sso = sso
        self.clock = clock or (lambda: datetime.now(UTC))
        self.register_grant(CodeGrant, [S256Challenge(), OpenIDConnect(self)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_endpoint(EndSession)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJwt(self))
        self.issuer_parameter = Issuer()
        self.register_extension(self.issuer_parameter)  # calls it with the server: a hook

    @staticmethod
    def bind(issuer: str) -> None:
        """The issuer of the request this thread now handles."""
        _ISSUER.set(issuer)

    # --- clients --------------------------------------------------------------------------

    def query_client(self, client_id: Any) -> Client | None:
        """The client, or None when unknown; a suspended one is refused as suspended.

        :raises InvalidClientError: the client (or its hub) is suspended.
        """
        if not isinstance(client_id, str):
            return None
        try:
            return Client(self.sso.usable_client(client_id), self)
        except SsoError as error:
            if error.code == "client_suspended":
                raise oauth_error(error) from None
            return None

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str], endpoint: str = "token"
    ) -> Client:
        """Authlib's client authentication, hostile headers refused, then the rate limit."""
        try:
            client: Client = super().authenticate_client(request, methods, endpoint)
        except (ValueError, UnicodeError, binascii.Error, TypeError):
            raise InvalidClientError(
                status_code=401, description="Malformed client credentials."
            ) from None
        except InvalidClientError as error:
            # Authlib's "The client cannot authenticate with methods: [...]" for a wrong
            # or missing secret lists methods the client never registered.
            if str(error.description or "").startswith("The client cannot authenticate"):
                error.description = "Client authentication failed."
            raise
        named = request.payload.client_id
        if named is not None and named != client.model.id:
            raise InvalidClientError(status_code=401, description="client_id does not match.")
        try:
            self.sso.hit_rate_limit(client.model)
        except SsoError as error:
            raise oauth_error(error) from None
        return client

    def validate_requested_scope(self, scope: str | None) -> None:
        """Scopes are checked per client (``svc.sso.plan``); only ``openid`` is required here."""
        if "openid" not in (scope or "").split():
            raise InvalidScopeError("The scope must include openid.")

    # --- the authorization endpoint -------------------------------------------------------

    def check_authorization(self, read: ReadRequest, end_user: Any = None) -> Any:
        """Authlib's validation of an authorization request: the grant, or an OAuth2Error
        (with ``redirect_uri`` set only once the redirect URI is known good)."""
        request = self.create_oauth2_request(read)
        if "request" in request.payload.data:
            grant = self.get_consent_grant(request, end_user=end_user)  # the redirect checks first
            raise RequestNotSupportedError(
                "Request objects are not supported.",
                state=request.payload.state,
                redirect_uri=grant.redirect_uri,
            )
        return self.get_consent_grant(request, end_user=end_user)

    def error_redirect(self, read: ReadRequest, error: OAuth2Error) -> OAuthResponse:
        """An authorization error as a redirect (``state`` and ``iss`` added)."""
        request = self.create_oauth2_request(read)
        if error.state is None:
            error.state = request.payload.state
        response: OAuthResponse = self.handle_error_response(request, error)
        self.issuer_parameter.add_issuer_parameter(self, response)
        return response

    def authorize(self, read: ReadRequest, holder: Holder | None) -> OAuthResponse:
        """The authorization response (a code, or ``access_denied`` when ``holder`` is None)."""
        request = self.create_oauth2_request(read)
        grant = self.get_consent_grant(request, end_user=holder)
        response: OAuthResponse = self.create_authorization_response(
            request=request, grant_user=holder, grant=grant
        )
        return response

    # --- pushed authorization requests (RFC 9126) ---------------------------------------

    def push(self, read: ReadRequest) -> OAuthResponse:
        """``POST /oauth2/par``: authenticate the client, validate the request, keep it."""
        request = self.create_oauth2_request(read)
        try:
            if "request_uri" in request.form:
                raise InvalidRequestError("request_uri is not allowed in a pushed request.")
            client = self.authenticate_client(request, AUTH_METHODS, "par")
            parameters = {
                name: value
                for name, value in request.form.items()
                if name not in ("client_assertion", "client_assertion_type", "client_secret")
            }
            parameters["client_id"] = client.model.id
            pushed = self.create_oauth2_request(read.replaced(parameters))
            try:
                self.check_authorization(pushed)
            except OAuth2Error as error:
                error.redirect_uri = None  # answered here, never redirected
                error.state = None
                raise
            request_uri, expires_in = self.sso.push_request(client.model, parameters)
        except OAuth2Error as error:
            response: OAuthResponse = self.handle_error_response(request, error)
            return response
        except SiapkerjaError as error:
            return self.handle_error_response(request, oauth_error(error))  # type: ignore[no-any-return]
        body = {"request_uri": request_uri, "expires_in": int(expires_in)}
        return OAuthResponse(
            201, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        )

    # --- the token endpoint and the others ----------------------------------------------

    def token(self, read: ReadRequest) -> OAuthResponse:
        response: OAuthResponse = self.create_token_response(read)
        return response

    def endpoint(self, name: str, read: ReadRequest) -> OAuthResponse:
        request = self.create_oauth2_request(read)
        try:
            response = self.create_endpoint_response(name, request)
        except SiapkerjaError as error:
            response = self.handle_error_response(request, oauth_error(error))
        return response  # type: ignore[no-any-return]
