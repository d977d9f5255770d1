"""What every page of the hub shows: its name (in the title and the header)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def hub(request: HttpRequest) -> dict[str, str]:
    """``name`` for rpsite/base.html, on every page (the local sign-in, the errors too)."""
    return {"name": settings.SIAPKERJA["name"]}
