"""The curl transcripts of docs/sso.md, replayed against a live provider: the docs cannot drift.

A plain-HTTP integrator (a Laravel shop) reads the flow in docs/sso.md as
requests and answers. Every one of them was recorded by this test, against
a real uvicorn server: discovery, the authorization URL, the redirect back,
the token exchange with the PKCE verifier, the ID token, userinfo, refresh,
introspection, revocation, logout, the refusals of a reused code and of a
missing verifier, and the high-assurance variant (PAR, ``private_key_jwt``).

Each transcript in the page follows a marker ``<!-- transcript: NAME -->``.
The test runs the same requests again and compares their **shape** with the
documented one: the method, the path, the parameter names, the
authentication, the status code, the redirect's target and parameter names,
and the JSON member names (two levels deep). Values (tokens, times) differ
from run to run and are not compared.

``SIAPKERJA_WRITE_TRANSCRIPTS=1 pytest tests/integration/test_sso_transcripts.py``
rewrites the page's transcripts from the run (then review the diff).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey
from joserfc.jws import JWSRegistry

from siapkerja_core.service import Siapkerja
from support.live_server import serve_memory_site
from support.sso_rp import Hub, ProviderWalk, form_data, holder, pkce_pair, register_hub

DOC = Path(__file__).resolve().parents[2] / "docs" / "sso.md"
SHOWN_ISSUER = "https://siapkerja.example"
HUB_URL = "https://bursakerja.example"
REDIRECT_URI = f"{HUB_URL}/auth/callback"
SCOPE = "openid profile email work education"
EDDSA = JWSRegistry(algorithms=["EdDSA"], strict_check_header=False)

pytestmark = pytest.mark.filterwarnings(
    # joserfc verifies EdDSA and warns that RFC 9864 names it "Ed25519" now.
    "ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning"
)


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request and its answer, or one browser step (``browser``), as shown in the docs."""

    name: str
    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list)
    auth: str | None = None  # "basic" or "bearer"
    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    browser: bool = False


SHOWN_HEADERS = ("content-type", "cache-control", "location", "www-authenticate", "retry-after")


