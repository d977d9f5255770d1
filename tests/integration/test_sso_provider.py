""" "Masuk dengan SIAPkerja" over real HTTP: a uvicorn server, httpx as the hub and the browser.

The OpenID Connect provider (``siapkerja_adapters.web.sso``) end to end: the
code flow with PKCE, the consent screen (a voluntary field unticked, an
essential one kept), the EdDSA ID token checked with the published JWKS by
joserfc, userinfo releasing exactly the consented claims, pairwise subjects,
withdrawal of consent, refresh rotation and reuse detection, revocation and
introspection, a high-assurance client (PAR and ``private_key_jwt`` with a
P-256 and an Ed25519 key), the per-client rate limit, RP-initiated logout,
the SMS step-up, the sign-in page's ``next``, and hostile input. The core
flow runs on SQLite too. Tests named after the OpenID Foundation's
conformance modules are in ``test_sso_conformance.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.rpinitiated import OpenIDProviderMetadata as LogoutMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey

from siapkerja_adapters.connect import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account
from support.clock import ManualClock
from support.sms import sms_code
from support.sso import (
    LOGOUT,
    PASSWORD,
    PEOPLE,
    REDIRECT,
    Browser,
    Provider,
    RelyingParty,
    callback,
    holder,
    is_consent,
    is_login,
    is_step_up,
    provider,
    register,
    sign_in_through,
    tokens,
    userinfo,
)


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock.from_now()


def memory_on(clock: ManualClock) -> Any:
    def make(base_url: str) -> Siapkerja:
        return connect(
            "memory",
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            clock=clock.now,
            card_base_url=f"{base_url}/v/",
        )

    return make


@pytest.fixture(scope="module")
def op(clock: ManualClock) -> Iterator[Provider]:
    with provider(memory_on(clock)) as started:
        yield started


@pytest.fixture(scope="module")
def galih(op: Provider) -> Account:
    return holder(op.svc, 0)


@pytest.fixture(scope="module")
def fauzi(op: Provider) -> Account:
    return holder(op.svc, 1)


@pytest.fixture
def browser(op: Provider) -> Iterator[Browser]:
    opened = Browser(op)
    yield opened
    opened.close()


@pytest.fixture
def http(op: Provider) -> Iterator[httpx.Client]:
    with op.http() as client:
        yield client


# --------------------------------------------------------------------------
# The code flow
# --------------------------------------------------------------------------


def test_the_code_flow_releases_exactly_the_consented_claims(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request = rp.request("openid profile email work")
    page = browser.authorize(request)
    assert is_login(page)
    page = browser.login_form(page, "sso0@example.com")
    assert is_consent(page)
    # The hub, its purpose, each claim in plain words; the essential one marked, fixed.
    assert rp.client.name in page.text
    assert rp.client.purpose_label in page.text  # as written, not lower-cased
    assert "Kontak" in page.text
    assert "Pengalaman kerja" in page.text
    assert "wajib" in page.text
    assert 'value="contact"' not in page.text  # essential: not a checkbox
    assert 'name="field" value="work" checked' in page.text
    page = browser.consent(page, fields=["headline"])  # work and photo unticked
    answer = callback(page, rp)
    assert answer["state"] == request.state
    assert answer["iss"] == op.url  # RFC 9207
    response = rp.token(http, answer["code"], request.verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    claims = rp.id_token(http, body["id_token"])
    assert claims["iss"] == op.url
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == request.nonce
    assert claims["exp"] - claims["iat"] == 300
    assert claims["amr"] == ["pwd"]
    assert "auth_time" in claims
    assert "at_hash" in claims
    assert claims["name"] == "Galih Agan Pambayun"
    info = userinfo(http, body["access_token"])
    assert info.status_code == 200, info.text
    assert set(info.json()) == {"sub", "siapkerja_id", "name", "headline", "email", "phone_number"}
    assert info.json()["sub"] == claims["sub"]
    assert info.headers["cache-control"] == "no-store"


def test_a_remembered_consent_skips_the_screen_until_prompt_consent(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    sign_in_through(browser, rp, "sso0@example.com", "openid email")
    request = rp.request("openid email")
    answer = callback(browser.authorize(request), rp)  # no screen: straight back
    assert answer["state"] == request.state
    assert "code" in answer
    page = browser.authorize(rp.request("openid email", prompt="consent"))
    assert is_consent(page)


def test_two_hubs_see_different_subjects(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    subjects = []
    for _ in range(2):
        rp = register(op)
        request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
        subjects.append(rp.id_token(http, tokens(http, rp, request, answer)["id_token"])["sub"])
    assert subjects[0] != subjects[1]
    assert galih.id not in subjects
    assert galih.nik not in "".join(subjects)


def test_denying_consent_answers_access_denied(
    op: Provider, galih: Account, browser: Browser
) -> None:
    rp = register(op)
    request = rp.request("openid email")
    page = browser.authorize(request)
    if is_login(page):
        page = browser.login_form(page, "sso0@example.com")
    answer = callback(browser.consent(page, decision="deny"), rp)
    assert answer["error"] == "access_denied"
    assert (answer["state"], answer["iss"]) == (request.state, op.url)
    assert "code" not in answer


def test_essential_fields_stay_even_when_the_form_leaves_them_out(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request = rp.request("openid email work")
    page = browser.authorize(request)
    if is_login(page):
        page = browser.login_form(page, "sso0@example.com")
    answer = callback(browser.consent(page, fields=[]), rp)
    info = userinfo(http, tokens(http, rp, request, answer)["access_token"]).json()
    assert "email" in info
    assert "work" not in info


def test_withdrawn_consent_ends_userinfo_and_refresh(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    body = tokens(http, rp, request, answer)
    assert userinfo(http, body["access_token"]).status_code == 200
    consent = next(
        c for c in op.svc.consents(galih.id) if c.verifier_id == rp.client.verifier_id and c.active
    )
    op.svc.withdraw_consent(galih.id, consent.id)
    refused = userinfo(http, body["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    again = rp.refresh(http, body["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_grant(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    first = tokens(http, rp, request, answer)
    rotated = rp.refresh(http, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert rotated.headers["cache-control"] == "no-store"
    reused = rp.refresh(http, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # The reuse ended the grant: the newest tokens are dead too.
    assert rp.refresh(http, second["refresh_token"]).status_code == 400
    assert userinfo(http, second["access_token"]).status_code == 401


def test_revocation_and_introspection(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    other = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    body = tokens(http, rp, request, answer)
    seen = http.post("/oauth2/introspect", **rp.auth({"token": body["access_token"]}))
    assert seen.status_code == 200
    assert seen.json()["active"] is True
    assert seen.json()["client_id"] == rp.client_id
    assert seen.json()["iss"] == op.url
    # Another client learns nothing of it, and cannot revoke it.
    stranger = http.post("/oauth2/introspect", **other.auth({"token": body["access_token"]}))
    assert stranger.json() == {"active": False}
    assert (
        http.post("/oauth2/revoke", **other.auth({"token": body["access_token"]})).status_code
        == 200
    )
    assert userinfo(http, body["access_token"]).status_code == 200
    # Its own client revokes the refresh token: the grant ends.
    revoked = http.post(
        "/oauth2/revoke",
        **rp.auth({"token": body["refresh_token"], "token_type_hint": "refresh_token"}),
    )
    assert revoked.status_code == 200
    assert userinfo(http, body["access_token"]).status_code == 401
    after = http.post("/oauth2/introspect", **rp.auth({"token": body["access_token"]}))
    assert after.json() == {"active": False}
    unauthenticated = http.post("/oauth2/revoke", data={"token": body["access_token"]})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"


def test_client_secret_post_and_the_registered_method_only(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op, auth_method="client_secret_post")
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
    assert rp.secret is not None
    basic = http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": request.verifier,
        },
        auth=(rp.client_id, rp.secret),
    )
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
    assert rp.token(http, answer["code"], request.verifier).status_code == 200


# --------------------------------------------------------------------------
# High assurance: PAR and private_key_jwt
# --------------------------------------------------------------------------


def key_client(op: Provider, key: Any, **options: Any) -> RelyingParty:
    public = key.as_dict(private=False)
    rp = register(
        op,
        auth_method="private_key_jwt",
        jwks={"keys": [public]},
        **options,
    )
    rp.private_key = key
    return rp


@pytest.mark.parametrize("kind", ["EC", "OKP"])
def test_a_high_assurance_client_needs_par_and_private_key_jwt(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client, kind: str
) -> None:
    key = ECKey.generate_key("P-256") if kind == "EC" else OKPKey.generate_key("Ed25519")
    key.ensure_kid()
    rp = key_client(op, key, high_assurance=True)
    # Straight to the authorization endpoint: refused, back to the client.
    direct = browser.authorize(rp.request("openid email"))
    answer = callback(direct, rp)
    assert answer["error"] == "invalid_request"
    assert answer["iss"] == op.url
    # PAR with a secret is no authentication for this client.
    request = rp.request("openid email")
    pushed = http.post("/oauth2/par", data=request.params, auth=(rp.client_id, "a-guess"))
    assert pushed.status_code == 401
    assertion = rp.assertion()
    pushed = http.post("/oauth2/par", data={**request.params, **assertion})
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["cache-control"] == "no-store"
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    assert pushed.json()["expires_in"] > 0
    # The same assertion again: a replayed jti.
    replay = http.post("/oauth2/par", data={**rp.request("openid").params, **assertion})
    assert replay.status_code in (400, 401)
    assert replay.json()["error"] == "invalid_client"
    page = browser.authorize({"client_id": rp.client_id, "request_uri": request_uri})
    if is_login(page):
        page = browser.login_form(page, "sso0@example.com")
    if is_consent(page):
        page = browser.consent(page)
    answer = callback(page, rp)
    assert answer["state"] == request.state
    response = rp.token(http, answer["code"], request.verifier)
    assert response.status_code == 200, response.text
    assert rp.id_token(http, response.json()["id_token"])["nonce"] == request.nonce
    # A request_uri is used once.
    again = browser.authorize({"client_id": rp.client_id, "request_uri": request_uri})
    assert again.status_code == 400
    assert "invalid_request_uri" in again.text


def test_private_key_jwt_checks_audience_and_signature(op: Provider, http: httpx.Client) -> None:
    key = ECKey.generate_key("P-256")
    key.ensure_kid()
    rp = key_client(op, key)
    too_long = rp.assertion(lifetime=3600)
    answer = http.post("/oauth2/introspect", data={"token": "x", **too_long})
    assert answer.json()["error"] == "invalid_client"
    wrong_audience = rp.assertion(aud="https://elsewhere.example")
    answer = http.post("/oauth2/introspect", data={"token": "x", **wrong_audience})
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "invalid_client"
    forged = rp.assertion()
    header, payload, signature = forged["client_assertion"].split(".")
    forged["client_assertion"] = f"{header}.{payload}.{signature[::-1]}"
    answer = http.post("/oauth2/introspect", data={"token": "x", **forged})
    assert answer.json()["error"] == "invalid_client"
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    none = {**rp.assertion(), "client_assertion": f"{unsigned}.{payload}."}
    assert http.post("/oauth2/introspect", data={"token": "x", **none}).json()["error"] == (
        "invalid_client"
    )
    token_endpoint = rp.assertion(aud=op.url + "/oauth2/token")
    fine = http.post("/oauth2/introspect", data={"token": "x", **token_endpoint})
    assert fine.status_code == 200
    assert fine.json() == {"active": False}


# --------------------------------------------------------------------------
# Rate limit, step-up, logout
# --------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after(
    op: Provider, clock: ManualClock, http: httpx.Client
) -> None:
    rp = register(op, rate_limit=3)
    for _ in range(3):
        assert http.post("/oauth2/introspect", **rp.auth({"token": "x"})).status_code == 200
    limited = http.post("/oauth2/introspect", **rp.auth({"token": "x"}))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["error"] == "temporarily_unavailable"
    assert (
        http.post(
            "/oauth2/token", **rp.auth({"grant_type": "refresh_token", "refresh_token": "x"})
        ).status_code
        == 429
    )
    clock.advance(seconds=61)
    assert http.post("/oauth2/introspect", **rp.auth({"token": "x"})).status_code == 200


def test_sensitive_fields_need_an_sms_code(
    op: Provider, clock: ManualClock, browser: Browser, http: httpx.Client
) -> None:
    rizki = holder(op.svc, 2)
    rp = register(
        op,
        name="Skillhub",
        scopes=["skillhub"],
        fields=["contact", "nik", "birth"],
        essential=["contact", "nik"],
    )
    request = rp.request("openid email nik")
    page = browser.authorize(request)
    page = browser.login_form(page, "sso2@example.com")
    assert is_step_up(page)
    assert "SMS" in page.text
    wrong = browser.step_up(
        page, "000000" if sms_code(op.svc, rizki.phone) != "000000" else "111111"
    )
    assert wrong.status_code == 200  # POST/redirect/GET: the pending page shows the error
    assert is_step_up(wrong)
    assert "field-error" in wrong.text
    clock.advance(seconds=120)  # past the resend cooldown
    resent = browser.http.post(
        "/oauth2/authorize/sms/kirim-ulang",
        data={"csrf_token": _csrf(wrong.text), "id": _rid(wrong.text)},
    )
    page = browser.follow(resent)
    assert is_step_up(page)
    assert "Kode baru telah dikirim" in page.text
    page = browser.step_up(page, sms_code(op.svc, rizki.phone))
    assert is_consent(page)
    answer = callback(browser.consent(page), rp)
    body = tokens(http, rp, request, answer)
    claims = rp.id_token(http, body["id_token"])
    assert claims["amr"] == ["pwd", "otp"]
    info = userinfo(http, body["access_token"]).json()
    assert info["nik"] == rizki.nik
    assert isinstance(info["nik"], str)


def test_rp_initiated_logout_confirms_then_ends_the_session_and_the_tokens(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    body = tokens(http, rp, request, answer)
    query = {
        "id_token_hint": body["id_token"],
        "post_logout_redirect_uri": LOGOUT,
        "state": "bye-123",
    }
    page = browser.http.get("/oauth2/logout?" + urlencode(query))
    assert page.status_code == 200
    assert rp.client.name in page.text
    assert userinfo(http, body["access_token"]).status_code == 200  # nothing ended yet
    done = browser.http.post("/oauth2/logout/konfirmasi", data={"csrf_token": _csrf(page.text)})
    assert done.status_code == 303
    assert done.headers["location"] == f"{LOGOUT}?state=bye-123"
    assert userinfo(http, body["access_token"]).status_code == 401
    assert browser.http.get("/profil").status_code in (302, 303)  # signed out here too


def test_logout_never_redirects_to_an_unregistered_uri(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
    body = tokens(http, rp, request, answer)
    query = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
    page = browser.http.get("/oauth2/logout?" + urlencode(query))
    assert page.status_code == 200
    done = browser.http.post("/oauth2/logout/konfirmasi", data={"csrf_token": _csrf(page.text)})
    assert done.status_code == 200
    assert "evil.example" not in done.headers.get("location", "")
    forged = browser.http.get("/oauth2/logout?" + urlencode({"id_token_hint": "a.b.c"}))
    assert forged.status_code == 400
    no_csrf = browser.http.post("/oauth2/logout/konfirmasi", data={})
    assert no_csrf.status_code == 403


def test_logout_by_post_without_a_hint_asks_and_stays_here(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp, other = register(op), register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
    mine = tokens(http, rp, request, answer)
    request, answer = sign_in_through(browser, other, "sso0@example.com", "openid")
    theirs = tokens(http, other, request, answer)
    page = browser.http.post(
        "/oauth2/logout", data={"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT}
    )
    assert page.status_code == 200
    assert "/oauth2/logout/konfirmasi" in page.text
    done = browser.http.post("/oauth2/logout/konfirmasi", data={"csrf_token": _csrf(page.text)})
    assert done.status_code == 200  # no id_token_hint: no redirect, a page here
    assert "location" not in done.headers
    assert userinfo(http, mine["access_token"]).status_code == 401
    assert userinfo(http, theirs["access_token"]).status_code == 200  # the other hub's stay


def test_forms_that_end_at_the_hub_allow_its_origin_and_no_other(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    """Browsers hold every redirect of a form submission to ``form-action``: the sign-in,
    SMS code and consent forms end at the hub, so their pages must name its origin."""
    plain = browser.http.get("/")
    assert "form-action 'self';" in plain.headers["content-security-policy"]
    rp = register(op)
    request = rp.request("openid email")
    page = browser.authorize(request)
    assert is_login(page)
    hub = "form-action 'self' https://karirhub.example;"
    assert hub in page.headers["content-security-policy"]
    page = browser.login_form(page, "sso0@example.com")
    assert is_consent(page)
    assert hub in page.headers["content-security-policy"]
    answer = callback(browser.consent(page), rp)
    after = browser.http.get("/profil")  # the request is answered: no hub any more
    assert "form-action 'self';" in after.headers["content-security-policy"]
    body = tokens(http, rp, request, answer)
    query = urlencode({"id_token_hint": body["id_token"], "post_logout_redirect_uri": LOGOUT})
    confirm = browser.http.get("/oauth2/logout?" + query)
    assert hub in confirm.headers["content-security-policy"]


# --------------------------------------------------------------------------
# The sign-in page's next, and what the session keeps
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\r\nSet-Cookie:x=1",
        "/../../elsewhere",
        "javascript:alert(1)",
        "",
    ],
)
def test_next_never_leaves_the_site(
    op: Provider, galih: Account, browser: Browser, target: str
) -> None:
    page = browser.http.get("/?next=" + quote(target, safe=""))
    assert page.status_code == 200
    assert 'name="next"' not in page.text
    reply = browser.http.post(
        "/",
        data={
            "identifier": "sso0@example.com",
            "password": PASSWORD,
            "csrf_token": _csrf(page.text),
            "next": target,
        },
    )
    assert reply.status_code == 303
    assert reply.headers["location"].endswith("/profil")


def test_next_brings_the_holder_back_to_a_page_of_the_site(
    op: Provider, galih: Account, browser: Browser
) -> None:
    page = browser.http.get("/?next=/riwayat")
    assert 'name="next" value="/riwayat"' in page.text
    reply = browser.http.post(
        "/",
        data={
            "identifier": "sso0@example.com",
            "password": PASSWORD,
            "csrf_token": _csrf(page.text),
            "next": "/riwayat",
        },
    )
    assert reply.headers["location"] == "/riwayat"
    again = browser.http.get("/?next=/riwayat")  # already signed in: straight there
    assert again.headers["location"] == "/riwayat"


def test_the_pending_request_lives_in_the_session_not_in_the_form(
    op: Provider, galih: Account, browser: Browser
) -> None:
    rp = register(op)
    request = rp.request("openid email")
    page = browser.authorize(request)
    if is_login(page):
        page = browser.login_form(page, "sso0@example.com")
    assert is_consent(page)
    for secret in (request.state, request.nonce, request.params["code_challenge"], REDIRECT):
        assert secret not in page.text
    hidden = set(_hidden_names(page.text))
    assert hidden == {"csrf_token", "id"}
    # Another browser cannot answer this one's request.
    other = Browser(op)
    try:
        reply = other.http.post(
            "/oauth2/authorize/izin",
            data={"csrf_token": "x", "id": _rid(page.text), "decision": "allow"},
        )
        assert reply.status_code == 403
    finally:
        other.close()


def test_a_holder_who_registers_on_the_way_goes_on_to_the_hub(
    op: Provider, browser: Browser, http: httpx.Client
) -> None:
    taken = {p.nik for p in PEOPLE}
    nik, name, mother = next(
        (r.nik, r.full_name, r.mother_name)
        for r in reversed(list(op.svc.dukcapil))  # type: ignore[attr-defined]
        if r.active and r.nik not in taken
    )
    rp = register(op)
    request = rp.request("openid email")
    page = browser.authorize(request)
    assert is_login(page)
    assert rp.client.name in page.text  # the sign-in page says where it leads
    form = browser.http.get("/daftar")
    step = browser.follow(
        browser.http.post(
            "/daftar",
            data={
                "nik": nik,
                "full_name": name,
                "mother_name": mother,
                "csrf_token": _csrf(form.text),
            },
        )
    )
    phone = "081299990001"
    step = browser.follow(
        browser.http.post(
            "/daftar/kontak",
            data={
                "email": "baru@example.com",
                "phone": phone,
                "password": PASSWORD,
                "csrf_token": _csrf(step.text),
            },
        )
    )
    code = sms_code(op.svc, phone)
    page = browser.follow(
        browser.http.post("/verifikasi", data={"code": code, "csrf_token": _csrf(step.text)})
    )
    assert is_consent(page), page.text[:300]
    answer = callback(browser.consent(page), rp)
    assert tokens(http, rp, request, answer)["token_type"] == "Bearer"


def test_many_pending_requests_keep_the_session_cookie_small(
    op: Provider, galih: Account, browser: Browser
) -> None:
    rp = register(op)
    # Random, so that the session's compression cannot shrink them.
    requests = [
        rp.request("openid email", state=token_urlsafe(375), nonce=token_urlsafe(375))
        for _ in range(6)
    ]
    for request in requests:
        assert is_login(browser.authorize(request))
    cookie = browser.http.cookies.get("siapkerja_session")
    assert cookie is not None
    assert len(cookie) < 3000  # room left in the 4 KB a browser keeps
    page = browser.login_form(browser.authorize(rp.request("openid email")), "sso0@example.com")
    assert is_consent(page)


# --------------------------------------------------------------------------
# Discovery, keys, base path
# --------------------------------------------------------------------------


def test_discovery_advertises_exactly_what_works(op: Provider, http: httpx.Client) -> None:
    response = http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    meta = response.json()
    # Authlib checks every member; OIDC Discovery §3 asks for RS256 among the ID token
    # algorithms, which this provider deliberately does not offer (EdDSA or ES256 only).
    checked = {**meta, "id_token_signing_alg_values_supported": ["EdDSA", "ES256", "RS256"]}
    OpenIDProviderMetadata(checked).validate(metadata_classes=[LogoutMetadata])
    assert meta["issuer"] == op.url
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["EdDSA", "ES256"]
    assert "userinfo_signing_alg_values_supported" not in meta  # userinfo is plain JSON
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["require_pushed_authorization_requests"] is False
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert {
        "openid",
        "profile",
        "email",
        "phone",
        "address",
        "offline_access",
        "nik",
        "work",
    } <= set(meta["scopes_supported"])
    assert {"sub", "iss", "name", "siapkerja_id", "email", "work", "nik_masked"} <= set(
        meta["claims_supported"]
    )
    assert "schema_version" not in meta["claims_supported"]
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "pushed_authorization_request_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ):
        assert meta[name].startswith(op.url + "/"), name


def test_jwks_lists_an_ed25519_and_a_p256_key_of_each_active_key(
    op: Provider, http: httpx.Client
) -> None:
    keys = http.get("/oauth2/jwks").json()["keys"]
    okp = [k for k in keys if k["kty"] == "OKP"]
    ec = [k for k in keys if k["kty"] == "EC"]
    assert okp
    assert len(okp) == len(ec) == len(keys) // 2
    assert all(k["crv"] == "Ed25519" and k["alg"] == "EdDSA" for k in okp)
    assert all(k["crv"] == "P-256" and k["alg"] == "ES256" for k in ec)
    assert all("d" not in k for k in keys)
    assert len({k["kid"] for k in keys}) == len(keys)
    kid, _ = op.svc.sso.signing_key()
    assert kid in {k["kid"] for k in okp}
    ec_kid, _ = op.svc.sso.signing_key("ES256")
    assert ec_kid in {k["kid"] for k in ec}
    assert ECKey.import_key(next(k for k in ec if k["kid"] == ec_kid)).thumbprint() == ec_kid


def test_an_es256_client_gets_es256_id_tokens_that_follow_key_rotation(
    tmp_path: Path,
) -> None:
    """A client registered for ES256: its ID tokens verify with the published EC key
    (joserfc, ES256 only), name a kid of the JWKS, carry a SHA-256 ``at_hash``, serve
    as ``id_token_hint`` at logout; after rotation and retirement of the old key its
    EC key is gone from the JWKS and new ID tokens name the new one."""
    with provider(memory_on(ManualClock.from_now())) as started, started.http() as http:
        holder(started.svc, 0)
        rp = register(started, id_token_alg="ES256")
        plain = register(started)  # an EdDSA client of the same provider
        browser = Browser(started)
        try:
            request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
            body = tokens(http, rp, request, answer)
            token = str(body["id_token"])
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            assert header["alg"] == "ES256"
            old_kid = header["kid"]
            claims = rp.id_token(http, token)
            assert claims["aud"] == rp.client_id
            assert claims["nonce"] == request.nonce
            digest = hashlib.sha256(str(body["access_token"]).encode()).digest()[:16]
            assert claims["at_hash"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
            keys = http.get("/oauth2/jwks").json()["keys"]
            assert next(k for k in keys if k["kid"] == old_kid)["kty"] == "EC"
            with pytest.raises(JoseError):  # not as EdDSA, whatever key
                jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=["EdDSA"])
            # The EdDSA client of the same provider still gets EdDSA.
            request, answer = sign_in_through(browser, plain, "sso0@example.com", "openid")
            other = tokens(http, plain, request, answer)
            assert plain.id_token(http, str(other["id_token"]))["aud"] == plain.client_id
            # An ES256 ID token is a good id_token_hint at logout.
            page = browser.http.get(
                "/oauth2/logout?" + urlencode({"id_token_hint": token, "state": "s"})
            )
            assert page.status_code == 200, page.text[:300]
            assert rp.client.name in page.text

            access_kid, _ = started.svc.sso.signing_key()
            started.svc.rotate_keys()
            started.svc.retire_key(access_kid)
            kids = {k["kid"] for k in http.get("/oauth2/jwks").json()["keys"]}
            assert old_kid not in kids
            assert access_kid not in kids
            request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid")
            token = str(tokens(http, rp, request, answer)["id_token"])
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            assert header["alg"] == "ES256"
            assert header["kid"] != old_kid
            assert header["kid"] in kids
            assert rp.id_token(http, token)["aud"] == rp.client_id
        finally:
            browser.close()


def test_the_issuer_follows_the_base_path(tmp_path: Path) -> None:
    clock = ManualClock.from_now()

    def make(base_url: str) -> Siapkerja:
        return connect(
            "memory",
            environ={},
            hasher=PasswordHasher.fast_for_tests(),
            clock=clock.now,
            card_base_url=f"{base_url}/siapkerja/v/",
        )

    with provider(make, base_path="/siapkerja") as started, started.http() as client:
        meta = client.get("/siapkerja/.well-known/openid-configuration").json()
        assert meta["issuer"] == started.url + "/siapkerja"
        assert meta["token_endpoint"] == started.url + "/siapkerja/oauth2/token"
        assert client.get("/siapkerja/oauth2/jwks").status_code == 200


# --------------------------------------------------------------------------
# Hostile input: typed refusals, never a 500
# --------------------------------------------------------------------------


def test_hostile_input_is_refused_never_a_500(
    op: Provider, galih: Account, http: httpx.Client
) -> None:
    rp = register(op)
    garbage_headers = [
        "Basic ÿÿÿ",
        "Basic !!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
        "Basic",
        "Bearer",
        "Bearer " + "x" * 5000,
        "Negotiate abc",
    ]
    for header in garbage_headers:
        for path in ("/oauth2/token", "/oauth2/revoke", "/oauth2/introspect", "/oauth2/par"):
            response = http.post(
                path,
                content=b"grant_type=authorization_code&code=x&token=x",
                headers={
                    "Authorization": header.encode("latin-1"),  # type: ignore[dict-item]
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            assert 400 <= response.status_code < 500, (path, header, response.text)
            assert "error" in response.json()
        answer = http.get("/oauth2/userinfo", headers={"Authorization": header.encode("latin-1")})  # type: ignore[dict-item]
        assert answer.status_code in (400, 401)
    bodies: list[tuple[bytes, str]] = [
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
        (b'{"grant_type": "authorization_code"}', "application/json"),
        (b"grant_type=" + b"a" * 70_000, "application/x-www-form-urlencoded"),
        (b"&".join(b"p%d=1" % i for i in range(500)), "application/x-www-form-urlencoded"),
        (b"grant_type=refresh_token&refresh_token=%00", "application/x-www-form-urlencoded"),
        (b"grant_type=authorization_code&code=a&code=b", "application/x-www-form-urlencoded"),
    ]
    for body, media in bodies:
        for path in ("/oauth2/token", "/oauth2/par", "/oauth2/revoke"):
            response = http.post(
                path,
                content=body,
                headers={"Content-Type": media},
                auth=(rp.client_id, rp.secret or ""),
            )
            assert 400 <= response.status_code < 500, (path, body[:40], response.text)
    bad_assertions = ["a.b.c", "x" * 9000, "eyJ.eyJ.", "....", "é.é.é"]
    for assertion in bad_assertions:
        response = http.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": "x",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )
        assert response.status_code in (400, 401), (assertion, response.text)
    for query in (
        {"client_id": "x" * 300},
        {"client_id": "\x00"},
        {"client_id": rp.client_id, "redirect_uri": "x" * 9000},
        {"client_id": rp.client_id, "request_uri": "urn:ietf:params:oauth:request_uri:nope"},
        {"request_uri": "urn:x"},
        {"id_token_hint": "é"},
    ):
        answer = http.get("/oauth2/authorize?" + urlencode(query))
        assert answer.status_code == 400, query
        answer = http.get("/oauth2/logout?" + urlencode(query))
        assert answer.status_code in (200, 400), query  # a page: refused, or "signed out"
    jwk_client = register(
        op,
        auth_method="private_key_jwt",
        jwks={"keys": [{"kty": "EC", "crv": "P-256", "x": "!!", "y": "??"}]},
    )
    jwk_client.private_key = ECKey.generate_key("P-256")
    jwk_client.private_key.ensure_kid()
    answer = http.post("/oauth2/introspect", data={"token": "x", **jwk_client.assertion()})
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "invalid_client"
    assert http.get("/oauth2/authorize/lanjut?id=nope").status_code == 400
    assert json.loads(
        http.post(
            "/oauth2/userinfo",
            content=b"access_token=%FF",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).text
    )["error"]


# --------------------------------------------------------------------------
# The core flow on SQLite
# --------------------------------------------------------------------------


def test_the_code_flow_on_sqlite(tmp_path: Path) -> None:
    clock = ManualClock.from_now()

    def make(base_url: str) -> Siapkerja:
        return connect(
            environ={},
            load_entrypoints=False,
            storage="sql",
            database_url=f"sqlite:///{tmp_path / 'sso.sqlite3'}",
            sms="memory",
            dukcapil="offline",
            secret_key="sso-web-integration-secret-0123456789",
            storage_key="k1:" + base64.urlsafe_b64encode(b"s" * 32).decode(),
            database_migrate="true",
            hasher=PasswordHasher.fast_for_tests(),
            clock=clock.now,
            card_base_url=f"{base_url}/v/",
        )

    with provider(make) as started:
        account = holder(started.svc, 0)
        rp = register(started)
        browser = Browser(started)
        try:
            request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email work")
            with started.http() as http:
                body = tokens(http, rp, request, answer)
                assert rp.id_token(http, body["id_token"])["nonce"] == request.nonce
                info = userinfo(http, body["access_token"]).json()
                assert info["email"] == account.email
                rotated = rp.refresh(http, body["refresh_token"])
                assert rotated.status_code == 200
                assert rp.refresh(http, body["refresh_token"]).status_code == 400
        finally:
            browser.close()


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _csrf(html: str) -> str:
    from support.sso import csrf_of

    return csrf_of(html)


def _rid(html: str) -> str:
    import re

    found = re.search(r'name="id" value="([^"]+)"', html)
    assert found
    return found[1]


def _hidden_names(html: str) -> list[str]:
    import re

    return re.findall(r'type="hidden" name="([^"]+)"', html)
