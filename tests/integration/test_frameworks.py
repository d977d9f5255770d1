"""The native integrations' example projects, each under a real server on 127.0.0.1.

``examples/fastapi_app`` (uvicorn, in a thread), ``examples/flask_app``
(werkzeug's threaded WSGI server) and ``examples/django_app`` three times, in
its own process: ``manage.py runserver`` (Django's WSGI development server),
uvicorn on ``bursa/asgi.py``, the standard library's WSGI server on
``bursa/wsgi.py``, and uvicorn on ``bursa/asgi_routed.py`` (the prefix routed
before Django). Over HTTP (httpx), each host:

* answers its own page, and our sign-in page under ``/siapkerja/`` (links,
  assets and the session cookie's path under the prefix);
* lets a person register through our JSON API under the prefix (the SMS
  code read from the development outbox) and sign in again;
* gives its own route the holder through ``current_holder`` (the bearer
  token, then the pages' session cookie after a sign-in through the form),
  and refuses it without a session with the API's 401 problem document;
* guards a route with ``require_scope``: no key, a key without the scope
  and a key with it.

The FastAPI host's ``/openapi.json`` lists our operations. Last,
``manage.py siapkerja …`` runs our command line with its exit codes.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from siapkerja_adapters import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import bound_socket, live_server, until_up, wsgi_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DJANGO_PROJECT = EXAMPLES / "django_app"
PREFIX = "/siapkerja"
PROBLEM = "application/problem+json"

NIK, NAME, MOTHER, EMAIL = people.NIK, people.NAME, people.MOTHER, people.EMAIL
PHONE = "0812-9999-9999"
PASSWORD = "kopi tubruk di pal merah"


def load(relative: str) -> ModuleType:
    """Import ``examples/<relative>`` under a private module name."""
    name = "siapkerja_example_" + re.sub(r"\W", "_", relative)
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / relative)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def service(url: str) -> Siapkerja:
    """The memory profile, its card links under the host's mount."""
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        card_base_url=f"{url}{PREFIX}/v/",
    )


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


def otp(outbox: str) -> str:
    found = re.search(r"kode OTP [a-z ]+ Anda (\d{6})", html.unescape(outbox))
    assert found, "no code in the outbox"
    return found.group(1)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


# --------------------------------------------------------------------------
# What every host must do
# --------------------------------------------------------------------------


def the_host_and_our_pages(client: httpx.Client, home_text: str) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert home_text in home.text
    page = client.get(f"{PREFIX}/")
    assert page.status_code == 200, page.text
    assert "Masuk" in page.text
    links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page.text)
    assert links
    assert all(link.startswith(f"{PREFIX}/") for link in links), links
    assert f"Path={PREFIX};" in page.headers["set-cookie"]
    asset = client.get(f"{PREFIX}/static/siapkerja.css")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("text/css")


def register_through_the_api(client: httpx.Client) -> str:
    """Steps 1–3 of the API under the prefix; the new session's bearer token."""
    api = f"{PREFIX}/api/v1"
    started = client.post(
        f"{api}/registrations", json={"nik": NIK, "full_name": NAME, "mother_name": MOTHER}
    )
    assert started.status_code == 201, started.text
    registration, secret = started.json()["id"], started.json()["secret"]
    caller = {"X-Registration-Secret": secret}
    contact = client.post(
        f"{api}/registrations/{registration}/contact",
        json={"email": EMAIL, "phone": PHONE, "password": PASSWORD},
        headers=caller,
    )
    assert contact.status_code == 200, contact.text
    code = otp(client.get(f"{PREFIX}/dev/outbox").text)
    confirmed = client.post(
        f"{api}/registrations/{registration}/otp/confirm", json={"code": code}, headers=caller
    )
    assert confirmed.status_code == 201, confirmed.text
    return str(confirmed.json()["session"]["token"])


