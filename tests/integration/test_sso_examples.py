"""The relying-party examples (examples/sso/) complete a sign-in against a live provider.

The provider is a real uvicorn server (development mode, memory storage);
the FastAPI hub (``fastapi_rp.create_rp_app``) runs on another loopback
port in the same process, the Django hub (``django_rp``) as ``manage.py
runserver`` in a child process. The holder's browser is an ``httpx.Client``
(one cookie jar, as a browser has) that follows the redirects and posts the
provider's forms (:class:`support.sso.ProviderWalk`).

Each hub must end up with the holder signed in, the consented claims and no
other, and a local account linked by (issuer, sub); an existing local
account with the holder's e-mail is linked only after its password is
given; a replayed callback (``state`` already spent) is refused. The
FastAPI hub also signs in through a client registered for ES256 ID tokens.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import LiveServer, live_server, serve_memory_site
from support.sso_rp import Hub, ProviderWalk, holder, register_hub

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sso"
LOCAL_PASSWORD = "password lokal yang lama"

pytestmark = pytest.mark.filterwarnings(
    # joserfc verifies EdDSA ID tokens and warns that RFC 9864 names the algorithm Ed25519.
    "ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning"
)


def load_fastapi_rp() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "siapkerja_example_fastapi_rp", EXAMPLES / "fastapi_rp.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def provider() -> Iterator[tuple[str, Siapkerja, str]]:
    """(the provider's URL, its service, the holder's account id)."""
    with serve_memory_site() as (server, svc):
        yield server.url, svc, holder(svc)


def block(page: str, element_id: str) -> Any:
    found = re.search(rf"<pre id=['\"]{element_id}['\"]>(.*?)</pre>", page, re.DOTALL)
    assert found, f"no #{element_id} on the page: {page[:400]}"
    return json.loads(html.unescape(found.group(1)))


def sign_in(
    browser: httpx.Client, svc: Siapkerja, hub_url: str, callback: str, untick: tuple[str, ...] = ()
) -> str:
    """Click "Masuk dengan SIAPkerja" at the hub; the hub's callback URL the provider sent back."""
    start = browser.get(f"{hub_url}/login", follow_redirects=False)
    assert start.status_code in (302, 303), start.text
    return ProviderWalk(svc, browser).run(
        start.headers["location"], stop_at=callback, untick=untick
    )


# --------------------------------------------------------------------------
# FastAPI
# --------------------------------------------------------------------------


@contextmanager
def serve_fastapi_hub(
    provider: tuple[str, Siapkerja, str], **options: Any
) -> Iterator[tuple[LiveServer, Hub, Any]]:
    url, svc, _ = provider
    module = load_fastapi_rp()
    made: list[tuple[Hub, Any]] = []

    def make_app(base: str) -> Any:
        hub = register_hub(
            svc,
            name="Bursa Kerja Contoh",
            scopes=["karirhub"],
            purpose="Melamar lowongan di Bursa Kerja Contoh",
            redirect_uri=f"{base}/auth/callback",
            fields=["contact", "education", "work", "skills", "headline"],
            essential=["contact", "education"],
            post_logout_redirect_uris=[f"{base}/"],
            **options,
        )
        app = module.create_rp_app(
            url,
            hub.client_id,
            hub.client_secret,
            hub.redirect_uri,
            name=hub.name,
            scope="openid email education work skills",
        )
        made.append((hub, app))
        return app

    with live_server(make_app) as server:
        hub, app = made[0]
        yield server, hub, app.state.hub


@pytest.fixture
def fastapi_hub(provider: tuple[str, Siapkerja, str]) -> Iterator[tuple[LiveServer, Hub, Any]]:
    with serve_fastapi_hub(provider) as served:
        yield served


