"""Driving "Masuk dengan SIAPkerja" over HTTP as a relying party and a browser do.

A :class:`Provider` is a started server (memory storage, development mode)
with its service; :func:`holder` makes a card holder through the facade;
:class:`RelyingParty` is a registered client that builds authorization
requests (PKCE S256, ``state``, ``nonce``), exchanges codes and checks ID
tokens with the provider's JWKS (joserfc, an implementation of its own);
:class:`Browser` is the holder's browser (cookies kept, redirects followed
only within the provider) that signs in, types the SMS code and answers the
consent screen.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from siapkerja_adapters.web import create_app
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import SsoClient
from siapkerja_core.views import Account
from support.live_server import LiveServer, live_server, memory_service
from support.people import FAUZI, GALIH, RIZKI, png
from support.sms import sms_code

PASSWORD = "Kuda-Lari-Kencang-7"
PEOPLE = (GALIH, FAUZI, RIZKI)


@dataclass
class Provider:
    """A started provider: its URL (= the issuer) and its service."""

    server: LiveServer
    svc: Siapkerja

    @property
    def url(self) -> str:
        return self.server.url

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)


@contextmanager
def provider(make_svc: Any = None, **app_options: Any) -> Iterator[Provider]:
    """A provider over the memory profile (or ``make_svc(base_url)``), dev mode."""
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append((make_svc or memory_service)(base_url))
        return create_app(services[0], dev=True, **app_options)

    with live_server(make_app) as server:
        yield Provider(server, services[0])


def holder(svc: Siapkerja, n: int = 0, *, card: bool = True) -> Account:
    """Person ``n`` of :data:`PEOPLE`: registered, confirmed, a complete profile, a card."""
    person = PEOPLE[n]
    phone = f"0812{n + 50:08d}"
    registration = svc.register(person.nik, person.full_name, person.mother_name)
    svc.submit_contact(registration.id, email=f"sso{n}@example.com", phone=phone, password=PASSWORD)
    account = svc.confirm_otp(registration.id, sms_code(svc, phone))
    street = {"village_code": "3173071001", "street": "Jl. Palmerah Barat No. 17"}
    svc.update_profile(
        account.id,
        biodata={
            "birth_place": person.birth_place,
            "birth_date": person.birth_date.isoformat(),
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        ktp_address=street,
        domicile_address=street,
        skills=["PHP", "Laravel"],
        education=[{"institution": "BINUS University", "level": "S1", "start_year": 2012}],
        photo={"content": png()},
    )
    if card:
        svc.issue_card(account.id)
    return account


def pkce() -> tuple[str, str]:
    """(code_verifier, its S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def query_of(location: str) -> dict[str, str]:
    """A redirect's query parameters (each once)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Request:
    """One authorization request as the relying party remembers it."""

    params: dict[str, str]
    verifier: str

    @property
    def state(self) -> str:
        return self.params["state"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


@dataclass
class RelyingParty:
    """A registered client: builds requests, redeems codes, checks ID tokens."""

    provider: Provider
    client: SsoClient
    secret: str | None
    redirect_uri: str
    private_key: Any = None  # a joserfc key for private_key_jwt

    @property
    def client_id(self) -> str:
        return self.client.id

    def request(self, scope: str = "openid profile", **extra: str | None) -> Request:
        verifier, challenge = pkce()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return Request({k: v for k, v in params.items() if v is not None}, verifier)

    def auth(self, data: dict[str, str], endpoint: str = "/oauth2/token") -> dict[str, Any]:
        """httpx keyword arguments authenticating this client as registered."""
        method = self.client.auth_method.value
        if method == "client_secret_basic":
            assert self.secret is not None
            return {"data": data, "auth": (self.client_id, self.secret)}
        if method == "client_secret_post":
            return {"data": {**data, "client_id": self.client_id, "client_secret": self.secret}}
        return {"data": {**data, **self.assertion()}}

    def assertion(
        self, jti: str | None = None, aud: str | None = None, lifetime: int = 60
    ) -> dict[str, str]:
        """A ``private_key_jwt`` client assertion (RFC 7523)."""
        import time

        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": aud or self.provider.url,
            "jti": jti or secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + lifetime,
        }
        alg = "ES256" if self.private_key.key_type == "EC" else "EdDSA"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            token = jwt.encode(
                {"alg": alg, "kid": self.private_key.kid}, claims, self.private_key, [alg]
            )
        return {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": token,
        }

    def token(
        self, http: httpx.Client, code: str, verifier: str | None, **extra: str
    ) -> httpx.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier is not None:
            data["code_verifier"] = verifier
        data.update(extra)
        return http.post("/oauth2/token", **self.auth(data))

    def refresh(self, http: httpx.Client, refresh_token: str) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return http.post("/oauth2/token", **self.auth(data))

    def id_token(self, http: httpx.Client, token: str) -> dict[str, Any]:
        """The claims of ``token``, its signature checked with the published JWKS."""
        jwks = http.get("/oauth2/jwks").json()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])
        assert decoded.header["alg"] == "EdDSA"
        assert decoded.header["kid"] in {k["kid"] for k in jwks["keys"]}
        return dict(decoded.claims)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_RID = re.compile(r'name="id" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return unescape(found[1])


@dataclass
class Browser:
    """The holder's browser at the provider: cookies kept, the provider's redirects followed."""

    provider: Provider
    http: httpx.Client = field(init=False)
    pages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.provider.url, timeout=20, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects while they stay at the provider; the last answer."""
        for _ in range(10):
            if response.status_code not in (302, 303):
                return response
            location = response.headers["location"]
            if location.startswith("http") and not location.startswith(self.provider.url):
                return response  # back to the relying party
            response = self.http.get(location)
        raise AssertionError("too many redirects")

    def sign_in(self, identifier: str, password: str = PASSWORD) -> httpx.Response:
        """Sign in at the home page (straight, not on the way of a request)."""
        page = self.http.get("/")
        reply = self.http.post(
            "/",
            data={"identifier": identifier, "password": password, "csrf_token": csrf_of(page.text)},
        )
        assert reply.status_code == 303, reply.text
        return reply

    def authorize(
        self, request: Request | Mapping[str, str], method: str = "GET"
    ) -> httpx.Response:
        params = request.params if isinstance(request, Request) else dict(request)
        if method == "POST":
            return self.follow(self.http.post("/oauth2/authorize", data=params))
        return self.follow(self.http.get("/oauth2/authorize?" + urlencode(params)))

    def login_form(
        self, page: httpx.Response, identifier: str, password: str = PASSWORD
    ) -> httpx.Response:
        """Fill the sign-in page the provider sent us to."""
        assert 'name="identifier"' in page.text, page.text[:500]
        found = re.search(r'name="next" value="([^"]+)"', page.text)
        assert found, "the sign-in page lost the way back"
        data = {
            "identifier": identifier,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": unescape(found[1]),
        }
        return self.follow(self.http.post("/", data=data))

    def consent(
        self, page: httpx.Response, decision: str = "allow", fields: list[str] | None = None
    ) -> httpx.Response:
        """Answer the consent screen (``fields``: the voluntary ones kept; None: as ticked)."""
        assert "sso_consent" in page.text or "/oauth2/authorize/izin" in page.text, page.text[:500]
        found = _RID.search(page.text)
        assert found
        if fields is None:
            fields = re.findall(r'name="field" value="([^"]+)" checked', page.text)
        data: dict[str, str | list[str]] = {
            "csrf_token": csrf_of(page.text),
            "id": found[1],
            "decision": decision,
            "field": fields,
        }
        return self.follow(self.http.post("/oauth2/authorize/izin", data=data))

    def step_up(self, page: httpx.Response, code: str) -> httpx.Response:
        assert "/oauth2/authorize/sms" in page.text, page.text[:500]
        found = _RID.search(page.text)
        assert found
        data = {"csrf_token": csrf_of(page.text), "id": found[1], "code": code}
        return self.follow(self.http.post("/oauth2/authorize/sms", data=data))


def is_consent(page: httpx.Response) -> bool:
    return page.status_code == 200 and "/oauth2/authorize/izin" in page.text


def is_login(page: httpx.Response) -> bool:
    return page.status_code == 200 and 'name="identifier"' in page.text


def is_step_up(page: httpx.Response) -> bool:
    return page.status_code in (200, 400) and 'action="/oauth2/authorize/sms"' in page.text


def callback(response: httpx.Response, rp: RelyingParty) -> dict[str, str]:
    """The relying party's callback parameters from the provider's final redirect."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:800])
    location = response.headers["location"]
    assert location.startswith(rp.redirect_uri), location
    return query_of(location)


REDIRECT = "https://karirhub.example/callback"
LOGOUT = "https://karirhub.example/signed-out"
PURPOSE = "Melamar lowongan di Karirhub"


def register(op: Provider, *, name: str = "Karirhub", **options: Any) -> RelyingParty:
    """A new client of a new hub (unique name), Karirhub-like unless told otherwise."""
    settings: dict[str, Any] = {
        "name": f"{name} {uuid.uuid4().hex[:6]}",
        "scopes": ["karirhub"],
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGOUT],
        "purpose": PURPOSE,
        "fields": ["contact", "work", "skills", "headline", "photo", "nik_masked"],
        "essential": ["contact"],
        **options,
    }
    client, secret = op.svc.sso.add_client(**settings)
    return RelyingParty(op, client, secret, settings["redirect_uris"][0])


def sign_in_through(
    browser: Browser,
    rp: RelyingParty,
    email: str,
    scope: str = "openid profile email work",
    **extra: Any,
) -> tuple[Request, dict[str, str]]:
    """An authorization request answered: sign in if asked, consent as ticked."""
    request = rp.request(scope, **extra)
    page = browser.authorize(request)
    if is_login(page):
        page = browser.login_form(page, email)
    if is_consent(page):
        page = browser.consent(page)
    return request, callback(page, rp)


def tokens(
    http: httpx.Client, rp: RelyingParty, request: Request, answer: dict[str, str]
) -> dict[str, Any]:
    """The token response for an answered request (asserted 200)."""
    response = rp.token(http, answer["code"], request.verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())


def userinfo(http: httpx.Client, access_token: str) -> httpx.Response:
    return http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})
