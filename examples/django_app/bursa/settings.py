"""Settings of the example job board: SIAPkerja-ID in INSTALLED_APPS, configured by SIAPKERJA.

Set ``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY`` and a ``secret_key`` in
``SIAPKERJA`` (or ``SIAPKERJA_SECRET_KEY``) for anything but a try-out.
"""

from __future__ import annotations

import os

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-example-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

ROOT_URLCONF = "bursa.urls"
WSGI_APPLICATION = "bursa.wsgi.application"
ASGI_APPLICATION = "bursa.asgi.application"
INSTALLED_APPS = ["siapkerja_adapters.integrations.django"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # current_holder() / require_scope() failures as problem documents.
    "siapkerja_adapters.integrations.django.middleware.ProblemMiddleware",
]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LANGUAGE_CODE = "id"
TIME_ZONE = "Asia/Jakarta"

# SIAPkerja-ID: where urls.py includes it, where people reach this site (the card's QR
# codes open at public_url/siapkerja/v/...), and any setting of connect() by name.
SIAPKERJA = {
    "path": "/siapkerja",
    "public_url": os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000"),
    # A try-out keeps everything in memory; "default" is the embedded SQLite file.
    "profile": os.environ.get("SIAPKERJA_PROFILE", "memory"),
    # Any setting of connect() by its name (None: left to SIAPKERJA_* and the defaults).
    # manage.py siapkerja … reads the same, so a key it prints works on the site.
    "database_url": os.environ.get("BURSA_DATABASE_URL"),
    "secret_key": os.environ.get("BURSA_SECRET_KEY"),
}
