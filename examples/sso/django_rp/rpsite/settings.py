"""Settings of the example hub, read from the environment.

``SIAPKERJA_ISSUER``, ``RP_CLIENT_ID``, ``RP_CLIENT_SECRET``,
``RP_REDIRECT_URI`` and ``RP_POST_LOGOUT_REDIRECT_URI`` (default: the
redirect URI's origin and ``/``; both exactly as registered with
``siapkerja clients add``) configure the relying party, ``RP_NAME`` the
name its pages show; ``RP_DATABASE`` is the SQLite file (default
``db.sqlite3`` beside ``manage.py``). Outside a laptop set
``DJANGO_SECRET_KEY`` and ``DJANGO_DEBUG=0``, and serve it over HTTPS.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "django-insecure-example-only" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 on a laptop)")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", *os.environ.get("DJANGO_ALLOWED_HOSTS", "").split()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rpsite",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "rpsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "rpsite.context_processors.hub",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("RP_DATABASE", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LANGUAGE_CODE = "id"

# Sessions live in the database: Authlib keeps the pending sign-in's state,
# nonce and PKCE verifier in request.session, so they never reach the browser.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "hub_django_session"  # the provider may share the host (cookies ignore ports)
CSRF_COOKIE_NAME = "hub_django_csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"  # the provider's redirect back is a top-level GET: Lax sends it
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG

_REDIRECT_URI = os.environ.get("RP_REDIRECT_URI", "http://127.0.0.1:8002/auth/callback")
SIAPKERJA = {
    "issuer": os.environ.get("SIAPKERJA_ISSUER", "http://127.0.0.1:8000").rstrip("/"),
    "client_id": os.environ.get("RP_CLIENT_ID", ""),
    "client_secret": os.environ.get("RP_CLIENT_SECRET", ""),
    "redirect_uri": _REDIRECT_URI,
    # Where the provider's logout sends the browser back: registered with
    # `siapkerja clients add --post-logout-redirect-uri` (default: this hub's "/").
    "post_logout_redirect_uri": os.environ.get("RP_POST_LOGOUT_REDIRECT_URI")
    or "{0.scheme}://{0.netloc}/".format(urlsplit(_REDIRECT_URI)),
    "scope": os.environ.get("RP_SCOPE", "openid profile email phone"),
    "name": os.environ.get("RP_NAME", "Pelatihan Contoh (Django)"),
}
