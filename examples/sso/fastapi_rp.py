"""A hub that signs its users in with SIAPkerja ("Masuk dengan SIAPkerja"): FastAPI + Authlib.

A complete OpenID Connect relying party, the way a job portal, a training
site or a regional bursa kerja would write it:

* Authlib's Starlette client, configured from the provider's discovery
  document (``/.well-known/openid-configuration``): the authorization code
  flow with **PKCE (S256)**, a ``state`` bound to the browser session and
  spent on first use, and a ``nonce`` that Authlib checks in the ID token
  (signed with EdDSA; Authlib verifies it with joserfc against the
  provider's JWKS);
* the claims it got, on its home page: the ID token's and the userinfo
  answer's (only what the holder consented to);
* **account linking by (issuer, sub) only** (see :class:`Accounts`): never by
  the e-mail address or the NIK, which anybody can type into another
  provider or another account. A local account with the same e-mail is
  linked only after the user proves they own it by signing in to it;
* refresh, revocation and RP-initiated logout.

Run it against a provider (docs/sso.md, "Run the provider"), the client
registered with its redirect URI exactly ``RP_REDIRECT_URI`` and its
post-logout redirect URI exactly ``RP_POST_LOGOUT_REDIRECT_URI`` (default:
the redirect URI's origin and ``/``; unregistered, *Keluar* signs the holder
out but leaves them on SIAPkerja's "Anda telah keluar" page, not back here)::

    siapkerja clients add --name "Bursa Kerja Contoh" --scope karirhub \
        --purpose "Melamar lowongan di Bursa Kerja Contoh" \
        --redirect-uri http://127.0.0.1:8001/auth/callback \
        --post-logout-redirect-uri http://127.0.0.1:8001/
    pip install fastapi uvicorn authlib httpx2 itsdangerous
    export SIAPKERJA_ISSUER=http://127.0.0.1:8000
    export RP_CLIENT_ID=... RP_CLIENT_SECRET=...
    export RP_REDIRECT_URI=http://127.0.0.1:8001/auth/callback
    export RP_POST_LOGOUT_REDIRECT_URI=http://127.0.0.1:8001/
    uvicorn --factory fastapi_rp:app_from_env --port 8001     # from this directory

Everything is kept in memory (accounts, links, sessions, tokens): a real
hub keeps them in its own database and its authorization state in Redis or
the like. docs/sso.md explains the flow; tests/e2e/test_sso_browser.py runs
this file twice, as two hubs, in a real browser.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

try:  # Authlib (1.7 and later) makes its HTTP calls with httpx2 when it is installed
    import httpx2 as http
except ImportError:  # pragma: no cover - then with httpx
    import httpx as http  # type: ignore[no-redef]

__all__ = ["Accounts", "LocalAccount", "StateCache", "app_from_env", "create_rp_app"]

DEFAULT_SCOPE = "openid profile email phone"


# --------------------------------------------------------------------------
# The hub's own accounts, and the one safe way to link them
# --------------------------------------------------------------------------


@dataclass
class LocalAccount:
    """An account of the hub's own (it had users before it offered SIAPkerja)."""

    id: str
    email: str
    name: str
    password_hash: str | None = None  # None: created by a SIAPkerja sign-in, no password


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"{salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), f"{salt}${digest}")


