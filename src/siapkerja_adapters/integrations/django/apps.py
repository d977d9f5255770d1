"""The Django app configuration (``INSTALLED_APPS``: ``siapkerja_adapters.integrations.django``)."""

from __future__ import annotations

from django.apps import AppConfig


class SiapkerjaConfig(AppConfig):
    """SIAPkerja-ID: no models (the service keeps its own storage), pages, API, commands."""

    name = "siapkerja_adapters.integrations.django"
    label = "siapkerja"
    verbose_name = "SIAPkerja-ID"
