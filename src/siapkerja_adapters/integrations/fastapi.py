"""FastAPI: the JSON API as the host's own routes, the pages beside them, and two dependencies.

::

    from fastapi import Depends, FastAPI
    from siapkerja_adapters.integrations.fastapi import CurrentHolder, install, require_scope

    app = FastAPI()
    install(app, path="/siapkerja", public_url="https://portal.example.go.id")

    @app.get("/lowongan/saya")
    def mine(holder: CurrentHolder) -> dict[str, str]:
        return {"name": holder.full_name}

    @app.get("/laporan", dependencies=[Depends(require_scope("disnaker"))])
    def report() -> dict[str, str]: ...

This module owns :func:`install`, :func:`current_holder` (with
:data:`CurrentHolder`) and :func:`require_scope`. The holder is the one the
JSON API would see: a bearer token (``POST <path>/api/v1/sessions``) or the
pages' session cookie, checked by ``svc.authenticate``; an institution is the
one of ``X-Verifier-Key``, checked by ``svc.verifier``. Their failures (and
any :class:`~siapkerja_core.errors.SiapkerjaError` a host route lets out)
are the API's ``application/problem+json`` documents.

Importing it needs FastAPI (``pip install 'siapkerja[web]'``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from siapkerja_adapters.web.api.common import BEARER, VERIFIER_KEY
from siapkerja_adapters.web.integrations import include_api
from siapkerja_adapters.web.problems import negotiate_language, problem_response
from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

from ._embedded import DEFAULT_PATH, Embedded, check_scope

__all__ = ["CurrentHolder", "current_holder", "embedded_of", "install", "require_scope"]


def install(
    app: FastAPI,
    svc: Siapkerja | None = None,
    *,
    path: str = DEFAULT_PATH,
    public_url: str | None = None,
    dev: bool = False,
    secret_key: str | None = None,
    tags: list[str] | None = None,
    **app_options: Any,
) -> Embedded:
    """Put the pages and the JSON API under ``path`` of ``app``; return what was built.

    The API's operations are included in the host's router at
    ``<path>/api/v1/...`` (``app.openapi()`` lists them, with their models and
    security schemes); the pages are mounted at ``path``. The host then answers
    every :class:`~siapkerja_core.errors.SiapkerjaError` with the API's problem
    document, and :func:`current_holder` / :func:`require_scope` work in its routes.

    :param svc: the service facade; when ``None``, ``connect()`` with
        ``card_base_url`` from ``public_url`` and ``path`` if ``public_url`` is given.
    :param path: the prefix, e.g. ``"/siapkerja"``.
    :param public_url: the host's public address (the card's QR opens under it).
    :param dev: development mode (``<path>/dev/outbox`` shows the SMS codes).
    :param secret_key: the session cookie's secret (default: the ``secret_key`` setting).
    :param tags: extra OpenAPI tags for the API's operations.
    :param app_options: more of :func:`~siapkerja_adapters.web.create_app`'s options.
    :raises MountMismatch: ``card_base_url`` does not open under ``path`` (outside dev mode).
    """
    embedded = Embedded(
        svc, path=path, public_url=public_url, dev=dev, secret_key=secret_key, **app_options
    )
    # The operations first: the host's routes match before the mount takes the prefix.
    include_api(app, embedded.svc, prefix=f"{embedded.path}/api", tags=tags)
    app.mount(embedded.path, embedded.app, name="siapkerja")
    app.state.siapkerja = embedded
    app.add_exception_handler(SiapkerjaError, _problem)
    return embedded


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, SiapkerjaError)  # registered for SiapkerjaError only
    return problem_response(error, negotiate_language(request.headers.get("accept-language")))


def embedded_of(request: Request) -> Embedded:
    """What :func:`install` put on the request's application.

    :raises RuntimeError: :func:`install` was not called on it (a programming error).
    """
    embedded = getattr(request.app.state, "siapkerja", None)
    if not isinstance(embedded, Embedded):
        raise RuntimeError(
            "siapkerja_adapters.integrations.fastapi.install(app) was not called on this"
            " application / install(app) belum dipanggil pada aplikasi ini"
        )
    return embedded


async def current_holder(
    request: Request, _scheme: Annotated[Any, Security(BEARER)] = None
) -> Account:
    """A dependency: the signed-in holder (bearer token, else the pages' session cookie).

    The cookie's ``Path`` is the pages' prefix, so a browser sends it only to
    routes below it; elsewhere (an app, another host route) send the bearer
    token. Failures are 401 problems: ``request.authentication_required``,
    ``login.session_invalid``.
    """
    embedded = embedded_of(request)
    return await run_in_threadpool(
        embedded.holder,
        request.headers.get("authorization"),
        request.cookies.get(embedded.cookie_name),
    )


CurrentHolder = Annotated[Account, Depends(current_holder)]
"""A route parameter whose value is the signed-in holder."""


def require_scope(scope: str) -> Callable[..., Awaitable[Verifier]]:
    """A dependency: the institution of ``X-Verifier-Key``, if its key holds ``scope``.

    ``Depends(require_scope("disnaker"))``; its value is the
    :class:`~siapkerja_core.disclosure.Verifier`. Failures are problems:
    ``request.verifier_key_required`` (401), ``disclosure.unknown_verifier``,
    ``disclosure.verifier_suspended`` and ``request.scope_required`` (403).

    :raises ConfigurationError: ``config.invalid`` for a scope no institution can hold.
    """
    wanted = check_scope(scope)

    async def institution_with_scope(
        request: Request, _key: Annotated[Any, Security(VERIFIER_KEY)] = None
    ) -> Verifier:
        embedded = embedded_of(request)
        return await run_in_threadpool(
            embedded.institution, request.headers.get("x-verifier-key"), wanted
        )

    return institution_with_scope
