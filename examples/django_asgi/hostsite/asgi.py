"""ASGI entry point: ``/siapkerja/...`` goes to the SIAPkerja-ID pages, the rest to Django.

Run it (with ``DJANGO_DEBUG=1``, the default here, in development mode: SMS
codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web,django]'
    uvicorn hostsite.asgi:application               # from examples/django_asgi
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from siapkerja_adapters import connect
from siapkerja_adapters.web.integrations import PrefixDispatcher, for_django
from siapkerja_core.service import Siapkerja

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
# Set Django up before anything imports models (Django's own advice for asgi.py).
django_application = get_asgi_application()


def make_application(svc: Siapkerja | None = None, *, dev: bool | None = None) -> PrefixDispatcher:
    """Django with the pages under ``/siapkerja`` (development mode follows ``DEBUG``)."""
    from django.conf import settings

    if svc is None:
        # The embedded default; the card's QR links open under the mount point.
        base = os.environ.get("SIAPKERJA_CARD_BASE_URL", "http://127.0.0.1:8000/siapkerja/v/")
        svc = connect(card_base_url=base)
    return for_django(
        django_application,
        svc,
        path="/siapkerja",
        dev=settings.DEBUG if dev is None else dev,
    )


application = make_application()
