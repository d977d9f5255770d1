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
and their own route table. Each helper that needs a third-party package
imports it only when called, and fails with an :class:`ImportError` naming
the extra to install, in Indonesian and English.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final, Protocol

from siapkerja_adapters.connect import connect
from siapkerja_adapters.web import api_router, create_app

if TYPE_CHECKING:
    from fastapi import APIRouter
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

    from siapkerja_core.service import Siapkerja

__all__ = [
    "DEFAULT_PATH",
    "PrefixDispatcher",
    "asgi_app",
    "for_django",
    "for_fastapi",
    "include_api",
    "missing_extra",
    "wsgi_app",
]

DEFAULT_PATH: Final = "/siapkerja"
"""Where the helpers mount the pages unless told otherwise."""

_EXTRAS: Final = {
    # extra -> (what it enables in Indonesian, in English, the packages it brings)
    "wsgi": ("Integrasi WSGI (Flask, Django WSGI)", "The WSGI integration (Flask, Django WSGI)"),
    "django": ("Integrasi Django", "The Django integration"),
}


def missing_extra(extra: str, error: ImportError) -> ImportError:
    """The :class:`ImportError` raised when a helper's package is missing.

    It names ``pip install 'siapkerja[<extra>]'`` in Indonesian and English,
    and the module that failed to import.
    """
    what_id, what_en = _EXTRAS.get(extra, (f"Integrasi {extra}", f"The {extra} integration"))
    module = error.name or "?"
    return ImportError(
        f"{what_id} siapkerja memerlukan paket tambahan: pip install 'siapkerja[{extra}]'"
        f" [{module} tidak terpasang]. / {what_en} of siapkerja needs its extra:"
        f" pip install 'siapkerja[{extra}]' [{module} is not installed].",
        name=error.name,
    )


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


class _Mountable(Protocol):
    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None: ...


def asgi_app(svc: Siapkerja | None = None, **kwargs: Any) -> Starlette:
    """The pages as an ASGI application, for a Starlette ``Mount`` or any ASGI router.

    Exactly :func:`~siapkerja_adapters.web.create_app` (its keyword arguments:
    ``dev``, ``secret_key``, ``base_path``); the host's router tells it where
    it is mounted (``root_path``), so no prefix is configured here.

    :param svc: the service facade (``connect()`` when ``None``).
    """
    return create_app(svc, **kwargs)


def for_fastapi(
    app: _Mountable,
    svc: Siapkerja | None = None,
    *,
    path: str = DEFAULT_PATH,
    name: str | None = "siapkerja",
    **kwargs: Any,
) -> Starlette:
    """Mount the pages on a FastAPI (or Starlette) application at ``path``.

    The host's own routes and OpenAPI document stay as they are; the pages'
    JSON API keeps its own OpenAPI document at ``<path>/api/v1/openapi.json``.

    :param app: the host application (anything with Starlette's ``mount``).
    :param svc: the service facade (``connect()`` when ``None``).
    :param path: the prefix, e.g. ``"/siapkerja"``.
    :param name: the mount's route name (``app.url_path_for("siapkerja", path="/")``).
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :return: the mounted application (its ``state.siapkerja`` is the service).
    """
    pages = create_app(svc, **kwargs)
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


def for_django(
    django_app: ASGIApp | None = None,
    svc: Siapkerja | None = None,
    *,
    path: str = DEFAULT_PATH,
    **kwargs: Any,
) -> PrefixDispatcher:
    """Django's ASGI application with the pages under ``path``: the ``application`` of ``asgi.py``.

    :param django_app: the project's ASGI application;
        ``django.core.asgi.get_asgi_application()`` when ``None`` (call it
        yourself first when the module imports models, as Django advises).
    :param svc: the service facade (``connect()`` when ``None``).
    :param path: the prefix, e.g. ``"/siapkerja"``.
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :raises ImportError: Django is not installed (names ``siapkerja[django]``).
    """
    if django_app is None:
        django_app = _import("django.core.asgi", "django").get_asgi_application()
    return PrefixDispatcher(path, create_app(svc, **kwargs), django_app)


def wsgi_app(svc: Siapkerja | None = None, **kwargs: Any) -> Any:
    """The pages as a WSGI application (``a2wsgi.ASGIMiddleware``), for Flask or Django WSGI.

    Mount it under a prefix with the host's dispatcher (werkzeug's
    ``DispatcherMiddleware``); it reads its mount point from ``SCRIPT_NAME``.
    The ASGI application runs on an event loop in a background thread that
    a2wsgi starts on the first request.

    :param svc: the service facade (``connect()`` when ``None``).
    :param kwargs: passed to :func:`~siapkerja_adapters.web.create_app`.
    :return: a WSGI callable ``(environ, start_response)``.
    :raises ImportError: a2wsgi is not installed (names ``siapkerja[wsgi]``).
    """
    a2wsgi = _import("a2wsgi", "wsgi")
    return a2wsgi.ASGIMiddleware(create_app(svc, **kwargs))
