"""Fixtures of the browser tests: Debian's chromium under Playwright, and a real uvicorn server.

The browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs the
Debian package), driven by Playwright for Python through
``executable_path``: Playwright's own browser downloads are never used.
Without chromium or Playwright the tests are skipped with the reason; with
``SIAPKERJA_REQUIRE_SERVICES=1`` (CI) they fail instead.

The server is :func:`support.live_server.serve_memory_site`: uvicorn in a
background thread on ``127.0.0.1`` and an ephemeral port, serving
``create_app`` in development mode over the ``memory`` profile, its
``card_base_url`` pointing at itself so the card's QR code opens on this server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siapkerja_core.service import Siapkerja
from support.live_server import serve_memory_site
from support.services import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    unavailable(reason, remedy="the browser tests need Debian's chromium and Playwright for Python")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless chromium (the system's) under Playwright's sync API."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def site() -> Iterator[tuple[str, Siapkerja]]:
    """(the server's base URL, its service): dev mode, memory storage, QR links to itself."""
    with serve_memory_site() as (server, svc):
        yield server.url, svc
