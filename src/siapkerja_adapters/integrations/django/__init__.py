"""Django: an app for ``INSTALLED_APPS`` serving the pages and the JSON API under a prefix.

::

    # settings.py
    INSTALLED_APPS = [..., "siapkerja_adapters.integrations.django"]
    MIDDLEWARE = [..., "siapkerja_adapters.integrations.django.middleware.ProblemMiddleware"]
    SIAPKERJA = {"path": "/siapkerja", "public_url": "https://portal.example.go.id",
                 "storage": "sql", "database_url": "postgresql://…", "secret_key": "…"}

    # urls.py
    urlpatterns = [..., path("siapkerja/", include("siapkerja_adapters.integrations.django.urls"))]

This package owns the app (:mod:`.apps`), its URLs (:mod:`.urls`), the view
that hands a request to the pages (:mod:`.views`), the problem middleware
(:mod:`.middleware`), ``manage.py siapkerja …`` (the ``siapkerja`` command
line, with the project's settings), and, here, :func:`embedded` (the pages
built once from ``settings.SIAPKERJA``), :func:`current_holder` and
:func:`require_scope` for the project's own views.

``settings.SIAPKERJA``: ``path`` (where ``urls.py`` includes the app; default
``/siapkerja``, for the check of ``card_base_url``), ``public_url``, ``dev``
(default ``DEBUG``), ``profile`` and ``config``; every other key is a setting
of ``connect()`` by its lower-case name (``storage``, ``secret_key`` …).
It works under ``manage.py runserver`` and any WSGI server (the view is a
plain Django view) and under ASGI (Django runs it in a thread).

Importing the app's modules needs Django and a2wsgi (``pip install 'siapkerja[django]'``).
"""

from __future__ import annotations

import threading
from typing import Any

from siapkerja_core.disclosure import Verifier
from siapkerja_core.views import Account

from .._embedded import Embedded, check_scope

__all__ = ["SETTING", "asgi_application", "current_holder", "embedded", "require_scope", "reset"]

SETTING = "SIAPKERJA"
"""The name of the Django setting read."""

_lock = threading.Lock()
_built: Embedded | None = None


def embedded() -> Embedded:
    """The pages and API, built once per process from ``settings.SIAPKERJA``.

    :raises MountMismatch: ``card_base_url`` does not open under ``path``
        (outside development mode).
    """
    global _built
    with _lock:  # two first requests in two threads must not build two services
        if _built is None:
            from django.conf import settings

            _built = Embedded.from_settings(
                dict(getattr(settings, SETTING, {})), dev=bool(settings.DEBUG)
            )
        return _built


def asgi_application(django_application: Any | None = None) -> Any:
    """Django's ASGI application with the prefix routed to the pages before Django.

    For a busy ASGI deployment: Django runs synchronous views one at a time,
    so here the pages' requests never reach a Django view. The pages are
    :func:`embedded`'s, so ``current_holder`` in Django's views reads their
    cookie, and the prefix is ``SIAPKERJA["path"]``.

    :param django_application: ``django.core.asgi.get_asgi_application()`` when ``None``.
    """
    from siapkerja_adapters.web.integrations import PrefixDispatcher

    if django_application is None:
        from django.core.asgi import get_asgi_application

        django_application = get_asgi_application()
    pages = embedded()
    return PrefixDispatcher(pages.path, pages.app, django_application)


def reset(replacement: Embedded | None = None) -> None:
    """Forget the built pages (tests), or use ``replacement`` from now on."""
    global _built
    with _lock:
        _built = replacement


def current_holder(request: Any) -> Account:
    """The signed-in holder of a Django request (a bearer token, else the pages' cookie).

    The cookie's ``Path`` is the pages' prefix, so a browser sends it only to
    views below it; elsewhere send the bearer token of ``POST <path>/api/v1/sessions``.
    Blocking (a storage read): in an ``async`` view wrap it in ``sync_to_async``.

    :raises RequestError: ``authentication_required``; :raises LoginError:
        ``session_invalid`` (401 problems with :mod:`.middleware`).
    """
    pages = embedded()
    return pages.holder(
        request.headers.get("Authorization"), request.COOKIES.get(pages.cookie_name)
    )


def require_scope(request: Any, scope: str) -> Verifier:
    """The institution of the request's ``X-Verifier-Key``, if its key holds ``scope``.

    :raises RequestError: ``verifier_key_required`` (401), ``scope_required`` (403).
    :raises DisclosureError: ``unknown_verifier``, ``verifier_suspended`` (403).
    """
    return embedded().institution(request.headers.get("X-Verifier-Key"), check_scope(scope))
