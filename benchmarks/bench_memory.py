"""Memory bounded: a real server's RSS over a million scans, and the memory storage's growth.

Run: ``python benchmarks/bench_memory.py [--scans N] [--quick] [--backend sqlite|postgresql]
[--json PATH]`` (``nox -s bench`` runs it too).

The issue's target: a server's resident memory stays **flat (±10 %) over
1,000,000 anonymous scans on SQLite**, the default storage. The server is
``siapkerja serve`` in production mode (``--no-dev``: a secret key, a storage
key from the environment; only the offline registry of synthetic residents is
allowed as an unsafe default), started as the load test starts it
(``tests/support/load.py``), one worker unless ``--workers`` says more. One
person signs up and is issued a card through the JSON API; then keep-alive
clients (``_servers.raw_round``: 32 connections of a few lines of asyncio,
far lighter than the server) open that card's ``/v/<token>`` ``--scans``
times in total, in 21 equal slices. After each slice the server's ``VmRSS``
is read from ``/proc/PID/status``, summed over ``serve`` and every process
below it (uvicorn's workers).

The first slice is the warm-up (pools filled, code paths and caches loaded,
the allocator's arenas grown); the other 20 samples are judged: **(max − min)
÷ median ≤ 10 %**. Every scan must answer 200 and, after the server stops,
every one must be in the ledger (``sk_access_log`` counted): a
missing entry is an error, and errors fail the target.

The default, 1,000,000 scans, takes about 14 minutes on the 2-core
development machine at ~1,200 scans/s (the scan path before issue 15's scan
work; less once it lands); ``--scans 100000`` about 2 minutes, ``--quick``
(20,000 scans) well under a minute. RSS is not a timing: a long run may go
niced beside other work instead of holding a benchmark lock.

Then, in this process, **the memory storage's growth**: ``connect("memory")``
keeps its access ledger in RAM, one record per scan, never trimmed. A card
is scanned ``--memory-scans`` times (default 50,000) with ``tracemalloc``
on, and the bytes it still holds afterwards ÷ the scans is the cost of one
scan. Reported, not judged (the storage is for tests and notebooks; the
number is documented in its module docstring, ``docs/storage.md`` and the
README).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the load test's harness: tests/support/load.py
sys.path.insert(0, str(ROOT / "benchmarks"))

from _targets import judge

TARGET = 10.0
"""Percent: (max − min) of the RSS samples after warm-up, over their median."""
SLICES = 21
CONNECTIONS = 32
MIB = 1024 * 1024


def server_run(backend: str, scans: int, workers: int) -> dict[str, Any]:
    """Start a production server, scan one card ``scans`` times; RSS after every slice."""
    import httpx

    import _servers
    from support import load, people
    from support.fake_servers import FakeSmsGateway

    population = people.synthetic(1, seed=7)
    with contextlib.ExitStack() as stack:
        postgres = None
        if backend == "postgresql":
            from siapkerja_adapters.sql import testing

            url = testing.postgres_test_url()
            reason = testing.postgres_unavailable(url)
            if reason is not None:
                return {"skipped": reason}
            postgres = (url, stack.enter_context(testing.temporary_schema(url, "sk_memory_")))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-memory-")))
        gateway = stack.enter_context(FakeSmsGateway())
        server = load.Server(
            backend,  # type: ignore[arg-type]
            workdir,
            population,
            gateway,
            postgres=postgres,
            workers=workers,
            dev=False,
        )
        stack.enter_context(server)
        holder, _ = load.sign_ups(server.url, gateway, [(0, population[0])], name="holder")
        if not holder.tokens:
            raise RuntimeError(f"the sign-up failed: {holder.failures}\n{server.log()}")
        scan_url = server.url + load.issue_card(server.url, holder.tokens[0])
        before = server.ledger_entries()
        if httpx.get(scan_url, timeout=30).status_code != 200:
            raise RuntimeError(f"the scan page does not answer 200:\n{server.log()}")
        # Slices as equal as they can be, adding up to exactly ``scans``.
        slices = [scans // SLICES + (n < scans % SLICES) for n in range(SLICES)]
        samples: list[dict[str, float]] = [{"scans": 0, "rss": server.rss(), "seconds": 0.0}]
        done = errors = 0
        began = time.perf_counter()
        for number, size in enumerate(slices):
            counts = _servers.run(_servers.raw_round(scan_url, size, CONNECTIONS, 3600.0))
            done += counts["requests"]
            errors += counts["errors"]
            samples.append(
                {"scans": done, "rss": server.rss(), "seconds": time.perf_counter() - began}
            )
            print(
                f"    {done:>10,} scans  RSS {samples[-1]['rss'] / MIB:7.1f} MiB"
                f"  {counts['requests'] / counts['seconds']:7.0f} scans/s"
                + ("  (warm-up)" if number == 0 else ""),
                flush=True,
            )
        seconds = time.perf_counter() - began
        server.stop()  # every answered scan is committed by now
        after = server.ledger_entries()
    missing = max(0, done + 1 - (after - before))  # + the probe scan above
    judged = [sample["rss"] for sample in samples[2:]]  # after the warm-up slice
    level = statistics.median(judged)
    spread = (max(judged) - min(judged)) / level * 100
    return {
        "scans": done,
        "errors": errors,
        "missing_from_ledger": missing,
        "seconds": seconds,
        "per_second": done / seconds,
        "samples": samples,
        "rss_start_mib": samples[0]["rss"] / MIB,
        "rss_level_mib": level / MIB,
        "rss_min_mib": min(judged) / MIB,
        "rss_max_mib": max(judged) / MIB,
        "spread_percent": spread,
        "workers": workers,
    }


def memory_storage_growth(scans: int) -> dict[str, float]:
    """Bytes the memory storage still holds per anonymous scan (its ledger lives in RAM)."""
    import bench_cards

    with bench_cards.service("memory") as svc:
        tokens = bench_cards.build(svc, 1)
        resolve = svc.resolve
        for _ in range(200):  # warm-up: lazily made objects, caches
            resolve(tokens[0])
        gc.collect()
        tracemalloc.start()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(scans):
            resolve(tokens[0])
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        entries = len(svc.access_log("acct-0"))
    return {"scans": scans, "bytes_per_scan": (end - start) / scans, "ledger_entries": entries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 scans, 5,000 in memory")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--memory-scans", type=int, default=50_000)
    parser.add_argument("--json", type=Path, help="write every number here")
    args = parser.parse_args(argv)
    if args.quick:
        args.scans, args.memory_scans = 20_000, 5_000
    workers = f", {args.workers} workers" if args.workers > 1 else ""
    print(
        f"bench_memory: {os.cpu_count()} CPUs; {args.scans:,} anonymous scans of one card,"
        f" {args.backend}{workers}, production mode, {CONNECTIONS} keep-alive connections"
    )
    result: dict[str, Any] = {"server": server_run(args.backend, args.scans, args.workers)}
    run = result["server"]
    setup = args.backend + (f", {args.workers} workers" if args.workers > 1 else "")
    if "skipped" in run:
        print(f"  {args.backend}: skipped ({run['skipped']})")
    else:
        errors = run["errors"] + run["missing_from_ledger"]
        verdict = judge(
            "bench_memory",
            "RSS spread after warm-up",
            run["spread_percent"],
            TARGET,
            higher=False,
            backend=setup,
            unit="%",
            errors=errors,
            detail=f"{run['rss_min_mib']:.1f}–{run['rss_max_mib']:.1f} MiB, {run['scans']:,} scans",
        )
        print(
            f"  {run['scans']:,} scans in {run['seconds']:.0f} s ({run['per_second']:.0f}/s),"
            f" {run['errors']} errors, {run['missing_from_ledger']} missing from the ledger"
        )
        print(
            f"  RSS: {run['rss_start_mib']:.1f} MiB after start-up and one sign-up;"
            f" after warm-up {run['rss_min_mib']:.1f}–{run['rss_max_mib']:.1f} MiB,"
            f" median {run['rss_level_mib']:.1f} MiB"
        )
        print(
            f"  RSS spread (max − min) ÷ median: {run['spread_percent']:.1f} %"
            f" (target ≤ {TARGET:.0f} %)  {verdict}"
        )
    growth = result["memory"] = memory_storage_growth(args.memory_scans)
    print(
        f"  memory storage: {growth['bytes_per_scan']:,.0f} bytes held per scan"
        f" ({growth['scans']:,} scans, {growth['ledger_entries']:,} ledger entries; reported)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
