"""The error pages: an HTTP error's page, and the last-resort 500 page.

This module owns what a visitor sees when no screen answers: the page of an
:class:`~starlette.exceptions.HTTPException` (404, 405, the CSRF check's
403, the body limit's 413 …), the page of a storage fault no screen handled
(503 or 500 with the fault's message) and the 500 page the security-headers layer
sends when an exception escapes a page (it shows nothing of the failure).
A refused scan token has its own page (:mod:`.scan`).

Two refusals are not error pages: a form sent with a stale CSRF token (not a
cross-site one) keeps its values and goes back to its page, and a text field
over the part limit is refused at its field, the rest of the form kept
(:class:`~.site.Site`'s form stash). A body over the body limit is the 413
page: nothing of it was read, so nothing is kept, and the page says so.
"""

from __future__ import annotations

import logging
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from siapkerja_adapters.web.i18n import DEFAULT_LANGUAGE, Translator, select_language
from siapkerja_adapters.web.pages.forms import page_status
from siapkerja_adapters.web.pages.site import FieldsTooLong, Site
from siapkerja_adapters.web.problems import logged_traceback
from siapkerja_adapters.web.security import MAX_BODY_BYTES, CsrfError
from siapkerja_core.ports import StorageError

__all__ = ["ErrorPages"]

logger = logging.getLogger("siapkerja.web")

_STATUS_MESSAGES: Final = {
    403: "errors.csrf",
    404: "errors.not_found",
    405: "errors.method",
    413: "form.body_too_large",
}


class ErrorPages:
    """The pages of HTTP errors and of unexpected failures."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """The page of an :class:`HTTPException` (404, 405, 403 CSRF, 413 …)."""
        if isinstance(exc, CsrfError) and exc.stale:
            kept = self.site.keep_stale_form(request)
            if kept is not None:
                return kept
        if isinstance(exc, FieldsTooLong):
            return self.site.fields_too_long(request, exc.names)
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        key = _STATUS_MESSAGES.get(
            status, "errors.bad_request" if status < 500 else "errors.server"
        )
        if isinstance(exc, CsrfError):
            key = "errors.csrf"
        headers = dict(getattr(exc, "headers", None) or {})
        t = Translator(select_language(request))
        params = {"max_mb": MAX_BODY_BYTES // 2**20} if status == 413 else {}
        return self.site.render(
            request,
            "error.html",
            {"title": t("errors.title"), "message": t(key, **params)},
            status=status,
            headers=headers,
        )

    async def storage_error(self, request: Request, exc: Exception) -> Response:
        """The page of a storage fault that escaped a page (``storage.unavailable``: 503
        with ``Retry-After``; ``storage.corrupt`` and the other server faults: 500), with
        the fault's own message, rendered as an answer of the application rather than the
        last-resort page: the server keeps the connection, nothing of the fault is shown
        but its message, and it is logged once, without a traceback for a stored value
        that does not read (whose text may quote it; the storage logged its table)."""
        assert isinstance(exc, StorageError)  # registered for StorageError only
        status, headers = page_status(exc, self.site.svc.now())
        traceback = logged_traceback(exc)
        if traceback is not None:  # storage.corrupt: the storage logged it
            logger.error("storage fault on a page: %s", exc, exc_info=traceback)
        lang = select_language(request)
        t = Translator(lang)
        return self.site.render(
            request,
            "error.html",
            {"title": t("errors.title"), "message": exc.message(lang)},
            status=status,
            headers=headers,
        )

    async def error_page(self, scope: Scope) -> tuple[int, str]:
        """The last-resort 500 page (an exception escaped a page)."""
        request = Request(scope)
        lang = select_language(request) if "session" in scope else DEFAULT_LANGUAGE
        context = self.site.context(request, lang)
        t = context["t"]
        context.update({"title": t("errors.title"), "message": t("errors.server")})
        return 500, self.site.templates.get_template("error.html").render(context)
