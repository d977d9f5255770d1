"""The web binding: an ASGI application factory for the SIAPkerja-ID pages.

``create_app()`` builds a Starlette application over one service facade —
the brief's screens (sign-in, *Daftar*, *Verifikasi*, profile, card, the
scanned profile), Indonesian first with an English switch — behind a signed
session cookie, CSRF checks and strict security headers. Nothing is built at
import: call the factory (``uvicorn --factory siapkerja_adapters.web:create_app``).

The binding needs the ``web`` extra; without it importing this package
fails with an :class:`ImportError` that names it, in both languages.
"""

from __future__ import annotations

import importlib.util
import logging
import secrets
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any, Final

_EXTRA_HINT: Final = (
    "Antarmuka web siapkerja memerlukan paket tambahan: pip install 'siapkerja[web]'"
    " (Starlette, FastAPI, Jinja2, python-multipart, Authlib). / The siapkerja web binding"
    " needs its extra: pip install 'siapkerja[web]' (Starlette, FastAPI, Jinja2,"
    " python-multipart, Authlib)."
)

try:
    import authlib  # noqa: F401 - the OpenID Connect provider is built on Authlib
    import fastapi  # noqa: F401 - the JSON API is a FastAPI application
    import jinja2
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.exceptions import ExceptionMiddleware
    from starlette.routing import BaseRoute, Mount
    from starlette.templating import Jinja2Templates
    from starlette.types import Scope
except ImportError as exc:  # pragma: no cover - exercised by a test that hides the modules
    missing = f" [{exc.name} tidak terpasang / is not installed]" if exc.name else ""
    raise ImportError(_EXTRA_HINT + missing, name=exc.name) from exc
if (
    importlib.util.find_spec("python_multipart") is None
    and importlib.util.find_spec("multipart") is None
):  # pragma: no cover - Starlette imports it lazily; fail here, not at the first form
    raise ImportError(
        _EXTRA_HINT + " [python-multipart tidak terpasang / is not installed]",
        name="python_multipart",
    )

from siapkerja_adapters.connect import connect  # noqa: E402
from siapkerja_adapters.web.api import api_router, create_api_app  # noqa: E402
from siapkerja_adapters.web.api.prefill import schema_route  # noqa: E402
from siapkerja_adapters.web.api.rights import export_schema_route  # noqa: E402
from siapkerja_adapters.web.api.routing import any_character  # noqa: E402
from siapkerja_adapters.web.branding import (  # noqa: E402
    branding_globals,
    branding_loader,
    deployment_branding,
    image_origins,
    static_files,
    theme_route,
)
from siapkerja_adapters.web.fast_scan import AnonymousScanRoute  # noqa: E402
from siapkerja_adapters.web.pages import Pages  # noqa: E402
from siapkerja_adapters.web.pages.forms import form_kit, time_element  # noqa: E402
from siapkerja_adapters.web.problems import (  # noqa: E402
    RequestError,
    negotiate_language,
    problem_response,
)
from siapkerja_adapters.web.routing import IndexedRouter  # noqa: E402
from siapkerja_adapters.web.security import (  # noqa: E402
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    FrontMiddleware,
    SessionMiddleware,
    content_security_policy,
    parse_trusted_hosts,
)
from siapkerja_adapters.web.sso import SsoProvider  # noqa: E402
from siapkerja_adapters.web.threads import MAX_SCAN_THREADS, WorkerThreads  # noqa: E402
from siapkerja_adapters.webauthn import configure_passkeys  # noqa: E402
from siapkerja_core.errors import ConfigurationError  # noqa: E402
from siapkerja_core.names import isolated  # noqa: E402
from siapkerja_core.ports import StorageError  # noqa: E402
from siapkerja_core.service import Siapkerja  # noqa: E402
from siapkerja_core.settings import Branding, check_secret  # noqa: E402
from siapkerja_core.wording import size_text  # noqa: E402

__all__ = ["MAX_BODY_BYTES", "api_router", "create_app"]

logger = logging.getLogger("siapkerja.web")

_HERE: Final = Path(__file__).resolve().parent


