"""WSGI entry point of the same project: the pages under ``/siapkerja`` through a2wsgi.

For a Django project served by a WSGI server (gunicorn, mod_wsgi)::

    pip install 'siapkerja[django]'
    gunicorn hostsite.wsgi:application              # from examples/django_asgi
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from siapkerja_adapters.web.integrations import WsgiPrefixDispatcher, wsgi_app

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
django_application = get_wsgi_application()

PATH = "/siapkerja"
# card_base_url = PUBLIC_URL + PATH + "/v/": the card's QR opens under the mount.
pages = wsgi_app(path=PATH, public_url=settings.PUBLIC_URL, dev=settings.DEBUG)
# The prefix to the pages, the rest to Django (no werkzeug needed).
application = WsgiPrefixDispatcher(PATH, pages, django_application)
