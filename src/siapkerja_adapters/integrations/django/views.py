"""The one view: a Django request handed to the pages' ASGI application through a2wsgi.

The pages stay one ASGI application (:func:`~siapkerja_adapters.web.create_app`);
``a2wsgi.ASGIMiddleware`` runs it on its own event loop thread, so the view is
a plain synchronous Django view and works the same under ``runserver``, a WSGI
server and ASGI. The mount point (``SCRIPT_NAME``) is where ``urls.py`` was
included, read from the request, so links, redirects and the cookie's path
stay under it. The pages keep their own session, CSRF check and security
headers: the view is exempt from Django's CSRF.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, Final
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from siapkerja_adapters.web.integrations import missing_extra

from . import embedded

try:
    from a2wsgi import ASGIMiddleware
except ImportError as _error:  # the `django` extra brings it: say so
    raise missing_extra("django", _error) from _error

__all__ = ["pages"]

_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "set-cookie"}
)
_wsgi_lock = threading.Lock()
_wsgi: dict[int, ASGIMiddleware] = {}


def _application() -> ASGIMiddleware:
    app = embedded().app
    with _wsgi_lock:  # one bridge (one event loop thread) per built application
        bridge = _wsgi.get(id(app))
        if bridge is None:
            _wsgi.clear()
            bridge = _wsgi[id(app)] = ASGIMiddleware(app)
        return bridge


def _wsgi_text(text: str) -> str:
    """A decoded path as WSGI carries it (UTF-8 bytes read as latin-1)."""
    return text.encode("utf-8").decode("latin-1")


def _ascii_query(query: str) -> str:
    """The query string in ASCII, as WSGI (and a2wsgi) require it.

    Browsers percent-encode; a raw non-ASCII character (Django under ASGI
    decodes the query as UTF-8) is percent-encoded back instead of failing.
    """
    return query if query.isascii() else quote(query, safe="&=+%/;:,?@!$'()*~[]")


def _environ(request: HttpRequest, rest: str) -> dict[str, Any]:
    meta = request.META
    body = request.body  # the pages limit bodies themselves (413 above MAX_BODY_BYTES)
    mount = request.path[: len(request.path) - len(rest)].rstrip("/")
    environ: dict[str, Any] = {
        key: value
        for key, value in meta.items()
        if isinstance(value, str) and (key.startswith("HTTP_") or key == "CONTENT_TYPE")
    }
    environ.update(
        {
            "REQUEST_METHOD": request.method or "GET",
            "SCRIPT_NAME": _wsgi_text(mount),
            "PATH_INFO": _wsgi_text("/" + rest),
            "QUERY_STRING": _ascii_query(str(meta.get("QUERY_STRING", ""))),
            "SERVER_NAME": str(meta.get("SERVER_NAME", "localhost")),
            "SERVER_PORT": str(meta.get("SERVER_PORT", "80")),
            "SERVER_PROTOCOL": str(meta.get("SERVER_PROTOCOL", "HTTP/1.1")),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": request.scheme or "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
    )
    if meta.get("REMOTE_ADDR"):
        environ["REMOTE_ADDR"] = str(meta["REMOTE_ADDR"])
        environ["REMOTE_PORT"] = str(meta.get("REMOTE_PORT") or "0")
    return environ


@csrf_exempt
def pages(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Everything below the prefix: the pages and the JSON API answer it."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda _data: None

    chunks = _application()(_environ(request, rest), start_response)
    try:
        body = b"".join(chunks)  # the pages' answers are small: no streaming to bridge
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers = started
    response = HttpResponse(body, status=int(status.split(" ", 1)[0]))
    for key, value in headers:
        name = key.lower()
        if name == "set-cookie":
            # Django writes cookies from response.cookies (one header each).
            response.cookies.load(value)
        elif name not in _HOP_BY_HOP:
            if name in response.headers and name != "content-type":
                response[key] = f"{response[key]}, {value}"
            else:
                response[key] = value
    return response