class Accounts:
    """Local accounts and their links to SIAPkerja identities.

    The link key is the pair **(iss, sub)**, and nothing else:

    * ``sub`` is pairwise: SIAPkerja gives every hub its own ``sub`` for the
      same person, stable for that hub. It is the only identifier the
      provider vouches for; ``iss`` says which provider vouched (a hub that
      also offers another provider keeps their subjects apart).
    * The e-mail (or the NIK, or a phone number) is **not** a key. The holder
      may change it, it may be unverified on one side, and an attacker who
      controls an identity elsewhere with *your* e-mail must not become you.
      An existing local account with the same e-mail is linked only after
      the user signs in to that account with its own password
      (:meth:`link`, called from the local sign-in).
    """

    def __init__(self) -> None:
        self.accounts: dict[str, LocalAccount] = {}
        self.links: dict[tuple[str, str], str] = {}  # (iss, sub) -> local account id

    def create(self, email: str, name: str, password: str | None = None) -> LocalAccount:
        account = LocalAccount(
            id=secrets.token_hex(8),
            email=email,
            name=name,
            password_hash=None if password is None else hash_password(password),
        )
        self.accounts[account.id] = account
        return account

    def by_email(self, email: str | None) -> LocalAccount | None:
        """For the *question* "is there an account with this e-mail?", never for linking."""
        if not email:
            return None
        wanted = email.casefold()
        return next((a for a in self.accounts.values() if a.email.casefold() == wanted), None)

    def linked(self, iss: str, sub: str) -> LocalAccount | None:
        account_id = self.links.get((iss, sub))
        return None if account_id is None else self.accounts[account_id]

    def link(self, iss: str, sub: str, account: LocalAccount) -> None:
        """Link (iss, sub) to ``account``: only ever called for an account the user
        has just proved to own (signed in to it), or has just created."""
        existing = self.links.get((iss, sub))
        if existing is not None and existing != account.id:
            raise ValueError("this SIAPkerja identity is linked to another account")
        if any(i == iss and a == account.id and s != sub for (i, s), a in self.links.items()):
            raise ValueError("this account is linked to another SIAPkerja identity")
        self.links[(iss, sub)] = account.id

    def unlink(self, iss: str, sub: str) -> None:
        self.links.pop((iss, sub), None)

    def login(self, email: str, password: str) -> LocalAccount | None:
        account = self.by_email(email)
        return account if account and check_password(password, account.password_hash) else None


# --------------------------------------------------------------------------
# Server-side state: Authlib's authorization state, and the hub's sessions
# --------------------------------------------------------------------------


