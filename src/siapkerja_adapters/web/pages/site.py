"""What every screen shares: the facade, the templates, the session and the routes' shape.

This module owns :class:`Site` — the service facade, the Jinja2 templates,
the worker threads facade calls run in, and the glue every screen uses: the
template context (language, CSRF token, flash messages, links below the
mount point), rendering, redirects, flash messages, the signed-in account
kept in the session, and a form shown again with its error — and the
shape of a screen's routes (:func:`get_route`, :func:`post_route`: every
POST passes the CSRF check first).

Every page works without JavaScript. Forms post back to their own address
and answer with a redirect, on success and on refusal alike
(post/redirect/get: Back never asks to send a form again). A refusal
(:meth:`Site.form_error`) leaves the **form stash** in the session — the
errors, in every language, and the typed values, sealed (AES-GCM,
:class:`~siapkerja_adapters.web.security.FormSealer`) because they are
personal data — and answers 303 to the form's GET page, whose
:meth:`Site.render` shows them once: the error summary announced
(``role="alert"``), each error tied to its field, the values back in their
inputs. Never kept: passwords, codes, CSRF tokens, uploads, the mother's
name (a knowledge check, never sent back to a page). The stash keeps the
cookie under :data:`COOKIE_BUDGET` bytes: values that do not fit are
dropped (largest first), the errors stay.

Which page is a form's GET page: the GET route at the POST's own path, or
else at its nearest parent path (``/profil/{section}`` → ``/profil``), found
once over all the pages' routes (:func:`link_form_pages`); a POST whose page
cannot be found that way names it (``post_route(..., page=...)``) or passes
``redirect_to``.

Statuses: a refusal of the person's input (400, 404, 409, 410, 413, 429 …)
is a 303; the wait of a 429 travels in the stash (its wording says it). A
server-side fault (500, 503) keeps its status and its ``Retry-After`` and is
shown at the POST's address: nothing was wrong with the form, sending it
again is the way on.

A form sent with a stale CSRF token (the session ended, or the tab is older
than the session) keeps its values the same way and goes back to its page;
a page that needs a signed-in holder sends them on to the sign-in page with
``next``, and the values wait for them across the sign-in. The values are
only shown again, never sent again: the person presses the button.

Calls into the facade run in a worker thread: password hashing and storage
must not block the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, TypeVar
from urllib.parse import urlencode, urlsplit

from markupsafe import escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from siapkerja_adapters.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_SESSION_KEY,
    Translator,
    select_language,
)
from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, FormErrors, page_status
from siapkerja_adapters.web.pages.profile_form import ENTRY_SECTIONS
from siapkerja_adapters.web.problems import logged_traceback
from siapkerja_adapters.web.security import (
    CSRF_FIELD,
    CSRF_SESSION_KEY,
    SEALER_SCOPE_KEY,
    TOO_LONG_SCOPE_KEY,
    FormSealer,
    content_security_policy,
    csrf_token,
    new_session,
    verify_csrf,
)
from siapkerja_adapters.web.threads import WorkerThreads
from siapkerja_core import translations
from siapkerja_core.errors import LoginError, SiapkerjaError
from siapkerja_core.profile import MAX_DESCRIPTION_LENGTH
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

__all__ = [
    "AUTH_KEY",
    "AUTH_TIME_KEY",
    "COOKIE_BUDGET",
    "FLASH_KEY",
    "FORM_PAGE_SCOPE_KEY",
    "NEVER_KEPT",
    "REGISTRATION_KEY",
    "RESET_KEY",
    "SSO_KEY",
    "SSO_LOGOUT_KEY",
    "SSO_PENDING_TTL",
    "STASH_KEY",
    "STASH_TTL",
    "Endpoint",
    "FieldsTooLong",
    "FormRoute",
    "PageRoute",
    "Site",
    "get_route",
    "link_form_pages",
    "post_route",
]

logger = logging.getLogger("siapkerja.web")

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]

# What the session cookie holds, by key (references only: the core keeps the rest).
AUTH_KEY: Final = "auth"
"""The core's session token of the signed-in account."""
REGISTRATION_KEY: Final = "reg"
"""The id of the registration under way."""
RESET_KEY: Final = "reset"
"""The id of the password reset under way."""
AUTH_TIME_KEY: Final = "auth_at"
"""When the holder last signed in (Unix seconds, the service's clock): OpenID
Connect's ``auth_time`` and ``max_age``."""
SSO_KEY: Final = "sso"
"""Authorization requests of single sign-on waiting for the holder (they survive a sign-in)."""
SSO_PENDING_TTL: Final = 15 * 60
"""Seconds such a request waits for the holder (to sign in, or to register first)."""
SSO_LOGOUT_KEY: Final = "sso_logout"
"""A hub's logout request awaiting the holder's confirmation."""
FLASH_KEY: Final = "flash"
"""Messages kept for the next page."""
_FLASHES_KEPT: Final = 4
_NOTES: Final = frozenset({"form.kept_resend"})
"""Notes a stash may carry (catalogue keys): what the page says above the kept values."""
_FORM_PART_BYTES: Final = 4 * MAX_DESCRIPTION_LENGTH
"""The largest text field of a form (400 above): the longest text a page takes, a
description, in UTF-8's widest characters. A form is flat (at most 200 fields, no
nesting); its uploads are limited by the body limit and the photo's own."""


