"""The scanned profile: ``/v/<token>``, the page a card's link QR opens.

This module owns the scan page — as much of the holder's profile as the
viewer may see (the holder everything, anyone else the public view) — and
the ONE handler of a scan by a visitor who is not signed in
(:class:`AnonymousScan`), whichever way the request came:

* a phone that never visited the site (no cookie, no query string) reaches
  it through :class:`~siapkerja_adapters.web.fast_scan.AnonymousScanRoute`,
  routed by the application's router ahead of the session layer;
* any other visitor (a session cookie, ``?lang=en``) through the session
  layer and the ``scan`` route, whose endpoint (:meth:`ScanPage.__call__`)
  hands a visitor without a signed-in account to the same handler.

Every scan resolves its token through the facade (signature, card version,
revocation) and writes the holder's access ledger; only the rendering of an
unchanged public view is reused (:class:`PublicPages`). A ``HEAD`` is no scan
(it shows nobody the profile): it answers the status a ``GET`` would, without
a body and without a ledger entry (:meth:`ScanPage._head`). A token that opens
nothing gets its page: 410 revoked or expired, 404 otherwise, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from siapkerja_adapters.ledger_wait import DEFERRED_LEDGER, Deferral, NotLogged, WouldWait
from siapkerja_adapters.web.i18n import DEFAULT_LANGUAGE, Translator, select_language
from siapkerja_adapters.web.pages.forms import page_status
from siapkerja_adapters.web.pages.scan_view import present_view
from siapkerja_adapters.web.pages.site import AUTH_KEY, Site
from siapkerja_core.disclosure import Audience, ProfileView
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.ports import StorageError
from siapkerja_core.views import Account

__all__ = ["SCAN_HEADERS", "AnonymousScan", "PublicPages", "ScanPage", "scan_error"]

SCAN_HEADERS: Final = {"X-Robots-Tag": "noindex, nofollow"}
"""Headers of a scan page, besides the security headers every page carries."""
PUBLIC_PAGES_KEPT: Final = 2048
"""Rendered public pages kept (about 3 KB each, more with a photo)."""

_RAW_HEADERS: Final = (
    (b"content-type", b"text/html; charset=utf-8"),
    *(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in SCAN_HEADERS.items()
    ),
)

PageKey = tuple[str, str, str, str, bytes]
"""(SIAPkerja-ID, language, root path, path, query string) of a public page."""


class PublicPages:
    """Rendered public scan pages, reused while the public view they show is unchanged.

    Keyed by the card's SIAPkerja-ID and the page's language and address (the
    language switch and the links below a mount point are part of the page;
    the path carries the token, which carries the card's version). The
    public view has no version stamp of its own, so an entry holds the view
    it was rendered from and is used only for that view or an equal one: a
    profile edit or a new card version gives a different view, hence a new
    page (a revoked card's token no longer resolves at all). The core hands
    out the same view object while nothing changed, so the usual check is an
    identity test. Bounded; the oldest
    entry is dropped first.
    """

    def __init__(self, capacity: int = PUBLIC_PAGES_KEPT) -> None:
        self.capacity = capacity
        self._pages: OrderedDict[PageKey, tuple[ProfileView, bytes]] = OrderedDict()

    def get(self, key: PageKey, view: ProfileView) -> bytes | None:
        """The page rendered for ``view`` (or an equal view) under ``key``, if kept."""
        kept = self._pages.get(key)
        if kept is None or (kept[0] is not view and kept[0] != view):
            return None
        return kept[1]

    def put(self, key: PageKey, view: ProfileView, body: bytes) -> None:
        self._pages[key] = (view, body)
        while len(self._pages) > self.capacity:
            self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def scan_error(
    site: Site, request: Request, error: SiapkerjaError, viewer: Account | None
) -> Response:
    """A token that opens nothing: 410 when revoked or expired, 404 otherwise — never a 500.

    A fault of the service keeps its status and is never headed "the QR code is not
    valid": a gate officer reading the heading must not turn away the holder of a
    valid card. Storage down (503 with ``Retry-After``) is headed "temporarily
    unavailable"; any other fault (500: a stored record that does not read) "something
    went wrong", as trying again soon will not mend it.
    """
    lang = select_language(request)
    status, headers = page_status(error, site.svc.now())
    status = 410 if status == 410 else (404 if status < 500 else status)
    title = "scan.invalid" if status < 500 else "errors.title"
    title = "scan.unavailable" if status == 503 else title
    return site.render(
        request,
        "error.html",
        {
            "title": Translator(lang)(title),
            "message": error.message(lang),
            "account": viewer,
        },
        status=status,
        headers={**headers, **SCAN_HEADERS},
    )


def _settle(future: asyncio.Future[Any], error: BaseException | None) -> None:
    if not future.done():  # the client went away meanwhile
        future.set_result(error)


def _commit_awaited(
    loop: asyncio.AbstractEventLoop,
) -> tuple[asyncio.Future[BaseException | None], Callable[[BaseException | None], None]]:
    """A future of the loop settled by the ledger's committer, and the ``notify`` it calls
    (``Deferral``'s) in its own thread with the commit's error or ``None``."""
    committed: asyncio.Future[BaseException | None] = loop.create_future()

    def notify(error: BaseException | None) -> None:  # in the committer thread
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
            loop.call_soon_threadsafe(_settle, committed, error)

    return committed, notify


class AnonymousScan:
    """The scan of a visitor who is not signed in: the public view, no session written.

    A raw ASGI endpoint (``route(scope, receive, send)``), because it is the
    busiest answer of the application (every phone that reads a card): the
    token is resolved in a worker thread and the page sent from
    :class:`PublicPages` with its headers prepared once, without a
    :class:`~starlette.responses.Response` or Starlette's request/response
    wrapper around it.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.public_pages = PublicPages()
        self.inline = bool(getattr(site.svc.storage, "scans_inline", False))
        self.on_loop = bool(getattr(site.svc.storage, "scans_on_loop", False))

    async def _resolve(self, token: str) -> ProfileView:
        """``resolve``, answered once the ledger entry is committed, without a thread waiting.

        The storage queues the entry and returns (:mod:`~siapkerja_adapters.ledger_wait`);
        the commit that holds it is awaited here, so while it is under way the
        loop serves other scans, whose entries the next commit takes together. A
        storage that can queue a scan without any I/O (``scans_on_loop``: the ``sql``
        storage, whose entry made from a kept subject is inserted only if the rows are
        unchanged) is asked on the loop first. When it would have to read
        (:class:`WouldWait`) or the rows had changed (:class:`NotLogged`: nothing
        written), and on any other storage, the scan is resolved the usual way: on the
        event loop where the read is local (``scans_inline``: SQLite; less than a
        handoff to a thread and back), else in the scans' worker threads (a network
        round trip).
        """
        if self.on_loop:
            view = await self._resolve_on_loop(token)
            if view is not None:
                return view
        loop = asyncio.get_running_loop()
        committed, notify = _commit_awaited(loop)

        # On the loop (SQLite), a commit starts once the requests ready now have queued
        # their entries (call_soon); from a worker thread, at once.
        deferral = Deferral(notify, loop.call_soon if self.inline else None)
        reset = DEFERRED_LEDGER.set(deferral)  # a worker thread runs in a copy of this context
        try:
            if self.inline:
                view = self.site.svc.resolve(token)
            else:
                view = await self.site.call_scan(self.site.svc.resolve, token)
        finally:
            DEFERRED_LEDGER.reset(reset)
        if deferral.used:
            error = await committed
            if error is not None:
                raise StorageError("unavailable") from error
        return view

    async def _resolve_on_loop(self, token: str) -> ProfileView | None:
        """The scan resolved on the loop, answered once its guarded entry is committed;
        ``None``: not made here (nothing written), to be resolved the usual way.

        Not when a plug-in listens for events: its listener runs where it always did,
        and once a scan (not again after a ``NotLogged``)."""
        if self.site.svc.plugins.listening:
            return None
        loop = asyncio.get_running_loop()
        committed, notify = _commit_awaited(loop)

        # The commit starts once the requests ready now have queued their entries too.
        deferral = Deferral(notify, loop.call_soon, on_loop=True)
        reset = DEFERRED_LEDGER.set(deferral)
        try:
            view = self.site.svc.resolve(token)
        except WouldWait:
            return None
        finally:
            DEFERRED_LEDGER.reset(reset)
        if not deferral.used:  # logged without the deferral: committed already
            return view
        error = await committed
        if error is None:
            return view
        if isinstance(error, NotLogged):
            return None
        raise StorageError("unavailable") from error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = self.site
        try:
            view = await self._resolve(scope["path_params"]["token"])
        except SiapkerjaError as error:
            await scan_error(site, Request(scope, receive), error, None)(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        # Without a query string or a session there is no language choice to read.
        if query or "session" in scope:
            lang = select_language(Request(scope, receive))
        else:
            lang = DEFAULT_LANGUAGE
        key = (view.siapkerja_id, lang, scope.get("root_path", ""), scope["path"], query)
        body = self.public_pages.get(key, view)
        if body is None:
            body = self._render(Request(scope, receive), view, lang)
            self.public_pages.put(key, view, body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_RAW_HEADERS, (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _render(self, request: Request, view: ProfileView, lang: str) -> bytes:
        # No flash messages, no CSRF token: the page has no form and starts no session.
        context = self.site.context(request, lang, session=False)
        context.update({"view": view, "page": present_view(view, lang), "holder": False})
        return self.site.templates.get_template("scan.html").render(context).encode("utf-8")


class ScanPage:
    """``/v/<token>`` behind the session layer: the signed-in viewer's page, else the public one.

    A raw ASGI endpoint too, so that a visitor without a signed-in account is
    handed to :attr:`anonymous` as is.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.anonymous = AnonymousScan(site)

    def routes(self) -> list[BaseRoute]:
        return [Route("/v/{token}", self, methods=["GET"], name="scan")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":
            await self._head(scope, receive, send)
            return
        session = scope.get("session")
        if not (isinstance(session, dict) and isinstance(session.get(AUTH_KEY), str)):
            await self.anonymous(scope, receive, send)
            return
        response = await self._signed_in(Request(scope, receive))
        await response(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``HEAD /v/<token>``: the status (and headers) a GET would answer, no body — and
        no ledger entry.

        A HEAD shows the profile to nobody (link previewers and uptime checks send
        it), so it is no scan: the token is checked as a scan checks it (signature,
        card active and not suspended, account open, link version; the facade's
        ``verify_token``, which records nothing and makes no key), whoever asks.
        """
        site = self.site
        request = Request(scope, receive)
        try:
            await site.call_scan(site.svc.verify_token, request.path_params["token"])
        except SiapkerjaError as error:
            response = scan_error(site, request, error, None)
        else:
            response = Response(media_type="text/html", headers=SCAN_HEADERS)
        headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": b""})

    async def _signed_in(self, request: Request) -> Response:
        site = self.site
        viewer = await site.current_account(request)
        lang = select_language(request)
        try:
            view = await site.call_scan(site.svc.resolve, request.path_params["token"], viewer)
        except SiapkerjaError as error:
            return scan_error(site, request, error, viewer)
        context = {
            "view": view,
            "page": present_view(view, lang),
            "holder": view.audience is Audience.HOLDER,
            "account": viewer,
        }
        return site.render(request, "scan.html", context, headers=SCAN_HEADERS)