class StateCache:
    """Authlib's ``cache``: the state, nonce and PKCE verifier of each pending
    sign-in, kept on the server and deleted when the callback uses them.

    Without a cache Authlib keeps them inside the (signed, not encrypted,
    replayable) session cookie; with one, the cookie holds only a marker, a
    callback replayed with an old cookie finds nothing, and the verifier never
    leaves the server. In production: Redis with the same get/set/delete.
    """

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, str]] = {}

    async def get(self, key: str) -> str | None:
        found = self._data.get(key)
        if found is None or found[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return found[1]

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        self._data[key] = (time.monotonic() + (expires_in or 600), value)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


@dataclass
class Session:
    """One browser's sign-in at the hub (server side; the cookie holds only its id)."""

    account_id: str | None = None
    token: dict[str, Any] | None = None  # access, refresh and ID token from SIAPkerja
    id_claims: dict[str, Any] = field(default_factory=dict)
    userinfo: dict[str, Any] | None = None
    pending_link: tuple[str, str] | None = None  # (iss, sub) awaiting a local sign-in
    message: str | None = None


@dataclass
class Hub:
    """Everything the app keeps, reachable by tests as ``app.state.hub``."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str | None
    accounts: Accounts = field(default_factory=Accounts)
    sessions: dict[str, Session] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------


def create_rp_app(
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    name: str = "Bursa Kerja Contoh",
    scope: str = DEFAULT_SCOPE,
    post_logout_redirect_uri: str | None = None,
    session_secret: str | None = None,
) -> FastAPI:
    """The relying party: ``issuer`` is the provider's URL (its discovery document
    is ``issuer/.well-known/openid-configuration``), ``redirect_uri`` the callback
    exactly as registered (its path is served here).

    ``post_logout_redirect_uri``: where the provider sends the browser back after
    logout (registered too); ``None`` for the hub's home page.
    """
    issuer = issuer.rstrip("/")
    base = "{0.scheme}://{0.netloc}".format(urlsplit(redirect_uri))
    hub = Hub(
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        post_logout_redirect_uri=post_logout_redirect_uri or f"{base}/",
    )
    app = FastAPI(title=name, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    # Cookies are per host, not per port: two hubs and the provider on
    # 127.0.0.1 need different cookie names. SameSite=Lax keeps the cookie off
    # cross-site POSTs (the forms' CSRF defence here); https_only in production.
    cookie = "hub_" + hashlib.sha256(redirect_uri.encode()).hexdigest()[:10]
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret or secrets.token_urlsafe(32),
        session_cookie=cookie,
        same_site="lax",
        https_only=redirect_uri.startswith("https:"),
    )

    oauth = OAuth(cache=StateCache())
    oauth.register(
        name="siapkerja",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": scope,
            "code_challenge_method": "S256",  # PKCE: Authlib makes and keeps the verifier
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )
    siapkerja = oauth.create_client("siapkerja")

    def session_of(request: Request) -> Session:
        sid = request.session.get("sid")
        if sid is None or sid not in hub.sessions:
            sid = secrets.token_urlsafe(24)
            request.session["sid"] = sid
            hub.sessions[sid] = Session()
        return hub.sessions[sid]

    def new_session(request: Request) -> Session:
        """A fresh session id at every sign-in (no session fixation)."""
        old = request.session.pop("sid", None)
        if old is not None:
            hub.sessions.pop(old, None)
        return session_of(request)

    # -- pages --------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        session = session_of(request)
        account = hub.accounts.accounts.get(session.account_id or "")
        message = session.message
        session.message = None
        return page(hub, _home_body(hub, session, account, message))

    @app.get("/login")
    async def login(request: Request) -> Response:
        """Start the sign-in: a redirect to the provider's authorization endpoint
        with response_type=code, scope, state, nonce and the PKCE challenge."""
        return await siapkerja.authorize_redirect(request, redirect_uri)

    @app.get(urlsplit(redirect_uri).path)
    async def callback(request: Request) -> Response:
        """The provider sends the browser back here with ``code`` and ``state``."""
        try:
            # Checks `state` against this browser's pending sign-in (and spends
            # it: a replayed callback fails here), sends the code with the PKCE
            # verifier to the token endpoint, verifies the ID token (EdDSA
            # signature, iss, aud, exp, and the nonce sent at /login).
            token = await siapkerja.authorize_access_token(request)
        except OAuthError as error:
            return page(hub, _refusal(error.error, error.description), status=400)
        except http.HTTPStatusError as error:
            return page(hub, _refusal("token_error", error.response.text), status=400)
        claims = token.get("userinfo")
        if not claims or not claims.get("nonce"):
            # Authlib checks the nonce only when it sent one and an ID token came
            # back: with scope=openid both must hold, so anything else is refused.
            return page(hub, _refusal("invalid_id_token", "no verified ID token"), status=400)
        iss, sub = claims["iss"], claims["sub"]
        try:
            info = dict(await siapkerja.userinfo(token=token))
        except http.HTTPStatusError as error:
            return page(hub, _refusal("userinfo_error", error.response.text), status=400)
        if info.get("sub") != sub:  # OIDC Core §5.3.2: must match the ID token
            return page(hub, _refusal("invalid_userinfo", "sub differs"), status=400)

        previous = session_of(request)
        session = new_session(request)
        session.token, session.id_claims, session.userinfo = dict(token), dict(claims), info

        # ---- Linking: by (iss, sub) only -----------------------------------
        linked = hub.accounts.linked(iss, sub)
        if linked is not None:
            # 1. Known identity: sign in to the account it is linked to.
            session.account_id = linked.id
        elif previous.account_id is not None:
            # 2. Already signed in locally (with a password) and now asking to
            #    connect SIAPkerja: they own this account, link it (unless it is
            #    linked to another SIAPkerja identity already: one per account).
            try:
                hub.accounts.link(iss, sub, hub.accounts.accounts[previous.account_id])
            except ValueError as error:
                session.account_id = previous.account_id  # still signed in locally
                session.token = None
                return page(hub, _refusal("already_linked", str(error)), status=409)
            session.account_id = previous.account_id
            session.message = "SIAPkerja sekarang tertaut ke akun Anda."
        elif hub.accounts.by_email(info.get("email")) is not None:
            # 3. An account with the same e-mail exists. Do NOT link, do NOT sign
            #    in: anybody can claim an e-mail at some provider. Ask the user to
            #    sign in to that account with its own password; the local sign-in
            #    then links the pair it has kept here.
            session.pending_link = (iss, sub)
            session.message = (
                "Sudah ada akun dengan email ini. Masuk dengan password akun tersebut "
                "untuk menautkannya ke SIAPkerja."
            )
            return RedirectResponse("/masuk-lokal", status_code=303)
        else:
            # 4. Nobody known: a new local account, linked to (iss, sub).
            account = hub.accounts.create(
                email=info.get("email") or "", name=claims.get("name") or info.get("name") or ""
            )
            hub.accounts.link(iss, sub, account)
            session.account_id = account.id
        return RedirectResponse("/", status_code=303)

    @app.get("/masuk-lokal", response_class=HTMLResponse)
    async def local_form(request: Request) -> HTMLResponse:
        session = session_of(request)
        return page(hub, _local_form(session.message))

    @app.post("/masuk-lokal")
    async def local_login(
        request: Request, email: str = Form(...), password: str = Form(...)
    ) -> Response:
        session = session_of(request)
        account = hub.accounts.login(email, password)
        if account is None:
            return page(hub, _local_form("Email atau password salah."), status=401)
        pending, signed_in = session.pending_link, session
        session = new_session(request)
        session.account_id = account.id
        if pending is not None:
            # The user has now proved they own this account: link the SIAPkerja
            # identity they came with (one per account).
            try:
                hub.accounts.link(*pending, account)
            except ValueError as error:
                return page(hub, _refusal("already_linked", str(error)), status=409)
            session.token, session.id_claims = signed_in.token, signed_in.id_claims
            session.userinfo = signed_in.userinfo
            session.message = "SIAPkerja sekarang tertaut ke akun Anda."
        return RedirectResponse("/", status_code=303)

    @app.get("/userinfo")
    async def userinfo(request: Request) -> JSONResponse:
        """Ask the provider again, with the access token: fails once the holder
        withdraws the consent (or the token expires: then refresh)."""
        session = session_of(request)
        if session.token is None:
            return JSONResponse({"error": "not_signed_in"}, status_code=401)
        try:
            info = dict(await siapkerja.userinfo(token=session.token))
        except http.HTTPStatusError as error:
            return JSONResponse(
                {
                    "error": "provider_refused",
                    "status": error.response.status_code,
                    "www_authenticate": error.response.headers.get("www-authenticate", ""),
                },
                status_code=401,
            )
        session.userinfo = info
        return JSONResponse(info)

    @app.post("/refresh")
    async def refresh(request: Request) -> JSONResponse:
        """Rotate the tokens: the old refresh token is spent (presenting it again
        ends the whole sign-in at the provider)."""
        session = session_of(request)
        if session.token is None or "refresh_token" not in session.token:
            return JSONResponse({"error": "no_refresh_token"}, status_code=400)
        try:
            token = await siapkerja.fetch_access_token(
                grant_type="refresh_token", refresh_token=session.token["refresh_token"]
            )
        except OAuthError as error:
            return JSONResponse({"error": error.error}, status_code=400)
        session.token = {**session.token, **dict(token)}
        return JSONResponse({"expires_in": token.get("expires_in"), "scope": token.get("scope")})

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        """Sign out here, revoke the tokens, then RP-initiated logout at the provider."""
        session = session_of(request)
        token = session.token or {}
        metadata = await siapkerja.load_server_metadata()
        if token.get("refresh_token") and metadata.get("revocation_endpoint"):
            async with http.AsyncClient(timeout=10) as client:  # RFC 7009
                await client.post(
                    metadata["revocation_endpoint"],
                    data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
                    auth=(client_id, client_secret),
                )
        request.session.pop("sid", None)
        hub.sessions = {k: v for k, v in hub.sessions.items() if v is not session}
        if token.get("id_token") and metadata.get("end_session_endpoint"):
            return await siapkerja.logout_redirect(
                request,
                post_logout_redirect_uri=hub.post_logout_redirect_uri,
                id_token_hint=token["id_token"],
            )
        return RedirectResponse("/", status_code=303)

    return app


def app_from_env() -> FastAPI:
    """``uvicorn --factory fastapi_rp:app_from_env``: the settings from the environment."""
    return create_rp_app(
        os.environ["SIAPKERJA_ISSUER"],
        os.environ["RP_CLIENT_ID"],
        os.environ["RP_CLIENT_SECRET"],
        os.environ.get("RP_REDIRECT_URI", "http://127.0.0.1:8001/auth/callback"),
        name=os.environ.get("RP_NAME", "Bursa Kerja Contoh"),
        scope=os.environ.get("RP_SCOPE", DEFAULT_SCOPE),
        # Where the provider's logout sends the browser back: register it with
        # `siapkerja clients add --post-logout-redirect-uri` (default: this hub's "/").
        post_logout_redirect_uri=os.environ.get("RP_POST_LOGOUT_REDIRECT_URI") or None,
        session_secret=os.environ.get("RP_SESSION_SECRET"),
    )


# --------------------------------------------------------------------------
# HTML (plain strings: the example has no template engine to install)
# --------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}
header{background:#123a6b;color:#fff;padding:12px 16px}
main{max-width:720px;margin:0 auto;padding:16px}
.siapkerja{display:inline-block;background:#0b5cad;color:#fff;padding:12px 18px;
border-radius:6px;text-decoration:none;font-weight:600}
pre{background:#fff;border:1px solid #ccd;padding:8px;overflow:auto;white-space:pre-wrap;
word-break:break-all}
.note{background:#fff6d6;padding:8px;border-left:4px solid #e0b000}
label{display:block;margin:8px 0}
"""


