"""The OpenID Connect provider ("Masuk dengan SIAPkerja") over HTTP.

This package owns the provider's routes, wired into ``create_app`` below the
application's base path, and the issuer they all share:

* :mod:`.binding` — a small Starlette binding for Authlib's authorization server;
* :mod:`.server` — the protocol: Authlib's grants and endpoints over ``svc.sso``,
  PAR, EdDSA or ES256 ID tokens (per client);
* :mod:`.pages` — the holder's side: the authorization endpoint, the SMS code,
  the consent screen and the logout confirmation;
* :mod:`.discovery` — ``/.well-known/openid-configuration``, advertising exactly
  what works;
* this module — :class:`SsoProvider`: the issuer, the back-channel endpoints
  (token, PAR, userinfo, revocation, introspection, JWKS) and running
  Authlib in the application's worker threads.

The back-channel endpoints answer OAuth JSON errors (English descriptions,
RFC 6749 §5.2), a method other than POST included (405, ``Allow: POST``);
nothing a client sends makes them answer 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from siapkerja_adapters.web.pages.site import Site
from siapkerja_adapters.web.sso.binding import read_request, to_starlette
from siapkerja_adapters.web.sso.discovery import metadata
from siapkerja_adapters.web.sso.pages import SsoPages
from siapkerja_adapters.web.sso.server import SsoServer, oauth_error
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.sso import SsoError

__all__ = ["ISSUER_SETTING", "SsoProvider"]

logger = logging.getLogger("siapkerja.web")

T = TypeVar("T")

ISSUER_SETTING: Final = "sso_issuer"
"""The setting naming the issuer outright (``https://siapkerja.kemnaker.go.id``)."""
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PUBLIC: Final = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
_MAX_BEARER: Final = 512
_NOT_POST: Final = ["GET", "PUT", "PATCH", "DELETE"]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _oauth_failure(error: OAuth2Error) -> Response:
    status, body, headers = error()
    return _json(body, status, {**dict(headers), **_NO_STORE, "Content-Type": "application/json"})


class SsoProvider:
    """The OpenID Connect provider's routes over one :class:`~siapkerja_adapters.web.pages.Site`."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.server = SsoServer(site.svc.sso, clock=site.svc.now)
        self.pages = SsoPages(site, self)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(
                "/.well-known/openid-configuration",
                self.discovery,
                methods=["GET"],
                name="sso_discovery",
            ),
            Route("/oauth2/jwks", self.jwks, methods=["GET"], name="sso_jwks"),
            Route("/oauth2/token", self.token, methods=["POST"], name="sso_token"),
            Route("/oauth2/par", self.par, methods=["POST"], name="sso_par"),
            Route("/oauth2/userinfo", self.userinfo, methods=["GET", "POST"], name="sso_userinfo"),
            Route("/oauth2/revoke", self.revoke, methods=["POST"], name="sso_revoke"),
            Route("/oauth2/introspect", self.introspect, methods=["POST"], name="sso_introspect"),
            *(
                Route(path, self.post_only, methods=_NOT_POST)
                for path in ("/oauth2/token", "/oauth2/par", "/oauth2/revoke", "/oauth2/introspect")
            ),
            *self.pages.routes(),
        ]

    # --- the issuer -----------------------------------------------------------------------

    def issuer(self, request: Request) -> str:
        """The issuer identifier: the ``sso_issuer`` setting; else the origin of
        ``card_base_url`` (the site's public address, its ``/v/`` taken off); else
        the address the request came to. Always followed by the application's mount
        point and base path, never with a trailing slash."""
        settings = self.site.svc.settings
        configured = settings.get(ISSUER_SETTING)
        if configured:
            return str(configured).rstrip("/")
        root = self.site.url(request, "login").rstrip("/")  # mount point + base path
        card = settings.get("card_base_url")
        if card:
            base = str(card).rstrip("/")
            if base.endswith("/v"):
                return base[: -len("/v")]
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    async def run(self, request: Request, function: Callable[..., T], /, *args: Any) -> T:
        """``function(*args)`` in a worker thread, with this request's issuer bound."""
        issuer = self.issuer(request)

        def bound() -> T:
            SsoServer.bind(issuer)
            return function(*args)

        return await self.site.call(bound)

    # --- discovery and keys ---------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        sso = self.site.svc.sso
        body = metadata(self.issuer(request), sso)
        return _json(body, headers=_PUBLIC)

    async def jwks(self, request: Request) -> Response:
        keys = await self.site.call(self.site.svc.sso.jwks)
        # Not cached: a retired key must stop verifying at once.
        return _json(
            dict(keys), headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
        )

    # --- the back channel -----------------------------------------------------------------

    async def post_only(self, request: Request) -> Response:
        """Another method than POST at a back-channel endpoint: an OAuth JSON error (405,
        ``Allow: POST``), not the holder's HTML page."""
        return _json(
            {"error": "invalid_request", "error_description": "This endpoint accepts POST only."},
            405,
            {**_NO_STORE, "Allow": "POST"},
        )

    async def _oauth(
        self, request: Request, path: str, handler: Callable[..., Any], *args: Any
    ) -> Response:
        try:
            read = await read_request(request, uri=self.issuer(request) + path)
        except OAuth2Error as error:
            return _oauth_failure(error)
        response = await self.run(request, handler, *args, read)
        return to_starlette(response)

    async def token(self, request: Request) -> Response:
        """``POST /oauth2/token``: the code or a refresh token for tokens (``no-store``)."""
        return await self._oauth(request, "/oauth2/token", self.server.token)

    async def par(self, request: Request) -> Response:
        """``POST /oauth2/par`` (RFC 9126): a pushed authorization request."""
        return await self._oauth(request, "/oauth2/par", self.server.push)

    async def revoke(self, request: Request) -> Response:
        """``POST /oauth2/revoke`` (RFC 7009)."""
        return await self._oauth(request, "/oauth2/revoke", self.server.endpoint, "revocation")

    async def introspect(self, request: Request) -> Response:
        """``POST /oauth2/introspect`` (RFC 7662)."""
        return await self._oauth(
            request, "/oauth2/introspect", self.server.endpoint, "introspection"
        )

    async def userinfo(self, request: Request) -> Response:
        """``GET|POST /oauth2/userinfo``: the consented claims for a bearer access token."""
        issuer = self.issuer(request)
        challenge = f'Bearer realm="{issuer}"'
        token: str | None = None
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, value = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return self._bearer_failure(challenge, "invalid_request", 400)
            token = value.strip()
        if request.method == "POST":
            try:
                read = await read_request(request, uri=issuer + "/oauth2/userinfo")
            except OAuth2Error:
                return self._bearer_failure(challenge, "invalid_request", 400)
            sent = [v for k, v in read.form if k == "access_token"]
            if (sent and token is not None) or len(sent) > 1:
                return self._bearer_failure(challenge, "invalid_request", 400)
            if sent:
                token = sent[0]
        if token is None:
            return _json(
                {"error": "invalid_token", "error_description": "No access token."},
                401,
                {**_NO_STORE, "WWW-Authenticate": challenge},
            )
        if len(token) > _MAX_BEARER or not token.isascii() or not token.isprintable():
            return self._bearer_failure(challenge, "invalid_token", 401)
        try:
            claims = await self.site.call(self.site.svc.sso.userinfo, token)
        except SsoError as error:
            if error.code == "rate_limited":
                return _oauth_failure(oauth_error(error))
            return self._bearer_failure(challenge, "invalid_token", 401)
        except SiapkerjaError as error:
            return self._bearer_failure(challenge, "invalid_token", 401, error.message("en"))
        return _json(dict(claims), headers=_NO_STORE)

    @staticmethod
    def _bearer_failure(
        challenge: str, code: str, status: int, description: str | None = None
    ) -> Response:
        """RFC 6750 §3: the error in ``WWW-Authenticate`` and in the JSON body."""
        text = description or (
            "The access token is invalid, expired or revoked."
            if code == "invalid_token"
            else "The request is malformed."
        )
        safe = text.replace('"', "'").replace("\\", "/")
        return _json(
            {"error": code, "error_description": safe},
            status,
            {
                **_NO_STORE,
                "WWW-Authenticate": f'{challenge}, error="{code}", error_description="{safe}"',
            },
        )
