"""Settings of the example host project: no database, one view, development defaults.

Set ``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY`` and ``SIAPKERJA_SECRET_KEY`` for
anything but a try-out on your own machine.
"""

from __future__ import annotations

import os

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-example-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

ROOT_URLCONF = "hostsite.urls"
ASGI_APPLICATION = "hostsite.asgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LANGUAGE_CODE = "id"
TIME_ZONE = "Asia/Jakarta"

# Where people reach this site: the card's QR codes open at PUBLIC_URL/siapkerja/v/...
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
