"""A small JSON HTTP server on 127.0.0.1: the stand-in for a gateway in contract tests.

An adapter in front of a real service (an SMS or WhatsApp gateway, a
Dukcapil client) proves the contract through its real HTTP code against a
:class:`JsonHttpServer` subclass that answers as the service does:

    class FakeGateway(JsonHttpServer):
        def handle(self, request):
            return 200, {"id": f"m{len(self.requests)}"}

    with FakeGateway() as gateway:
        sender = MySender(url=gateway.url + "/send")

The server runs in a background thread on an ephemeral port, records every
request (:attr:`JsonHttpServer.requests`) and answers the next ones with an
error on demand (:meth:`JsonHttpServer.fail_next`), which is how a harness
makes the service unavailable.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from dataclasses import dataclass
from typing import Any, Self

__all__ = ["JsonHttpServer", "Received"]


@dataclass(frozen=True)
class Received:
    """One request the server received (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not)."""
        return json.loads(self.body)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

    def _serve(self) -> None:
        self.server.owner._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: JsonHttpServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up and closed: expected in tests


class JsonHttpServer:
    """A JSON HTTP server on 127.0.0.1; subclasses answer in :meth:`handle`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[Received] = []

    def handle(self, request: Received) -> tuple[int, object]:
        """The service's normal answer to ``request``: (HTTP status, JSON document)."""
        raise NotImplementedError

    # --- lifecycle ---

    def start(self) -> Self:
        """Listen on an ephemeral port of 127.0.0.1 and serve in a daemon thread."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("start() the server first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- scripting ---

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """Answer the next ``n`` requests with ``status`` and a small JSON error."""
        with self._lock:
            self._failures.extend([status] * n)

    # --- serving ---

    def _serve(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        request = Received(
            method=handler.command,
            path=handler.path,
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self._lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        document: object
        if failure is not None:
            status, document = failure, {"error": f"status {failure}"}
        else:
            status, document = self.handle(request)
        body = json.dumps(document).encode()
        with contextlib.suppress(OSError):  # the client may have given up waiting
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
