"""ASGI entry point: ``uvicorn bursa.asgi:application`` (from examples/django_app)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bursa.settings")
application = get_asgi_application()
