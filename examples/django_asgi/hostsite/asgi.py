"""ASGI entry point: ``/siapkerja/...`` goes to the SIAPkerja-ID pages, the rest to Django.

Run it (with ``DJANGO_DEBUG=1``, the default here, in development mode: SMS
codes appear at ``/siapkerja/dev/outbox``)::

    pip install 'siapkerja[web,django]'
    uvicorn hostsite.asgi:application               # from examples/django_asgi

The card's QR codes open at ``PUBLIC_URL/siapkerja/v/...`` (``settings.PUBLIC_URL``,
from the environment's ``PUBLIC_URL``, default ``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from siapkerja_adapters.web.integrations import PrefixDispatcher, for_django
from siapkerja_core.service import Siapkerja

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
# Set Django up before anything imports models (Django's own advice for asgi.py).
django_application = get_asgi_application()

PATH = "/siapkerja"


def make_application(
    svc: Siapkerja | None = None, *, public_url: str | None = None, dev: bool | None = None
) -> PrefixDispatcher:
    """Django with the pages under ``/siapkerja`` (development mode follows ``DEBUG``)."""
    from django.conf import settings

    return for_django(
        django_application,
        svc,
        path=PATH,
        # card_base_url set (or checked) so the card's QR opens under the mount.
        public_url=settings.PUBLIC_URL if public_url is None else public_url,
        dev=settings.DEBUG if dev is None else dev,
    )


application = make_application()
