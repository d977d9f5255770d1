"""Concurrent sign-ups and scans against real servers: SQLite and PostgreSQL + Redis, 1–4 workers.

Run: ``python benchmarks/bench_load.py [--runs 3] [--backend sqlite|postgresql]
[--workers N] [--quick] [--json PATH]`` (``nox -s bench`` runs it too).

The targets: the embedded default holds 64 concurrent sign-ups with a p99
under 5 s and no error (issue 11, asserted by the load test); and (issue 15)
the same load run **scales across processes**: for each worker count, the
anonymous scan's rate ÷ a bare Starlette page's rate behind the same number
of uvicorn workers is judged against the scan targets (**SQLite ≥ 0.3×,
PostgreSQL ≥ 0.2×**), and the rate at N workers ÷ the rate at 1 worker is
printed beside the bare page's own (how far the machine lets N processes
scale). Each setup starts a fresh server in child processes on 127.0.0.1 as
the load test does (``tests/support/load.py``), in production mode (``serve
--no-dev``: a secret key shared by every worker, a storage key from the
environment; only the offline registry is allowed as an unsafe default):

* ``sqlite`` — ``siapkerja serve`` on the embedded default, a SQLite file;
  with N workers, ``serve --workers N`` (uvicorn's multi-process mode) over
  the one file, migrated first with ``siapkerja db upgrade``;
* ``postgresql`` — the same over PostgreSQL (a throw-away schema of
  ``$SIAPKERJA_TEST_POSTGRES_URL``, default the local ``test`` database) with
  the rate-limit counters in **Redis** (``ratelimit = "redis"``,
  ``$SIAPKERJA_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``, under a
  prefix of the run's own), as a deployment of several workers or hosts runs
  it; storage counters when Redis is not reachable (said in the output). Left
  out when PostgreSQL is not reachable.

Worker counts: 1, 2 and 4 (``--workers`` to choose). The real Argon2
parameters of ``serve`` (m = 19 MiB, t = 2, p = 1), the offline Dukcapil
registry with synthetic residents, and an SMS gateway in this process. Then:

1. **Sign-ups** at 16, 32 and 64 concurrency (fresh people each time): the
   whole journey through the JSON API — step 1, step 2 with contacts and
   password, the code read from the gateway, confirmation. Reported:
   sign-ups per second (completed ÷ wall time of the burst) and the p50 and
   p99 of one person's whole sign-up; any 5xx or failure is counted.
2. **Scans** of one issued card's ``/v/<token>``, anonymous: the rate from
   64 keep-alive connections (``--requests`` scans, with ``_servers.py``'s
   light asyncio client: httpx saturates before the servers do), and its
   peer, a bare Starlette page of the same byte size behind uvicorn with the
   same worker count, loaded the same way in the same run; the p99 from 64
   phones with an httpx client each, ``--scans`` times each. Reported: scans
   per second, the ratio to the peer, the p99.

The default (one run of the six setups) takes about 3 minutes on the 2-core
development machine; ``--quick`` (one burst of 16 sign-ups, 1,000 scans,
1 and 2 workers) about a minute. With ``--runs 3`` every number is
min / median / max over the runs. Targets are reported, not asserted (the
load test asserts its bounds): exit code 0.
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

from _targets import judge

LEVELS = (16, 32, 64)
QUICK_LEVELS = (16,)
SCANNERS = 64
BACKENDS = ("sqlite", "postgresql")
WORKER_COUNTS = (1, 2, 4)
TARGETS = {"sqlite": 0.3, "postgresql": 0.2}
"""The scan targets of issue 15 (scan ÷ bare page), the bar at every worker count."""


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
    """Requests per second of ``url`` from 64 keep-alive connections (``_servers.py``'s client)."""
    import _servers

    counts = _servers.run(_servers.raw_round(url, requests, SCANNERS, 60.0))
    return {"per_second": counts["requests"] / counts["seconds"], "errors": counts["errors"]}


def postgres_url() -> str | None:
    from siapkerja_adapters.sql import testing

    url = testing.postgres_test_url()
    return None if testing.postgres_unavailable(url) is not None else url


def redis_url() -> str | None:
    """``$SIAPKERJA_TEST_REDIS_URL`` (default the local server) if it answers, else ``None``."""
    url = os.environ.get("SIAPKERJA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception:  # any failure means: not usable here
        return None
    return url


def setup_name(backend: str, workers: int) -> str:
    """``sqlite ×1``, ``postgresql ×4``: a setup as the output and the summary name it."""
    return f"{backend} ×{workers}"


def one_setup(
    backend: str, workers: int, levels: tuple[int, ...], scans_each: int, requests: int, seed: int
) -> dict[str, Any]:
    """Start ``backend`` with ``workers`` fresh; the sign-up levels, the scans and their peer."""
    import httpx

    from support import load, people
    from support.fake_servers import FakeSmsGateway

    population = people.synthetic(1 + sum(levels), seed=seed)
    result: dict[str, Any] = {"workers": workers}
    with contextlib.ExitStack() as stack:
        postgres = None
        redis = None
        if backend == "postgresql":
            from siapkerja_adapters.sql import testing

            url = postgres_url()
            if url is None:
                return {"skipped": "PostgreSQL is not reachable"}
            postgres = (url, stack.enter_context(testing.temporary_schema(url, "sk_bench_")))
            redis = redis_url()
        result["counters"] = "redis" if redis else "storage"
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
        gateway = stack.enter_context(FakeSmsGateway())
        server = load.Server(
            backend,  # type: ignore[arg-type]
            workdir,
            population,
            gateway,
            postgres=postgres,
            workers=workers,
            redis_url=redis,
            dev=False,
        )
        if server.redis_prefix is not None:  # leave no counter behind in Redis
            from support import services

            prefix = server.redis_prefix
            stack.callback(lambda: services.purge_prefix(services.redis_client(), prefix))
        stack.enter_context(server)
        holder, _ = load.sign_ups(server.url, gateway, [(0, population[0])], name="holder")
        if not holder.tokens:
            raise RuntimeError(f"{backend}: the first sign-up failed: {holder.failures}")
        scan_path = load.issue_card(server.url, holder.tokens[0])
        numbered = list(enumerate(population))
        start = 1
        for level in levels:
            burst, _ = load.sign_ups(server.url, gateway, numbered[start : start + level])
            start += level
            result[f"signups_{level}"] = {
                "per_second": burst.rate,
                "p50_s": burst.percentile(50),
                "p99_s": burst.percentile(99),
                "errors": len(burst.server_errors()) + len(burst.failures),
            }
        size = len(httpx.get(server.url + scan_path, timeout=30).content)
        # Latency: 64 phones, a client each (as the load test). Throughput: the raw
        # keep-alive client of _servers.py, far lighter than httpx, which saturates first.
        ours = load.scans(server.url, scan_path, concurrency=SCANNERS, per_client=scans_each)
        ours_rate = raw_rate(server.url + scan_path, requests)
        server.stop()  # the peer alone on the machine, as the scans were
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


def report(
    runs: list[dict[str, dict[str, Any]]], setups: list[tuple[str, int]], levels: tuple[int, ...]
) -> dict[str, Any]:
    """Print min / median / max over the runs, judge each setup's scan ratio; return them."""
    summary: dict[str, Any] = {}
    print(f"{'':34} {'min':>8} {'median':>8} {'max':>8}")
    for backend, workers in setups:
        name = setup_name(backend, workers)
        results = [run[name] for run in runs if "skipped" not in run.get(name, {})]
        if not results:
            print(f"{name}: skipped ({runs[0].get(name, {}).get('skipped')})")
            continue
        counters = results[0].get("counters", "storage")
        print(f"{name} ({counters} counters)")
        rows: list[tuple[str, str, str]] = []
        for level in levels:
            key = f"signups_{level}"
            rows += [
                (f"  sign-ups/s at {level}", key, "per_second"),
                (f"  sign-up p50 s at {level}", key, "p50_s"),
                (f"  sign-up p99 s at {level}", key, "p99_s"),
            ]
        rows += [
            ("  scans/s (64 connections)", "scans", "per_second"),
            ("  bare Starlette page/s", "scans", "bare_per_second"),
            ("  scans ÷ bare", "scans", "ratio"),
            ("  scan p99 s (64 phones)", "scans", "p99_s"),
        ]
        for label, key, field in rows:
            values = [r[key][field] for r in results]
            summary[f"{name}.{key}.{field}"] = {
                "min": min(values),
                "median": statistics.median(values),
                "max": max(values),
                "values": values,
            }
            print(f"{label:34} {spread(values)}")
        errors = sum(r[key]["errors"] for r in results for key in r if isinstance(r[key], dict))
        summary[f"{name}.errors"] = errors
        print(f"{'  errors (5xx, failures), all runs':34} {errors:8d}")
        base = setup_name(backend, 1)
        if workers > 1 and f"{base}.scans.per_second" in summary:
            for label, field in (("scans", "per_second"), ("bare page", "bare_per_second")):
                ones = summary[f"{base}.scans.{field}"]["values"]
                many = summary[f"{name}.scans.{field}"]["values"]
                scaling = [m / o for m, o in zip(many, ones, strict=False)]
                summary[f"{name}.scaling.{field}"] = scaling
                print(f"  {label} ×{workers} ÷ ×1 workers{'':{12 - len(label)}} {spread(scaling)}")
        # One verdict per run, so nox -s bench -- --runs 3 (or --runs here) shows the spread.
        target = TARGETS[backend]
        for result in results:
            scans = result["scans"]
            verdict = judge(
                "bench_load",
                "scan ÷ bare page",
                scans["ratio"],
                target,
                higher=True,
                backend=f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
                + (" + redis" if result.get("counters") == "redis" else ""),
                errors=sum(r["errors"] for r in result.values() if isinstance(r, dict)),
                detail=f"{scans['per_second']:.0f} vs {scans['bare_per_second']:.0f} req/s",
            )
        median = summary[f"{name}.scans.ratio"]["median"]
        print(f"  scans ÷ bare, median {median:.2f}x (target ≥ {target}x)  {verdict}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--scans", type=int, default=10, help="scans per phone (64 phones)")
    parser.add_argument("--requests", type=int, default=3000, help="scans for the rate, each side")
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--workers", action="append", type=int, help="default: 1, 2 and 4")
    parser.add_argument(
        "--quick", action="store_true", help="16 sign-ups, 1,000 scans, 1 and 2 workers"
    )
    parser.add_argument("--json", type=Path, help="write every number here")
    args = parser.parse_args(argv)
    levels = QUICK_LEVELS if args.quick else LEVELS
    if args.quick:
        args.requests, args.scans = 1000, 3
    counts = args.workers or ([1, 2] if args.quick else list(WORKER_COUNTS))
    setups = [(backend, n) for backend in args.backend or BACKENDS for n in sorted(set(counts))]
    names = ", ".join(setup_name(*setup) for setup in setups)
    print(f"bench_load: {os.cpu_count()} CPUs, {args.runs} run(s), setups {names}")
    runs: list[dict[str, dict[str, Any]]] = []
    for number in range(args.runs):
        run: dict[str, dict[str, Any]] = {}
        for backend, workers in setups:
            began = time.perf_counter()
            result = one_setup(
                backend, workers, levels, args.scans, args.requests, seed=100 + number
            )
            run[setup_name(backend, workers)] = result
            took = time.perf_counter() - began
            print(f"  run {number + 1} {setup_name(backend, workers)}: {took:.0f} s", flush=True)
        runs.append(run)
    summary = report(runs, setups, levels)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