class Recorder:
    """Makes requests with httpx and keeps them as :class:`Exchange` objects."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = httpx.Client(timeout=15)
        self.clients = [self.http]
        self.exchanges: dict[str, Exchange] = {}
        self.variables: dict[str, str] = {}  # value -> shell variable shown instead

    def keep(self, client: httpx.Client) -> httpx.Client:
        """Close ``client`` with the recorder."""
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def name(self, value: str, variable: str) -> str:
        self.variables[value] = variable
        return value

    def call(
        self,
        name: str,
        method: str,
        url: str,
        *,
        data: list[tuple[str, str]] | None = None,
        basic: tuple[str, str] | None = None,
        bearer: str | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = self.http.request(
            method,
            url,
            data=None if data is None else form_data(data),
            auth=basic,
            headers=headers,
            follow_redirects=False,
        )
        body: Any = None
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
        elif response.content and not response.is_redirect:
            body = "(an HTML page)"
        self.exchanges[name] = Exchange(
            name=name,
            method=method,
            url=url,
            params=list(data or []),
            auth="basic" if basic else "bearer" if bearer else None,
            status=response.status_code,
            reason=response.reason_phrase,
            headers={h: response.headers[h] for h in SHOWN_HEADERS if h in response.headers},
            body=body,
        )
        return response

    def browser(
        self,
        name: str,
        url: str | None,
        *,
        status: int | None = None,
        location: str | None = None,
    ) -> None:
        """A step of the holder's browser: the URL it opens, and the redirect it gets
        (``url`` None: only the redirect, the answer to a form on the provider's page)."""
        self.exchanges[name] = Exchange(
            name=name,
            method="GET",
            url="" if url is None else url.split("?")[0],
            params=[] if url is None else parse_qsl(urlsplit(url).query, keep_blank_values=True),
            status=status,
            headers={} if location is None else {"location": location},
            browser=True,
        )

    def document(self, name: str, body: Any) -> None:
        self.exchanges[name] = Exchange(name=name, method="", url="", body=body, browser=True)


# --------------------------------------------------------------------------
# Rendering, and the shape read back from the rendering
# --------------------------------------------------------------------------

_LONG = 40


def _short(value: str) -> str:
    """A long token shortened (a scope or a sentence is kept whole)."""
    return value if len(value) <= _LONG or " " in value else value[:16] + "…"


def _shown_value(value: Any, recorder: Recorder, issuer: str) -> Any:
    if isinstance(value, str):
        value = value.replace(issuer, SHOWN_ISSUER)
        if value.startswith(("http://", "https://", "urn:")):
            return value if len(value) < 120 else _short(value)
        return _short(value)
    if isinstance(value, dict):
        return {k: _shown_value(v, recorder, issuer) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown_value(v, recorder, issuer) for v in value]
    return value


def _param(value: str, recorder: Recorder, issuer: str) -> str:
    if value in recorder.variables:
        return "$" + recorder.variables[value]
    return value.replace(issuer, SHOWN_ISSUER)


def render(exchange: Exchange, recorder: Recorder) -> str:
    issuer = recorder.issuer
    if exchange.browser and exchange.method == "":  # a decoded document (the ID token)
        return (
            "```json\n"
            + json.dumps(
                _shown_value(exchange.body, recorder, issuer), indent=2, ensure_ascii=False
            )
            + "\n```"
        )
    url = exchange.url.replace(issuer, SHOWN_ISSUER)
    if exchange.browser:
        lines = []
        if exchange.url:
            lines.append(f"GET {url}")
            for i, (k, v) in enumerate(exchange.params):
                shown = quote(_param(v, recorder, issuer), safe="$:/")
                lines.append(f"  {'?' if i == 0 else '&'}{k}={shown}")
        if exchange.status is not None:
            if lines:
                lines.append("")
            lines.append(f"HTTP/1.1 {exchange.status} {HTTPStatus(exchange.status).phrase}")
        if "location" in exchange.headers:
            target = urlsplit(exchange.headers["location"])
            base = target._replace(query="").geturl().replace(issuer, SHOWN_ISSUER)
            lines.append(f"location: {base}")
            for i, (k, v) in enumerate(parse_qsl(target.query)):
                shown = quote(_param(v, recorder, issuer), safe="$:/")
                lines.append(f"  {'?' if i == 0 else '&'}{k}={shown}")
        return "```text\n" + "\n".join(lines) + "\n```"
    lines = ["$ curl -si"]
    if exchange.auth == "basic":
        lines[0] += ' -u "$CLIENT_ID:$CLIENT_SECRET"'
    elif exchange.auth == "bearer":
        lines[0] += ' -H "Authorization: Bearer $ACCESS_TOKEN"'
    if exchange.method == "POST" and not exchange.params:
        lines[0] += " -X POST"
    for k, v in exchange.params:
        shown = _param(v, recorder, issuer)
        quoted = f'"{k}={shown}"' if any(c in shown for c in " $&") else f"{k}={shown}"
        lines.append(f"    -d {quoted}")
    lines.append(f"    {url}")
    command = " \\\n".join(lines)
    answer = [f"HTTP/1.1 {exchange.status} {exchange.reason}".rstrip()]
    for name, value in exchange.headers.items():
        shown = value.replace(issuer, SHOWN_ISSUER)
        answer.append(f"{name}: {shown if name == 'location' else _param(value, recorder, issuer)}")
    text = command + "\n" + "\n".join(answer)
    if isinstance(exchange.body, (dict, list)):
        text += "\n\n" + json.dumps(
            _shown_value(exchange.body, recorder, issuer), indent=2, ensure_ascii=False
        )
    elif exchange.body:
        text += "\n\n" + str(exchange.body)
    return "```console\n" + text + "\n```"


def _members(value: Any, prefix: str = "", depth: int = 2) -> list[str]:
    if not isinstance(value, dict) or depth == 0:
        return []
    names = []
    for key, item in value.items():
        names.append(prefix + key)
        names += _members(item, prefix + key + ".", depth - 1)
    return sorted(names)


def shape(block: str) -> dict[str, Any]:
    """What the docs promise of a transcript: request and answer, without values."""
    body = block.split("\n", 1)[1].rsplit("```", 1)[0]
    if block.startswith("```json"):
        return {"members": _members(json.loads(body), depth=3)}
    text = body.replace("\\\n", " ")
    lines = text.splitlines()
    found: dict[str, Any] = {}
    first = lines[0]
    if first.startswith("$ curl"):
        found["auth"] = "basic" if " -u " in first else "bearer" if "Bearer" in first else None
        found["method"] = "POST" if (" -d " in first or "-X POST" in first) else "GET"
        url = next(w for w in first.split() if w.startswith("http"))
        found["path"] = urlsplit(url).path
        found["params"] = sorted(re.findall(r'-d "?([a-z_]+)=', first))
        rest = lines[1:]
    else:  # a browser step: "GET url" and its parameters, then "HTTP/1.1", "location:"
        request, _, answer = body.partition("HTTP/1.1 ")
        if request.startswith("GET "):
            found["path"] = urlsplit(request.split()[1]).path
            found["params"] = sorted(re.findall(r"^  [?&]([a-z_]+)=", request, re.MULTILINE))
        if answer:
            found["status"] = int(answer.split()[0])
            where = re.search(r"^location: (\S+)", answer, re.MULTILINE)
            if where:
                found["location"] = (
                    urlsplit(where.group(1)).path,
                    sorted(re.findall(r"^  [?&]([a-z_]+)=", answer, re.MULTILINE)),
                )
        return found
    status = next((line for line in rest if line.startswith("HTTP/1.1 ")), None)
    found["status"] = None if status is None else int(status.split()[1])
    location = next((line for line in rest if line.lower().startswith("location: ")), None)
    if location is not None:
        target = urlsplit(location.split(": ", 1)[1])
        found["location"] = (target.path, sorted(k for k, _ in parse_qsl(target.query)))
    if "\n\n" in text:
        payload = text.split("\n\n", 1)[1].strip()
        found["members"] = _members(json.loads(payload)) if payload.startswith("{") else payload
    return found


def documented() -> dict[str, str]:
    """The transcripts of docs/sso.md by name: the fenced block after each marker."""
    page = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- transcript: (\w+) -->\n\n(```[a-z]*\n.*?\n```)", page, re.DOTALL)
    return dict(found)


def write_transcripts(rendered: dict[str, str]) -> None:
    page = DOC.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- transcript: {name} -->\n\n{rendered[name]}"

    page = re.sub(
        r"<!-- transcript: (\w+) -->(?:\n\n```[a-z]*\n.*?\n```)?", replace, page, flags=re.DOTALL
    )
    DOC.write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, Siapkerja]]:
    with serve_memory_site() as (server, svc):
        yield server.url, svc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def client_assertion(key: OKPKey, client_id: str, audience: str) -> str:
    """RFC 7523 §2.2: a JWT signed with the client's own key."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + 60,
    }
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, registry=EDDSA)


def run_flow(rec: Recorder, svc: Siapkerja) -> None:
    url = rec.issuer
    holder(svc)
    hub = register_hub(
        svc,
        name="Bursa Kerja Contoh",
        scopes=["karirhub"],
        purpose="Melamar lowongan di Bursa Kerja Contoh",
        redirect_uri=REDIRECT_URI,
        post_logout_redirect_uris=[f"{HUB_URL}/"],
        essential=["contact", "education"],
    )
    rec.name(hub.client_id, "CLIENT_ID")
    rec.name(hub.client_secret, "CLIENT_SECRET")

    meta = rec.call("discovery", "GET", f"{url}/.well-known/openid-configuration").json()
    issuer = meta["issuer"]
    rec.issuer = issuer
    jwks = rec.http.get(meta["jwks_uri"]).json()

    browser = rec.keep(httpx.Client(timeout=15))  # the holder's browser, its provider cookies
    walk = ProviderWalk(svc, browser)

    def authorize(extra: dict[str, str] | None = None, *, name: str | None = None) -> tuple:
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": hub.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **(extra or {}),
        }
        start = f"{meta['authorization_endpoint']}?{urlencode(params)}"
        back = walk.run(start, stop_at=REDIRECT_URI)
        if name is not None:
            rec.name(verifier, "CODE_VERIFIER")
            rec.name(state, "STATE")
            rec.name(nonce, "NONCE")
            rec.name(challenge, "CODE_CHALLENGE")
            rec.browser(name, start)
            rec.browser("callback", None, status=walk.last_status, location=back)
        query = dict(parse_qsl(urlsplit(back).query))
        assert query.get("state") == state, back
        return query["code"], verifier, nonce

    code, verifier, nonce = authorize(name="authorize")
    rec.name(code, "CODE")
    exchange = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ]
    basic = (hub.client_id, hub.client_secret)
    tokens = rec.call("token", "POST", meta["token_endpoint"], data=exchange, basic=basic).json()
    rec.name(tokens["access_token"], "ACCESS_TOKEN")
    rec.name(tokens["refresh_token"], "REFRESH_TOKEN")
    rec.name(tokens["id_token"], "ID_TOKEN")
    decoded = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks), registry=EDDSA)
    assert decoded.claims["nonce"] == nonce
    rec.document("id_token", {"header": decoded.header, "payload": decoded.claims})

    rec.call("userinfo", "GET", meta["userinfo_endpoint"], bearer=tokens["access_token"])
    refreshed = rec.call(
        "refresh",
        "POST",
        meta["token_endpoint"],
        data=[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"])],
        basic=basic,
    ).json()
    rec.name(refreshed["access_token"], "ACCESS_TOKEN")
    rec.name(refreshed["refresh_token"], "NEW_REFRESH_TOKEN")
    rec.call(
        "introspect",
        "POST",
        meta["introspection_endpoint"],
        data=[("token", refreshed["access_token"])],
        basic=basic,
    )
    rec.call(
        "revoke",
        "POST",
        meta["revocation_endpoint"],
        data=[("token", refreshed["refresh_token"]), ("token_type_hint", "refresh_token")],
        basic=basic,
    )
    rec.call("userinfo_revoked", "GET", meta["userinfo_endpoint"], bearer=refreshed["access_token"])
    rec.call("code_reused", "POST", meta["token_endpoint"], data=exchange, basic=basic)

    code2, _, _ = authorize()
    rec.name(code2, "CODE")
    rec.call(
        "no_verifier",
        "POST",
        meta["token_endpoint"],
        data=[
            ("grant_type", "authorization_code"),
            ("code", code2),
            ("redirect_uri", REDIRECT_URI),
        ],
        basic=basic,
    )

    logout_state = secrets.token_urlsafe(12)
    rec.name(logout_state, "STATE")
    logout = f"{meta['end_session_endpoint']}?" + urlencode(
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": f"{HUB_URL}/",
            "state": logout_state,
        }
    )
    back = walk.run(logout, stop_at=f"{HUB_URL}/")
    rec.browser("logout", logout, status=walk.last_status, location=back)

    run_par(rec, svc, meta, issuer)


def run_par(rec: Recorder, svc: Siapkerja, meta: dict[str, Any], issuer: str) -> None:
    """The high-assurance client: PAR, then private_key_jwt at the token endpoint."""
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "hub-2026-12"})
    hub: Hub = register_hub(
        svc,
        name="Sertifikasi Contoh",
        scopes=["sertihub"],
        purpose="Mendaftar uji kompetensi di LSP Contoh",
        redirect_uri=f"{HUB_URL}/auth/callback",
        fields=["contact", "education", "certificates", "nik"],
        essential=["contact"],
        auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=False)]},
        high_assurance=True,
    )
    rec.name(hub.client_id, "CLIENT_ID")
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    assertion = client_assertion(key, hub.client_id, issuer)
    rec.name(assertion, "CLIENT_ASSERTION")
    rec.name(verifier, "CODE_VERIFIER")
    rec.name(state, "STATE")
    rec.name(nonce, "NONCE")
    rec.name(challenge, "CODE_CHALLENGE")
    jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    pushed = rec.call(
        "par",
        "POST",
        meta["pushed_authorization_request_endpoint"],
        data=[
            ("client_id", hub.client_id),
            ("client_assertion_type", jwt_bearer),
            ("client_assertion", assertion),
            ("response_type", "code"),
            ("redirect_uri", hub.redirect_uri),
            ("scope", "openid email education certificates nik"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    ).json()
    rec.name(pushed["request_uri"], "REQUEST_URI")
    start = f"{meta['authorization_endpoint']}?" + urlencode(
        {"client_id": hub.client_id, "request_uri": pushed["request_uri"]}
    )
    rec.browser("authorize_par", start)
    back = ProviderWalk(svc, rec.keep(httpx.Client(timeout=15))).run(
        start, stop_at=hub.redirect_uri
    )
    code = dict(parse_qsl(urlsplit(back).query))["code"]
    rec.name(code, "CODE")
    assertion = client_assertion(key, hub.client_id, issuer)
    rec.name(assertion, "CLIENT_ASSERTION")
    tokens = rec.call(
        "token_private_key_jwt",
        "POST",
        meta["token_endpoint"],
        data=[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", hub.redirect_uri),
            ("code_verifier", verifier),
            ("client_id", hub.client_id),
            ("client_assertion_type", jwt_bearer),
            ("client_assertion", assertion),
        ],
    ).json()
    # The NIK was asked: the holder typed an SMS code (step-up), which the ID token says.
    jwks = KeySet.import_key_set(rec.http.get(meta["jwks_uri"]).json())
    decoded = jwt.decode(tokens["id_token"], jwks, registry=EDDSA)
    rec.document("id_token_step_up", {"amr": decoded.claims["amr"], "acr": decoded.claims["acr"]})
    rec.name(tokens["access_token"], "ACCESS_TOKEN")
    rec.call("userinfo_nik", "GET", meta["userinfo_endpoint"], bearer=tokens["access_token"])


@pytest.fixture(scope="module")
def recorded(provider: tuple[str, Siapkerja]) -> Iterator[Recorder]:
    url, svc = provider
    rec = Recorder(url)
    try:
        run_flow(rec, svc)
        yield rec
    finally:
        rec.close()


def test_the_flow_answers_as_the_standards_say(recorded: Recorder) -> None:
    """The recorded answers themselves, before any comparison with the page."""
    ex = recorded.exchanges
    assert ex["discovery"].status == 200
    meta = ex["discovery"].body
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "EdDSA" in meta["id_token_signing_alg_values_supported"]
    assert ex["token"].status == 200
    assert ex["token"].headers.get("cache-control") == "no-store"
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= set(ex["token"].body)
    assert ex["token"].body["token_type"].lower() == "bearer"
    assert ex["id_token"].body["header"]["alg"] == "EdDSA"
    assert ex["userinfo"].status == 200
    assert ex["userinfo"].body["sub"] == ex["id_token"].body["payload"]["sub"]
    assert ex["refresh"].status == 200
    assert ex["introspect"].body["active"] is True
    assert ex["revoke"].status == 200
    assert ex["userinfo_revoked"].status == 401
    assert "invalid_token" in ex["userinfo_revoked"].headers.get("www-authenticate", "")
    assert ex["code_reused"].status == 400
    assert ex["code_reused"].body["error"] == "invalid_grant"
    assert ex["no_verifier"].status == 400
    assert ex["par"].status == 201
    assert ex["par"].body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert ex["token_private_key_jwt"].status == 200
    assert ex["id_token_step_up"].body["amr"] == ["pwd", "otp"]
    nik = ex["userinfo_nik"].body["nik"]
    assert isinstance(nik, str)
    assert len(nik) == 16


def test_the_docs_show_what_the_server_answers(recorded: Recorder) -> None:
    rendered = {name: render(e, recorded) for name, e in recorded.exchanges.items()}
    if os.environ.get("SIAPKERJA_WRITE_TRANSCRIPTS") == "1":
        write_transcripts(rendered)
    in_docs = documented()
    markers = set(re.findall(r"<!-- transcript: (\w+) -->", DOC.read_text(encoding="utf-8")))
    assert markers == set(in_docs), f"markers without a transcript: {markers - set(in_docs)}"
    assert markers <= set(rendered), f"no such request in the run: {markers - set(rendered)}"
    for name in sorted(markers):
        assert shape(in_docs[name]) == shape(rendered[name]), name


def test_the_shape_reader_sees_a_changed_status_and_member() -> None:
    """The comparison can fail: a transcript edited by one status or one member differs."""
    block = (
        '```console\n$ curl -si -u "$CLIENT_ID:$CLIENT_SECRET" \\\n    -d token=$TOKEN \\\n'
        "    https://siapkerja.example/oauth2/introspect\nHTTP/1.1 200 OK\n"
        'content-type: application/json\n\n{\n  "active": true\n}\n```'
    )
    assert shape(block) == {
        "auth": "basic",
        "method": "POST",
        "path": "/oauth2/introspect",
        "params": ["token"],
        "status": 200,
        "members": ["active"],
    }
    assert shape(block.replace("200 OK", "401 Unauthorized"))["status"] == 401
    assert shape(block.replace('"active"', '"live"'))["members"] == ["live"]


# --------------------------------------------------------------------------
# The page's Python example of a client assertion, run as written
# --------------------------------------------------------------------------


def documented_example(name: str) -> str:
    """The Python block after ``<!-- example: NAME -->`` in docs/sso.md."""
    found = re.search(
        rf"<!-- example: {name} -->\s*```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert found, f"docs/sso.md has no '<!-- example: {name} -->' Python block"
    return found.group(1)


def test_the_client_assertion_example_of_the_docs_works(
    provider: tuple[str, Siapkerja], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's private_key_jwt example, run as written: its public JWKS registers the
    client, its assertion authenticates a pushed request; a refused assertion answers
    400 invalid_client, and a spent request_uri an error page (no redirect), as the
    page says."""
    url, svc = provider
    monkeypatch.chdir(tmp_path)  # the example writes bursakerja.jwks.json here
    example: dict[str, Any] = {}
    exec(compile(documented_example("client_assertion"), str(DOC), "exec"), example)  # noqa: S102
    jwks = json.loads((tmp_path / "bursakerja.jwks.json").read_text(encoding="utf-8"))
    assert all("d" not in key for key in jwks["keys"])  # the public half only
    hub = register_hub(
        svc,
        name="Bursa Kerja Berkunci",
        scopes=["karirhub"],
        purpose="Melamar lowongan di Bursa Kerja Berkunci",
        redirect_uri=REDIRECT_URI,
        auth_method="private_key_jwt",
        jwks=jwks,
        high_assurance=True,
    )
    with httpx.Client(timeout=15) as http:
        issuer = http.get(f"{url}/.well-known/openid-configuration").json()["issuer"]
        assertion = example["client_assertion"](hub.client_id, issuer)
        _, challenge = pkce_pair()
        pushed_form = {
            "client_id": hub.client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        pushed = http.post(f"{url}/oauth2/par", data=pushed_form)
        assert pushed.status_code == 201, pushed.text
        request_uri = pushed.json()["request_uri"]

        replayed = http.post(f"{url}/oauth2/par", data=pushed_form)  # the same jti again
        assert replayed.status_code == 400, replayed.text
        assert replayed.json()["error"] == "invalid_client"

        start = {"client_id": hub.client_id, "request_uri": request_uri + "x"}
        unknown = http.get(f"{url}/oauth2/authorize", params=start, follow_redirects=False)
        assert unknown.status_code == 400
        assert "location" not in unknown.headers
        assert "invalid_request_uri" in unknown.text


def test_joserfc_signs_an_eddsa_assertion_only_when_asked_by_name() -> None:
    """What the page warns of: joserfc refuses to sign EdDSA unless algorithms=["EdDSA"]."""
    from joserfc.errors import UnsupportedAlgorithmError

    key = OKPKey.generate_key("Ed25519", parameters={"kid": "hub-1"})
    claims = {"iss": "c", "sub": "c", "aud": SHOWN_ISSUER, "jti": "j", "exp": 2**31 - 1}
    with pytest.raises(UnsupportedAlgorithmError, match="not recommended"):
        jwt.encode({"alg": "EdDSA", "kid": key.kid}, claims, key)
    signed = jwt.encode({"alg": "EdDSA", "kid": key.kid}, claims, key, algorithms=["EdDSA"])
    assert jwt.decode(signed, key, registry=EDDSA).claims["iss"] == "c"
