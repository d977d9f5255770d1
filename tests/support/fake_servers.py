"""Real HTTP servers on 127.0.0.1 that imitate Dukcapil and an SMS gateway.

Each fake is a :class:`http.server.ThreadingHTTPServer` on an ephemeral port,
started in a background thread, so the HTTP adapters are tested over real
sockets: real timeouts, real resets. A test scripts the next replies with
:meth:`FakeServer.script` — :func:`slow`, :func:`status`, :func:`malformed`,
:func:`reset`, :func:`reply` — or makes it hang (:meth:`FakeServer.hold` until
:meth:`FakeServer.release`), and reads what the server received in
:attr:`FakeServer.requests`. Without a script the server answers normally.

* :class:`FakeDukcapil` answers ``CALL_VERIFY_BY_ELEMEN`` from an
  :class:`~siapkerja_adapters.dukcapil_offline.OfflineRegistry` of the
  residents it is given, in Dukcapil's shape (verdicts ``"Sesuai (n)"`` /
  ``"Tidak Sesuai (n)"``, ``RESPONSE_CODE`` 11 for an unknown NIK and 14 for
  an inactive resident, ``quotaLimiter``), checks the credentials and counts
  a quota down (HTTP 429 once it is used up).
* :class:`FakeSmsGateway` accepts messages with a bearer token, honours the
  ``Idempotency-Key`` header (a repeated key returns the first message id and
  delivers nothing) and lists what it delivered.

A slow reply does its work first and then waits: a gateway that took the
message but answered too late is exactly the case where a retry must not
send twice.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from siapkerja_adapters.dukcapil_offline import OfflineRegistry, Resident
from siapkerja_adapters.testing.servers import Received as Recorded
from siapkerja_core.ports import VerificationRequest

__all__ = [
    "Delivered",
    "FakeDukcapil",
    "FakeServer",
    "FakeSmsGateway",
    "Fault",
    "Recorded",
    "malformed",
    "reply",
    "reset",
    "slow",
    "status",
]


@dataclass(frozen=True)
class Fault:
    """How to answer one request instead of (or on top of) the normal reply."""

    kind: Literal["slow", "status", "malformed", "reset", "reply"]
    seconds: float = 0.0
    code: int = 503
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def slow(seconds: float) -> Fault:
    """Do the normal work, then wait ``seconds`` before answering (beyond the client's timeout)."""
    return Fault("slow", seconds=seconds)


def status(code: int = 503, *, retry_after: str | None = None) -> Fault:
    """Answer with this HTTP status and a small JSON error (and a ``Retry-After``); nothing else."""
    headers = () if retry_after is None else (("Retry-After", retry_after),)
    body = json.dumps({"error": f"status {code}"}).encode()
    return Fault("status", code=code, body=body, headers=headers)


def malformed() -> Fault:
    """Answer 200 with a body that is not JSON (a truncated document)."""
    return Fault("malformed", code=200, body=b'{"content": [{"NIK": "Ses')


def reset() -> Fault:
    """Read the request, then reset the connection (RST) without any response."""
    return Fault("reset")


def reply(document: object, code: int = 200) -> Fault:
    """Answer with this JSON document (any shape) and status."""
    return Fault("reply", code=code, body=json.dumps(document).encode())


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean

    def finish(self) -> None:
        # The client went away (it timed out) or we reset the connection.
        with contextlib.suppress(OSError):
            super().finish()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and closed: expected in these tests


class FakeServer:
    """A scriptable HTTP server on 127.0.0.1 (subclasses give the normal reply)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._released.set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[Recorded] = []

    # --- lifecycle ---

    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies
        self._released.set()  # and held ones
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- scripting ---

    def script(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def fail_next(self, n: int = 1, code: int = 503) -> None:
        self.script(*(status(code) for _ in range(n)))

    def hold(self) -> None:
        """Hang: every request from now on is read, then held unanswered until :meth:`release`."""
        self._released.clear()

    def release(self) -> None:
        """Answer the held requests (normally) and stop holding new ones."""
        self._released.set()

    def clear_script(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    # --- serving ---

    def handle(self, request: Recorded) -> tuple[int, object]:
        """The normal reply: (status, JSON document)."""
        raise NotImplementedError

    def _serve(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        recorded = Recorded(
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(recorded)
            fault = self._faults.popleft() if self._faults else None
        self._released.wait(60)  # a hanging gateway (hold()), bounded for a forgetful test

        if fault is not None and fault.kind == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()  # the last reference closes in finish(): RST
            handler.close_connection = True
            return
        if fault is not None and fault.kind in ("status", "malformed", "reply"):
            self._write(handler, fault.code, fault.body, fault.headers)
            return
        code, document = self.handle(recorded)
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(fault.seconds)
        self._write(handler, code, json.dumps(document).encode())

    @staticmethod
    def _write(
        handler: _Handler, code: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        try:
            handler.send_response(code)
            for name, value in headers:
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting


# --- Dukcapil ---------------------------------------------------------------------------------

_INACTIVE = "Data Ditemukan, Status Tidak Aktif silakan hubungi Dinas Dukcapil"


class FakeDukcapil(FakeServer):
    """Dukcapil's ``CALL_VERIFY_BY_ELEMEN`` over the given residents."""

    CUSTOMER_ID = "SIAPKERJA_TEST"
    USER_ID = "siapkerja-user"
    PASSWORD = "Rahasia-Dukcapil-9f3b"
    IP_USER = "127.0.0.1"

    def __init__(self, residents: Iterable[Resident] = (), *, quota: int | None = 1000) -> None:
        super().__init__()
        self.registry = OfflineRegistry(residents, include_bundled=False)
        self.quota_remaining = quota

    @property
    def path(self) -> str:
        return f"/dukcapil/get_json/{self.CUSTOMER_ID}/CALL_VERIFY_BY_ELEMEN"

    def handle(self, request: Recorded) -> tuple[int, object]:
        if request.method != "POST" or request.path != self.path:
            return 404, {"error": "not found"}
        try:
            body = request.json()
        except ValueError:
            return 400, {"error": "body is not JSON"}
        if not isinstance(body, dict):
            return 400, {"error": "body is not an object"}
        if (body.get("USER_ID"), body.get("PASSWORD"), body.get("IP_USER")) != (
            self.USER_ID,
            self.PASSWORD,
            self.IP_USER,
        ):
            return 401, {"error": "invalid credentials"}
        with self._lock:
            if self.quota_remaining is not None:
                if self.quota_remaining <= 0:
                    return 429, self._envelope({"RESPONSE": "Kuota akses telah habis"}, 0)
                self.quota_remaining -= 1
            quota = self.quota_remaining
        try:
            threshold = int(body.get("TRESHOLD", "0"))
        except ValueError:
            return 400, {"error": "TRESHOLD is not a number"}
        result = self.registry.verify(
            VerificationRequest(
                nik=str(body.get("NIK", "")),
                full_name=str(body.get("NAMA_LGKP", "")),
                mother_name=str(body.get("NAMA_LGKP_IBU", "")),
                threshold=threshold,
            )
        )
        if result.status == "not_found":
            item: dict[str, object] = {
                "RESPONSE_CODE": "11",
                "RESPONSE": "Data Tidak Ditemukan",
                "RESPONSE_DESC": "NIK tidak terdaftar",
            }
        elif result.status == "inactive":
            item = {"RESPONSE_CODE": "14", "RESPONSE": _INACTIVE, "RESPONSE_DESC": _INACTIVE}
        else:

            def verdict(matched: bool, score: int | None) -> str:
                word = "Sesuai" if matched else "Tidak Sesuai"
                return word if score is None else f"{word} ({score})"

            item = {
                "NIK": verdict(result.nik.matched, None),
                "NAMA_LGKP": verdict(result.full_name.matched, result.full_name.score),
                "NAMA_LGKP_IBU": verdict(result.mother_name.matched, result.mother_name.score),
            }
        return 200, self._envelope(item, quota)

    @staticmethod
    def _envelope(item: dict[str, object], quota: int | None) -> dict[str, object]:
        return {
            "content": [item],
            "lastPage": True,
            "numberOfElements": 1,
            "sort": None,
            "totalElements": 1,
            "firstPage": True,
            "number": 0,
            "size": 1,
            "quotaLimiter": quota,
        }


# --- SMS gateway --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """One message the gateway delivered (once per idempotency key)."""

    message_id: str
    idempotency_key: str | None
    body: Any = field(repr=False)


class FakeSmsGateway(FakeServer):
    """A generic SMS gateway: bearer token, JSON body, ``Idempotency-Key`` deduplication.

    Replies ``{"status": "accepted", "data": {"message_id": "gw-000001"}}``.
    """

    PATH = "/api/v1/messages"
    TOKEN = "gw-token-5b1e77"

    def __init__(self, *, honour_idempotency: bool = True) -> None:
        super().__init__()
        self.honour_idempotency = honour_idempotency
        self.delivered: list[Delivered] = []
        self._by_key: dict[str, str] = {}

    @property
    def send_url(self) -> str:
        return self.url + self.PATH

    def handle(self, request: Recorded) -> tuple[int, object]:
        if request.method != "POST" or request.path != self.PATH:
            return 404, {"error": "not found"}
        if request.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return 401, {"error": "unauthorized"}
        try:
            body = request.json()
        except ValueError:
            return 400, {"error": "body is not JSON"}
        key = request.headers.get("idempotency-key")
        with self._lock:
            if self.honour_idempotency and key is not None and key in self._by_key:
                message_id = self._by_key[key]
            else:
                message_id = f"gw-{len(self.delivered) + 1:06d}"
                self.delivered.append(Delivered(message_id, key, body))
                if key is not None:
                    self._by_key[key] = message_id
        return 200, {"status": "accepted", "data": {"message_id": message_id}}
