"""The web binding mounted in host frameworks: every example in ``examples/`` exercised.

FastAPI, Starlette and Django (ASGI) run through Starlette's ``TestClient``;
Flask (WSGI, through ``a2wsgi`` and werkzeug's ``DispatcherMiddleware``)
through Flask's own test client. Under the ``/siapkerja`` prefix each host
serves the sign-in page, a static asset, and a registration through the
forms (CSRF token, redirects, the session cookie scoped to the prefix), and
its own routes still answer. A missing framework package is an
:class:`ImportError` that names the extra to install.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.integrations import (
    PrefixDispatcher,
    asgi_app,
    for_django,
    for_fastapi,
    wsgi_app,
)
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PREFIX = "/siapkerja"

# Galih Agan Pambayun, a bundled fictional resident (tests/support/people.py).
NIK, NAME, MOTHER, EMAIL = people.NIK, people.NAME, people.MOTHER, people.EMAIL
PHONE = "0812-9999-9999"
PASSWORD = "kopi tubruk di pal merah"


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` under a private module name."""
    spec = importlib.util.spec_from_file_location(f"siapkerja_example_{name}", EXAMPLES / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def otp(outbox: str) -> str:
    found = re.search(r"kode OTP [a-z ]+ Anda (\d{6})", html.unescape(outbox))
    assert found, "no code in the outbox"
    return found.group(1)


# --------------------------------------------------------------------------
# One small protocol over both test clients
# --------------------------------------------------------------------------


class Page(Protocol):
    status: int
    path: str
    text: str
    headers: Any


class _Answer:
    def __init__(self, status: int, path: str, text: str, headers: Any) -> None:
        self.status, self.path, self.text, self.headers = status, path, text, headers


class Client(Protocol):
    def get(self, path: str, *, follow: bool = True) -> Page: ...

    def post(self, path: str, data: dict[str, str], *, follow: bool = True) -> Page: ...


class AsgiClient:
    """Starlette's TestClient (httpx underneath)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, *, follow: bool = True) -> Page:
        r = self.client.get(path, follow_redirects=follow)
        return _Answer(r.status_code, r.url.path, r.text, r.headers)

    def post(self, path: str, data: dict[str, str], *, follow: bool = True) -> Page:
        r = self.client.post(path, data=data, follow_redirects=follow)
        return _Answer(r.status_code, r.url.path, r.text, r.headers)


class WsgiClient:
    """Flask's (werkzeug's) test client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str, *, follow: bool = True) -> Page:
        r = self.client.get(path, follow_redirects=follow)
        return _Answer(r.status_code, r.request.path, r.get_data(as_text=True), r.headers)

    def post(self, path: str, data: dict[str, str], *, follow: bool = True) -> Page:
        r = self.client.post(path, data=data, follow_redirects=follow)
        return _Answer(r.status_code, r.request.path, r.get_data(as_text=True), r.headers)


# --------------------------------------------------------------------------
# The hosts: each example, built over the test's service
# --------------------------------------------------------------------------


def fastapi_host(svc: Siapkerja) -> Iterator[tuple[Client, str]]:
    app = load_example("mount_fastapi.py").make_app(svc)
    with TestClient(app) as client:
        yield AsgiClient(client), "bursa kerja daerah"


def starlette_host(svc: Siapkerja) -> Iterator[tuple[Client, str]]:
    app = load_example("mount_starlette.py").make_app(svc)
    with TestClient(app) as client:
        yield AsgiClient(client), "Bursa kerja daerah. SIAPkerja: /siapkerja/"


def django_asgi_module(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """The example's ``hostsite.asgi`` (its import builds an ``application`` over ``connect()``)."""
    pytest.importorskip("django", reason="the Django example needs Django")
    # That first application must leave no SQLite file behind: memory storage, a temporary cwd.
    monkeypatch.setenv("SIAPKERJA_STORAGE", "memory")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(EXAMPLES / "django_asgi"))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "hostsite.settings")
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    return importlib.import_module("hostsite.asgi")


def flask_host(svc: Siapkerja) -> Iterator[tuple[Client, str]]:
    app = load_example("mount_flask_wsgi.py").make_app(svc)
    yield WsgiClient(app.test_client()), "bursa kerja daerah"


HOSTS = ["fastapi", "starlette", "django-asgi", "flask-wsgi"]


