"""What every screen shares: the facade, the templates, the session and the routes' shape.

This module owns :class:`Site` — the service facade, the Jinja2 templates,
the worker threads facade calls run in, and the glue every screen uses: the
template context (language, CSRF token, flash messages, links below the
mount point), rendering, redirects, flash messages, the signed-in account
kept in the session, and a form shown again with its error — and the
shape of a screen's routes (:func:`get_route`, :func:`post_route`: every
POST passes the CSRF check first).

Every page works without JavaScript. Forms post back to their own address
and answer with a redirect on success (post/redirect/get) or with the same
form, the error summary announced (``role="alert"``) and each error tied to
its field. Calls into the facade run in a worker thread: password hashing
and storage must not block the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any, Final, TypeVar
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from siapkerja_adapters.web.i18n import DEFAULT_LANGUAGE, Translator, select_language
from siapkerja_adapters.web.pages.forms import FormErrors, page_status
from siapkerja_adapters.web.security import (
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
    "FLASH_KEY",
    "REGISTRATION_KEY",
    "RESET_KEY",
    "SSO_KEY",
    "SSO_LOGOUT_KEY",
    "SSO_PENDING_TTL",
    "Endpoint",
    "Site",
    "get_route",
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
_FORM_PART_BYTES: Final = 4 * MAX_DESCRIPTION_LENGTH
"""The largest text field of a form (400 above): the longest text a page takes, a
description, in UTF-8's widest characters. A form is flat (at most 200 fields, no
nesting); its uploads are limited by the body limit and the photo's own."""


def get_route(path: str, endpoint: Endpoint, name: str) -> Route:
    """A GET page."""
    return Route(path, endpoint, methods=["GET"], name=name)


def post_route(path: str, endpoint: Endpoint, name: str, *, files: int = 0) -> Route:
    """A form's POST, CSRF-checked before ``endpoint`` reads it; ``files`` uploads at most."""

    async def protected(request: Request) -> Response:
        try:
            await verify_csrf(request, max_files=files, max_part_size=_FORM_PART_BYTES)
            return await endpoint(request)
        finally:
            await request.close()  # an uploaded file's temporary file

    return Route(path, protected, methods=["POST"], name=name)


class Site:
    """The facade, the templates and the glue every screen uses.

    :param svc: the service facade.
    :param templates: the Jinja2 templates (autoescaped).
    :param dev: development mode (the SMS outbox page and banner).
    :param threads: the worker threads facade calls run in (a pool of its own if ``None``).
    :param scan_threads: the worker threads scans run in (default: ``threads``).
    """

    def __init__(
        self,
        svc: Siapkerja,
        templates: Jinja2Templates,
        *,
        dev: bool = False,
        threads: WorkerThreads | None = None,
        scan_threads: WorkerThreads | None = None,
    ) -> None:
        self.svc = svc
        self.templates = templates
        self.dev = dev
        self.threads = threads if threads is not None else WorkerThreads()
        self.scan_threads = scan_threads if scan_threads is not None else self.threads

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
        """The path of route ``name`` (mount point and base path included), with ``query``."""
        path = request.url_for(name, **params).path
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
        answer = dict(headers or {})
        targets = self.sso_form_targets(request)
        if targets and "Content-Security-Policy" not in answer:
            answer["Content-Security-Policy"] = content_security_policy(targets)
        return self.templates.TemplateResponse(
            request, template, full, status_code=status, headers=answer
        )

    def form_error(
        self,
        request: Request,
        template: str,
        error: SiapkerjaError,
        context: Mapping[str, Any],
        *,
        form_fields: Iterable[str] = (),
        rename: Mapping[str, str] | None = None,
    ) -> Response:
        """The form again, with ``error`` in the summary and on its field, and its status."""
        status, headers = page_status(error, self.svc.now())
        errors = FormErrors()
        if status == 500:
            logger.error("server-side error on a page: %s", error, exc_info=error)
            errors.add(Translator(select_language(request))("errors.server"))
        else:
            errors.add_error(error, select_language(request), form_fields, rename)
        return self.render(
            request, template, {**context, "errors": errors}, status=status, headers=headers
        )

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

    def sign_in(self, request: Request, account: Account) -> None:
        """A new session (a new CSRF token) holding ``account``'s core session.

        A single sign-on request under way stays (it brought the holder here), and the
        time of the sign-in is kept (``auth_time``)."""
        if account.session is None:  # the facade always opens one on login and confirm
            raise RuntimeError("the account came back without a session")
        new_session(request.session, keep=("lang", SSO_KEY))
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
        self.flash_key(request, "error", "errors.sign_in")
        return self.redirect(request, "login")
