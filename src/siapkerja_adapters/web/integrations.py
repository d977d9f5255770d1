"""Thin helpers that put the web binding inside another framework's application.

The binding is one ASGI application (:func:`~siapkerja_adapters.web.create_app`);
every helper here only builds it and places it under a path prefix of a
host. Nothing here changes how the pages behave:

* :func:`for_fastapi` — mounts it on a FastAPI (or Starlette) application;
* :func:`include_api` — includes the JSON API's router in a FastAPI
  application, so that the host's own OpenAPI document lists its operations;
* :func:`asgi_app` — the application itself, for a Starlette ``Mount`` or any
  ASGI router;
* :func:`for_django` — Django's ASGI application with the pages under a prefix
  (for a project's ``asgi.py``);
* :func:`wsgi_app` — the application as a WSGI callable through ``a2wsgi``,
  for Flask or Django under a WSGI server.

Links keep working under a prefix: the pages build every URL from the mount
point the host reports (the ASGI ``root_path``, or WSGI's ``SCRIPT_NAME``)
and their own route table. The card's QR code cannot: it is made when a card
is issued or rotated, often outside any request (bulk issuance, the command
line), so where it opens is configuration, ``card_base_url``. Each helper
that knows the mount path checks at start-up that ``card_base_url`` opens
under it (:func:`check_card_base_url`): a wrong one is refused outside
development mode (:class:`MountMismatch`) and logged as a warning in it. Given
the host's public address (``public_url``), a helper that builds the service
itself sets ``card_base_url`` from it (:func:`card_base_url_for`).

Each helper that needs a third-party package imports it only when called,
and fails with an :class:`ImportError` naming the extra to install, in
Indonesian and English.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol
from urllib.parse import urlsplit

from siapkerja_adapters.connect import connect
from siapkerja_adapters.extras import missing_extra
from siapkerja_adapters.web import api_router, create_app
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.service import DEFAULT_CARD_BASE_URL

if TYPE_CHECKING:
    from fastapi import APIRouter
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

    from siapkerja_core.service import Siapkerja

logger = logging.getLogger("siapkerja.web.integrations")

__all__ = [
    "DEFAULT_PATH",
    "DevAddressCheck",
    "MountMismatch",
    "PrefixDispatcher",
    "WsgiPrefixDispatcher",
    "asgi_app",
    "card_base_url_for",
    "check_card_base_url",
    "for_django",
    "for_fastapi",
    "include_api",
    "missing_extra",
    "wsgi_app",
]

DEFAULT_PATH: Final = "/siapkerja"
"""Where the helpers mount the pages unless told otherwise."""


def _import(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise missing_extra(extra, error) from error


def _prefix(path: str) -> str:
    cleaned = path.strip().rstrip("/")
    if not cleaned.startswith("/"):
        raise ValueError(f"the mount path must start with '/' and name a prefix, got {path!r}")
    return cleaned


class MountMismatch(ConfigurationError):
    """The card's QR links would not open where the pages are mounted.

    Code ``config.card_base_url_mount``: ``card_base_url`` (what is configured,
    or the default), ``mount`` (the mount path) and ``example`` (a value that
    fits). Raised at start-up, outside development mode, by the helpers that
    know the mount path: a card issued under a wrong base URL carries it in
    its QR code for as long as the card is not rotated.
    """

    codes: ClassVar[frozenset[str]] = frozenset({"card_base_url_mount"})


def card_base_url_for(public_url: str, path: str = DEFAULT_PATH) -> str:
    """The ``card_base_url`` of pages mounted at ``path`` of a host at ``public_url``.

    ``card_base_url_for("https://portal.example.go.id", "/siapkerja")`` is
    ``"https://portal.example.go.id/siapkerja/v/"``. ``public_url`` is the
    address people reach the host at (scheme, name, port, and the prefix a
    reverse proxy serves it under, if any), not the address it listens on.

    :raises ConfigurationError: ``config.invalid`` (``public_url``) for an
        address that is not an absolute ``http(s)`` URL without query or fragment.
    """
    parts = urlsplit(public_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            "invalid",
            name="public_url",
            reason=f"an absolute http(s) address such as https://portal.example.go.id, got"
            f" {public_url!r}",
        )
    mount = "" if path.strip() in ("", "/") else _prefix(path)  # "/": pages at the host's root
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}{mount}/v/"


def check_card_base_url(
    svc: Siapkerja, path: str, *, dev: bool, public_url: str | None = None
) -> bool:
    """Check that the card's QR links open under the mount ``path``.

    ``card_base_url`` must end with ``<path>/v/`` (anything before it is the
    host's public address, with a reverse proxy's prefix if there is one);
    with ``public_url`` it must be exactly :func:`card_base_url_for`.
    Outside development mode a mismatch, or no ``card_base_url`` at all (the
    default points at a development server), is refused; in development mode
    it is logged as a warning, so that a quick trial still starts.

    :param path: the mount path (``"/"``: the host's root).
    :return: whether it fits.
    :raises MountMismatch: ``config.card_base_url_mount``, outside development mode.
    """
    mount = "" if path.strip() in ("", "/") else _prefix(path)
    configured = svc.settings.get("card_base_url")
    if public_url is not None:
        example = card_base_url_for(public_url, mount)
        fits = configured is not None and configured.rstrip("/") == example.rstrip("/")
    else:
        example = card_base_url_for("https://portal.example.go.id", path)
        fits = configured is not None and urlsplit(configured).path.rstrip("/").endswith(
            f"{mount}/v"
        )
    if fits:
        return True
    error = MountMismatch(
        "card_base_url_mount",
        card_base_url=configured if configured is not None else DEFAULT_CARD_BASE_URL,
        mount=mount,
        example=example,
    )
    if not dev:
        raise error
    logger.warning("%s", error)
    return False


def _service(svc: Siapkerja | None, path: str | None, public_url: str | None) -> Siapkerja:
    """``svc``, or ``connect()`` with ``card_base_url`` from ``public_url`` and ``path``."""
    if svc is not None:
        return svc
    if public_url is not None:
        return connect(card_base_url=card_base_url_for(public_url, path or "/"))
    return connect()


def _built(
    svc: Siapkerja | None, path: str | None, public_url: str | None, kwargs: dict[str, Any]
) -> Starlette:
    """The pages over the service, after the start-up check of ``card_base_url``.

    The mount path checked is ``path`` (where the host mounts the pages)
    followed by ``create_app``'s ``base_path`` (a prefix the pages add
    themselves); with neither, the pages are at the host's root and nothing
    is checked unless ``public_url`` says where that is.
    """
    base_path = str(kwargs.get("base_path") or "").strip().rstrip("/")
    mount = f"{_prefix(path) if path is not None else ''}{base_path}"
    service = _service(svc, mount or None, public_url)
    dev = bool(kwargs.get("dev"))
    if mount or public_url is not None:
        check_card_base_url(service, mount or "/", dev=dev, public_url=public_url)
    app = create_app(service, **kwargs)
    if dev:
        app.add_middleware(
            DevAddressCheck,
            card_base_url=service.settings.get("card_base_url"),
            base_path=base_path,
        )
    return app


class DevAddressCheck:
    """Development mode: warn once when the card's QR would not open where the pages answer.

    The address a QR carries is configuration (it is made outside requests
    too), so nothing is derived here; but the first request tells where this
    server answers — its scheme, ``Host`` and mount point — and a
    ``card_base_url`` elsewhere (a port other than the example's 8000, a
    forgotten ``PUBLIC_URL``) is logged as ``config.card_base_url_mount``
    naming the value that would fit. Not used outside development mode: behind
    a proxy the address a request arrives at is not the public one.
    """

    def __init__(self, app: ASGIApp, *, card_base_url: str | None, base_path: str = "") -> None:
        self.app = app
        self.card_base_url = card_base_url if card_base_url is not None else DEFAULT_CARD_BASE_URL
        self.base_path = base_path
        self.checked = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.checked and scope["type"] == "http":
            self.checked = True
            self._check(scope)
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> None:
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if not host:
            return
        mount = f"{scope.get('root_path', '').rstrip('/')}{self.base_path}"
        here = f"{scope.get('scheme', 'http')}://{host}{mount}/v/"
        if self.card_base_url.rstrip("/") == here.rstrip("/"):
            return
        error = MountMismatch(
            "card_base_url_mount",
            card_base_url=self.card_base_url,
            mount=mount or "/",
            example=here,
        )
        logger.warning("%s", error)


class _Mountable(Protocol):
    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None: ...


def asgi_app(
    svc: Siapkerja | None = None,
    *,
    path: str | None = None,
    public_url: str | None = None,
    **kwargs: Any,
) -> Starlette:
    """The pages as an ASGI application, for a Starlette ``Mount`` or any ASGI router.

    :func:`~siapkerja_adapters.web.create_app` (its keyword arguments:
    ``dev``, ``secret_key``, ``base_path``, ``trusted_hosts``); the host's
    router tells it where it is mounted (``root_path``) at each request.
    ``path`` says where that will be, so that ``card_base_url`` is checked
    against it at start-up (:func:`check_card_base_url`).

    :param svc: the service facade; when ``None``, ``connect()`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: the prefix the host mounts the pages at, e.g. ``"/siapkerja"``.
    :param public_url: the host's public address, e.g. ``"https://portal.example.go.id"``.
    :raises MountMismatch: ``card_base_url`` does not open under ``path``
        (outside development mode).
    """
    return _built(svc, path, public_url, kwargs)


def for_fastapi(
    app: _Mountable,
    svc: Siapkerja | None = None,
    *,
    path: str = DEFAULT_PATH,
    name: str | None = "siapkerja",
    public_url: str | None = None,
    **kwargs: Any,
) -> Starlette:
    """Mount the pages on a FastAPI (or Starlette) application at ``path``.

    The host's own routes and OpenAPI document stay as they are; the pages'
    JSON API keeps its own OpenAPI document at ``<path>/api/v1/openapi.json``.

    :param app: the host application (anything with Starlette's ``mount``).
    :param svc: the service facade; when ``None``, ``connect()`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: the prefix, e.g. ``"/siapkerja"``.
    :param name: the mount's route name (``app.url_path_for("siapkerja", path="/")``).
    :param public_url: the host's public address, e.g. ``"https://portal.example.go.id"``:
        the card's QR codes open at ``<public_url><path>/v/...``.
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :return: the mounted application (its ``state.siapkerja`` is the service).
    :raises MountMismatch: ``card_base_url`` does not open under ``path``
        (outside development mode; a warning in it).
    """
    pages = _built(svc, path, public_url, kwargs)
    app.mount(_prefix(path), pages, name=name)
    return pages


def include_api(
    app: Any,
    svc: Siapkerja | None = None,
    *,
    prefix: str = "/api",
    tags: list[str] | None = None,
) -> APIRouter:
    """Include the JSON API's operations in a FastAPI application, under ``prefix``.

    Unlike :func:`for_fastapi` (a mounted application, with its own
    document), the operations become the host's own: ``app.openapi()["paths"]``
    lists ``<prefix>/v1/...`` with their models, and the host's ``/docs``
    shows them. Every failure is still the API's problem document, whatever
    the host's exception handlers; paths the API does not have get the host's
    404.

    :param app: the host's :class:`fastapi.FastAPI` (or an ``APIRouter``).
    :param svc: the service facade (``connect()`` when ``None``).
    :param prefix: where the API's ``/v1`` goes, e.g. ``"/api"`` (``/api/v1/me``).
    :param tags: extra OpenAPI tags for every operation.
    :return: the included router (its routes are the API's operations).
    """
    router = api_router(svc if svc is not None else connect())
    app.include_router(router, prefix=_prefix(prefix), tags=list(tags or []))
    return router


class PrefixDispatcher:
    """An ASGI application sending one path prefix to ``app`` and the rest to ``default``.

    Under the prefix the request's ``root_path`` grows by the prefix (its
    ``path`` stays whole, as the ASGI specification has it), so the pages
    build their links below it. The bare prefix is redirected to ``prefix/``.
    Lifespan events go to ``app`` only: Django's ASGI handler refuses them.
    """

    def __init__(
        self, prefix: str, app: ASGIApp, default: ASGIApp, *, lifespan_to_default: bool = False
    ) -> None:
        self.prefix = _prefix(prefix)
        self.app = app
        self.default = default
        self.lifespan_to_default = lifespan_to_default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            target = self.default if self.lifespan_to_default else self.app
            await target(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path = scope.get("path", "")
        below = path[len(root) :] if root and path.startswith(root) else path
        if below == self.prefix and scope["type"] == "http":
            await self._redirect(scope, send, f"{root}{self.prefix}/")
            return
        if below.startswith(self.prefix + "/"):
            await self.app({**scope, "root_path": root + self.prefix}, receive, send)
            return
        await self.default(scope, receive, send)

    @staticmethod
    async def _redirect(scope: Scope, send: Send, location: str) -> None:
        query = scope.get("query_string", b"")
        target = location.encode("utf-8") + (b"?" + query if query else b"")
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", target), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class WsgiPrefixDispatcher:
    """A WSGI application sending one path prefix to ``app`` and the rest to ``default``.

    The WSGI counterpart of :class:`PrefixDispatcher`, so that a Django
    project's ``wsgi.py`` needs no werkzeug (no extra installs it): under the
    prefix the request's ``SCRIPT_NAME`` grows by the prefix and its
    ``PATH_INFO`` loses it; the bare prefix is redirected to ``prefix/``.
    """

    def __init__(self, prefix: str, app: Any, default: Any) -> None:
        self.prefix = _prefix(prefix)
        self.app = app
        self.default = default

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == self.prefix:
            query = environ.get("QUERY_STRING", "")
            location = f"{environ.get('SCRIPT_NAME', '')}{self.prefix}/"
            start_response(
                "308 Permanent Redirect",
                [("Location", location + (f"?{query}" if query else "")), ("Content-Length", "0")],
            )
            return [b""]
        if path.startswith(self.prefix + "/"):
            inner = {
                **environ,
                "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + self.prefix,
                "PATH_INFO": path[len(self.prefix) :],
            }
            return self.app(inner, start_response)
        return self.default(environ, start_response)


def for_django(
    django_app: ASGIApp | None = None,
    svc: Siapkerja | None = None,
    *,
    path: str = DEFAULT_PATH,
    public_url: str | None = None,
    **kwargs: Any,
) -> PrefixDispatcher:
    """Django's ASGI application with the pages under ``path``: the ``application`` of ``asgi.py``.

    :param django_app: the project's ASGI application;
        ``django.core.asgi.get_asgi_application()`` when ``None`` (call it
        yourself first when the module imports models, as Django advises).
    :param svc: the service facade; when ``None``, ``connect()`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: the prefix, e.g. ``"/siapkerja"``.
    :param public_url: the host's public address, e.g. ``"https://portal.example.go.id"``.
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :raises ImportError: Django is not installed (names ``siapkerja[django]``).
    :raises MountMismatch: ``card_base_url`` does not open under ``path``
        (outside development mode; a warning in it).
    """
    if django_app is None:
        django_app = _import("django.core.asgi", "django").get_asgi_application()
    return PrefixDispatcher(path, _built(svc, path, public_url, kwargs), django_app)


def wsgi_app(
    svc: Siapkerja | None = None,
    *,
    path: str | None = None,
    public_url: str | None = None,
    **kwargs: Any,
) -> Any:
    """The pages as a WSGI application (``a2wsgi.ASGIMiddleware``), for Flask or Django WSGI.

    Mount it under a prefix with the host's dispatcher (werkzeug's
    ``DispatcherMiddleware``); it reads its mount point from ``SCRIPT_NAME``
    at each request, and ``path`` says where that will be, so that
    ``card_base_url`` is checked against it at start-up. The ASGI
    application runs on an event loop in a background thread that a2wsgi
    starts on the first request.

    :param svc: the service facade; when ``None``, ``connect()`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: the prefix the dispatcher mounts the pages at, e.g. ``"/siapkerja"``.
    :param public_url: the host's public address, e.g. ``"https://portal.example.go.id"``.
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :return: a WSGI callable ``(environ, start_response)``.
    :raises ImportError: a2wsgi is not installed (names ``siapkerja[wsgi]``).
    :raises MountMismatch: ``card_base_url`` does not open under ``path``
        (outside development mode; a warning in it).
    """
    a2wsgi = _import("a2wsgi", "wsgi")
    return a2wsgi.ASGIMiddleware(_built(svc, path, public_url, kwargs))