@pytest.fixture(params=HOSTS)
def host(
    request: pytest.FixtureRequest,
    svc: Siapkerja,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[tuple[Client, str]]:
    """(a client of the host, a text its own home page shows)."""
    if request.param == "django-asgi":
        module = django_asgi_module(monkeypatch, tmp_path)
        with TestClient(module.make_application(svc)) as client:
            yield AsgiClient(client), "Bursa kerja daerah (Django)."
        return
    if request.param == "flask-wsgi":
        pytest.importorskip("flask", reason="the Flask example needs Flask")
        pytest.importorskip("a2wsgi", reason="the Flask example needs siapkerja[wsgi]")
    if request.param == "fastapi":
        pytest.importorskip("fastapi", reason="the FastAPI example needs FastAPI")
    makers: dict[str, Callable[[Siapkerja], Iterator[tuple[Client, str]]]] = {
        "fastapi": fastapi_host,
        "starlette": starlette_host,
        "flask-wsgi": flask_host,
    }
    yield from makers[request.param](svc)


# --------------------------------------------------------------------------
# Every host
# --------------------------------------------------------------------------


def test_the_sign_in_page_answers_under_the_prefix(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(f"{PREFIX}/")
    assert page.status == 200
    assert "Masuk" in page.text
    assert "Daftar" in page.text
    # Every link the page makes stays under the prefix.
    links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page.text)
    assert links
    assert all(link.startswith(f"{PREFIX}/") for link in links), links
    assert f'href="{PREFIX}/daftar"' in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_a_static_asset_loads_under_the_prefix(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(f"{PREFIX}/")
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert stylesheet
    assert stylesheet.group(1) == f"{PREFIX}/static/siapkerja.css"
    asset = client.get(stylesheet.group(1))
    assert asset.status == 200
    assert asset.headers["content-type"].startswith("text/css")
    assert "no-store" not in asset.headers.get("cache-control", "")


def test_the_host_keeps_its_own_routes(host: tuple[Client, str]) -> None:
    client, home_text = host
    page = client.get("/")
    assert page.status == 200
    assert home_text in page.text
    # Only the prefix goes to the pages: a sibling path is the host's (a 404 there).
    assert client.get(f"{PREFIX}-lain/").status == 404


def test_the_bare_prefix_leads_to_the_sign_in_page(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(PREFIX)
    assert page.status == 200
    assert page.path == f"{PREFIX}/"
    assert "Masuk" in page.text


def test_registration_through_the_forms_under_the_prefix(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(f"{PREFIX}/daftar")
    assert 'action="/siapkerja/daftar"' in page.text
    data = {"nik": NIK, "full_name": NAME, "mother_name": MOTHER}

    refused = client.post(f"{PREFIX}/daftar", data)  # no CSRF token
    assert refused.status == 403

    page = client.post(f"{PREFIX}/daftar", {"csrf_token": csrf(page.text), **data})
    assert page.status == 200
    assert page.path == f"{PREFIX}/daftar/kontak"
    contact = {"email": EMAIL, "phone": PHONE, "password": PASSWORD}
    page = client.post(f"{PREFIX}/daftar/kontak", {"csrf_token": csrf(page.text), **contact})
    assert page.path == f"{PREFIX}/verifikasi"

    code = otp(client.get(f"{PREFIX}/dev/outbox").text)
    digits = {f"d{i}": digit for i, digit in enumerate(code, start=1)}
    page = client.post(f"{PREFIX}/verifikasi", {"csrf_token": csrf(page.text), **digits})
    assert page.status == 200
    assert page.path == f"{PREFIX}/profil"
    assert "Akun Anda aktif" in page.text


def test_the_session_cookie_is_scoped_to_the_prefix(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(f"{PREFIX}/daftar", follow=False)
    cookie = page.headers.get("set-cookie", "")
    assert "siapkerja_session=" in cookie
    assert f"Path={PREFIX};" in cookie


def test_the_json_api_answers_under_the_prefix(host: tuple[Client, str]) -> None:
    client, _ = host
    page = client.get(f"{PREFIX}/api/v1/openapi.json")
    assert page.status == 200
    assert '"openapi"' in page.text


# --------------------------------------------------------------------------
# Host-specific details
# --------------------------------------------------------------------------


def test_fastapi_keeps_its_own_openapi(svc: Siapkerja) -> None:
    pytest.importorskip("fastapi")
    app = load_example("mount_fastapi.py").make_app(svc)
    with TestClient(app) as client:
        document = client.get("/openapi.json").json()
    assert "/" in document["paths"]
    assert not any(path.startswith(PREFIX) for path in document["paths"])


def test_plain_app_mount_survives_host_routes_of_the_same_names(
    svc: Siapkerja, tmp_path: Path
) -> None:
    """A host with its own ``static`` mount and ``login`` route, our app mounted by name."""
    fastapi = pytest.importorskip("fastapi")
    from starlette.staticfiles import StaticFiles

    (tmp_path / "host.css").write_text("body{}", encoding="utf-8")
    app = fastapi.FastAPI()
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")

    @app.get("/login")
    def login() -> dict[str, str]:
        return {"host": "login"}

    app.mount(PREFIX, create_app(svc, dev=True), name="siapkerja")
    with TestClient(app) as client:
        page = client.get(f"{PREFIX}/").text
        assert f'href="{PREFIX}/static/siapkerja.css"' in page
        assert f'href="{PREFIX}/"' in page
        assert client.get("/static/host.css").status_code == 200
        assert client.get("/login").json() == {"host": "login"}
        assert app.url_path_for("siapkerja", path="/") == f"{PREFIX}/"


def test_for_fastapi_returns_the_mounted_app(svc: Siapkerja) -> None:
    fastapi = pytest.importorskip("fastapi")
    app = fastapi.FastAPI()
    pages = for_fastapi(app, svc, path="/kerja/", dev=True)
    assert pages.state.siapkerja is svc
    with TestClient(app) as client:
        assert 'href="/kerja/daftar"' in client.get("/kerja/").text


def test_the_mount_path_must_be_a_prefix(svc: Siapkerja) -> None:
    fastapi = pytest.importorskip("fastapi")
    with pytest.raises(ValueError, match="must start with '/'"):
        for_fastapi(fastapi.FastAPI(), svc, path="siapkerja", dev=True)
    with pytest.raises(ValueError, match="must start with '/'"):
        PrefixDispatcher("/", asgi_app(svc, dev=True), asgi_app(svc, dev=True))


def test_the_dispatcher_honours_the_servers_root_path(svc: Siapkerja) -> None:
    """Behind a proxy at ``/proxy``, the pages live at ``/proxy/siapkerja/``."""

    async def host(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"host"})

    app = PrefixDispatcher(PREFIX, asgi_app(svc, dev=True), host)
    with TestClient(app, root_path="/proxy") as client:
        page = client.get(f"/proxy{PREFIX}/")
        assert page.status_code == 200
        assert 'href="/proxy/siapkerja/daftar"' in page.text
        assert client.get("/proxy/").text == "host"


def test_django_asgi_is_the_examples_application(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = django_asgi_module(monkeypatch, tmp_path)
    assert isinstance(module.application, PrefixDispatcher)
    assert module.application.prefix == PREFIX


def test_flask_wsgi_without_the_dispatcher(svc: Siapkerja) -> None:
    """``wsgi_app`` alone is a complete WSGI application (at the root)."""
    werkzeug_test = pytest.importorskip("werkzeug.test")
    pytest.importorskip("a2wsgi")
    client = werkzeug_test.Client(wsgi_app(svc, dev=True))
    response = client.get("/")
    assert response.status_code == 200
    assert "Masuk" in response.get_data(as_text=True)


# --------------------------------------------------------------------------
# A framework that is not installed
# --------------------------------------------------------------------------


def _hint_of(error: pytest.ExceptionInfo[ImportError], extra: str) -> str:
    message = str(error.value)
    assert f"pip install 'siapkerja[{extra}]'" in message
    assert "memerlukan paket tambahan" in message  # Indonesian
    assert "needs its extra" in message  # English
    return message


def test_a_missing_a2wsgi_names_the_wsgi_extra(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "a2wsgi", None)  # as if it were not installed
    with pytest.raises(ImportError) as error:
        wsgi_app(svc, dev=True)
    assert "a2wsgi" in _hint_of(error, "wsgi")
    assert error.value.name == "a2wsgi"


def test_the_flask_example_without_a2wsgi_says_what_to_install(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("flask")
    example = load_example("mount_flask_wsgi.py")
    monkeypatch.setitem(sys.modules, "a2wsgi", None)
    with pytest.raises(ImportError) as error:
        example.make_app(svc)
    _hint_of(error, "wsgi")


def test_a_missing_django_names_the_django_extra(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "django.core.asgi", None)
    with pytest.raises(ImportError) as error:
        for_django(None, svc, dev=True)
    _hint_of(error, "django")
