"""The web binding mounted in host frameworks: every example in ``examples/`` exercised.

FastAPI, Starlette and Django (ASGI) run through Starlette's ``TestClient``;
Flask (WSGI, through ``a2wsgi`` and werkzeug's ``DispatcherMiddleware``)
through Flask's own test client. Under the ``/siapkerja`` prefix each host
serves the sign-in page, a static asset, and a registration through the
forms (CSRF token, redirects, the session cookie scoped to the prefix), and
its own routes still answer. A missing framework package is an
:class:`ImportError` that names the extra to install.

Then each example runs under a real server on loopback (uvicorn, or
werkzeug's WSGI server for the WSGI ones): a person registers and issues the
card through the mounted pages, and the card's QR opens the scanned page
through the host — ``card_base_url`` comes from the mount
(:func:`~siapkerja_adapters.web.integrations.check_card_base_url`). Last,
``docs/mounting.md`` shows no hand-written code: each snippet is an example
file, included by ``pymdownx.snippets``.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import httpx
import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.demo import demo_profile
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.integrations import (
    MountMismatch,
    PrefixDispatcher,
    asgi_app,
    card_base_url_for,
    check_card_base_url,
    for_django,
    for_fastapi,
    wsgi_app,
)
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.live_server import live_server, wsgi_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
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


# --------------------------------------------------------------------------
# The card's base URL comes from the mount
# --------------------------------------------------------------------------

SECRET = "s" * 32


def test_card_base_url_for_joins_the_public_address_and_the_mount() -> None:
    assert card_base_url_for("https://portal.example.go.id", PREFIX) == (
        "https://portal.example.go.id/siapkerja/v/"
    )
    # A reverse proxy's prefix stays; a trailing slash is not doubled; "/" is the root.
    assert card_base_url_for("https://a.go.id/layanan/", "/kerja/") == (
        "https://a.go.id/layanan/kerja/v/"
    )
    assert card_base_url_for("http://127.0.0.1:8000", "/") == "http://127.0.0.1:8000/v/"
    for bad in ("portal.example.go.id", "ftp://a.go.id", "https://a.go.id/?x=1"):
        with pytest.raises(ConfigurationError) as error:
            card_base_url_for(bad, PREFIX)
        assert error.value.full_code == "config.invalid"
        assert error.value.params["name"] == "public_url"


def test_outside_dev_a_card_base_url_off_the_mount_is_refused() -> None:
    svc = connect("memory", environ={}, card_base_url="https://portal.example.go.id/v/")
    with pytest.raises(MountMismatch) as error:
        asgi_app(svc, path=PREFIX, secret_key=SECRET)
    assert error.value.full_code == "config.card_base_url_mount"
    assert "tempat halaman SIAPkerja dipasang" in error.value.message_id
    assert "where the SIAPkerja pages are mounted" in error.value.message_en
    assert "https://portal.example.go.id/siapkerja/v/" in error.value.message_en
    # No card_base_url at all: the default points at a development server.
    unset = connect("memory", environ={})
    with pytest.raises(MountMismatch, match=re.escape("127.0.0.1:8000/v/")):
        for_fastapi(pytest.importorskip("fastapi").FastAPI(), unset, secret_key=SECRET)
    with pytest.raises(MountMismatch):
        for_django(lambda *a: None, unset, secret_key=SECRET)  # type: ignore[arg-type,return-value]
    with pytest.raises(MountMismatch):
        wsgi_app(unset, path=PREFIX, secret_key=SECRET)
    # create_app's own base_path is part of the mount.
    with pytest.raises(MountMismatch):
        asgi_app(svc, base_path=PREFIX, secret_key=SECRET)


def test_a_card_base_url_under_the_mount_is_accepted() -> None:
    svc = connect("memory", environ={}, card_base_url="https://proxy.go.id/layanan/siapkerja/v/")
    assert check_card_base_url(svc, PREFIX, dev=False)
    asgi_app(svc, path=PREFIX, secret_key=SECRET)
    # With public_url it must be exactly that address.
    with pytest.raises(MountMismatch):
        asgi_app(svc, path=PREFIX, public_url="https://other.go.id", secret_key=SECRET)
    asgi_app(svc, path=PREFIX, public_url="https://proxy.go.id/layanan", secret_key=SECRET)


def test_in_dev_a_mismatch_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    svc = connect("memory", environ={})
    with caplog.at_level("WARNING", logger="siapkerja.web.integrations"):
        app = asgi_app(svc, path=PREFIX, dev=True)
    assert app.state.siapkerja is svc
    assert "config.card_base_url_mount" in caplog.text
    assert "/siapkerja/v/" in caplog.text


def test_an_example_without_a_service_sets_card_base_url_from_public_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    monkeypatch.setenv("SIAPKERJA_STORAGE", "memory")
    monkeypatch.chdir(tmp_path)
    app = load_example("mount_fastapi.py").make_app(public_url="https://bursa.example.go.id")
    mount = next(route for route in app.routes if getattr(route, "path", "") == PREFIX)
    svc = mount.app.state.siapkerja  # type: ignore[attr-defined]
    assert svc.settings.get("card_base_url") == "https://bursa.example.go.id/siapkerja/v/"
    assert not list(tmp_path.iterdir())  # memory storage: nothing written


# --------------------------------------------------------------------------
# Each example under a real server: the card's QR opens through the host
# --------------------------------------------------------------------------


def mounted_service(base_url: str) -> Siapkerja:
    """The memory profile, its card links under the host's public URL and the mount."""
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        card_base_url=card_base_url_for(base_url, PREFIX),
    )


