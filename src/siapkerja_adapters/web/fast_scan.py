"""The anonymous scan, answered before the session and routing layers.

Most requests the web binding will ever serve are phones opening a card's link
QR: ``GET /v/<token>``, no cookie, no query string. This module owns the ASGI
layer that answers exactly those, between the security headers (which it
stays inside of, so every answer carries them and an unexpected failure still
gets the last-resort page) and the session middleware, the body limit, the
exception layer and the router (which it skips: a scan without a cookie has
no session to read or sign, no body and one route).

What it does is what the scan page does for such a visitor
(:meth:`~siapkerja_adapters.web.pages.scan.ScanPage.scan`): resolve the token through
the facade in a worker thread — the token, the card's version and revocation
are checked and the holder's ledger is written on every scan — and send the
public view's page from the same cache, in Indonesian. A refused token gets
the same 404/410 page. Anything else — a session cookie (the viewer may be
signed in), a query string (``?lang=en`` is kept in a session), another
method or path — goes down the full stack untouched. Tests hold the two paths'
answers equal.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from siapkerja_adapters.web.i18n import DEFAULT_LANGUAGE
from siapkerja_adapters.web.pages.scan import SCAN_HEADERS, ScanPage
from siapkerja_adapters.web.security import SESSION_COOKIE
from siapkerja_core.errors import SiapkerjaError

__all__ = ["AnonymousScanMiddleware"]

_HTML: Final = (b"content-type", b"text/html; charset=utf-8")


class AnonymousScanMiddleware:
    """Answers ``GET {base_path}/v/<token>`` from a visitor without a session cookie.

    :param scan: the application's scan page (the facade, the page cache, the error page).
    :param base_path: the application's own prefix (``create_app(base_path=...)``).
    :param cookie_name: the session cookie whose presence sends a scan down the
        full stack.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        scan: ScanPage,
        base_path: str = "",
        cookie_name: str = SESSION_COOKIE,
    ) -> None:
        self.app = app
        self.scan = scan
        self.prefix = f"{base_path}/v/"
        self.cookie = cookie_name.encode("latin-1") + b"="
        extra = [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in SCAN_HEADERS.items()]
        self.headers = (_HTML, *extra)

    def _token(self, scope: Scope) -> str | None:
        """The token of an anonymous scan, or ``None`` for any other request."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(self.prefix):
            return None
        token = path[len(self.prefix) :]
        if not token or "/" in token:  # as the route's {token} matches: one segment
            return None
        for name, value in scope["headers"]:
            if name == b"cookie" and self.cookie in value:
                return None
        return token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self._token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        scan = self.scan
        request = Request(scope, receive)
        try:
            view = await scan.site.call(scan.site.svc.resolve, token)
        except SiapkerjaError as error:
            await scan.scan_error(request, error, None)(scope, receive, send)
            return
        body = scan.public_scan_page(request, view, DEFAULT_LANGUAGE)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*self.headers, (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})
