"""The scanned profile: ``/v/<token>``, the page a card's link QR opens.

This module owns the scan page — as much of the holder's profile as the
viewer may see (the holder everything, anyone else the public view) — the
rendered public pages kept for anonymous scans, and the page of a token that
opens nothing (410 revoked or expired, 404 otherwise, never a 500). Every
scan resolves its token through the facade (signature, card version,
revocation) and writes the holder's access ledger; only the rendering of an
unchanged public view is reused.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import page_status
from siapkerja_adapters.web.pages.scan_view import present_view
from siapkerja_adapters.web.pages.site import AUTH_KEY, Site, get_route
from siapkerja_core.disclosure import Audience, ProfileView
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.model import Account

__all__ = ["SCAN_HEADERS", "ScanPage"]

SCAN_HEADERS: Final = {"X-Robots-Tag": "noindex, nofollow"}
"""Headers of a scan page, besides the security headers every page carries."""
_PUBLIC_PAGES_KEPT: Final = 2048


class ScanPage:
    """The scanned profile, for a signed-in viewer or an anonymous one."""

    def __init__(self, site: Site) -> None:
        self.site = site
        # Rendered anonymous scan pages, per public view object: the core caches
        # a card's public view per (card, version) while its profile is unchanged,
        # so the same object means the same page. Bounded; oldest dropped first.
        self._public_pages: OrderedDict[tuple[Any, ...], tuple[ProfileView, bytes]] = OrderedDict()

    def routes(self) -> list[BaseRoute]:
        return [get_route("/v/{token}", self.scan, "scan")]

    async def scan(self, request: Request) -> Response:
        """``/v/<token>``: the profile a link QR opens, as much as the viewer may see."""
        site = self.site
        if not isinstance(request.session.get(AUTH_KEY), str):
            return await self._anonymous_scan(request)
        viewer = await site.current_account(request)
        lang = select_language(request)
        try:
            view = await site.call(site.svc.resolve, request.path_params["token"], viewer)
        except SiapkerjaError as error:
            return self.scan_error(request, error, viewer)
        context = {
            "view": view,
            "page": present_view(view, lang),
            "holder": view.audience is Audience.HOLDER,
            "account": viewer,
        }
        return site.render(request, "scan.html", context, headers=SCAN_HEADERS)

    async def _anonymous_scan(self, request: Request) -> Response:
        """The scan of a visitor without a session: no session is read or written."""
        site = self.site
        try:
            view = await site.call(site.svc.resolve, request.path_params["token"])
        except SiapkerjaError as error:
            return self.scan_error(request, error, None)
        body = self.public_scan_page(request, view, select_language(request))
        return Response(body, media_type="text/html; charset=utf-8", headers=SCAN_HEADERS)

    def public_scan_page(self, request: Request, view: ProfileView, lang: str) -> bytes:
        """The rendered page of a public ``view``, from the cache while the view is unchanged."""
        scope = request.scope
        key = (
            id(view),
            lang,
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
        )
        cached = self._public_pages.get(key)
        if cached is None or cached[0] is not view:
            context = {"view": view, "page": present_view(view, lang), "holder": False}
            full = self.site.context(request, lang, session=False)
            full.update(context)
            body = self.site.templates.get_template("scan.html").render(full).encode("utf-8")
            cached = (view, body)
            self._public_pages[key] = cached
            while len(self._public_pages) > _PUBLIC_PAGES_KEPT:
                self._public_pages.popitem(last=False)
        return cached[1]

    def scan_error(
        self, request: Request, error: SiapkerjaError, viewer: Account | None
    ) -> Response:
        """A token that opens nothing: 410 when revoked or expired, 404 otherwise — never a 500."""
        lang = select_language(request)
        status, headers = page_status(error, self.site.svc.now())
        status = 410 if status == 410 else (404 if status < 500 else status)
        return self.site.render(
            request,
            "error.html",
            {
                "title": Translator(lang)("scan.invalid"),
                "message": error.message(lang),
                "account": viewer,
            },
            status=status,
            headers={**headers, **SCAN_HEADERS},
        )
