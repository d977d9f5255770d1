"""The web benchmarks' shared machinery: uvicorn children, a bare peer page, a light client.

Used by ``bench_web.py`` (the scan page) and ``bench_pages.py`` (the pages of
issue 14). What lives here:

* :func:`bare_app`, :func:`bare_pages` — Starlette endpoints answering a constant body of a given
  byte size: the peer every page is measured against, behind the same uvicorn;
* :func:`serve` — run an app under uvicorn on an ephemeral loopback port,
  after printing one JSON line (the port and whatever the app wants the parent
  to know) on stdout;
* :func:`child_server` — start such a child, read its line, wait until it
  answers, stop it with SIGINT (a graceful uvicorn stop) on the way out;
* :func:`raw_round` — a bounded round of keep-alive GETs from a few lines of
  asyncio streams (the load generator must cost far less than the servers it
  measures), with optional extra headers (a session cookie) and, when asked,
  each request's latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

HOST = "127.0.0.1"

# --------------------------------------------------------------------------
# The servers
# --------------------------------------------------------------------------


def bare_app(size: int, path: str = "/v/{token}", media_type: str = "text/html") -> Any:
    """A Starlette endpoint at ``path`` returning a constant body of ``size`` bytes."""
    return bare_pages({path: (size, media_type)})


def bare_pages(pages: Mapping[str, tuple[int, str]]) -> Any:
    """A Starlette app answering each path with a constant body of its (size, media type)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    head = b"<!doctype html><html><body><p>"
    tail = b"</p></body></html>"

    def endpoint(size: int, media_type: str) -> Any:
        body = head + b"x" * max(0, size - len(head) - len(tail)) + tail

        async def page(request: Request) -> Response:
            return Response(body, media_type=media_type)

        return page

    return Starlette(
        routes=[Route(path, endpoint(size, media)) for path, (size, media) in pages.items()]
    )


def serve(app: Any, info: Mapping[str, Any]) -> int:
    """Bind an ephemeral loopback port, print ``info`` with it as JSON, serve until SIGINT."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="off")
    server = uvicorn.Server(config)
    # As `siapkerja serve` does in each worker once its application is built (either peer).
    from siapkerja_adapters.web.heap import freeze_startup_heap

    freeze_startup_heap()
    print(json.dumps({**info, "port": sock.getsockname()[1]}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # the parent's SIGINT: a graceful stop
        server.run(sockets=[sock])
    return 0


@contextmanager
def child_server(
    arguments: list[str], ready_path: str = "/", env: Mapping[str, str] | None = None
) -> Iterator[dict[str, Any]]:
    """Run ``python *arguments`` (which calls :func:`serve`); yield its JSON line plus
    ``base`` (``http://127.0.0.1:port``) once ``ready_path`` answers; stop it on exit."""
    child = subprocess.Popen(
        [sys.executable, *arguments], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"{arguments} did not start (exit code {child.wait()})")
        info = json.loads(line)
        info["base"] = f"http://{HOST}:{info['port']}"
        wait_ready(info["base"] + ready_path)
        yield info
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def wait_ready(url: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --------------------------------------------------------------------------
# The load: bare HTTP/1.1 over asyncio streams
# --------------------------------------------------------------------------


async def _raw_connection(
    url: str,
    budget: dict[str, Any],
    deadline: float,
    counts: dict[str, int],
    headers: Mapping[str, str],
    latencies: list[float] | None,
) -> None:
    """One keep-alive HTTP/1.1 connection sending GETs while the round's budget lasts."""
    parts = urlsplit(url)
    host, port = parts.hostname or HOST, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"User-Agent: siapkerja-bench\r\nAccept: text/html\r\n{extra}\r\n"
    ).encode("latin-1")
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    try:
        while budget["left"] > 0 and clock() < deadline:
            budget["left"] -= 1
            sent = clock()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                if length is None:  # every page here has a length; anything else is wrong
                    raise ValueError("no content-length")
                await reader.readexactly(int(length.group(1)))
                if status != 200:
                    counts["errors"] += 1
                if latencies is not None:
                    latencies.append(clock() - sent)
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                counts["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            counts["requests"] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def raw_round(
    url: str,
    requests: int,
    concurrency: int,
    max_seconds: float,
    headers: Mapping[str, str] | None = None,
    latencies: list[float] | None = None,
) -> dict[str, Any]:
    """``requests`` GETs of ``url`` (fewer if ``max_seconds`` runs out) over ``concurrency``
    keep-alive connections; the count, the errors (a failure or a status other than 200)
    and the seconds taken. Each request's latency is appended to ``latencies`` if given."""
    budget: dict[str, Any] = {"left": requests}
    counts = {"requests": 0, "errors": 0}
    start = time.perf_counter()
    deadline = start + max_seconds
    await asyncio.gather(
        *(
            _raw_connection(url, budget, deadline, counts, headers or {}, latencies)
            for _ in range(concurrency)
        )
    )
    return {**counts, "seconds": time.perf_counter() - start}


def run(coroutine: Any) -> Any:
    """Run the client on uvloop when it is there (uvicorn brings it): a lighter client."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)