def _session_secret(svc: Siapkerja, secret_key: str | None, dev: bool) -> str:
    configured = secret_key or svc.settings.get("secret_key")
    if configured:
        return check_secret("secret_key", configured)  # the settings' one rule
    if not dev:
        raise ConfigurationError(
            "invalid",
            name="secret_key",
            reason="the web pages sign their session cookie with it: set secret_key"
            " (SIAPKERJA_SECRET_KEY) or pass create_app(secret_key=...); dev=True makes a"
            " random one",
        )
    logger.warning(
        "siapkerja web: no secret_key set; using a random one for this process (dev mode)."
        " Sessions and API registrations (their X-Registration-Secret) end when it restarts"
        " and cannot be shared between workers, and single sign-on client secrets registered"
        " with 'siapkerja clients' fail (invalid_client): export the same SIAPKERJA_SECRET_KEY"
        " to both."
    )
    return secrets.token_urlsafe(32)


def _base_path(base_path: str) -> str:
    cleaned = base_path.strip().rstrip("/")
    if cleaned and not cleaned.startswith("/"):
        raise ConfigurationError(
            "invalid", name="base_path", reason="a path starting with '/', e.g. '/siapkerja'"
        )
    return cleaned


def _trusted_hosts(
    svc: Siapkerja, trusted_hosts: str | Sequence[str] | None, dev: bool
) -> tuple[str, ...]:
    patterns = parse_trusted_hosts(
        trusted_hosts if trusted_hosts is not None else svc.settings.get_str("trusted_hosts")
    )
    if not patterns and not dev:
        logger.warning(
            "siapkerja web: trusted_hosts is not set; every Host header is accepted. Set"
            " trusted_hosts (SIAPKERJA_TRUSTED_HOSTS) to the names the site is served under."
        )
    return patterns


