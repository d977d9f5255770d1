""" "Masuk dengan SIAPkerja": the holder's pages as a browser uses them, over real HTTP.

A reload or a language switch never replays the authorization request or a
form: the authorization request and every form answer 303 to the pending
request's own page (``/oauth2/authorize/lanjut?id=…``), which remembers the SMS
step-up. Anonymous authorization requests store nothing (a ``state`` is spent
only when the code is issued). The consent screen promises the card number
only to a holder with a card and shows the hub's purpose as it was typed.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from siapkerja_adapters.connect import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account
from support.sms import sms_code
from support.sso import (
    Browser,
    Provider,
    RelyingParty,
    callback,
    csrf_of,
    holder,
    is_consent,
    is_login,
    is_step_up,
    provider,
    query_of,
    register,
    sign_in_through,
    tokens,
)

PENDING = "/oauth2/authorize/lanjut?id="


@pytest.fixture(scope="module")
def op() -> Iterator[Provider]:
    with provider() as started:
        yield started


@pytest.fixture(scope="module")
def galih(op: Provider) -> Account:
    return holder(op.svc, 0)


@pytest.fixture(scope="module")
def rizki(op: Provider) -> Account:
    return holder(op.svc, 2)


@pytest.fixture
def browser(op: Provider) -> Iterator[Browser]:
    opened = Browser(op)
    yield opened
    opened.close()


@pytest.fixture
def http(op: Provider) -> Iterator[httpx.Client]:
    with op.http() as client:
        yield client


def _rid(html: str) -> str:
    import re

    found = re.search(r'name="id" value="([^"]+)"', html)
    assert found
    return found[1]


def test_reload_and_english_on_the_consent_page_replay_nothing(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    browser.sign_in("sso0@example.com")
    request = rp.request("openid profile email")
    first = browser.http.get("/oauth2/authorize?" + urlencode(request.params))
    assert first.status_code == 303, first.text[:300]
    pending = first.headers["location"]
    assert pending.startswith(PENDING)
    page = browser.http.get(pending)
    assert is_consent(page)
    assert "Masuk ke" in page.text
    reloaded = browser.http.get(pending)
    assert is_consent(reloaded)
    english = browser.http.get(pending + "&lang=en")
    assert is_consent(english), english.text[:500]
    assert "Sign in to" in english.text
    answer = callback(browser.consent(english), rp)
    assert answer["state"] == request.state
    assert "id_token" in tokens(http, rp, request, answer)


def test_the_sms_step_up_answers_with_the_pending_page_and_is_remembered(
    op: Provider, rizki: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(
        op,
        name="Skillhub",
        scopes=["skillhub"],
        fields=["contact", "nik", "birth"],
        essential=["contact", "nik"],
    )
    browser.sign_in("sso2@example.com")
    request = rp.request("openid email nik")
    first = browser.http.get("/oauth2/authorize?" + urlencode(request.params))
    assert first.status_code == 303
    pending = first.headers["location"]
    assert pending.startswith(PENDING)
    page = browser.http.get(pending)
    assert is_step_up(page)
    assert browser.http.get(pending + "&lang=en").status_code == 200  # not sent twice

    right = sms_code(op.svc, rizki.phone)
    wrong = browser.http.post(
        "/oauth2/authorize/sms",
        data={
            "csrf_token": csrf_of(page.text),
            "id": _rid(page.text),
            "code": "000000" if right != "000000" else "111111",
        },
    )
    assert wrong.status_code == 303
    assert wrong.headers["location"] == pending
    shown = browser.http.get(pending)
    assert is_step_up(shown)
    assert "field-error" in shown.text
    assert "field-error" not in browser.http.get(pending).text  # shown once

    passed = browser.http.post(
        "/oauth2/authorize/sms",
        data={"csrf_token": csrf_of(shown.text), "id": _rid(shown.text), "code": right},
    )
    assert passed.status_code == 303
    assert passed.headers["location"] == pending
    assert is_consent(browser.http.get(pending))
    english = browser.http.get(pending + "&lang=en")  # the stranger's "English" link
    assert is_consent(english), english.text[:500]
    assert "Sign in to" in english.text
    assert is_consent(browser.http.get(pending))  # a reload
    answer = callback(browser.consent(english), rp)
    body = tokens(http, rp, request, answer)
    assert rp.id_token(http, body["id_token"])["amr"] == ["pwd", "otp"]


def test_the_resend_button_answers_with_the_pending_page(
    op: Provider, rizki: Account, browser: Browser
) -> None:
    rp = register(op, name="Resendhub", scopes=["skillhub"], fields=["contact", "nik"])
    browser.sign_in("sso2@example.com")
    page = browser.authorize(rp.request("openid nik"))
    assert is_step_up(page)
    resent = browser.http.post(
        "/oauth2/authorize/sms/kirim-ulang",
        data={"csrf_token": csrf_of(page.text), "id": _rid(page.text)},
    )
    assert resent.status_code == 303
    assert resent.headers["location"].startswith(PENDING)
    assert query_of(resent.headers["location"])["id"] == _rid(page.text)


def _exchange(
    http: httpx.Client, rp: RelyingParty, code: str, **fields: str | None
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, **fields}
    return http.post("/oauth2/token", **rp.auth({k: v for k, v in data.items() if v is not None}))


def test_a_malformed_token_request_leaves_the_code_for_a_corrected_retry(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    code, verifier, redirect = answer["code"], request.verifier, rp.redirect_uri
    malformed = [
        ({"redirect_uri": redirect}, "invalid_request"),  # no code_verifier
        ({"redirect_uri": redirect, "code_verifier": "short"}, "invalid_request"),
        ({"code_verifier": verifier}, "invalid_request"),  # no redirect_uri
        ({"code_verifier": verifier, "redirect_uri": "https://evil.example/cb"}, "invalid_grant"),
    ]
    for fields, error in malformed:
        refused = _exchange(http, rp, code, **fields)
        assert refused.status_code == 400, (fields, refused.text)
        assert refused.json()["error"] == error, (fields, refused.text)
    retried = _exchange(http, rp, code, redirect_uri=redirect, code_verifier=verifier)
    assert retried.status_code == 200, retried.text


def test_a_wrong_code_verifier_still_spends_the_code(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    request, answer = sign_in_through(browser, rp, "sso0@example.com", "openid email")
    wrong = _exchange(
        http, rp, answer["code"], redirect_uri=rp.redirect_uri, code_verifier="w" * 43
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    retried = _exchange(
        http, rp, answer["code"], redirect_uri=rp.redirect_uri, code_verifier=request.verifier
    )
    assert retried.status_code == 400
    assert retried.json()["error"] == "invalid_grant"


def test_anonymous_authorization_requests_spend_no_state(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    requests = [rp.request("openid email") for _ in range(50)]
    for request in requests:
        with op.http() as stranger:  # no cookies: a new anonymous visitor each time
            answer = stranger.get("/oauth2/authorize?" + urlencode(request.params))
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/?next=")
    # The holder's own flow with a state a stranger sent first is still accepted ...
    for request in (requests[0], requests[-1]):
        page = browser.authorize(request)
        if is_login(page):
            page = browser.login_form(page, "sso0@example.com")
        if is_consent(page):
            page = browser.consent(page)
        answer = callback(page, rp)  # the second time, the consent is remembered
        assert answer["state"] == request.state
        assert "code" in answer, answer
        tokens(http, rp, request, answer)
    # ... and spent once the code was issued.
    replay = callback(browser.authorize(requests[0]), rp)
    assert replay["error"] == "invalid_request"
    assert "used before" in replay["error_description"]


def test_two_tabs_with_one_state_issue_one_code(
    op: Provider, galih: Account, browser: Browser
) -> None:
    rp = register(op)
    browser.sign_in("sso0@example.com")
    request = rp.request("openid email")
    first, second = browser.authorize(request), browser.authorize(request)
    assert is_consent(first)
    assert is_consent(second)
    assert _rid(first.text) != _rid(second.text)
    assert "code" in callback(browser.consent(first), rp)
    raced = callback(browser.consent(second), rp)
    assert raced["error"] == "invalid_request"
    assert raced["state"] == request.state
    assert "code" not in raced


def test_an_unknown_token_type_hint_is_unsupported_token_type(
    op: Provider, http: httpx.Client
) -> None:
    rp = register(op)
    for path in ("/oauth2/revoke", "/oauth2/introspect"):
        answer = http.post(path, **rp.auth({"token": "x", "token_type_hint": "bogus"}))
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"] == "unsupported_token_type"
        known = http.post(path, **rp.auth({"token": "x", "token_type_hint": "refresh_token"}))
        assert known.status_code == 200, (path, known.text)


def test_client_failures_say_what_failed(
    op: Provider, galih: Account, browser: Browser, http: httpx.Client
) -> None:
    rp = register(op)
    data = {"grant_type": "authorization_code", "code": "x", "code_verifier": "v" * 43}
    wrong = http.post("/oauth2/token", data=data, auth=(rp.client_id, "not-the-secret"))
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }
    op.svc.sso.suspend_client(rp.client_id, reason="Diperiksa tim keamanan")
    suspended = rp.token(http, "x", "v" * 43)
    assert suspended.status_code == 401
    assert suspended.json()["error"] == "invalid_client"
    assert "suspended" in suspended.json()["error_description"]
    page = browser.http.get("/oauth2/authorize?" + urlencode(rp.request().params))
    assert page.status_code == 400
    assert "suspended" in page.text
    assert "does not exist" not in page.text
    unknown = http.post("/oauth2/token", data=data, auth=("no-such-client", "secret"))
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "path", ["/oauth2/token", "/oauth2/revoke", "/oauth2/introspect", "/oauth2/par"]
)
def test_the_back_channel_answers_other_methods_in_json(path: str, http: httpx.Client) -> None:
    for method in ("GET", "PUT", "DELETE"):
        answer = http.request(method, path)
        assert answer.status_code == 405, (method, answer.text[:200])
        assert answer.headers["allow"] == "POST"
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["error"] == "invalid_request"


def test_a_bad_logout_request_is_called_a_sign_out_request(browser: Browser) -> None:
    page = browser.http.get("/oauth2/logout?" + urlencode({"id_token_hint": "a.b.c"}))
    assert page.status_code == 400
    assert "Permintaan keluar tidak dapat diproses" in page.text
    assert "Permintaan masuk" not in page.text
    english = browser.http.get(
        "/oauth2/logout?" + urlencode({"id_token_hint": "a.b.c", "lang": "en"})
    )
    assert "The sign-out request cannot be processed" in english.text


def _claim_list(html: str) -> str:
    start = html.index('<ul class="sso-claim-list">')
    return html[start : html.index("</ul>", start)]


def test_the_card_number_is_promised_only_to_a_holder_with_a_card(
    op: Provider, galih: Account, browser: Browser
) -> None:
    holder(op.svc, 1, card=False)
    rp = register(op)
    browser.sign_in("sso1@example.com")
    page = browser.authorize(rp.request("openid email"))
    assert is_consent(page)
    assert "Nomor SIAPkerja-ID" not in _claim_list(page.text)
    assert "Nama lengkap" in _claim_list(page.text)
    other = Browser(op)
    try:
        other.sign_in("sso0@example.com")
        carded = other.authorize(rp.request("openid email"))
        assert is_consent(carded)
        assert "Nomor SIAPkerja-ID" in _claim_list(carded.text)
    finally:
        other.close()


def test_the_consent_screen_shows_the_purpose_as_written(
    op: Provider, galih: Account, browser: Browser
) -> None:
    rp = register(op, purpose="  Melamar lowongan di KarirHub   dan BLK Bekasi ")
    browser.sign_in("sso0@example.com")
    page = browser.authorize(rp.request("openid email"))
    assert is_consent(page)
    assert "<dd>Melamar lowongan di KarirHub dan BLK Bekasi</dd>" in page.text


def test_anonymous_authorization_requests_store_no_row_on_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "sso.sqlite3"

    def make(base_url: str) -> Siapkerja:
        return connect(
            environ={},
            load_entrypoints=False,
            storage="sql",
            database_url=f"sqlite:///{database}",
            sms="memory",
            dukcapil="offline",
            secret_key="sso-fix-web-integration-secret-0123456789",
            storage_key="k1:" + base64.urlsafe_b64encode(b"s" * 32).decode(),
            database_migrate="true",
            hasher=PasswordHasher.fast_for_tests(),
            card_base_url=f"{base_url}/v/",
        )

    def state_rows() -> int:
        with sqlite3.connect(database) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM sk_sso_tokens WHERE kind = 'state'"
            ).fetchone()
        return int(count)

    with provider(make) as started:
        holder(started.svc, 0)
        rp = register(started)
        requests = [rp.request("openid email") for _ in range(50)]
        for request in requests:
            with started.http() as stranger:
                answer = stranger.get("/oauth2/authorize?" + urlencode(request.params))
            assert answer.status_code == 303
        assert state_rows() == 0
        browser = Browser(started)
        try:
            page = browser.login_form(browser.authorize(requests[7]), "sso0@example.com")
            assert "code" in callback(browser.consent(page), rp)
        finally:
            browser.close()
        assert state_rows() == 1  # spent with the code