def the_holder_on_a_host_route(client: httpx.Client) -> None:
    problem(client.get("/lamaran/saya"), 401, "request.authentication_required")
    problem(
        client.get("/lamaran/saya", headers={"Authorization": "Bearer not-a-session"}),
        401,
        "login.session_invalid",
    )
    token = register_through_the_api(client)
    mine = client.get("/lamaran/saya", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["holder"] == NAME

    # Signed in again through the API: a new token, the same holder.
    signed_in = client.post(
        f"{PREFIX}/api/v1/sessions", json={"identifier": EMAIL, "password": PASSWORD}
    )
    assert signed_in.status_code == 201, signed_in.text
    again = signed_in.json()["session"]["token"]
    assert again != token
    mine = client.get("/lamaran/saya", headers={"Authorization": f"Bearer {again}"})
    assert mine.json()["holder"] == NAME

    # Signed in through the pages' form: the session cookie names the holder too.
    browser = httpx.Client(base_url=str(client.base_url))
    with browser:
        form = browser.get(f"{PREFIX}/")
        done = browser.post(
            f"{PREFIX}/",
            data={"csrf_token": csrf(form.text), "identifier": EMAIL, "password": PASSWORD},
        )
        assert done.status_code in (302, 303), done.text
        cookie = browser.cookies.get("siapkerja_session", path=PREFIX)
    assert cookie
    # The cookie's Path is the prefix: a browser sends it below it; sent here by hand.
    mine = client.get("/lamaran/saya", headers={"Cookie": f"siapkerja_session={cookie}"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["holder"] == NAME


def the_scope_guard(client: httpx.Client, svc: Siapkerja | None) -> None:
    problem(client.get("/laporan/penempatan"), 401, "request.verifier_key_required")
    problem(
        client.get("/laporan/penempatan", headers={"X-Verifier-Key": "sk_wrong"}),
        403,
        "disclosure.unknown_verifier",
    )
    if svc is None:  # a server in another process: its storage is out of reach
        return
    _hub, hub_key = svc.register_verifier("Karirhub", ["karirhub"])
    refused = client.get("/laporan/penempatan", headers={"X-Verifier-Key": hub_key})
    problem(refused, 403, "request.scope_required")
    assert refused.json()["params"] == {"scope": "disnaker"}
    _office, office_key = svc.register_verifier("Disnaker Kota Bandung", ["disnaker"])
    allowed = client.get("/laporan/penempatan", headers={"X-Verifier-Key": office_key})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"ditempatkan": 0}


def every_check(url: str, home_text: str, svc: Siapkerja | None) -> None:
    with httpx.Client(base_url=url) as client:
        the_host_and_our_pages(client, home_text)
        the_holder_on_a_host_route(client)
        the_scope_guard(client, svc)


# --------------------------------------------------------------------------
# FastAPI
# --------------------------------------------------------------------------


def test_fastapi_example_under_uvicorn() -> None:
    pytest.importorskip("fastapi")
    services: list[Siapkerja] = []

    def make_app(url: str) -> Any:
        services.append(service(url))
        return load("fastapi_app/app.py").make_app(services[0], public_url=url, dev=True)

    with live_server(make_app) as server:
        every_check(server.url, "bursa kerja daerah", services[0])
        document = httpx.get(f"{server.url}/openapi.json").json()
    paths = document["paths"]
    # Our operations are the host's own, beside its routes, with their security schemes.
    assert f"{PREFIX}/api/v1/registrations" in paths
    assert f"{PREFIX}/api/v1/sessions" in paths
    assert f"{PREFIX}/api/v1/me/card/qr" in paths
    assert "/lamaran/saya" in paths
    assert paths["/lamaran/saya"]["get"]["security"] == [{"bearerAuth": []}]
    assert paths["/laporan/penempatan"]["get"]["security"] == [{"verifierKey": []}]
    assert {"bearerAuth", "verifierKey"} <= set(document["components"]["securitySchemes"])


def test_fastapi_require_scope_refuses_an_unknown_scope_when_declared() -> None:
    pytest.importorskip("fastapi")
    from siapkerja_adapters.integrations.fastapi import require_scope
    from siapkerja_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as refused:
        require_scope("disnakr")
    assert refused.value.code == "invalid"


# --------------------------------------------------------------------------
# Flask
# --------------------------------------------------------------------------


def test_flask_example_under_a_wsgi_server() -> None:
    pytest.importorskip("flask")
    pytest.importorskip("a2wsgi")
    services: list[Siapkerja] = []

    def make_app(url: str) -> Any:
        services.append(service(url))
        return load("flask_app/app.py").make_app(services[0], public_url=url, dev=True)

    with wsgi_server(make_app) as url:
        every_check(url, "bursa kerja daerah", services[0])


def test_flask_example_builds_its_service_from_the_config() -> None:
    pytest.importorskip("flask")
    pytest.importorskip("a2wsgi")
    app = load("flask_app/app.py").make_app(public_url="http://127.0.0.1:8000", dev=True)
    with app.app_context():
        from siapkerja_adapters.integrations.flask import EXTENSION

        svc = app.extensions[EXTENSION].svc
    assert svc.settings.get("card_base_url") == f"http://127.0.0.1:8000{PREFIX}/v/"
    client = app.test_client()
    assert client.get(f"{PREFIX}/").status_code == 200
    answer = client.get("/lamaran/saya")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)


# --------------------------------------------------------------------------
# Django: runserver, ASGI (uvicorn) and WSGI, each in its own process
# --------------------------------------------------------------------------


def _free_port() -> int:
    with bound_socket() as sock:
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def django_server(
    kind: str, tmp_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """The example project served by ``kind`` in a child process; its URL."""
    pytest.importorskip("django")
    pytest.importorskip("a2wsgi")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    commands = {
        "runserver": ["manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "asgi": [
            "-m",
            "uvicorn",
            "bursa.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
        ],
        "wsgi": ["serve_wsgi.py", str(port)],
        "asgi-routed": [
            "-m",
            "uvicorn",
            "bursa.asgi_routed:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIAPKERJA_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(DJANGO_PROJECT)]),
        DJANGO_SETTINGS_MODULE="bursa.settings",
        DJANGO_DEBUG="1",
        PUBLIC_URL=url,
        SIAPKERJA_PROFILE="memory",
    )
    env.update(extra_env or {})
    log = (tmp_path / f"{kind}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, *commands[kind]],
        cwd=DJANGO_PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with until_up(process, url, tmp_path / f"{kind}.log", _answers) as running:
            yield running
    finally:
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize("kind", ["runserver", "asgi", "wsgi", "asgi-routed"])
def test_django_example(kind: str, tmp_path: Path) -> None:
    with django_server(kind, tmp_path) as url:
        every_check(url, "Bursa kerja daerah (Django).", None)
        # The bare prefix: Django's CommonMiddleware adds the slash.
        bare = httpx.get(url + PREFIX, follow_redirects=True)
        assert bare.status_code == 200
        assert bare.url.path == f"{PREFIX}/"


def manage(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIAPKERJA_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(DJANGO_PROJECT)]),
        DJANGO_SETTINGS_MODULE="bursa.settings",
        SIAPKERJA_PROFILE="memory",
    )
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=DJANGO_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_manage_py_siapkerja_runs_the_command_line() -> None:
    pytest.importorskip("django")
    pytest.importorskip("typer")
    valid = manage("siapkerja", "nik", "check", "--json", NIK)
    assert valid.returncode == 0, valid.stderr
    assert NIK in valid.stdout
    invalid = manage("siapkerja", "nik", "check", "1234")
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    usage = manage("siapkerja", "--help")
    assert usage.returncode == 0, usage.stderr
    assert "manage.py siapkerja" in usage.stdout


def test_a_missing_a2wsgi_names_the_flask_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("flask")
    monkeypatch.setitem(sys.modules, "a2wsgi", None)  # import a2wsgi fails
    monkeypatch.delitem(sys.modules, "siapkerja_adapters.integrations.flask", raising=False)
    with pytest.raises(ImportError) as missing:
        importlib.import_module("siapkerja_adapters.integrations.flask")
    message = str(missing.value)
    assert "pip install 'siapkerja[flask]'" in message
    assert "tidak terpasang" in message
    assert "is not installed" in message


def test_manage_py_and_the_site_share_the_siapkerja_settings(tmp_path: Path) -> None:
    """A key ``manage.py siapkerja verifiers add`` prints opens ``require_scope`` on the site.

    Both read ``settings.SIAPKERJA`` (a SQLite file and a secret key here): the
    command through the ``SIAPKERJA_*`` variables it sets, the site through ``connect()``.
    """
    pytest.importorskip("django")
    pytest.importorskip("typer")
    shared = {
        "SIAPKERJA_PROFILE": "default",
        "BURSA_DATABASE_URL": f"sqlite:///{tmp_path / 'bursa.sqlite3'}",
        "BURSA_SECRET_KEY": "kunci-rahasia-bursa-kerja-0123456789",
        # The storage key the default profile makes is written below HOME: keep it here.
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    upgraded = manage("siapkerja", "db", "upgrade", extra_env=shared)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    keys = {}
    for name, scope in (("Disnaker Kota Bandung", "disnaker"), ("Karirhub", "karirhub")):
        added = manage(
            "siapkerja", "verifiers", "add", name, "--scope", scope, "--json", extra_env=shared
        )
        assert added.returncode == 0, added.stdout + added.stderr
        keys[scope] = json.loads(added.stdout)["api_key"]
    with django_server("runserver", tmp_path, shared) as url:
        allowed = httpx.get(
            f"{url}/laporan/penempatan", headers={"X-Verifier-Key": keys["disnaker"]}
        )
        assert allowed.status_code == 200, allowed.text
        assert allowed.json() == {"ditempatkan": 0}
        refused = httpx.get(
            f"{url}/laporan/penempatan", headers={"X-Verifier-Key": keys["karirhub"]}
        )
        problem(refused, 403, "request.scope_required")


def test_the_command_line_reads_the_settings_the_site_reads() -> None:
    pytest.importorskip("django")
    from siapkerja_adapters.integrations.django.management.commands.siapkerja import (
        environment_of,
    )

    env = environment_of(
        {
            "path": "/kerja",
            "public_url": "https://portal.example.go.id",
            "profile": "memory",
            "sms": "console",
            "trusted_hosts": ["portal.example.go.id", "*.example.go.id"],
            "templates_dir": ["tema", "tema-dasar"],
            "secret_key": None,
            "DEV": True,
        },
        environ={"SIAPKERJA_RATELIMIT": "redis"},
    )
    assert env["SIAPKERJA_SMS"] == "console"  # the explicit setting over the profile's
    assert env["SIAPKERJA_STORAGE"] == "memory"  # the profile's adapter
    assert "SIAPKERJA_RATELIMIT" not in env  # the environment's, over the profile's
    assert env["SIAPKERJA_TRUSTED_HOSTS"] == "portal.example.go.id,*.example.go.id"
    assert env["SIAPKERJA_CARD_BASE_URL"] == "https://portal.example.go.id/kerja/v/"
    assert env["SIAPKERJA_TEMPLATES_DIR"] == os.pathsep.join(["tema", "tema-dasar"])
    assert "SIAPKERJA_SECRET_KEY" not in env
    assert "SIAPKERJA_DEV" not in env
    assert "SIAPKERJA_PATH" not in env


_DJANGO_EDGES = """
import django
django.setup()
from django.test import Client
c = Client()
r = c.get("/siapkerja/api/v1/x%0Ay")
assert (r.status_code, r["content-type"]) == (404, "application/problem+json"), r
r = c.get("/siapkerja/daftar?q=%C3%A9&x=\\u00e9")
assert r.status_code == 200, r
r = c.head("/siapkerja/")
assert (r.status_code, r.content) == (200, b""), r
r = c.post("/siapkerja/api/v1/registrations", data="{}", content_type="application/json")
assert (r.status_code, r.json()["code"]) == (422, "request.invalid_body"), r
print("ok")
"""


def test_django_view_passes_odd_requests_to_the_pages() -> None:
    """An encoded newline, a raw non-ASCII query, HEAD, a JSON body: the pages answer each.

    In a child process: Django's settings are one per process.
    """
    pytest.importorskip("django")
    pytest.importorskip("a2wsgi")
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIAPKERJA_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(DJANGO_PROJECT)]),
        DJANGO_SETTINGS_MODULE="bursa.settings",
        SIAPKERJA_PROFILE="memory",
    )
    done = subprocess.run(
        [sys.executable, "-c", _DJANGO_EDGES],
        cwd=DJANGO_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_wsgi_prefix_dispatcher() -> None:
    """What a Django ``wsgi.py`` uses instead of werkzeug's dispatcher (no extra brings it)."""
    from siapkerja_adapters.web.integrations import WsgiPrefixDispatcher

    def echo(name: str) -> Any:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            where = f"{name} {environ['SCRIPT_NAME']} {environ['PATH_INFO']}"
            return [where.encode()]

        return app

    dispatcher = WsgiPrefixDispatcher(PREFIX, echo("pages"), echo("django"))

    def call(path: str, query: str = "") -> tuple[str, dict[str, str], bytes]:
        started: list[Any] = []
        environ = {"SCRIPT_NAME": "/layanan", "PATH_INFO": path, "QUERY_STRING": query}
        body = b"".join(dispatcher(environ, lambda s, h: started.extend([s, dict(h)])))
        return started[0], started[1], body

    assert call(f"{PREFIX}/daftar")[2] == b"pages /layanan/siapkerja /daftar"
    assert call("/lowongan")[2] == b"django /layanan /lowongan"
    assert call(f"{PREFIX}-lain/")[2] == b"django /layanan /siapkerja-lain/"
    status, headers, _ = call(PREFIX, "lang=en")
    assert status.startswith("308")
    assert headers["Location"] == "/layanan/siapkerja/?lang=en"
