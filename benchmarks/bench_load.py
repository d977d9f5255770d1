"""Concurrent sign-ups and scans against a real server: SQLite, PostgreSQL and 4 workers.

Run: ``python benchmarks/bench_load.py [--runs 3] [--json PATH]`` (``nox -s bench``
runs it too).

The issue's target (issue 11): the embedded default holds 64 concurrent
sign-ups, with a p99 under 5 s and no error, as PostgreSQL and 4 workers do.
Each run starts, for each backend, a fresh server in child processes on
127.0.0.1 exactly as the load test does (``tests/support/load.py``):

* ``sqlite`` — ``siapkerja serve --dev`` on the embedded default;
* ``postgresql`` — the same over PostgreSQL (a throw-away schema of
  ``$SIAPKERJA_TEST_POSTGRES_URL``, default the local ``test`` database;
  left out when it is not reachable);
* ``workers`` — uvicorn ``--workers 4`` over ``serve``'s application factory,
  one SQLite file.

The real Argon2 parameters of ``serve`` (m = 19 MiB, t = 2, p = 1), the
offline Dukcapil registry with synthetic residents, and an SMS gateway in
this process. Then:

1. **Sign-ups** at 16, 32 and 64 concurrency (fresh people each time): the
   whole journey through the JSON API — step 1, step 2 with contacts and
   password, the code read from the gateway, confirmation. Reported:
   sign-ups per second (completed ÷ wall time of the burst) and the p50 and
   p99 of one person's whole sign-up; any 5xx or failure is counted.
2. **Scans** of one issued card's ``/v/<token>``, anonymous: the rate from
   64 keep-alive connections (``--requests`` scans, with ``bench_web.py``'s
   light asyncio client: httpx saturates before the servers do), and its
   peer, a bare Starlette page of the same byte size behind uvicorn with the
   same worker count, loaded the same way in the same run; the p99 from 64
   phones with an httpx client each, ``--scans`` times each. Reported: scans
   per second, the ratio to the peer, the p99.

Each run is repeated ``--runs`` times (default 3) and every number is
reported as min / median / max over the runs. The numbers are reported, not
asserted (the load test asserts the bounds): exit code 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the load test's harness: tests/support/load.py
sys.path.insert(0, str(ROOT / "benchmarks"))  # bench_web's raw client

LEVELS = (16, 32, 64)
SCANNERS = 64
BACKENDS = ("sqlite", "postgresql", "workers")


def bare_factory() -> Any:
    """A Starlette endpoint returning a constant HTML page of ``$BENCH_BARE_SIZE`` bytes."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    size = int(os.environ.get("BENCH_BARE_SIZE", "6000"))
    head = b"<!doctype html><html><body><p>"
    tail = b"</p></body></html>"
    body = head + b"x" * max(0, size - len(head) - len(tail)) + tail

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(body)

    return Starlette(routes=[Route("/v/{token}", page)])


