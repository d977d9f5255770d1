"""The route of the busiest request: a phone opening a card's link QR.

Most requests the web binding will ever serve are ``GET /v/<token>`` with no
cookie and no query string, from a phone that never visited the site. This
module owns :class:`AnonymousScanRoute`, the application's first route: the
router matches it ahead of the session, body-limit and exception layers
(which wrap every other route), so such a scan reads and signs no session.
It answers with the scan page's one handler for a visitor who is not signed
in (:class:`~siapkerja_adapters.web.pages.scan.AnonymousScan`), the
same that answers behind the session layer: the token is resolved (version,
revocation) and the holder's ledger written on every scan; an unchanged
public view's page is reused.

The route takes only what it can answer without a session: a GET without a
query string (``?lang=en`` is kept in a session) or a session cookie (the
viewer may be signed in). Anything else falls through to the ``scan`` route
behind the session layer. Tests hold the two ways' answers equal.
"""

from __future__ import annotations

from starlette.routing import Match, Route
from starlette.types import Scope

from siapkerja_adapters.web.pages.scan import ScanPage
from siapkerja_adapters.web.security import SESSION_COOKIE

__all__ = ["AnonymousScanRoute"]


class AnonymousScanRoute(Route):
    """``GET {base_path}/v/<token>`` from a visitor without a session cookie or a query string.

    :param scan: the application's scan page.
    :param base_path: the application's own prefix (``create_app(base_path=...)``).
    :param cookie_name: the session cookie whose presence leaves a scan to the
        ``scan`` route behind the session layer.
    """

    def __init__(
        self, scan: ScanPage, *, base_path: str = "", cookie_name: str = SESSION_COOKIE
    ) -> None:
        super().__init__(
            f"{base_path}/v/{{token}}",
            scan.anonymous,
            methods=["GET"],
            name="anonymous_scan",
        )
        self.cookie = cookie_name.encode("latin-1") + b"="

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
            return Match.NONE, {}
        for name, value in scope["headers"]:
            if name == b"cookie" and self.cookie in value:
                return Match.NONE, {}
        return super().matches(scope)