def test_fastapi_rp_verifies_es256_id_tokens_of_a_client_registered_so(
    provider: tuple[str, Siapkerja, str],
) -> None:
    """Authlib's client, as the example configures it, takes an ES256 ID token (the
    algorithm discovery offers beside EdDSA) and checks it with the published JWKS."""
    _, svc, account_id = provider
    with serve_fastapi_hub(provider, id_token_alg="ES256") as (server, hub, state):
        client = svc.sso.client(hub.client_id)
        assert client.id_token_alg == "ES256"
        with httpx.Client(timeout=15) as browser:
            back = sign_in(browser, svc, server.url, hub.redirect_uri)
            landed = browser.get(back, follow_redirects=True)
            assert landed.status_code == 200, landed.text
            claims = block(landed.text, "id-token")
            assert claims["sub"] == svc.sso.subject(client, account_id)
            assert claims["aud"] == hub.client_id
            assert list(state.accounts.links) == [(claims["iss"], claims["sub"])]


def test_fastapi_rp_signs_in_shows_the_consented_claims_and_links_by_iss_and_sub(
    provider: tuple[str, Siapkerja, str], fastapi_hub: tuple[LiveServer, Hub, Any]
) -> None:
    _, svc, account_id = provider
    server, hub, state = fastapi_hub
    with httpx.Client(timeout=15) as browser:
        back = sign_in(browser, svc, server.url, hub.redirect_uri, untick=("work",))
        landed = browser.get(back, follow_redirects=True)
        assert landed.status_code == 200, landed.text
        claims, info = block(landed.text, "id-token"), block(landed.text, "userinfo")
        assert (
            claims["sub"]
            == info["sub"]
            == svc.sso.subject(svc.sso.client(hub.client_id), account_id)
        )
        assert claims["name"] == people.NAME
        assert info["email"] == people.EMAIL
        assert "education" in info
        assert "skills" in info
        assert "work" not in info  # unticked on the consent screen
        assert "nik" not in info

        # Linked by (iss, sub): a new local account, its e-mail from userinfo.
        assert list(state.accounts.links) == [(claims["iss"], claims["sub"])]
        linked = state.accounts.linked(claims["iss"], claims["sub"])
        assert linked.email == people.EMAIL

        # The callback again (same code, same state): the state was spent.
        replay = browser.get(back, follow_redirects=False)
        assert replay.status_code == 400
        assert "mismatching_state" in replay.text

        again = browser.get(f"{server.url}/userinfo")
        assert again.status_code == 200
        assert again.json()["sub"] == claims["sub"]


def test_fastapi_rp_links_an_account_with_the_same_email_only_after_its_password(
    provider: tuple[str, Siapkerja, str], fastapi_hub: tuple[LiveServer, Hub, Any]
) -> None:
    _, svc, _ = provider
    server, hub, state = fastapi_hub
    existing = state.accounts.create(people.EMAIL, "Galih (akun lama)", password=LOCAL_PASSWORD)
    with httpx.Client(timeout=15) as browser:
        back = sign_in(browser, svc, server.url, hub.redirect_uri)
        answer = browser.get(back, follow_redirects=False)
        assert answer.headers["location"] == "/masuk-lokal"
        assert state.accounts.links == {}  # the same e-mail is no proof: nothing linked
        home = browser.get(f"{server.url}/")
        assert "Masuk dengan SIAPkerja" in home.text  # and nobody signed in

        wrong = browser.post(
            f"{server.url}/masuk-lokal", data={"email": people.EMAIL, "password": "salah sekali"}
        )
        assert wrong.status_code == 401
        assert state.accounts.links == {}

        right = browser.post(
            f"{server.url}/masuk-lokal",
            data={"email": people.EMAIL, "password": LOCAL_PASSWORD},
            follow_redirects=True,
        )
        assert right.status_code == 200
        assert "tertaut ke SIAPkerja" in right.text
        assert list(state.accounts.links.values()) == [existing.id]
        assert len(state.accounts.accounts) == 1  # no second account was made


