"""CPU time per request of every page `bench_pages.py` loads, the application called in process.

Run: ``python benchmarks/pages_in_process.py [--backend sqlite|postgresql] [--requests N]
[--profile PATH] [PATH ...]``

No server and no client: the ASGI application of ``bench_pages`` (production
mode, Galih's whole profile, his card, five lines of history) is called
directly with a request scope, after signing in through its pages, and
``time.process_time`` is read around ``N`` requests of each page (after 200
of warm-up) — this process's CPU, worker threads included. It says where a
page's own time goes, without uvicorn's and the client's share that
``bench_pages`` measures against a bare page. ``--profile PATH`` prints a
cProfile of that page (the event loop's thread only). PostgreSQL uses a
throw-away schema at ``$SIAPKERJA_TEST_POSTGRES_URL``. A diagnostic, not a
target: it prints and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pages as pages  # its own path set-up (this checkout's src) first

PATHS = (
    "/",
    "/profil",
    "/profil/alamat/ktp?cari=palmerah",
    "/wilayah/cari?q=palmerah",
    "/kartu",
    "/riwayat",
    "/program",
)


async def _cookie(app: Any) -> str:
    """Sign Galih in through the pages, as ``bench_pages`` does: the cookie his browser sends."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{pages.servers.HOST}") as c:
        form = await c.get("/")
        found = pages._CSRF.search(form.text)
        if found is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        data = {"identifier": pages.EMAIL, "password": pages.PASSWORD}
        answer = await c.post("/", data={**data, "csrf_token": pages.unescape(found[1])})
        await c.get(answer.headers["location"])
        return "; ".join(f"{name}={value}" for name, value in c.cookies.items())


async def _measure(app: Any, paths: list[str], requests: int, profile: str | None) -> None:
    cookie = await _cookie(app)
    for path in paths:
        route, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": route,
            "raw_path": route.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", pages.servers.HOST.encode()), (b"cookie", cookie.encode())],
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 50000),
        }
        statuses: set[int] = set()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any], statuses: set[int] = statuses) -> None:
            if message["type"] == "http.response.start":
                statuses.add(message["status"])

        for _ in range(200):
            await app(dict(scope), receive, send)
        profiler = cProfile.Profile() if profile == path else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        for _ in range(requests):
            await app(dict(scope), receive, send)
        if profiler is not None:
            profiler.disable()
        cpu_us = 1e6 * (time.process_time() - cpu) / requests
        wall_us = 1e6 * (time.perf_counter() - wall) / requests
        print(f"{path:36s} cpu {cpu_us:7.0f} µs  wall {wall_us:7.0f} µs  status {sorted(statuses)}")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=list(PATHS))
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", metavar="PATH", help="a cProfile of this page")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.backend == "sqlite":
            directory = stack.enter_context(tempfile.TemporaryDirectory())
            url, schema = f"sqlite:///{directory}/pages.sqlite3", None
        else:
            from siapkerja_adapters.sql import testing

            url = testing.postgres_test_url()
            schema = stack.enter_context(testing.temporary_schema(url, prefix="sk_pages_cpu_"))
        app = pages.our_app(url, schema)
        print(f"{args.backend}: src {Path(pages.__file__).resolve().parent.parent / 'src'}")
        asyncio.run(_measure(app, args.paths, args.requests, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