@contextlib.contextmanager
def bare_server(size: int, workers: int) -> Iterator[str]:
    """The peer: uvicorn (as ``serve`` runs it) over :func:`bare_factory`; its base URL."""
    import httpx

    from support.live_server import bound_socket

    with bound_socket() as probe:
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(Path(__file__).resolve().parent),
        "--factory",
        "bench_load:bare_factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {**os.environ, "BENCH_BARE_SIZE": str(size)}
    child = subprocess.Popen(command, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v/ready", timeout=2)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the bare peer did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGINT)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def raw_rate(url: str, requests: int) -> dict[str, float]:
    """Requests per second of ``url`` from 64 keep-alive connections (``bench_web.py``'s client)."""
    import bench_web

    counts = bench_web._run(bench_web._raw_round(url, requests, SCANNERS, 60.0))
    return {"per_second": counts["requests"] / counts["seconds"], "errors": counts["errors"]}


def postgres_url() -> str | None:
    from siapkerja_adapters.sql import testing

    url = testing.postgres_test_url()
    return None if testing.postgres_unavailable(url) is not None else url


def one_backend(backend: str, scans_each: int, requests: int, seed: int) -> dict[str, Any]:
    """Start ``backend`` fresh; the sign-up levels, then the scans and their peer."""
    import httpx

    from support import load, people
    from support.fake_servers import FakeSmsGateway

    population = people.synthetic(1 + sum(LEVELS), seed=seed)
    result: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        postgres = None
        if backend == "postgresql":
            from siapkerja_adapters.sql import testing

            url = postgres_url()
            if url is None:
                return {"skipped": "PostgreSQL is not reachable"}
            postgres = (url, stack.enter_context(testing.temporary_schema(url, "sk_bench_")))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
        gateway = stack.enter_context(FakeSmsGateway())
        server = stack.enter_context(
            load.Server(backend, workdir, population, gateway, postgres=postgres)  # type: ignore[arg-type]
        )
        holder, _ = load.sign_ups(server.url, gateway, [(0, population[0])], name="holder")
        if not holder.tokens:
            raise RuntimeError(f"{backend}: the first sign-up failed: {holder.failures}")
        scan_path = load.issue_card(server.url, holder.tokens[0])
        numbered = list(enumerate(population))
        start = 1
        for level in LEVELS:
            burst, _ = load.sign_ups(server.url, gateway, numbered[start : start + level])
            start += level
            result[f"signups_{level}"] = {
                "per_second": burst.rate,
                "p50_s": burst.percentile(50),
                "p99_s": burst.percentile(99),
                "errors": len(burst.server_errors()) + len(burst.failures),
            }
        size = len(httpx.get(server.url + scan_path, timeout=30).content)
        # Latency: 64 phones, a client each (as the load test). Throughput: bench_web's
        # raw keep-alive client, far lighter than httpx, which saturates first.
        ours = load.scans(server.url, scan_path, concurrency=SCANNERS, per_client=scans_each)
        ours_rate = raw_rate(server.url + scan_path, requests)
        workers = load.WORKERS if backend == "workers" else 1
        with bare_server(size, workers) as bare_url:
            # Five times the scans: the bare page answers them 5-10 times faster,
            # and a round of a few tenths of a second measured mostly noise.
            bare_rate = raw_rate(bare_url + "/v/BARE", 5 * requests)
        result["scans"] = {
            "per_second": ours_rate["per_second"],
            "p99_s": ours.percentile(99),
            "errors": len(ours.server_errors()) + len(ours.failures) + ours_rate["errors"],
            "bare_per_second": bare_rate["per_second"],
            "ratio": ours_rate["per_second"] / bare_rate["per_second"],
            "page_bytes": size,
        }
    return result


def spread(values: list[float]) -> str:
    return f"{min(values):8.2f} {statistics.median(values):8.2f} {max(values):8.2f}"


def report(runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Print min / median / max over the runs; return them."""
    summary: dict[str, Any] = {}
    print(f"{'':34} {'min':>8} {'median':>8} {'max':>8}")
    for backend in BACKENDS:
        results = [run[backend] for run in runs if "skipped" not in run.get(backend, {})]
        if not results:
            print(f"{backend}: skipped ({runs[0][backend].get('skipped')})")
            continue
        print(f"{backend}")
        rows: list[tuple[str, str, str]] = []
        for level in LEVELS:
            key = f"signups_{level}"
            rows += [
                (f"  sign-ups/s at {level}", key, "per_second"),
                (f"  sign-up p50 s at {level}", key, "p50_s"),
                (f"  sign-up p99 s at {level}", key, "p99_s"),
            ]
        rows += [
            ("  scans/s (64 phones)", "scans", "per_second"),
            ("  bare Starlette page/s", "scans", "bare_per_second"),
            ("  scans ÷ bare", "scans", "ratio"),
            ("  scan p99 s", "scans", "p99_s"),
        ]
        for label, key, field in rows:
            values = [r[key][field] for r in results]
            summary[f"{backend}.{key}.{field}"] = {
                "min": min(values),
                "median": statistics.median(values),
                "max": max(values),
            }
            print(f"{label:34} {spread(values)}")
        errors = sum(r[key]["errors"] for r in results for key in r if isinstance(r[key], dict))
        summary[f"{backend}.errors"] = errors
        print(f"{'  errors (5xx, failures), all runs':34} {errors:8d}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scans", type=int, default=10, help="scans per phone (64 phones)")
    parser.add_argument("--requests", type=int, default=3000, help="scans for the rate, each side")
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--json", type=Path, help="write every number here")
    args = parser.parse_args(argv)
    backends = args.backend or list(BACKENDS)
    print(f"bench_load: {os.cpu_count()} CPUs, {args.runs} runs, backends {', '.join(backends)}")
    runs: list[dict[str, dict[str, Any]]] = []
    for number in range(args.runs):
        run: dict[str, dict[str, Any]] = {}
        for backend in backends:
            began = time.perf_counter()
            run[backend] = one_backend(backend, args.scans, args.requests, seed=100 + number)
            print(f"  run {number + 1} {backend}: {time.perf_counter() - began:.0f} s", flush=True)
        runs.append(run)
    summary = report([{b: r.get(b, {"skipped": "not run"}) for b in BACKENDS} for r in runs])
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