def page(hub: Hub, body: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(hub.name)}</title><style>{_STYLE}</style></head>"
        f"<body><header><strong>{html.escape(hub.name)}</strong></header>"
        f"<main>{body}</main></body></html>",
        status_code=status,
    )


def _json_block(element_id: str, data: Any) -> str:
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return f"<pre id='{element_id}'>{html.escape(text)}</pre>"


def _home_body(
    hub: Hub, session: Session, account: LocalAccount | None, message: str | None
) -> str:
    note = f"<p class='note' role='status'>{html.escape(message)}</p>" if message else ""
    if account is None:
        return (
            f"{note}<h1>Selamat datang</h1>"
            "<p><a class='siapkerja' href='/login'>Masuk dengan SIAPkerja</a></p>"
            "<p><a href='/masuk-lokal'>Masuk dengan akun lokal</a></p>"
        )
    linked = [s for (i, s), a in hub.accounts.links.items() if a == account.id]
    return (
        f"{note}<h1>Halo, {html.escape(account.name or account.email)}</h1>"
        f"<p>Akun lokal <code id='account-id'>{html.escape(account.id)}</code>"
        f"{' tertaut ke SIAPkerja' if linked else ' belum tertaut ke SIAPkerja'}.</p>"
        + (
            ""
            if session.token
            else "<p><a class='siapkerja' href='/login'>Tautkan SIAPkerja</a></p>"
        )
        + "<h2>Klaim ID token</h2>"
        + _json_block("id-token", session.id_claims)
        + "<h2>Userinfo</h2>"
        + _json_block("userinfo", session.userinfo)
        + "<form method='post' action='/logout'><button type='submit'>Keluar</button></form>"
    )


def _local_form(message: str | None) -> str:
    note = f"<p class='note' role='status'>{html.escape(message)}</p>" if message else ""
    return (
        f"{note}<h1>Masuk dengan akun lokal</h1>"
        "<form method='post' action='/masuk-lokal'>"
        "<label>Email <input name='email' type='email' required></label>"
        "<label>Password <input name='password' type='password' required></label>"
        "<button type='submit'>Masuk</button></form>"
    )


def _refusal(code: str, description: str | None) -> str:
    return (
        "<h1>Gagal masuk</h1>"
        f"<p id='error'><code>{html.escape(code)}</code> {html.escape(description or '')}</p>"
        "<p><a href='/'>Kembali</a></p>"
    )