def test_fastapi_rp_reads_its_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIAPKERJA_ISSUER", "https://siapkerja.example/")
    monkeypatch.setenv("RP_CLIENT_ID", "client-1")
    monkeypatch.setenv("RP_CLIENT_SECRET", "rahasia")
    monkeypatch.setenv("RP_REDIRECT_URI", "http://127.0.0.1:8001/masuk/callback")
    monkeypatch.setenv("RP_NAME", "Bursa Kerja Uji")
    app = load_fastapi_rp().app_from_env()
    hub = app.state.hub
    assert (hub.issuer, hub.client_id, hub.name) == (
        "https://siapkerja.example",
        "client-1",
        "Bursa Kerja Uji",
    )
    assert "/masuk/callback" in {getattr(r, "path", None) for r in app.routes}
    # The logout's way back, registered with --post-logout-redirect-uri: by default
    # the hub's home page, else what RP_POST_LOGOUT_REDIRECT_URI says.
    assert hub.post_logout_redirect_uri == "http://127.0.0.1:8001/"
    monkeypatch.setenv("RP_POST_LOGOUT_REDIRECT_URI", "http://127.0.0.1:8001/sampai-jumpa")
    again = load_fastapi_rp().app_from_env().state.hub
    assert again.post_logout_redirect_uri == "http://127.0.0.1:8001/sampai-jumpa"


def test_fastapi_rp_accounts_link_one_identity_per_account_per_issuer() -> None:
    accounts = load_fastapi_rp().Accounts()
    galih = accounts.create(people.EMAIL, "Galih", password=LOCAL_PASSWORD)
    other = accounts.create("lain@example.com", "Orang lain")
    accounts.link("https://siapkerja.example", "sub-1", galih)
    accounts.link("https://siapkerja.example", "sub-1", galih)  # again: nothing changes
    with pytest.raises(ValueError, match="another account"):
        accounts.link("https://siapkerja.example", "sub-1", other)
    with pytest.raises(ValueError, match="another SIAPkerja identity"):
        accounts.link("https://siapkerja.example", "sub-2", galih)
    accounts.link("https://idp-lain.example", "sub-1", other)  # another issuer's sub-1
    assert accounts.linked("https://siapkerja.example", "sub-1") is galih
    assert accounts.linked("https://idp-lain.example", "sub-1") is other
    assert accounts.login(people.EMAIL, LOCAL_PASSWORD) is galih
    assert accounts.login(people.EMAIL, "salah") is None
    assert accounts.login("lain@example.com", "") is None  # no password: no local sign-in


def test_fastapi_rp_refreshes_and_signs_out_everywhere(
    provider: tuple[str, Siapkerja, str], fastapi_hub: tuple[LiveServer, Hub, Any]
) -> None:
    url, svc, account_id = provider
    server, hub, state = fastapi_hub
    with httpx.Client(timeout=15) as browser:
        back = sign_in(browser, svc, server.url, hub.redirect_uri)
        browser.get(back, follow_redirects=True)
        (signed,) = [s for s in state.sessions.values() if s.token]
        first = signed.token["refresh_token"]

        refreshed = browser.post(f"{server.url}/refresh")
        assert refreshed.status_code == 200
        assert refreshed.json()["expires_in"] > 0
        assert signed.token["refresh_token"] != first  # rotated
        assert browser.get(f"{server.url}/userinfo").status_code == 200
        assert [c.id for c in svc.sso.signed_in(account_id)] == [hub.client_id]

        out = browser.post(f"{server.url}/logout", follow_redirects=False)
        assert out.status_code == 302
        assert out.headers["location"].startswith(f"{url}/oauth2/logout?id_token_hint=")
        home = ProviderWalk(svc, browser).run(out.headers["location"], stop_at=f"{server.url}/")
        assert "state=" in home  # RP-initiated logout returns the hub's state
        assert svc.sso.signed_in(account_id) == []  # the refresh token's grant is revoked
        assert "Masuk dengan SIAPkerja" in browser.get(f"{server.url}/").text
        assert browser.get(f"{server.url}/userinfo").status_code == 401