def _host_refusal(api_prefix: str) -> Any:
    """An untrusted ``Host``: a problem document under the API, a bilingual page elsewhere."""

    async def refuse(scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path = f"{scope.get('root_path', '')}{scope.get('path', '')}"
        error = RequestError("untrusted_host")
        if path == api_prefix or path.startswith(api_prefix + "/"):
            response = problem_response(error, negotiate_language(headers.get("accept-language")))
            return response.status_code, response.raw_headers, bytes(response.body)
        text = " / ".join(escape(error.message(lang)) for lang in ("id", "en"))
        body = f'<!doctype html><html lang="id"><meta charset="utf-8"><title>400</title><p>{text}'
        return 400, [(b"content-type", b"text/html; charset=utf-8")], body.encode("utf-8")

    return refuse


def _labels(members: Any, lang: str) -> list[tuple[str, str]]:
    """A labelled enum as (value, label) pairs for a ``<select>``."""
    return [(member.value, member.label(lang)) for member in members]


def _templates(look: Branding | None = None, *, auto_reload: bool = True) -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=branding_loader(look.templates_dirs if look is not None else ()),
        # Outside dev mode each template is compiled once and never checked against its
        # file again (a stat per template, per render, with the default).
        auto_reload=auto_reload,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["map_labels"] = _labels
    environment.filters["local_time"] = time_element  # a moment in the holder's zone
    environment.filters["size_text"] = size_text  # "2 MB", "1,5 MB": a file size in words
    environment.filters["isolated"] = isolated  # a holder's text in the app's words, no markup
    # The form macros, imported once without context, bound to a page's token, errors and
    # translator: {% set f = form_kit(csrf_token, errors, t, help_url) %}.
    environment.globals["form_kit"] = form_kit
    # The deployment's name, logo, colours and links, as globals: every page has them
    # without each page's context carrying them.
    environment.globals.update(branding_globals(look or Branding()))
    return Jinja2Templates(env=environment)


def create_app(
    svc: Siapkerja | None = None,
    *,
    dev: bool = False,
    secret_key: str | None = None,
    base_path: str = "",
    trusted_hosts: str | Sequence[str] | None = None,
    templates_dir: str | Path | Sequence[str | Path] | None = None,
    static_dir: str | Path | None = None,
) -> Starlette:
    """The web pages over ``svc`` as a Starlette (ASGI) application.

    :param svc: the service facade; ``connect()`` (settings from the
        environment and ``$SIAPKERJA_CONFIG``) when ``None``.
    :param dev: development mode: the SMS outbox page (``/dev/outbox``) and
        banner, and a random session secret when none is configured.
    :param secret_key: the session cookie's signing secret (at least 16 bytes);
        defaults to the service's ``secret_key`` setting.
    :param base_path: a prefix for every page (``"/siapkerja"``), for a server
        that does not mount the application itself.
    :param trusted_hosts: the host names the site answers to (``"a.example,
        *.b.example"`` or a list; ``*`` is any); another ``Host`` is a 400.
        Defaults to the service's ``trusted_hosts`` setting; unset, every host
        is accepted (a warning outside dev mode). Redirects never repeat the
        ``Host`` either way: they say only the path.
    :param templates_dir: one or more directories of templates searched before
        the package's (an own ``base.html``, any page); the package's stay
        reachable as ``siapkerja/<name>``. Defaults to the ``templates_dir``
        setting. See docs/branding.md.
    :param static_dir: a directory whose files shadow the package's static
        files (``logo.svg``, ``favicon.svg``, …). Defaults to ``static_dir``.
    :raises ConfigurationError: ``config.invalid`` for a missing (outside dev
        mode) or short secret, or a malformed ``base_path``; the branding
        settings' errors (``config.bad_colour``, ``config.low_contrast``,
        ``config.insecure_url``, ``config.no_directory``).
    """
    service = svc if svc is not None else connect()
    configure_passkeys(service)  # passkeys when the site's public address is known
    key = _session_secret(service, secret_key, dev)
    prefix = _base_path(base_path)
    hosts = _trusted_hosts(service, trusted_hosts, dev)
    look = deployment_branding(
        service.settings, dev=dev, templates_dir=templates_dir, static_dir=static_dir
    )
    # A logo or favicon at another address: every page's policy allows images from it.
    logo_origins = image_origins(look)
    threads = WorkerThreads()  # the facade's calls, off the event loop
    # Scans in a pool of their own (a bulkhead): journey calls waiting on a hanging
    # Dukcapil or SMS gateway can fill the shared pool without making a scan wait.
    scan_threads = WorkerThreads(MAX_SCAN_THREADS)
    pages = Pages(
        service,
        _templates(look, auto_reload=dev),
        dev=dev,
        threads=threads,
        scan_threads=scan_threads,
        secret_key=key,
        image_origins=logo_origins,
    )
    routes: list[BaseRoute] = [
        *pages.routes(),
        # "Masuk dengan SIAPkerja": the OpenID Connect provider (discovery, /oauth2/...).
        *SsoProvider(pages.site).routes(),
        # The JSON API (bearer tokens, no cookies, so no CSRF): a FastAPI
        # application with its OpenAPI document at /api/v1/openapi.json.
        any_character(Mount("/api", app=create_api_app(service, threads, scan_threads))),
        theme_route(look),  # /static/theme.css: the colours, ahead of the static files
        Mount("/static", app=static_files(look, _HERE / "static"), name="static"),
        schema_route(),  # the prefill document's JSON Schema
        export_schema_route(),  # the holder's data export's JSON Schema (rights)
    ]
    if prefix:
        routes = [any_character(Mount(prefix, routes=routes))]
    # Every route but one lives behind the session, body-limit and exception
    # layers; the first route takes a phone opening a card (no cookie, no
    # query), which needs none of them, ahead of them.
    # Every Mount takes every path below it, newlines included (any_character): an
    # /api path with %0A must reach the API's problems, not fall out to the pages' 404.
    behind_session = any_character(
        Mount(
            "",
            # Static page paths found by a dict lookup, not ~40 regular expressions in turn.
            app=IndexedRouter(routes),
            middleware=[
                Middleware(
                    SessionMiddleware,
                    secret_key=key,
                    max_age=int(service.policy.session_ttl.total_seconds()),
                    base_path=prefix,
                ),
                Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES),
                Middleware(ExceptionMiddleware, handlers={HTTPException: pages.errors.http_error}),
            ],
        )
    )
    # The phone opening a card is answered by the front layer itself (fast_route); the
    # router keeps the same route first, for url_for and for a scope the front layer
    # did not see.
    anonymous_scan = AnonymousScanRoute(pages.scan, base_path=prefix)
    app = Starlette(
        routes=[anonymous_scan, behind_session],
        middleware=[
            # Trusted hosts, relative redirects, the application's own URLs and the
            # security headers: one layer (security.FrontMiddleware), the same checks.
            Middleware(
                FrontMiddleware,
                trusted_hosts=hosts,
                refusal=_host_refusal(prefix + "/api"),
                cacheable=(f"{prefix}/static/",),
                error_page=pages.errors.error_page,
                policy=content_security_policy(image_origins=logo_origins),
                fast_route=anonymous_scan,
            ),
        ],
        exception_handlers={
            HTTPException: pages.errors.http_error,
            StorageError: pages.errors.storage_error,
        },
    )
    app.state.siapkerja = service
    app.state.dev = dev
    return app