STASH_KEY: Final = "form"
"""A refused form's sealed errors and values, for the page named in it (read once)."""
STASH_TTL: Final = 30 * 60
"""Seconds a stash waits for its page: long enough to sign in again, short enough that
a shared computer does not show the last person's typing much later."""
COOKIE_BUDGET: Final = 3500
"""Bytes the session cookie may reach with a stash in it (browsers keep 4096 per cookie,
name and attributes included)."""
NEVER_KEPT: Final = frozenset(
    {CSRF_FIELD, "password", "new_password", "password_confirm", "code", "otp", "mother_name"}
    | {"station_key"}  # the gate screen's key
    | {f"d{i}" for i in range(1, 10)}
)
"""Fields a stash never keeps: secrets (passwords, a gate's station key), one-time codes,
the CSRF token, and the mother's name (a knowledge check: no page sends it back)."""
_MAX_STASHED_ERRORS: Final = 20
_MAX_QUERY_KEPT: Final = 1000
FORM_PAGE_SCOPE_KEY: Final = "siapkerja.form_page"
"""Where a form's POST leaves its GET page (route name, its path parameters) in the scope."""
_HOLE: Final = "csrfhole" + secrets.token_hex(24)
"""What a cached public page holds where the visitor's CSRF token goes: random per process,
never sent (every answer has the token in its place), so no input can name it."""
_TOKEN_CHARACTERS: Final = re.compile(r"[A-Za-z0-9_-]{32,128}\Z")
"""A CSRF token that escaping leaves as it is (``secrets.token_urlsafe``'s alphabet)."""
_PUBLIC_SESSION: Final = frozenset({CSRF_SESSION_KEY, LANGUAGE_SESSION_KEY})
"""The session keys a cached public page may be served over: anything else (a flash
message, a kept form, a single sign-on request, a sign-in) renders the page afresh."""
_MAX_PUBLIC: Final = 256
"""Cached public renders kept (addresses, queries, languages); past it, start again."""
_KEPT_TRUSTED_FOR: Final = timedelta(seconds=5)
"""How long after its data was read a kept signed-in page may be served without reading
again, while the storage's change stamp stays put (:meth:`Site.kept_page`): what the
page shows can only change by a commit, which moves the stamp, or with the clock (an
event that ended, a programme that closed), which this bounds."""
_MAX_KEPT_QUERY: Final = 512
"""A query string longer than this (bytes) renders the page afresh: the query is part of
a kept page's key and of its bytes (the language links), so kept pages stay small."""
_SHOWN_SESSION: Final = _PUBLIC_SESSION | {AUTH_KEY, AUTH_TIME_KEY}
"""The session keys a signed-in holder's cached page may be served over (the sign-in)."""
_MAX_SHOWN: Final = 512
"""Cached signed-in pages kept (holders × pages × languages); past it, start again. Each
holds what its page shows (the photo as its tag, not its bytes) and the page's bytes."""


def _host_of(scope: Mapping[str, Any]) -> bytes | None:
    """The request's Host header as sent (``None`` without one)."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return bytes(value)
    return None


def _sign_in_of(session: Mapping[str, Any]) -> bytes | None:
    """A digest of the session's sign-in (the core's session token): kept pages are
    filed under it without the process keeping the token itself."""
    token = session.get(AUTH_KEY)
    if not isinstance(token, str):
        return None
    return hashlib.blake2b(token.encode("utf-8"), digest_size=16, person=b"siapkerja-kept").digest()


class PageRoute(Route):
    """A GET page (:func:`get_route`): where a refused form can send its sender back."""


class FormRoute(Route):
    """A form's POST (:func:`post_route`); ``page`` names its GET page (a route name)."""

    page: str | None
    page_params: tuple[str, ...]


class FieldsTooLong(HTTPException):
    """Text fields over the part limit (kept cut): the pages refuse them at their fields."""

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__(status_code=400, detail="a text field is too long")
        self.names = tuple(sorted(names))


_PATHS_ATTRIBUTE: Final = "_siapkerja_paths"
"""Where a router keeps the route paths already computed (:meth:`Site.url`): an
application's routes never change once built, and the paths go with the router
(a Starlette router compares by value, so it cannot key a dictionary)."""
_MAX_PATHS: Final = 4096


def get_route(path: str, endpoint: Endpoint, name: str) -> Route:
    """A GET page."""
    return PageRoute(path, endpoint, methods=["GET"], name=name)


def post_route(
    path: str, endpoint: Endpoint, name: str, *, files: int = 0, page: str | None = None
) -> Route:
    """A form's POST, CSRF-checked before ``endpoint`` reads it; ``files`` uploads at most.

    :param page: the name of the GET route that shows this form (where a refusal
        goes back to); by default the GET page at this path or its nearest parent
        (:func:`link_form_pages`).
    """

    async def protected(request: Request) -> Response:
        if route.page is not None:
            request.scope[FORM_PAGE_SCOPE_KEY] = (
                route.page,
                {k: v for k, v in request.path_params.items() if k in route.page_params},
            )
        try:
            await verify_csrf(request, max_files=files, max_part_size=_FORM_PART_BYTES)
            too_long = request.scope.get(TOO_LONG_SCOPE_KEY)
            if too_long:
                raise FieldsTooLong(too_long)
            return await endpoint(request)
        finally:
            await request.close()  # an uploaded file's temporary file

    route = FormRoute(path, protected, methods=["POST"], name=name)
    route.page = page
    route.page_params = ()
    return route


def _parent(path: str) -> str | None:
    trimmed = path.rstrip("/")
    if "/" not in trimmed or trimmed == "":
        return None
    head = trimmed.rsplit("/", 1)[0]
    return head or None  # "/" is a page of its own only, never a parent