# --------------------------------------------------------------------------
# Django
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def django_hub(
    provider: tuple[str, Siapkerja, str], tmp_path: Path
) -> Iterator[tuple[str, Hub, dict[str, str]]]:
    pytest.importorskip("django")
    url, svc, _ = provider
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hub = register_hub(
        svc,
        name="Pelatihan Contoh",
        scopes=["skillhub"],
        purpose="Mendaftar pelatihan di BLK Contoh",
        redirect_uri=f"{base}/auth/callback",
        fields=["contact", "education", "skills", "birth"],
        essential=["contact"],
        post_logout_redirect_uris=[f"{base}/"],
    )
    env = {
        **os.environ,
        "SIAPKERJA_ISSUER": url,
        "RP_CLIENT_ID": hub.client_id,
        "RP_CLIENT_SECRET": hub.client_secret,
        "RP_REDIRECT_URI": hub.redirect_uri,
        "RP_SCOPE": "openid email education skills",
        "RP_DATABASE": str(tmp_path / "rp.sqlite3"),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    cwd = EXAMPLES / "django_rp"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=cwd, env=env, check=True)
    log = (tmp_path / "runserver.log").open("wb")  # a file: a pipe nobody reads fills up
    process = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "runserver.log").read_text()) from None
                time.sleep(0.1)
        yield base, hub, env
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_django_rp_signs_in_and_links_by_iss_and_sub(
    provider: tuple[str, Siapkerja, str], django_hub: tuple[str, Hub, dict[str, str]]
) -> None:
    _, svc, account_id = provider
    base, hub, _ = django_hub
    with httpx.Client(timeout=15) as browser:
        back = sign_in(browser, svc, base, hub.redirect_uri, untick=("skills",))
        landed = browser.get(back, follow_redirects=True)
        assert landed.status_code == 200, landed.text[:2000]
        assert "tertaut ke SIAPkerja" in landed.text
        claims, info = block(landed.text, "id-token"), block(landed.text, "userinfo")
        assert (
            claims["sub"]
            == info["sub"]
            == svc.sso.subject(svc.sso.client(hub.client_id), account_id)
        )
        assert info["email"] == people.EMAIL
        assert "education" in info
        assert "skills" not in info

        replay = browser.get(back, follow_redirects=False)
        assert replay.status_code == 400
        assert "mismatching_state" in replay.text

        # A later sign-in finds the same account by (iss, sub).
        user = re.search(r"id=\"account-id\">(\d+)<", landed.text)
        assert user
        csrf = browser.cookies.get("hub_django_csrftoken")
        out = browser.post(
            f"{base}/logout", data={"csrfmiddlewaretoken": csrf}, follow_redirects=False
        )
        assert out.status_code == 302
        back_to = dict(parse_qsl(urlsplit(out.headers["location"]).query))
        assert back_to["post_logout_redirect_uri"] == f"{base}/"  # as registered
        again = sign_in(browser, svc, base, hub.redirect_uri)
        relanded = browser.get(again, follow_redirects=True)
        assert f'id="account-id">{user.group(1)}<' in relanded.text


def test_django_rp_links_an_account_with_the_same_email_only_after_its_password(
    provider: tuple[str, Siapkerja, str], django_hub: tuple[str, Hub, dict[str, str]]
) -> None:
    _, svc, _ = provider
    base, hub, env = django_hub
    subprocess.run(
        [sys.executable, "manage.py", "addlocaluser", people.EMAIL, LOCAL_PASSWORD, "Galih lama"],
        cwd=EXAMPLES / "django_rp",
        env=env,
        check=True,
        capture_output=True,
    )
    with httpx.Client(timeout=15) as browser:
        back = sign_in(browser, svc, base, hub.redirect_uri)
        answer = browser.get(back, follow_redirects=False)
        assert answer.headers["location"] == "/masuk-lokal"
        form = browser.get(f"{base}/masuk-lokal")
        assert "Sudah ada akun dengan email ini" in form.text
        assert "<strong>Pelatihan Contoh (Django)</strong>" in form.text  # the hub's name
        assert "Masuk dengan SIAPkerja" in browser.get(f"{base}/").text  # not signed in
        csrf = browser.cookies.get("hub_django_csrftoken")
        wrong = browser.post(
            f"{base}/masuk-lokal",
            data={"csrfmiddlewaretoken": csrf, "email": people.EMAIL, "password": "salah"},
        )
        assert wrong.status_code == 401
        right = browser.post(
            f"{base}/masuk-lokal",
            data={"csrfmiddlewaretoken": csrf, "email": people.EMAIL, "password": LOCAL_PASSWORD},
            follow_redirects=True,
        )
        assert right.status_code == 200
        assert "Halo, Galih lama" in right.text
        assert "tertaut ke SIAPkerja" in right.text
        assert "belum tertaut" not in right.text
