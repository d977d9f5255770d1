"""Flask: the ``Siapkerja`` extension (``Siapkerja(app)`` or ``init_app(app)``).

::

    from flask import Flask
    from siapkerja_adapters.integrations.flask import Siapkerja, current_holder

    app = Flask(__name__)
    app.config["SIAPKERJA_PUBLIC_URL"] = "https://portal.example.go.id"
    siapkerja = Siapkerja(app)             # or Siapkerja() … siapkerja.init_app(app)

    @app.get("/lowongan/saya")
    def mine():
        return {"name": current_holder().full_name}

This module owns :class:`Siapkerja`, :func:`current_holder` and
:func:`require_scope`. The pages and the JSON API (one ASGI application,
through a2wsgi) are dispatched under ``SIAPKERJA_PATH`` by werkzeug's
``DispatcherMiddleware`` in front of the Flask application, so ``flask run``,
any WSGI server and ``app.test_client()`` serve them. Configuration is
``app.config``: ``SIAPKERJA_PATH`` (default ``/siapkerja``),
``SIAPKERJA_PUBLIC_URL``, ``SIAPKERJA_DEV`` (default ``app.debug``), and
every other ``SIAPKERJA_<KEY>`` is the setting ``<key>`` of ``connect()``
(``SIAPKERJA_STORAGE``, ``SIAPKERJA_SECRET_KEY`` …), as in the environment.
The holder and the institution are checked as the JSON API checks them; a
:class:`~siapkerja_core.errors.SiapkerjaError` out of a view is the API's
problem document.

Importing it needs Flask and a2wsgi (``pip install 'siapkerja[flask]'``).
"""

from __future__ import annotations

from typing import Any, Final

from siapkerja_adapters.web.integrations import missing_extra

try:
    from a2wsgi import ASGIMiddleware
    from flask import Flask, Response, current_app, request
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
except ImportError as _error:  # the `flask` extra is not installed: say which to install
    raise missing_extra("flask", _error) from _error

from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.service import Siapkerja as Service
from siapkerja_core.views import Account

from ._embedded import DEFAULT_PATH, Embedded, check_scope, problem_parts

__all__ = ["CONFIG_PREFIX", "Siapkerja", "current_holder", "require_scope"]

CONFIG_PREFIX: Final = "SIAPKERJA_"
EXTENSION: Final = "siapkerja"
"""The key of ``app.extensions`` holding the extension."""


class Siapkerja:
    """The Flask extension: the pages and API under a prefix, the holder in views.

    :param app: the application (or call :meth:`init_app` later).
    :param svc: the service facade; when ``None``, built by ``connect()`` from
        the ``SIAPKERJA_*`` keys of ``app.config``.
    """

    def __init__(self, app: Flask | None = None, svc: Service | None = None) -> None:
        self.svc = svc
        self.embedded: Embedded | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Build the pages from ``app.config`` and dispatch ``SIAPKERJA_PATH`` to them.

        :raises MountMismatch: ``card_base_url`` does not open under the path
            (outside development mode).
        """
        # connect()'s keyword arguments plus the mount's own (path, public_url, dev).
        options: dict[str, Any] = {
            key[len(CONFIG_PREFIX) :].lower(): value
            for key, value in app.config.items()
            if key.startswith(CONFIG_PREFIX)
        }
        options.setdefault("dev", app.debug)
        if self.svc is None:
            embedded = Embedded.from_settings(options)
        else:
            embedded = Embedded(
                self.svc,
                path=str(options.get("path", DEFAULT_PATH)),
                public_url=options.get("public_url"),
                dev=bool(options["dev"]),
                secret_key=options.get("secret_key"),
            )
        self.embedded = embedded  # the last application's, for a one-application project
        # Per application (the factory pattern: one extension object, many applications).
        app.extensions[EXTENSION] = embedded
        # Flask stays the entry point: flask run, WSGI servers and test_client() see both.
        app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
            app.wsgi_app, {embedded.path: ASGIMiddleware(embedded.app)}
        )
        app.register_error_handler(SiapkerjaError, _problem)

    @property
    def service(self) -> Service:
        """The service facade of the current application's pages."""
        return _embedded().svc


def _embedded() -> Embedded:
    found = current_app.extensions.get(EXTENSION)
    if not isinstance(found, Embedded):
        raise RuntimeError(
            "Siapkerja(app) / init_app(app) was not called on this application"
            " / ekstensi Siapkerja belum dipasang pada aplikasi ini"
        )
    return found


def _problem(error: SiapkerjaError) -> Response:
    status, headers, body = problem_parts(error, request.headers.get("Accept-Language"))
    return Response(body, status=status, headers=headers)


def current_holder() -> Account:
    """The signed-in holder of the current request (a bearer token, else the pages' cookie).

    The cookie's ``Path`` is the pages' prefix, so a browser sends it only to
    views below it; elsewhere send the bearer token of ``POST <path>/api/v1/sessions``.

    :raises RequestError: ``authentication_required`` (shown as a 401 problem).
    :raises LoginError: ``session_invalid`` (a 401 problem).
    """
    embedded = _embedded()
    return embedded.holder(
        request.headers.get("Authorization"), request.cookies.get(embedded.cookie_name)
    )


def require_scope(scope: str) -> Verifier:
    """The institution of the request's ``X-Verifier-Key``, if its key holds ``scope``.

    :raises RequestError: ``verifier_key_required`` (401), ``scope_required`` (403).
    :raises DisclosureError: ``unknown_verifier``, ``verifier_suspended`` (403).
    :raises ConfigurationError: ``config.invalid`` for a scope no institution can hold.
    """
    return _embedded().institution(request.headers.get("X-Verifier-Key"), check_scope(scope))