@contextlib.contextmanager
def running_example(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, Siapkerja]]:
    """(the host's URL, its service): the example ``name`` under a real server."""
    services: list[Siapkerja] = []

    def service(url: str) -> Siapkerja:
        services.append(mounted_service(url))
        return services[-1]

    if name == "fastapi":
        pytest.importorskip("fastapi")
        example = load_example("mount_fastapi.py")
        with live_server(lambda url: example.make_app(service(url), public_url=url)) as server:
            yield server.url, services[0]
    elif name == "starlette":
        example = load_example("mount_starlette.py")
        with live_server(lambda url: example.make_app(service(url), public_url=url)) as server:
            yield server.url, services[0]
    elif name == "django-asgi":
        module = django_asgi_module(monkeypatch, tmp_path)
        with live_server(
            lambda url: module.make_application(service(url), public_url=url)
        ) as server:
            yield server.url, services[0]
    elif name == "flask-wsgi":
        pytest.importorskip("flask")
        pytest.importorskip("a2wsgi")
        example = load_example("mount_flask_wsgi.py")
        with wsgi_server(lambda url: example.make_app(service(url), public_url=url)) as url:
            yield url, services[0]
    else:  # django-wsgi: the project's wsgi.py, over the service it builds itself

        def django_wsgi(url: str) -> Any:
            application, svc = django_wsgi_application(monkeypatch, url)
            services.append(svc)
            return application

        pytest.importorskip("a2wsgi")
        django_asgi_module(monkeypatch, tmp_path)  # Django set up, memory storage, a tmp cwd
        with wsgi_server(django_wsgi) as url:
            yield url, services[0]


