"""A real uvicorn server in a background thread, on 127.0.0.1 and an ephemeral port.

The socket is bound here, before the application is built, so the
application may know its own URL (a card's QR code that opens on this very
server). :func:`live_server` is the one way the integration and browser tests
start a server; :func:`serve_memory_site` is the common case: development
mode over the ``memory`` profile, QR links pointing at the server itself.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja


class LiveServer:
    """uvicorn serving ``app`` on a socket already bound to 127.0.0.1."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self.port = port
        self._sock = sock
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, ws="none", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="uvicorn-test", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as error:  # reported by start()/stop(), not lost in the thread
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


def bound_socket() -> socket.socket:
    """A TCP socket bound to 127.0.0.1 on a port the system picks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def live_server(make_app: Callable[[str], Any]) -> Iterator[LiveServer]:
    """A started server whose application ``make_app(base_url)`` builds; stopped afterwards."""
    sock = bound_socket()
    host, port = sock.getsockname()[:2]
    server = LiveServer(make_app(f"http://{host}:{port}"), sock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def memory_service(base_url: str) -> Siapkerja:
    """The ``memory`` profile with fast hashing, its card links under ``base_url/v/``."""
    return connect(
        "memory",
        environ={},
        hasher=PasswordHasher.fast_for_tests(),
        card_base_url=f"{base_url}/v/",
    )


@contextlib.contextmanager
def serve_memory_site() -> Iterator[tuple[LiveServer, Siapkerja]]:
    """(the started server, its service): dev mode, memory storage, QR links to itself."""
    services: list[Siapkerja] = []

    def make_app(base_url: str) -> Any:
        services.append(memory_service(base_url))
        return create_app(services[0], dev=True)

    with live_server(make_app) as server:
        yield server, services[0]


@contextlib.contextmanager
def wsgi_server(make_app: Callable[[str], Any]) -> Iterator[str]:
    """werkzeug's threaded WSGI server on 127.0.0.1 and a free port; its URL.

    ``make_app`` gets the URL first, so the application can know its own address.
    """
    from werkzeug.serving import make_server

    built: list[Any] = []

    def app(environ: Any, start_response: Any) -> Any:
        return built[0](environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    built.append(make_app(url))
    thread = threading.Thread(target=server.serve_forever, name="wsgi-test", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(10)


@contextlib.contextmanager
def until_up(
    process: subprocess.Popen[bytes], url: str, log: Path, is_up: Callable[[str], bool]
) -> Iterator[str]:
    """Wait until ``is_up(url)`` (polling, 60 s at most), yield ``url``, and stop ``process``
    at the end (terminated, killed after 10 s). ``log`` is what the failure messages show.

    A server the test started in a subprocess: no assertion here is timed.
    """
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"{process.args!r} exited: {log.read_text()}")
            if is_up(url):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{process.args!r} did not start: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
