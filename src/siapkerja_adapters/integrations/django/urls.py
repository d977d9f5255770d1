"""The URLs to ``include()`` at the prefix: every path below it goes to the pages and API.

``path("siapkerja/", include("siapkerja_adapters.integrations.django.urls"))``.
"""

from __future__ import annotations

from django.urls import re_path

from .views import pages

app_name = "siapkerja"

# One pattern for everything below the prefix: the pages route the rest themselves.
# (?s): a path with an encoded newline reaches the pages too (their 404 or the API's
# problem), not Django's.
urlpatterns = [re_path(r"(?s)^(?P<rest>.*)\Z", pages, name="pages")]
