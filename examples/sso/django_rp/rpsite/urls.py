"""The hub's routes; the callback's path is the registered redirect URI's."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import path

from rpsite import views

CALLBACK = urlsplit(settings.SIAPKERJA["redirect_uri"]).path.lstrip("/")

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.login_start, name="login"),
    path(CALLBACK, views.callback, name="callback"),
    path("masuk-lokal", views.local_login, name="local_login"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("logout", views.logout_view, name="logout"),
]