def link_form_pages(routes: Sequence[BaseRoute]) -> None:
    """Give every :class:`FormRoute` of ``routes`` without a ``page`` its GET page.

    The :class:`PageRoute` at the same path, or else at the nearest parent path
    (``/riwayat/persetujuan/{consent_id}/tarik`` → ``/riwayat``). The root (``/``) is
    nobody's parent. A form left without a page keeps its refusals at its own path.
    """
    pages = {r.path: r for r in routes if isinstance(r, PageRoute)}
    for route in routes:
        if not isinstance(route, FormRoute):
            continue
        if route.page is None:
            candidate: str | None = route.path
            while candidate is not None and candidate not in pages:
                candidate = _parent(candidate)
            if candidate is not None:
                route.page = pages[candidate].name
        if route.page is not None:
            page = next((r for r in pages.values() if r.name == route.page), None)
            route.page_params = tuple(page.param_convertors) if page is not None else ()


_FIELD_LABELS: Final[Mapping[str, str]] = {
    "nik": "register.nik",
    "full_name": "register.full_name",
    "mother_name": "register.mother_name",
    "email": "contact.email",
    "phone": "contact.phone",
    "password": "login.password",
    "identifier": "login.identifier",
    "birth_place": "profile.birth_place",
    "headline": "profile.headline",
}
"""The catalogue key of the label of each text field outside the profile's entry forms."""


def field_label(name: str) -> tuple[Callable[[str], str] | None, int]:
    """The label of the form field ``name`` in a language, and the most characters it takes.

    What a too-long refusal names: the label the form shows ("Nama lengkap"), for a
    field of an entry form with its section ("Deskripsi pekerjaan (Pengalaman kerja)").
    ``None`` for a field no form shows (a script's): the message stays generic. The limit
    is the field's own (its ``maxlength``), else the longest text any page takes.
    """
    key = _FIELD_LABELS.get(name)
    if key is not None:
        return partial(_label_text, key, None), INPUT_LIMITS.get(name, MAX_DESCRIPTION_LENGTH)
    for section in ENTRY_SECTIONS.values():
        for entry_field in section.fields:
            if section.form_name(entry_field.name) == name:
                heading = f"profile_entry.{section.key}.heading"
                limit = entry_field.max_length or MAX_DESCRIPTION_LENGTH
                return partial(_label_text, section.label_key(entry_field.name), heading), limit
    return None, INPUT_LIMITS.get(name, MAX_DESCRIPTION_LENGTH)


def _label_text(key: str, section_key: str | None, lang: str) -> str:
    label = translations.text(key, lang)
    if section_key is None:
        return label
    return f"{label} ({translations.text(section_key, lang)})"


_Trust = tuple[Hashable, datetime]
"""A kept signed-in page's standing: the storage's change stamp taken before its data was
read, and until when it may be served unread (:data:`_KEPT_TRUSTED_FOR`, the session's end)."""
_Kept = tuple[object, Hashable, tuple[bytes, ...], _Trust | None]
_READ_KEY: Final = "siapkerja.page_read"
"""Where :meth:`Site.signed_in` leaves, in the request's scope, the change stamp taken
before its read and the session's end: what :meth:`Site.render_shown` keeps the page under."""


