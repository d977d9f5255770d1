"""The board's URLs: its own views, and SIAPkerja-ID's pages and API under ``/siapkerja/``."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("lamaran/saya", views.my_applications, name="my-applications"),
    path("laporan/penempatan", views.placements, name="placements"),
    path("siapkerja/", include("siapkerja_adapters.integrations.django.urls")),
]
