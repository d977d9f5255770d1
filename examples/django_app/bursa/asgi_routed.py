"""ASGI entry point routing ``/siapkerja/...`` before Django.

``uvicorn bursa.asgi_routed:application`` (from examples/django_app). Django
runs synchronous views one at a time under ASGI; here the pages' requests
never wait for a Django view. ``urls.py`` may keep its ``include()``: the
prefix never reaches it.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from siapkerja_adapters.integrations.django import asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bursa.settings")
# Set Django up before anything imports models (Django's own advice for asgi.py).
django_application = get_asgi_application()
application = asgi_application(django_application)