class Site:
    """The facade, the templates and the glue every screen uses.

    :param svc: the service facade.
    :param templates: the Jinja2 templates (autoescaped).
    :param dev: development mode (the SMS outbox page and banner).
    :param threads: the worker threads facade calls run in (a pool of its own if ``None``).
    :param scan_threads: the worker threads scans run in (default: ``threads``).
    :param image_origins: the origins a branded logo or favicon loads from.
    """

    def __init__(
        self,
        svc: Siapkerja,
        templates: Jinja2Templates,
        *,
        dev: bool = False,
        threads: WorkerThreads | None = None,
        scan_threads: WorkerThreads | None = None,
        image_origins: Sequence[str] = (),
    ) -> None:
        self.svc = svc
        self.templates = templates
        self.dev = dev
        self.threads = threads if threads is not None else WorkerThreads()
        self.scan_threads = scan_threads if scan_threads is not None else self.threads
        self.image_origins = tuple(image_origins)
        # (template, language, address, query, help link, sign-in) -> the catalogues it
        # was rendered with, what it shows, the page's bytes cut at the CSRF token, and
        # (signed-in pages) until when and under which change stamp they stand unread.
        self._public: dict[tuple[Any, ...], _Kept] = {}
        self._shown: dict[tuple[Any, ...], _Kept] = {}
        # The storage's stamp for the event loop, looked up at the first kept page.
        self._stamp_async: Callable[[], Awaitable[Hashable | None]] | bool | None = False

    def policy(self, form_targets: Iterable[str] = (), *, wasm: bool = False) -> str:
        """The Content-Security-Policy of a page that sets its own, the logo's origin kept."""
        return content_security_policy(form_targets, image_origins=self.image_origins, wasm=wasm)

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a facade call in a worker thread."""
        return await self.threads.run(function, *args, **kwargs)

    async def call_scan(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a scan's facade call in the scans' own worker threads (a bulkhead)."""
        return await self.scan_threads.run(function, *args, **kwargs)

    # --- links and redirects ------------------------------------------------------------

    @staticmethod
    def url(
        request: Request, name: str, /, query: Mapping[str, str] | None = None, **params: Any
    ) -> str:
        """The path of route ``name`` (mount point and base path included), with ``query``.

        Computed once per router, mount point, name and parameters: Starlette finds a
        route's path by walking every route before it and raising ``NoMatchFound`` at
        each (a link to ``static``, registered after the whole API, cost ~0.2 ms; the
        sign-in page has five), and the answer never changes for a given router.
        """
        router = request.scope.get("router") or request.scope.get("app")
        root = request.scope.get("app_root_path", request.scope.get("root_path", ""))
        paths: dict[Any, str] | None = getattr(router, _PATHS_ATTRIBUTE, None)
        if paths is None and router is not None:
            paths = {}
            setattr(router, _PATHS_ATTRIBUTE, paths)
        try:
            key = (root, name, tuple(sorted(params.items())))
            path = None if paths is None else paths.get(key)
        except TypeError:  # an unhashable parameter: computed every time
            key, paths, path = None, None, None
        if path is None:
            path = request.url_for(name, **params).path
            if paths is not None:
                if len(paths) >= _MAX_PATHS:  # parameters without end (ids): start again
                    paths.clear()
                paths[key] = path
        return f"{path}?{urlencode(query)}" if query else path

    def redirect(
        self, request: Request, name: str, /, fragment: str = "", **params: Any
    ) -> Response:
        target = self.url(request, name, **params)
        return RedirectResponse(target + (f"#{fragment}" if fragment else ""), status_code=303)

    # --- flash messages -----------------------------------------------------------------

    @staticmethod
    def flash(request: Request, kind: str, texts: Mapping[str, str]) -> None:
        """Keep a message, by language, for the next page (``kind``: ``success`` or ``error``)."""
        messages = request.session.get(FLASH_KEY)
        messages = messages if isinstance(messages, list) else []
        messages.append([kind, dict(texts)])
        request.session[FLASH_KEY] = messages[-_FLASHES_KEPT:]

    def flash_key(self, request: Request, kind: str, key: str, **params: object) -> None:
        """Keep the catalogue's message ``key``, in every language, for the next page."""
        texts = {lang: translations.text(key, lang, **params) for lang in translations.languages()}
        self.flash(request, kind, texts)

    def flash_error(self, request: Request, error: SiapkerjaError) -> None:
        texts = {lang: error.message(lang) for lang in translations.languages()}
        self.flash(request, "error", texts)

    # --- rendering ----------------------------------------------------------------------

    def context(self, request: Request, lang: str, *, session: bool = True) -> dict[str, Any]:
        """The template context every page shares.

        :param session: read flash messages and make a CSRF token; ``False`` for
            pages without forms that must not start a session (anonymous scans).
        """
        t = Translator(lang)
        has_session = session and "session" in request.scope
        flashes: list[tuple[str, str]] = []
        if has_session:
            stored = request.session.pop(FLASH_KEY, [])
            flashes = [
                (str(entry[0]), str(entry[1].get(lang) or entry[1].get(DEFAULT_LANGUAGE, "")))
                for entry in (stored if isinstance(stored, list) else [])
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)
            ]
        query = {k: v for k, v in request.query_params.items() if k != "lang"}

        def in_language(other: str) -> str:
            return f"{request.url.path}?{urlencode({**query, 'lang': other})}"

        return {
            "request": request,
            "t": t,
            "lang": lang,
            "dev": self.dev,
            "csrf_token": csrf_token(request) if has_session else "",
            "url": partial(self.url, request),
            "switch_url": in_language(t.other),
            "more_languages": [(other, t.name_of(other), in_language(other)) for other in t.more],
            "flashes": flashes,
            "errors": FormErrors(),
            "values": {},
            "account": None,
            "help_url": self.svc.settings.get("help_url", "https://kemnaker.go.id/"),
        }

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        lang = select_language(request)
        full = self.context(request, lang)
        full.update(context or {})
        kept = self._overlay_stash(request, lang, full)
        answer = dict(headers or {})
        targets = self.sso_form_targets(request)
        if targets and "Content-Security-Policy" not in answer:
            answer["Content-Security-Policy"] = self.policy(targets)
        response = self.templates.TemplateResponse(
            request, template, full, status_code=status, headers=answer
        )
        if kept:
            # A page without an error summary (a list with buttons): the errors the form
            # left that it did not show are shown as messages instead of being lost.
            body = bytes(response.body).decode("utf-8", "replace")
            missing = [m for _, m in kept.items if str(escape(m)) not in body]
            if missing:
                full["flashes"] = [*full["flashes"], *(("error", m) for m in missing)]
                response = self.templates.TemplateResponse(
                    request, template, full, status_code=status, headers=answer
                )
        return response

    def render_public(
        self, request: Request, template: str, context: Mapping[str, Any], key: Hashable
    ) -> Response:
        """An anonymous page (sign-in, registration) rendered once, with its visitor's token.

        The page is rendered once per template, language, scheme, Host header, address,
        query string and ``key`` — the caller's word that ``context`` depends on nothing else (the
        query's values are in the address) — with a placeholder (:data:`_HOLE`) as
        the CSRF token, and cut at it; each visitor gets the cut page joined with
        their own token. The token's alphabet is one escaping leaves unchanged, so
        the bytes are those :meth:`render` would send. A visitor whose session holds
        anything but the token and the language (a flash message, a kept form, a
        single sign-on request), a token of another shape, an address or query naming
        the placeholder, a query longer than :data:`_MAX_KEPT_QUERY`, or templates
        reloaded when changed (development) get :meth:`render`.
        """
        return self._render_cut(request, template, context, key, _PUBLIC_SESSION, self._public)

    def render_shown(
        self, request: Request, template: str, context: Mapping[str, Any], shown: Hashable
    ) -> Response:
        """A signed-in holder's page, rendered again only when what it shows changed.

        ``shown`` is everything ``context`` is made from — the values the facade
        returned (the account, the profile's overview …), compared by **equality**,
        not by a version number or a digest: the page is served from the cache only
        when the holder's data read for this very request equals the data the cached
        bytes were rendered from, so an edit shows on the next load and one holder's
        key never equals another's (the account is part of it). Otherwise as
        :meth:`render_public` (the CSRF token a hole, the same refusals to cache), the
        session may also hold the sign-in (:data:`AUTH_KEY`, :data:`AUTH_TIME_KEY`).
        At most :data:`_MAX_SHOWN` pages are kept, by holder, page and language.
        """
        return self._render_cut(request, template, context, shown, _SHOWN_SESSION, self._shown)

    def _where(
        self, request: Request, template: str, session: object, allowed: frozenset[str]
    ) -> tuple[Any, ...] | None:
        """Where and how a kept page is shown — its cache key — or ``None``: not kept.

        Not kept: a session holding anything but ``allowed`` (a flash message, a kept form,
        a single sign-on request), templates reloaded when changed (development), an
        address or query naming the placeholder, a query longer than :data:`_MAX_KEPT_QUERY`.
        """
        scope = request.scope
        query: bytes = scope.get("query_string", b"")
        path: str = scope.get("path", "")
        if (
            not isinstance(session, dict)
            or not session.keys() <= allowed
            or self.templates.env.auto_reload
            or _HOLE.encode() in query
            or _HOLE in path
            or len(query) > _MAX_KEPT_QUERY
        ):
            return None
        return (
            template,
            select_language(request),
            # A deployer's template may build absolute addresses (``url_for``,
            # ``request.url``) from the scheme and the Host header: one visitor's
            # Host must never be kept for another's page.
            scope.get("scheme"),
            _host_of(scope),
            scope.get("app_root_path"),
            scope.get("root_path", ""),
            path,
            query,
            self.svc.settings.get("help_url"),
            _sign_in_of(session),  # a holder's pages are theirs alone (and per sign-in)
        )

    def _render_cut(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        key: Hashable,
        allowed: frozenset[str],
        cache: dict[tuple[Any, ...], _Kept],
    ) -> Response:
        session = request.scope.get("session")
        where = self._where(request, template, session, allowed)
        if where is None:
            return self.render(request, template, context)
        token = csrf_token(request)
        if _TOKEN_CHARACTERS.match(token) is None:
            return self.render(request, template, context)
        # A signed-in page read for this request (:meth:`signed_in`) stands unread a while.
        trust: _Trust | None = None
        if cache is self._shown:
            read = request.scope.get(_READ_KEY)
            if read is not None and read[0] is not None:
                stamp, ends = read
                trust = (stamp, min(ends, self.svc.now() + _KEPT_TRUSTED_FOR))
        catalogues = translations.catalogues()
        entry = cache.get(where)
        try:
            fresh = entry is not None and entry[0] is catalogues and entry[1] == key
        except Exception:
            return self.render(request, template, context)
        if entry is None or not fresh:
            full = self.context(request, where[1])  # the page's language
            full.update(context)
            full["csrf_token"] = _HOLE
            body = bytes(self.templates.TemplateResponse(request, template, full).body)
            if len(cache) >= (_MAX_PUBLIC if cache is self._public else _MAX_SHOWN):
                cache.clear()
            entry = cache[where] = (catalogues, key, tuple(body.split(_HOLE.encode())), trust)
        elif trust is not None:
            entry = cache[where] = (entry[0], entry[1], entry[2], trust)
        return HTMLResponse(token.encode("ascii").join(entry[2]))

    async def kept_page(self, request: Request, template: str) -> Response | None:
        """The signed-in holder's kept ``template`` page, served **without reading**, or ``None``.

        Served only when this session's page was read and rendered (:meth:`render_shown`)
        less than :data:`_KEPT_TRUSTED_FOR` ago, before the session's end, and the
        storage's change stamp (:class:`~siapkerja_core.ports.ChangeStamp`) is the one
        taken before that read: **nothing** was committed since — no sign-out, password
        change, erasure or edit, from this process or any other — so the session, the
        account and everything the page shows are as they were read. A storage without a
        stamp (or one that cannot tell just now), an expired standing, or anything
        :meth:`render_shown` would not keep: ``None``, and the caller reads as usual.

        A page handler calls it first, with the template it renders when all is well;
        a page whose own read writes never stands unread (its write moves the stamp).
        """
        session = request.scope.get("session")
        where = self._where(request, template, session, _SHOWN_SESSION)
        if where is None or where[-1] is None:  # no sign-in in the session
            return None
        entry = self._shown.get(where)
        if entry is None or entry[3] is None or entry[0] is not translations.catalogues():
            return None
        stamp, until = entry[3]
        svc = self.svc
        if svc.now() >= until:
            return None
        # On the loop: a storage whose stamp is a round trip (PostgreSQL) offers it
        # without blocking the loop; a local one (SQLite, memory) answers at once.
        read_async = self._stamp_async
        if read_async is False:
            read_async = self._stamp_async = getattr(svc.storage, "change_stamp_async", None)
        current = await read_async() if callable(read_async) else svc.change_stamp()
        if current is None or current != stamp:
            return None
        token = csrf_token(request)
        if _TOKEN_CHARACTERS.match(token) is None:
            return None
        return HTMLResponse(token.encode("ascii").join(entry[2]))

    def form_error(
        self,
        request: Request,
        template: str,
        error: SiapkerjaError,
        context: Mapping[str, Any],
        *,
        form_fields: Iterable[str] = (),
        rename: Mapping[str, str] | None = None,
        redirect_to: str | None = None,
    ) -> Response:
        """A refused form: 303 to its GET page, which shows ``error`` and the typed values.

        ``error`` goes in the summary and on its field (``form_fields``, ``rename``
        as :meth:`FormErrors.add_error`); the values kept are the submitted fields
        that ``context["values"]`` shows (so a page that does not send a field back
        keeps it out), minus :data:`NEVER_KEPT`. ``redirect_to``: the path of the
        GET page when it is not the form's own (a POST-only address).

        A server-side fault (500, 503), a GET, or a session without a sealer is
        rendered here with ``template`` and ``context`` and its status instead.
        """
        status, headers = page_status(error, self.svc.now())
        if status == 500:
            logger.error("server-side error on a page: %s", error, exc_info=logged_traceback(error))
        items = self._error_items(error, status, form_fields, rename)
        sealer = request.scope.get(SEALER_SCOPE_KEY)
        if request.method != "POST" or status in (500, 503) or not isinstance(sealer, FormSealer):
            return self._refused_here(request, template, context, items, status, headers)
        shown = context.get("values")
        values = self._kept_values(request, shown if isinstance(shown, Mapping) else {})
        target = redirect_to or self.form_page(request)
        extra = {"r": int(headers["Retry-After"])} if "Retry-After" in headers else {}
        if self.stash(request, target, items, values, **extra):
            return RedirectResponse(target, status_code=303)
        return self._refused_here(request, template, context, items, status, headers)

    def _refused_here(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        items: Sequence[tuple[str | None, Mapping[str, str]]],
        status: int,
        headers: Mapping[str, str],
    ) -> Response:
        """The form shown at the POST's own address with its errors (no redirect)."""
        lang = select_language(request)
        errors = FormErrors()
        for field, texts in items:
            errors.add(texts.get(lang) or texts[DEFAULT_LANGUAGE], field)
        return self.render(
            request, template, {**context, "errors": errors}, status=status, headers=headers
        )

    def refuse(
        self,
        request: Request,
        key: str,
        field: str | None = None,
        *,
        redirect_to: str | None = None,
        **params: object,
    ) -> Response:
        """A form refused by the page itself (not the facade): the catalogue's ``key``
        on ``field``, the form's kept values, 303 to its GET page (as :meth:`form_error`)."""
        texts = {lang: translations.text(key, lang, **params) for lang in translations.languages()}
        target = redirect_to or self.form_page(request)
        if not self.stash(request, target, [(field, texts)], self._kept_values(request, None)):
            self.flash(request, "error", texts)  # a session too full for the form: the words
        return RedirectResponse(target, status_code=303)

    @staticmethod
    def _error_items(
        error: SiapkerjaError,
        status: int,
        form_fields: Iterable[str],
        rename: Mapping[str, str] | None,
    ) -> list[tuple[str | None, dict[str, str]]]:
        """``error`` as (field, text by language) items, as FormErrors would show them."""
        fields = tuple(form_fields)
        by_lang: dict[str, FormErrors] = {}
        for lang in translations.languages():
            errors = by_lang[lang] = FormErrors()
            if status == 500:
                errors.add(Translator(lang)("errors.server"))
            else:
                errors.add_error(error, lang, fields, rename)
        first = by_lang[DEFAULT_LANGUAGE]
        items: list[tuple[str | None, dict[str, str]]] = []
        for index, (anchor, _) in enumerate(first.items):
            field = None if anchor is None else ("code_digits" if anchor == "f-d1" else anchor[2:])
            items.append((field, {lang: e.items[index][1] for lang, e in by_lang.items()}))
        return items

    # --- the form stash -----------------------------------------------------------------

    def form_page(self, request: Request) -> str:
        """The path of the GET page of the form posted in ``request`` (see :func:`link_form_pages`),
        else the request's own path; its query kept when it is short and printable."""
        page = request.scope.get(FORM_PAGE_SCOPE_KEY)
        if isinstance(page, tuple):
            name, params = page
            target = self.url(request, name, **params)
        else:
            target = request.url.path
        query = request.url.query
        if (
            query
            and target == request.url.path
            and len(query) <= _MAX_QUERY_KEPT
            and query.isprintable()
        ):
            return f"{target}?{query}"
        return target

    @staticmethod
    def submitted(request: Request) -> FormData:
        """The form of this POST as :func:`verify_csrf` parsed it (empty if none)."""
        form = getattr(request, "_form", None)  # Starlette's cache of the parsed form
        return form if isinstance(form, FormData) else FormData()

    def _kept_values(
        self, request: Request, shown: Mapping[str, Any] | None
    ) -> dict[str, str | list[str]]:
        """The submitted text values a stash may keep (``shown``: only those it lists)."""
        form = self.submitted(request)
        kept: dict[str, str | list[str]] = {}
        for name in dict.fromkeys(form.keys()):
            if name in NEVER_KEPT or (shown is not None and name not in shown):
                continue
            if shown is not None:
                value = shown[name]
            else:
                texts = [v for v in form.getlist(name) if isinstance(v, str)]
                value = texts[0] if len(texts) == 1 else texts
            if isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                kept[name] = value
        # Checkbox groups a browser does not send when none is ticked.
        for name, value in (shown or {}).items():
            if (
                name not in kept
                and name not in NEVER_KEPT
                and isinstance(value, list)
                and all(isinstance(v, str) for v in value)
            ):
                kept[name] = list(value)
        return kept

    def stash(
        self,
        request: Request,
        target: str,
        errors: Sequence[tuple[str | None, Mapping[str, str]]],
        values: Mapping[str, str | list[str]],
        **extra: Any,
    ) -> bool:
        """Seal ``errors`` and ``values`` in the session for the page at ``target``.

        Values over the cookie's budget are dropped, largest first, then errors from
        the last; ``False`` when not even the first error fits (a session already full:
        the caller shows the refusal another way). ``extra``: ``r`` (a wait in
        seconds), ``n`` (a note's catalogue key).
        """
        sealer = request.scope.get(SEALER_SCOPE_KEY)
        if not isinstance(sealer, FormSealer):
            return False
        session = request.session
        session.pop(STASH_KEY, None)
        others = len(json.dumps(session, separators=(",", ":")))
        # The cookie is base64 of the session's JSON (4/3), plus a timestamp and a
        # signature; the sealed stash is base64 itself, inside that JSON.
        room = (COOKIE_BUDGET - 120) * 3 // 4 - others - 60
        path = urlsplit(target).path
        kept = dict(values)
        shown_errors = [[field, dict(texts)] for field, texts in errors][:_MAX_STASHED_ERRORS]
        while True:
            sealed = sealer.seal(
                {"e": shown_errors, "v": kept, "t": int(self.svc.now().timestamp()), **extra}
            )
            if len(sealed) <= room:
                session[STASH_KEY] = {"p": path, "s": sealed}
                return True
            if kept:
                del kept[max(kept, key=lambda k: len(json.dumps(kept[k])))]
            elif len(shown_errors) > 1:
                shown_errors.pop()
            else:
                return False

    def _take_stash(self, request: Request) -> dict[str, Any] | None:
        """The stash meant for this page, taken out of the session (read once)."""
        if request.method != "GET" or "session" not in request.scope:
            return None
        entry = request.session.get(STASH_KEY)
        if not isinstance(entry, dict) or entry.get("p") != request.url.path:
            return None
        # Shown once; but the language links of the page that showed it (``?lang=``) show
        # it again in the language chosen. Any other visit of the page forgets it.
        if entry.get("o") and "lang" not in request.query_params:
            request.session.pop(STASH_KEY, None)
            return None
        request.session[STASH_KEY] = {**entry, "o": 1}
        sealer = request.scope.get(SEALER_SCOPE_KEY)
        data = sealer.open(entry.get("s")) if isinstance(sealer, FormSealer) else None
        if data is None:
            return None
        made = data.get("t")
        if not isinstance(made, int) or self.svc.now().timestamp() - made > STASH_TTL:
            return None
        return data

    def stash_waits(self, request: Request) -> bool:
        """Whether a stash waits for this page (without taking it)."""
        entry = request.session.get(STASH_KEY) if "session" in request.scope else None
        return isinstance(entry, dict) and entry.get("p") == request.url.path

    def _overlay_stash(
        self, request: Request, lang: str, full: dict[str, Any]
    ) -> FormErrors | None:
        """Put the stash meant for this page into ``full``; its errors, if any."""
        data = self._take_stash(request)
        if data is None:
            return None
        stored = data.get("v")
        if isinstance(stored, dict) and stored:
            base = full.get("values")
            base = base if isinstance(base, Mapping) else {}
            # One ticked box of a group comes back as a text: the page expects a list.
            stored = {
                k: [v] if isinstance(v, str) and isinstance(base.get(k), list) else v
                for k, v in stored.items()
            }
            full["values"] = {**base, **stored}
        errors = FormErrors()
        note = data.get("n")
        if isinstance(note, str) and note in _NOTES:
            errors.add(Translator(lang)(note))
        for item in data.get("e") or []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict):
                field, texts = item
                text = texts.get(lang) or texts.get(DEFAULT_LANGUAGE)
                if isinstance(text, str):
                    errors.add(text, field if isinstance(field, str) else None)
        wait = data.get("r")
        if isinstance(wait, int):
            full["retry_after"] = wait
        if not errors:
            return None
        full["errors"] = errors
        return errors

    def keep_stale_form(self, request: Request) -> Response | None:
        """A form sent with a stale CSRF token or after the sign-in ended: its values are
        kept and the person goes back to its page (which, needing a sign-in, sends them
        on to the sign-in page first). ``None`` when the form has no page to go back to."""
        if request.method != "POST" or FORM_PAGE_SCOPE_KEY not in request.scope:
            return None
        target = self.form_page(request)
        after = self.submitted(request).get("next")
        if (
            "?" not in target
            and isinstance(after, str)
            and after.startswith("/")
            and not after.startswith("//")
            and len(after) <= _MAX_QUERY_KEPT
            and after.isprintable()
        ):
            # The sign-in form's way on (a hub's sign-in); its page checks it again.
            target = f"{target}?{urlencode({'next': after})}"
        note = "form.kept_resend"
        if not self.stash(request, target, [], self._kept_values(request, None), n=note):
            return None  # the stale form's own page (403) then: nothing could be kept
        return RedirectResponse(target, status_code=303)

    def fields_too_long(self, request: Request, names: Iterable[str]) -> Response:
        """Refuse text fields over the part limit at their fields, keeping the rest."""
        wanted = set(names)
        values = self._kept_values(request, None)
        items: list[tuple[str | None, dict[str, str]]] = []
        for name in sorted(wanted):
            # The field's own limit where the forms name one (their maxlength), else the
            # longest text any page takes.
            label, limit = field_label(name)
            texts = {
                lang: (
                    translations.text("form.too_long_field", lang, field=label(lang), max=limit)
                    if label is not None
                    else translations.text("form.too_long", lang, max=limit)
                )
                for lang in translations.languages()
            }
            items.append((name, texts))
            value = values.get(name)
            if isinstance(value, str):
                values[name] = value[:limit]
        target = self.form_page(request)
        if not self.stash(request, target, items, values):
            self.flash(request, "error", items[0][1])  # a session too full: the words
        return RedirectResponse(target, status_code=303)

    # --- the signed-in account ----------------------------------------------------------

    async def current_account(self, request: Request) -> Account | None:
        """The signed-in account (the core re-checks the session), or ``None``."""
        token = request.session.get(AUTH_KEY)
        if not isinstance(token, str):
            return None
        try:
            return await self.call(self.svc.authenticate, token)
        except LoginError:
            new_session(request.session)
            return None

    async def signed_in(
        self, request: Request, read: Callable[..., T], /, *args: Any
    ) -> tuple[Account, T] | None:
        """The signed-in account and ``read(account, *args)``, or ``None`` (signed out).

        :meth:`current_account` and the page's own read in **one** worker-thread call:
        a page's reads then cost one hand-off to the threads and back, not two. The
        session is checked first, as :meth:`current_account` does (an ended one is
        forgotten); ``read`` runs only for a signed-in holder.
        """
        token = request.session.get(AUTH_KEY)
        if not isinstance(token, str):
            return None
        svc = self.svc

        def both() -> tuple[Hashable | None, datetime, Account, T] | None:
            # The stamp before the reads: a commit during them moves it, so a page kept
            # under it is never served unread with data older than the stamp says.
            stamp = svc.change_stamp()
            try:
                account, ends = svc.authenticate_session(token)
            except LoginError:
                return None
            return stamp, ends, account, read(account, *args)

        found = await self.call(both)
        if found is None:
            new_session(request.session)
            return None
        stamp, ends, account, data = found
        request.scope[_READ_KEY] = (stamp, ends)
        return account, data

    def sign_in(self, request: Request, account: Account) -> None:
        """A new session (a new CSRF token) holding ``account``'s core session.

        A single sign-on request under way stays (it brought the holder here), and the
        time of the sign-in is kept (``auth_time``)."""
        if account.session is None:  # the facade always opens one on login and confirm
            raise RuntimeError("the account came back without a session")
        # A form kept from before the sign-in (its session had ended) waits for its page.
        new_session(request.session, keep=("lang", SSO_KEY, STASH_KEY))
        request.session[AUTH_KEY] = account.session.token
        request.session[AUTH_TIME_KEY] = int(self.svc.now().timestamp())

    @staticmethod
    def sso_form_targets(request: Request) -> list[str]:
        """The origins a form of this page may end at: the hubs whose sign-in (or logout)
        request waits in the session. Signing in, the SMS code and consent end with a
        redirect back to the hub, which the page's ``form-action`` must allow."""
        session = request.scope.get("session")
        if not isinstance(session, dict):
            return []
        uris: list[object] = []
        pending = session.get(SSO_KEY)
        if isinstance(pending, dict):
            uris += [
                entry["p"].get("redirect_uri")
                for entry in pending.values()
                if isinstance(entry, dict) and isinstance(entry.get("p"), dict)
            ]
        logout = session.get(SSO_LOGOUT_KEY)
        if isinstance(logout, dict):
            uris.append(logout.get("r"))
        origins = []
        for uri in uris:
            if isinstance(uri, str):
                parts = urlsplit(uri)
                if parts.scheme in ("http", "https") and parts.netloc:
                    origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins

    def sso_resume(self, request: Request) -> str | None:
        """The way back to the newest single sign-on request waiting in the session, if any
        (a holder who registered on the way to a hub goes on to it)."""
        pending = request.session.get(SSO_KEY)
        if not isinstance(pending, dict):
            return None
        now = self.svc.now().timestamp()
        waiting = {
            rid: entry["t"]
            for rid, entry in pending.items()
            if isinstance(entry, dict)
            and isinstance(entry.get("t"), int)
            and now - entry["t"] < SSO_PENDING_TTL
        }
        if not waiting:
            return None
        return self.url(request, "sso_resume", query={"id": max(waiting, key=waiting.__getitem__)})

    def to_login(self, request: Request) -> Response:
        """The sign-in page, then back here (``next``).

        A form posted after the sign-in ended keeps its values for its page; a page
        whose kept values wait for it says so ("Sesi Anda berakhir …")."""
        if request.method == "POST" and FORM_PAGE_SCOPE_KEY in request.scope:
            back = self.form_page(request)
            kept = self._kept_values(request, None)
            if self.stash(request, back, [], kept, n="form.kept_resend"):
                self.flash_key(request, "error", "form.session_ended")
            else:  # a session too full to keep the form: say no more than is true
                self.flash_key(request, "error", "errors.sign_in")
        elif self.stash_waits(request):
            back = request.url.path
            self.flash_key(request, "error", "form.session_ended")
        else:
            back = ""
            self.flash_key(request, "error", "errors.sign_in")
        if back and back != self.url(request, "login"):
            return RedirectResponse(self.url(request, "login", query={"next": back}), 303)
        return self.redirect(request, "login")
