"""The host project's own pages: the SIAPkerja-ID pages are routed in ``asgi.py``, not here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "Bursa kerja daerah (Django). SIAPkerja: /siapkerja/",
        content_type="text/plain; charset=utf-8",
    )


urlpatterns = [path("", home, name="home")]