def django_wsgi_application(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[Any, Siapkerja]:
    """``hostsite.wsgi.application`` with ``PUBLIC_URL`` = ``url``, and the service it built."""
    from django.conf import settings

    monkeypatch.setattr(settings, "PUBLIC_URL", url)
    monkeypatch.delitem(sys.modules, "hostsite.wsgi", raising=False)
    module = importlib.import_module("hostsite.wsgi")
    return module.application, module.pages.app.state.siapkerja


def register_and_issue(client: httpx.Client, svc: Siapkerja) -> str:
    """Register Galih through the mounted pages, complete his profile, issue the card there.

    :return: the link QR's URL the card page shows.
    """
    page = client.get(f"{PREFIX}/daftar")
    data = {"nik": NIK, "full_name": NAME, "mother_name": MOTHER}
    page = client.post(f"{PREFIX}/daftar", data={"csrf_token": csrf(page.text), **data})
    contact = {"email": EMAIL, "phone": PHONE, "password": PASSWORD}
    page = client.post(f"{PREFIX}/daftar/kontak", data={"csrf_token": csrf(page.text), **contact})
    assert page.url.path == f"{PREFIX}/verifikasi", page.text
    code = otp(client.get(f"{PREFIX}/dev/outbox").text)
    digits = {f"d{i}": digit for i, digit in enumerate(code, start=1)}
    page = client.post(f"{PREFIX}/verifikasi", data={"csrf_token": csrf(page.text), **digits})
    assert page.url.path == f"{PREFIX}/profil"
    # The profile's sections are the profile pages' business (tests/e2e); here, the card.
    account = svc.login(identifier=NIK, password=PASSWORD)
    svc.update_profile(account.id, **demo_profile())
    page = client.get(f"{PREFIX}/kartu")
    page = client.post(f"{PREFIX}/kartu/terbitkan", data={"csrf_token": csrf(page.text)})
    assert page.status_code == 200
    assert page.url.path == f"{PREFIX}/kartu"
    shown = re.search(r'<p class="qr-url"><code>([^<]+)</code>', page.text)
    assert shown, "the card page shows no link QR"
    return html.unescape(shown.group(1))


LIVE_HOSTS = ["fastapi", "starlette", "django-asgi", "flask-wsgi", "django-wsgi"]


@pytest.mark.parametrize("name", LIVE_HOSTS)
def test_the_cards_qr_opens_through_the_host(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with (
        running_example(name, monkeypatch, tmp_path) as (url, svc),
        httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client,
    ):
        assert client.get("/").status_code == 200  # the host's own page
        qr_url = register_and_issue(client, svc)
        assert qr_url.startswith(f"{url}{PREFIX}/v/"), qr_url
        # A phone scanning the card: no session, the whole URL as printed.
        with httpx.Client(follow_redirects=True, timeout=30) as phone:
            scanned = phone.get(qr_url)
        assert scanned.status_code == 200
        card = svc.card(svc.login(identifier=NIK, password=PASSWORD).id)
        assert card.siapkerja_id in scanned.text


# --------------------------------------------------------------------------
# docs/mounting.md: every snippet is an example file
# --------------------------------------------------------------------------

MOUNTING = ROOT / "docs" / "mounting.md"
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_INCLUDE = re.compile(r'--8<-- "([^"]+)"')


def python_blocks() -> list[str]:
    return _FENCE.findall(MOUNTING.read_text(encoding="utf-8"))


def test_every_python_block_of_the_mounting_page_is_an_include_or_a_doctest() -> None:
    blocks = python_blocks()
    included = []
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        if lines[0].startswith(">>> "):
            continue  # a doctest: pytest runs the page (--doctest-glob=*.md)
        assert len(lines) == 1, f"hand-written code in docs/mounting.md:\n{block}"
        found = _INCLUDE.fullmatch(lines[0].strip())
        assert found, f"not an include: {lines[0]!r}"
        assert (ROOT / found.group(1)).is_file(), found.group(1)
        included.append(found.group(1))
    # Each mounting example is on the page.
    assert set(included) >= {
        "examples/mount_fastapi.py",
        "examples/mount_starlette.py",
        "examples/mount_flask_wsgi.py",
        "examples/django_asgi/hostsite/asgi.py",
        "examples/django_asgi/hostsite/wsgi.py",
        # The native integrations' example projects (tests/integration/test_frameworks.py).
        "examples/fastapi_app/app.py",
        "examples/flask_app/app.py",
        "examples/django_app/bursa/settings.py",
        "examples/django_app/bursa/urls.py",
        "examples/django_app/bursa/views.py",
        "examples/django_app/bursa/asgi_routed.py",
    }


def test_each_include_is_announced_by_a_link_to_its_file() -> None:
    """GitHub shows ``--8<--`` as it is: a reader there follows the link above it.

    The link is absolute (the repository's ``blob/main``): mkdocs builds in strict
    mode, where a relative link out of ``docs/`` is a warning that fails the build.
    """
    text = MOUNTING.read_text(encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    repo = re.search(r"^repo_url: (\S+)$", config, re.MULTILINE)
    assert repo is not None
    paths = _INCLUDE.findall(text)
    assert len(paths) >= 5
    for path in paths:
        link = f"[`{path}`]({repo.group(1)}/blob/main/{path})"
        block = f'{link}\n\n```python\n--8<-- "{path}"\n```'
        assert block in text, f"no link to {path} right above its include"


def test_the_snippets_extension_includes_each_file_whole() -> None:
    """The page through ``pymdownx.snippets`` as mkdocs.yml configures it."""
    markdown = pytest.importorskip("markdown")
    pytest.importorskip("pymdownx.snippets")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "pymdownx.snippets" in config
    assert "check_paths: true" in config
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": {"base_path": [str(ROOT)], "check_paths": True}},
    )
    text = MOUNTING.read_text(encoding="utf-8")
    rendered = "\n".join(md.preprocessors["snippet"].run(text.splitlines()))
    assert "--8<--" not in rendered
    for path in _INCLUDE.findall(text):
        assert (ROOT / path).read_text(encoding="utf-8").strip() in rendered, path


def test_in_dev_the_first_request_tells_a_card_base_url_that_misses_this_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The example's default public URL (port 8000) on another port: a warning naming the fit."""
    example = load_example("mount_starlette.py")
    svc = connect("memory", environ={}, card_base_url=card_base_url_for(example.PUBLIC_URL, PREFIX))
    with (
        caplog.at_level("WARNING", logger="siapkerja.web.integrations"),
        live_server(lambda url: example.make_app(svc, public_url=example.PUBLIC_URL)) as server,
    ):
        assert httpx.get(f"{server.url}{PREFIX}/", timeout=30).status_code == 200
        httpx.get(f"{server.url}{PREFIX}/daftar", timeout=30)
    warnings = [r for r in caplog.records if "card_base_url_mount" in r.getMessage()]
    assert len(warnings) == 1  # once, at the first request
    assert f"{server.url}{PREFIX}/v/" in warnings[0].getMessage()


def test_in_dev_a_fitting_card_base_url_is_not_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    example = load_example("mount_starlette.py")
    with (
        caplog.at_level("WARNING", logger="siapkerja.web.integrations"),
        live_server(lambda url: example.make_app(mounted_service(url), public_url=url)) as server,
    ):
        assert httpx.get(f"{server.url}{PREFIX}/", timeout=30).status_code == 200
    assert "card_base_url_mount" not in caplog.text
