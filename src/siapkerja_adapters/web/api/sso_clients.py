"""The JSON API's administration of single sign-on clients (``/v1/admin/sso-clients``).

This module owns the operations an administrator calls on the relying
parties of "Masuk dengan SIAPkerja" (``svc.sso``): register a client (for an
existing hub, or a new hub registered with it), list and read them, change
what they may ask and where they send holders back, suspend, resume,
re-secret and remove them — and their wire shapes. A client's secret is in
the answer of the registration and of ``rotate-secret`` only, never again
(storage keeps an HMAC of it). Every operation needs the key of an active
verifier holding the ``admin`` scope (``institution.admin_required``, 403,
otherwise), as :mod:`.admin`'s do, and every action is recorded in the audit
with the actor ``verifier:<the administrator's id>``
(``GET /v1/admin/audit?target=<client id>``).

The OAuth endpoints themselves (authorize, token, userinfo …) are not here:
they are the provider's (:mod:`siapkerja_adapters.web.sso`).
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Path, Query
from pydantic import Field
from starlette.responses import Response

from siapkerja_core.disclosure import MAX_PURPOSE_LENGTH
from siapkerja_core.institutions import MAX_INSTITUTION_NAME, MAX_REASON_LENGTH
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import (
    DEFAULT_RATE_LIMIT,
    FIELD_SCOPES,
    MAX_REDIRECT_URIS,
    AuthMethod,
    IdTokenAlg,
)
from siapkerja_core.sso import SsoClient as CoreSsoClient

from ..threads import WorkerThreads
from . import bodies as b
from .admin import Admin, GrantableScope, Kind, OptionalReason, Reason, Status, _actor
from .bodies import _Body, _bounded, _text
from .common import json_response
from .models import Timestamp, _Out
from .problem_shape import problem_responses
from .routing import Reason as Refusal
from .routing import invalid_request

__all__ = ["add_sso_clients"]

_TAG: Final = "sso-clients"
_PATH: Final = "/admin/sso-clients"
_MAX_URI: Final = 2000
"""The longest redirect URI the API reads (the core refuses longer ones too)."""
_MAX_RATE_LIMIT: Final = 100_000

_FIELDS: Final = tuple(sorted(FIELD_SCOPES))
SsoField = Literal[_FIELDS]  # type: ignore[valid-type]
Method = Literal[tuple(m.value for m in AuthMethod)]  # type: ignore[valid-type]
SigningAlg = Literal[tuple(a.value for a in IdTokenAlg)]  # type: ignore[valid-type]
RedirectUri = Annotated[str, _bounded(_MAX_URI)]
RedirectUris = Annotated[list[RedirectUri], Field(min_length=1, max_length=MAX_REDIRECT_URIS)]
LogoutUris = Annotated[list[RedirectUri], Field(max_length=MAX_REDIRECT_URIS)]
FieldList = Annotated[list[SsoField], Field(max_length=len(_FIELDS))]
RateLimit = Annotated[int, Field(ge=1, le=_MAX_RATE_LIMIT)]
_REDIRECT_HELP: Final = (
    "Where the holder is sent back: absolute `https` URIs (`http` on loopback only), no"
    " fragment, matched character for character."
)
_HUB_REASON: Final[Refusal] = ("api.reason.sso_hub", {})
_ALG_HELP: Final = (
    "What its ID tokens are signed with: `EdDSA`, or `ES256` for relying-party libraries"
    " without EdDSA. Both keys are in `/oauth2/jwks`."
)
_JWKS_HELP: Final = (
    'A JWK Set of the client\'s public keys (`{"keys": [...]}`, no private member):'
    " required for `private_key_jwt`."
)


# --- bodies -----------------------------------------------------------------------------

_KEY_TEXT: Final = 4096  # an RSA modulus of 16384 bits is 2731 base64url characters
KeyText = Annotated[str, _bounded(_KEY_TEXT)]


class Jwk(_Body):
    """A public key (RFC 7517): its public members only. A private member (`d`, `p`, `q`,
    `dp`, `dq`, `qi`, `k`) is not a known field: the provider never holds a client's
    private key."""

    kty: Annotated[str, _bounded(8)] = _text("Key type: `EC`, `OKP` or `RSA`.", "OKP")
    crv: Annotated[str, _bounded(16)] | None = Field(
        default=None, description="The curve (`EC`, `OKP`).", examples=["Ed25519"]
    )
    x: KeyText | None = Field(default=None, description="Public key material (`EC`, `OKP`).")
    y: KeyText | None = Field(default=None, description="Public key material (`EC`).")
    n: KeyText | None = Field(default=None, description="The modulus (`RSA`).")
    e: Annotated[str, _bounded(16)] | None = Field(
        default=None, description="The exponent (`RSA`)."
    )
    kid: Annotated[str, _bounded(200)] | None = Field(
        default=None, description="The key's id.", examples=["karirhub-2026"]
    )
    use: Annotated[str, _bounded(8)] | None = Field(default=None, examples=["sig"])
    alg: Annotated[str, _bounded(16)] | None = Field(default=None, examples=["EdDSA"])
    key_ops: Annotated[list[Annotated[str, _bounded(16)]], Field(max_length=8)] | None = None
    x5c: Annotated[list[Annotated[str, _bounded(8192)]], Field(max_length=4)] | None = None
    x5t: Annotated[str, _bounded(64)] | None = None
    x5t_s256: Annotated[str, _bounded(64)] | None = Field(default=None, alias="x5t#S256")


class JwkSet(_Body):
    keys: Annotated[list[Jwk], Field(min_length=1, max_length=10)] = Field(
        description="1 to 10 public keys."
    )

    def plain(self) -> dict[str, Any]:
        """As JSON (members absent stay absent)."""
        return self.model_dump(exclude_none=True, by_alias=True)


class AddSsoClient(_Body):
    """Either `verifier_id` (an active hub) or `name` and `scopes` (a new hub, registered
    with the client, with no API key of its own)."""

    redirect_uris: RedirectUris = Field(
        description=_REDIRECT_HELP, examples=[["https://karirhub.kemnaker.go.id/oidc/callback"]]
    )
    purpose: Annotated[str, _bounded(MAX_PURPOSE_LENGTH)] = _text(
        "What the holder consents to, shown on the consent screen.", "lamaran-kerja"
    )
    verifier_id: Annotated[str, _bounded(b.MAX_PARAMETER_LENGTH)] | None = Field(
        default=None, description="The hub: an active verifier's id.", examples=["9f3c2a…"]
    )
    name: Annotated[str, _bounded(MAX_INSTITUTION_NAME)] | None = Field(
        default=None, description="Or a new hub's name (with `scopes`).", examples=["Karirhub"]
    )
    scopes: Annotated[list[GrantableScope], Field(min_length=1, max_length=20)] | None = Field(
        default=None,
        description="The new hub's scopes: they bound the fields (never `admin`).",
        examples=[["karirhub"]],
    )
    kind: Kind = Field(
        default="job_portal", description="The new hub's kind.", examples=["job_portal"]
    )
    fields: FieldList | None = Field(
        default=None,
        description="The disclosure fields it may ask for; absent or null: every field of the"
        " hub's scopes.",
        examples=[["headline", "contact", "skills", "work"]],
    )
    essential: FieldList = Field(
        default_factory=list,
        description="Fields the holder cannot untick (some of `fields`).",
        examples=[["headline"]],
    )
    post_logout_redirect_uris: LogoutUris = Field(
        default_factory=list,
        description="Where the holder may be sent after signing out.",
        examples=[["https://karirhub.kemnaker.go.id/"]],
    )
    auth_method: Method = Field(
        default=AuthMethod.CLIENT_SECRET_BASIC.value,
        description="How it authenticates at the token endpoint.",
        examples=["client_secret_basic"],
    )
    jwks: JwkSet | None = Field(default=None, description=_JWKS_HELP)
    id_token_alg: SigningAlg = Field(
        default=IdTokenAlg.EDDSA.value, description=_ALG_HELP, examples=["ES256"]
    )
    high_assurance: bool = Field(
        default=False, description="Pushed authorization requests and `private_key_jwt` required."
    )
    step_up: bool = Field(default=False, description="Every sign-in needs a fresh SMS code.")
    rate_limit: RateLimit = Field(
        default=DEFAULT_RATE_LIMIT, description="Back-channel calls per minute."
    )


class UpdateSsoClient(_Body):
    """What changes; a member absent or null stays as it is. A list replaces the whole list."""

    redirect_uris: RedirectUris | None = Field(default=None, description=_REDIRECT_HELP)
    post_logout_redirect_uris: LogoutUris | None = Field(
        default=None, description="Where the holder may be sent after signing out (`[]`: none)."
    )
    fields: FieldList | None = Field(default=None, description="The fields it may ask for.")
    essential: FieldList | None = Field(
        default=None, description="The fields the holder cannot untick (`[]`: none)."
    )
    rate_limit: RateLimit | None = Field(default=None, description="Back-channel calls per minute.")
    step_up: bool | None = Field(default=None, description="Every sign-in needs a fresh SMS code.")
    jwks: JwkSet | None = Field(default=None, description=_JWKS_HELP)
    id_token_alg: SigningAlg | None = Field(default=None, description=_ALG_HELP)
    reason: Annotated[str, _bounded(MAX_REASON_LENGTH)] | None = Field(
        default=None, description="Why (recorded in the audit).", examples=["Alamat baru"]
    )


# --- responses --------------------------------------------------------------------------


class SsoClient(_Out):
    id: str = Field(description="The `client_id`.")
    verifier_id: str = Field(description="The hub it belongs to.")
    name: str
    purpose: str = Field(description="Canonical (lower-cased): what consents match on.")
    purpose_label: str = Field(description="As written: what the consent screen shows.")
    fields: list[str]
    essential: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    auth_method: Method
    jwks: dict[str, Any] | None = Field(description="Its public keys (`private_key_jwt`).")
    id_token_alg: SigningAlg = Field(description="What its ID tokens are signed with.")
    high_assurance: bool
    step_up: bool
    rate_limit: int
    status: Status
    active: bool
    created_at: Timestamp
    secret_rotated_at: Timestamp | None

    @classmethod
    def from_core(cls, client: CoreSsoClient) -> SsoClient:
        return cls(
            id=client.id,
            verifier_id=client.verifier_id,
            name=client.name,
            purpose=client.purpose,
            purpose_label=client.purpose_label,
            fields=sorted(client.fields),
            essential=sorted(client.essential),
            redirect_uris=list(client.redirect_uris),
            post_logout_redirect_uris=list(client.post_logout_redirect_uris),
            auth_method=client.auth_method.value,
            jwks=None if client.jwks is None else {"keys": list(client.jwks["keys"])},
            id_token_alg=client.id_token_alg.value,
            high_assurance=client.high_assurance,
            step_up=client.step_up,
            rate_limit=client.rate_limit,
            status=client.status.value,
            active=client.active,
            created_at=client.created_at,
            secret_rotated_at=client.secret_rotated_at,
        )


class SsoClientList(_Out):
    items: list[SsoClient]


class SsoClientSecret(_Out):
    client: SsoClient
    client_secret: str | None = Field(
        description="The client secret: shown this once, stored only as an HMAC (null for a"
        " `private_key_jwt` client, which has none)."
    )


# --- parameters ---------------------------------------------------------------------------

ClientId = Annotated[
    b.CleanText,
    Path(description="The client's id.", min_length=1, max_length=b.MAX_PARAMETER_LENGTH),
]


def add_sso_clients(router: APIRouter, svc: Siapkerja, pool: WorkerThreads) -> None:
    """Add the administration of single sign-on clients."""
    read_errors = problem_responses(401, 403, 404, 405, 413, 500)
    change_errors = problem_responses(401, 403, 404, 405, 409, 413, 500)

    @router.post(
        _PATH,
        operation_id="admin_add_sso_client",
        tags=[_TAG],
        summary="Register a single sign-on client; its secret is answered once",
        status_code=201,
        response_model=SsoClientSecret,
        response_description="The client and its secret.",
        responses=problem_responses(401, 403, 404, 405, 409, 413, 500),
    )
    async def add_client(admin: Admin, body: AddSsoClient) -> Response:
        new_hub = (body.name, body.scopes)
        if body.verifier_id is not None and new_hub != (None, None):
            raise invalid_request([(True, "name" if body.name else "scopes", _HUB_REASON)])
        if body.verifier_id is None and None in new_hub:
            raise invalid_request([(True, "scopes" if body.name else "verifier_id", _HUB_REASON)])

        def add() -> tuple[CoreSsoClient, str | None]:
            if body.verifier_id is not None:
                svc.verifiers.get(body.verifier_id)  # an unknown hub: institution.unknown
            return svc.sso.add_client(
                redirect_uris=body.redirect_uris,
                purpose=body.purpose,
                verifier_id=body.verifier_id,
                name=body.name,
                scopes=body.scopes,
                kind=body.kind,
                fields=body.fields,
                essential=body.essential,
                post_logout_redirect_uris=body.post_logout_redirect_uris,
                auth_method=body.auth_method,
                jwks=None if body.jwks is None else body.jwks.plain(),
                id_token_alg=body.id_token_alg,
                high_assurance=body.high_assurance,
                step_up=body.step_up,
                rate_limit=body.rate_limit,
                actor=_actor(admin),
            )

        client, secret = await pool.run(add)
        answer = SsoClientSecret(client=SsoClient.from_core(client), client_secret=secret)
        return json_response(answer, 201)

    @router.get(
        _PATH,
        operation_id="admin_list_sso_clients",
        tags=[_TAG],
        summary="The single sign-on clients, oldest first",
        response_model=SsoClientList,
        response_description="The clients matching the filters.",
        responses=problem_responses(401, 403, 405, 413, 500),
    )
    async def list_clients(
        admin: Admin,
        status: Annotated[Status | None, Query(description="Only this status.")] = None,
        verifier_id: Annotated[
            b.CleanText | None,
            Query(max_length=b.MAX_PARAMETER_LENGTH, description="Only this hub's clients."),
        ] = None,
    ) -> Response:
        found = await pool.run(lambda: svc.sso.clients(status=status, verifier_id=verifier_id))
        return json_response(SsoClientList(items=[SsoClient.from_core(c) for c in found]))

    @router.get(
        _PATH + "/{client_id}",
        operation_id="admin_get_sso_client",
        tags=[_TAG],
        summary="One single sign-on client (never its secret)",
        response_model=SsoClient,
        response_description="The client.",
        responses=read_errors,
    )
    async def get_client(admin: Admin, client_id: ClientId) -> Response:
        return json_response(SsoClient.from_core(await pool.run(svc.sso.client, client_id)))

    @router.patch(
        _PATH + "/{client_id}",
        operation_id="admin_update_sso_client",
        tags=[_TAG],
        summary="Change a client's redirect URIs, fields, rate limit, step-up, keys or ID token"
        " algorithm",
        response_model=SsoClient,
        response_description="The changed client.",
        responses=change_errors,
    )
    async def update_client(admin: Admin, client_id: ClientId, body: UpdateSsoClient) -> Response:
        changes = body.model_dump(exclude_none=True, exclude={"jwks"})
        if body.jwks is not None:
            changes["jwks"] = body.jwks.plain()
        client = await pool.run(
            lambda: svc.sso.update_client(client_id, **changes, actor=_actor(admin))
        )
        return json_response(SsoClient.from_core(client))

    @router.post(
        _PATH + "/{client_id}/suspend",
        operation_id="admin_suspend_sso_client",
        tags=[_TAG],
        summary="Refuse the client until it is resumed",
        response_model=SsoClient,
        response_description="The suspended client.",
        responses=change_errors,
    )
    async def suspend(admin: Admin, client_id: ClientId, body: Reason) -> Response:
        client = await pool.run(
            lambda: svc.sso.suspend_client(client_id, reason=body.reason, actor=_actor(admin))
        )
        return json_response(SsoClient.from_core(client))

    @router.post(
        _PATH + "/{client_id}/resume",
        operation_id="admin_resume_sso_client",
        tags=[_TAG],
        summary="Accept a suspended client again",
        response_model=SsoClient,
        response_description="The active client.",
        responses=change_errors,
    )
    async def resume(
        admin: Admin, client_id: ClientId, body: OptionalReason | None = None
    ) -> Response:
        reason = None if body is None else body.reason
        client = await pool.run(
            lambda: svc.sso.resume_client(client_id, reason=reason, actor=_actor(admin))
        )
        return json_response(SsoClient.from_core(client))

    @router.post(
        _PATH + "/{client_id}/rotate-secret",
        operation_id="admin_rotate_sso_client_secret",
        tags=[_TAG],
        summary="A new client secret; the old one stops working at once",
        response_model=SsoClientSecret,
        response_description="The client and its new secret (answered once).",
        responses=change_errors,
    )
    async def rotate_secret(
        admin: Admin, client_id: ClientId, body: OptionalReason | None = None
    ) -> Response:
        reason = None if body is None else body.reason

        def rotate() -> tuple[CoreSsoClient, str]:
            secret = svc.sso.rotate_client_secret(client_id, reason=reason, actor=_actor(admin))
            return svc.sso.client(client_id), secret

        client, secret = await pool.run(rotate)
        return json_response(
            SsoClientSecret(client=SsoClient.from_core(client), client_secret=secret)
        )

    @router.post(
        _PATH + "/{client_id}/remove",
        operation_id="admin_remove_sso_client",
        tags=[_TAG],
        summary="Remove a client for good: every token it holds is revoked",
        response_model=SsoClient,
        response_description="The removed (retired) client.",
        responses=change_errors,
    )
    async def remove(admin: Admin, client_id: ClientId, body: Reason) -> Response:
        client = await pool.run(
            lambda: svc.sso.remove_client(client_id, reason=body.reason, actor=_actor(admin))
        )
        return json_response(SsoClient.from_core(client))
