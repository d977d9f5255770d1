"""Fixtures of the browser tests: Debian's chromium under Playwright, and a real uvicorn server.

The browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs the
Debian package), driven by Playwright for Python through
``executable_path``: Playwright's own browser downloads are never used.
Without chromium or Playwright the tests are skipped with the reason; with
``SIAPKERJA_REQUIRE_SERVICES=1`` (CI) they fail instead.

The server is uvicorn in a background thread on ``127.0.0.1`` and an
ephemeral port, serving ``create_app`` in development mode over the
``memory`` profile, its ``card_base_url`` pointing at itself so the card's QR
code opens on this server.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja

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
    if os.environ.get("SIAPKERJA_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (required: SIAPKERJA_REQUIRE_SERVICES=1)")
    pytest.skip(f"{reason}; the browser tests need Debian's chromium and Playwright for Python")


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


class LiveServer:
    """uvicorn in a background thread, serving ``app`` on an already bound socket."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self._sock = sock
        config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none")
        self.server = uvicorn.Server(config)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="uvicorn-e2e", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as error:  # reported by start()/stop()
            self.error = error

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start in time")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "uvicorn did not stop"
        assert self.error is None, self.error


@pytest.fixture
def site() -> Iterator[tuple[str, Siapkerja]]:
    """(the server's base URL, its service): dev mode, memory storage, QR links to itself."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}"
    svc = connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        card_base_url=f"{url}/v/",
    )
    server = LiveServer(create_app(svc, dev=True), sock)
    server.start()
    try:
        yield url, svc
    finally:
        server.stop()
