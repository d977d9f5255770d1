"""Serving a scanned card through uvicorn against a bare Starlette page of the same size.

Run: ``python benchmarks/bench_web.py [--backend memory|sqlite|postgresql] [--quick]
[--json PATH]`` (``nox -s bench`` runs it too, every backend).

The targets (issue 15): under load, ``GET /v/<token>`` — the page a link QR
opens, for an anonymous scanner — reaches at least **0.5×** (``memory``),
**0.3×** (``sqlite``, the embedded default) and **0.2×** (``postgresql``) the
requests per second of a bare Starlette endpoint returning a constant HTML
page of the same byte size, both behind uvicorn with the same settings,
measured in the same run, with zero errors. Every scan writes its ledger
entry, committed before the page is sent: after the load the ledger is
counted and must hold at least one entry per page answered.

Two servers run in child processes on 127.0.0.1 (ephemeral ports, loopback
only): the siapkerja web binding (production mode, one issued card, on the
``memory`` storage, on SQLite — a file in a temporary directory — or on
PostgreSQL — a throw-away schema at ``$SIAPKERJA_TEST_POSTGRES_URL``, skipped
with the reason printed when unreachable) and the bare page. They are
loaded in interleaved rounds, so a change in the machine's load hits both
alike, with a bounded number of requests (default 20,000 each, in 10
rounds) from ``wrk`` when it is installed, else from a
small asyncio client pool in this process (default 16 keep-alive connections
of bare HTTP/1.1 over asyncio streams; ``--client httpx`` uses httpx instead,
which on a small machine saturates before the servers do and so flatters the
ratio). Each scan arrives without cookies, as from a phone that never
visited the site. A request that fails or answers anything but 200 counts
as an error. Targets are judged through ``_targets.judge`` (``PASS`` or
``FAIL``), never asserted: exit code 0. ``--quick``: 4 rounds of 4,000
requests a server, for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers as servers
from _servers import bare_app, raw_round, run, serve, wait_ready
from _targets import describe, judge

BACKENDS = ("memory", "sqlite", "postgresql")
TARGETS = {"memory": 0.5, "sqlite": 0.3, "postgresql": 0.2}
"""The scan page's requests per second ÷ the bare page's, at least."""
STORAGE_KEY = "bench:" + base64.urlsafe_b64encode(hashlib.sha256(b"bench-web").digest()).decode()

# Galih Agan Pambayun, a bundled fictional resident (src/siapkerja_adapters/data/residents.csv).
NIK = "3173071203940042"
NAME = "Galih Agan Pambayun"
MOTHER = "Sri Wahyuni"


# --------------------------------------------------------------------------
# The servers (child processes: python bench_web.py --serve ours|bare)
# --------------------------------------------------------------------------


def _photo() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (30, 70, 140)).save(buffer, "PNG")
    return buffer.getvalue()


def sql_settings(database: str, schema: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "storage": "sql",
        "database_url": database,
        "database_migrate": "true",
        "storage_key": STORAGE_KEY,
        "sms": "memory",
        "dukcapil": "offline",
    }
    if schema:
        settings["database_schema"] = schema
    return settings


def our_app(backend: str = "memory", database: str = "", schema: str = "") -> tuple[Any, str]:
    """The web binding over a service holding one issued card, and the card's scan path."""
    from siapkerja_adapters import connect
    from siapkerja_adapters.web import create_app
    from siapkerja_core.passwords import PasswordHasher

    hasher = PasswordHasher.fast_for_tests()
    if backend == "memory":
        svc = connect("memory", environ={}, hasher=hasher)
    else:
        svc = connect(
            environ={}, load_entrypoints=False, hasher=hasher, **sql_settings(database, schema)
        )
    registration = svc.register(nik=NIK, full_name=NAME, mother_name=MOTHER)
    svc.submit_contact(
        registration.id,
        email="galih.pambayun@example.com",
        phone="0812-9999-9999",
        password="kopi tubruk di pal merah",
    )
    svc.deliver_outbox()  # the SQL storage sends through its durable outbox
    text = svc.sms.messages[-1].text  # type: ignore[attr-defined]
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", text)[0]
    account = svc.confirm_otp(registration.id, code=code)
    svc.update_profile(
        account.id,
        biodata={
            "birth_place": "Jakarta",
            "birth_date": "1994-03-12",
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        ktp_address={"village_code": "3173071001", "street": "Jl. Palmerah Barat"},
        domicile_address={"village_code": "3173071001", "street": "Jl. Palmerah Barat"},
        skills=["PHP", "Laravel", "Linux"],
        education=[{"institution": "BINUS University", "level": "S1", "start_year": 2012}],
        work=[{"title": "Backend Developer", "company": "Company", "start": "2021-06"}],
        photo={"content": _photo()},
    )
    svc.issue_card(account.id)
    token = svc.card_qr(account.id).token
    app = create_app(svc, secret_key="bench-" + "k" * 32)  # production mode: no dev pages
    return app, f"/v/{token}"


def serve_child(kind: str, size: int, backend: str, database: str, schema: str) -> int:
    """Build one app and serve it on an ephemeral loopback port (``_servers.serve``)."""
    if kind == "ours":
        app, path = our_app(backend, database, schema)
    else:
        app, path = bare_app(size), "/v/BARE"
    return serve(app, {"path": path})


@contextmanager
def child_server(
    kind: str, size: int = 0, backend: str = "memory", database: str = "", schema: str = ""
) -> Iterator[str]:
    """Start ``--serve kind`` in a child process; yield its page's URL; stop it."""
    arguments = [__file__, "--serve", kind, "--size", str(size), "--backend", backend]
    arguments += ["--database", database, "--schema", schema]
    with servers.child_server(arguments) as info:
        url = info["base"] + info["path"]
        wait_ready(url)
        yield url


# --------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------


def _no_cookies() -> http.cookiejar.CookieJar:
    """A jar that keeps nothing: every scan arrives as from a new phone."""
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


async def _httpx_round(url: str, requests: int, concurrency: int, max_seconds: float) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    issued = 0
    done = 0
    errors = 0
    deadline = time.perf_counter() + max_seconds

    async with httpx.AsyncClient(limits=limits, timeout=30, cookies=_no_cookies()) as client:

        async def worker() -> None:
            nonlocal issued, done, errors
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                try:
                    response = await client.get(url)
                    await response.aread()
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"requests": done, "errors": errors, "seconds": elapsed}


def _wrk_round(wrk: str, url: str, concurrency: int, seconds: int) -> dict:
    """One round with wrk, bounded in time (wrk cannot stop after a count)."""
    threads = max(1, min(2, os.cpu_count() or 1, concurrency))
    command = [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", url]
    run = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    output = run.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    scale = {"ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {
        "requests": int(total.group(1)),
        "errors": errors,
        "seconds": float(total.group(2)) * scale,
    }


def load(
    urls: dict[str, str],
    requests: int,
    concurrency: int,
    rounds: int,
    max_seconds: float,
    client: str,
) -> dict[str, dict]:
    """Load each URL in interleaved rounds with ``client``; totals per name."""
    totals = {name: {"requests": 0, "errors": 0, "seconds": 0.0} for name in urls}
    per_round = max(1, requests // rounds)
    names = list(urls)
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            if client == "wrk":
                # wrk runs for a time, not a count: a short slice of the time budget.
                seconds = max(1, min(int(max_seconds / rounds), 3))
                result = _wrk_round(shutil.which("wrk") or "wrk", urls[name], concurrency, seconds)
            else:
                make = raw_round if client == "raw" else _httpx_round
                result = run(make(urls[name], per_round, concurrency, max_seconds / rounds))
            for key in totals[name]:
                totals[name][key] += result[key]
    return totals


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


@contextmanager
def database(backend: str) -> Iterator[tuple[str, str] | None]:
    """``(url, schema)`` of an empty database for ``backend`` (``None``: cannot run here)."""
    if backend == "memory":
        yield "", ""
        return
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="siapkerja-bench-web-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3", ""
        return
    from siapkerja_adapters.sql import testing

    url = testing.postgres_test_url()
    reason = testing.postgres_unavailable(url)
    if reason is not None:
        print(f"postgresql: skipped — {reason}")
        yield None
        return
    with testing.temporary_schema(url, prefix="sk_bench_web_") as schema:
        yield url, schema


def ledger_entries(url: str, schema: str) -> int:
    """Rows of the access ledger (the bench's one card), read after its server stopped."""
    from sqlalchemy import func, select

    from siapkerja_adapters.sql import schema as sk
    from siapkerja_adapters.sql.engine import create_sql_engine

    engine = create_sql_engine(url, schema=schema or None)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(sk.access_log)).scalar_one())
    finally:
        engine.dispose()


def measure(backend: str, args: argparse.Namespace, client: str) -> dict[str, Any] | None:
    """Load ``backend``'s scan page and the bare page in interleaved rounds; the totals."""
    import httpx

    with database(backend) as target:
        if target is None:
            return None
        url, schema = target
        answered = 0
        with child_server("ours", 0, backend, url, schema) as ours:
            probe = httpx.get(ours, timeout=10)
            if probe.status_code != 200:
                raise RuntimeError(f"{ours} answered {probe.status_code}")
            answered += 2  # wait_ready's GET and the probe
            size = len(probe.content)
            with child_server("bare", size) as bare:
                bare_size = len(httpx.get(bare, timeout=10).content)
                urls = {"siapkerja": ours, "bare": bare}
                warm_up = "raw" if client == "wrk" else client
                warm = load(urls, min(300, args.requests), args.concurrency, 2, 30.0, warm_up)
                totals = load(
                    urls, args.requests, args.concurrency, args.rounds, args.max_seconds, client
                )
        for t in (warm["siapkerja"], totals["siapkerja"]):
            answered += t["requests"] - t["errors"]
        ledger = ledger_entries(url, schema) if backend != "memory" else None
    rps = {name: t["requests"] / t["seconds"] for name, t in totals.items() if t["seconds"]}
    return {
        "page_bytes": {"siapkerja": size, "bare": bare_size},
        "totals": totals,
        "requests_per_second": rps,
        "ratio": rps["siapkerja"] / rps["bare"],
        "errors": sum(t["errors"] for t in totals.values()),
        "answered": answered,
        "ledger": ledger,
    }


def report(backend: str, result: dict[str, Any], args: argparse.Namespace, client: str) -> str:
    target = TARGETS[backend]
    rps, totals, ratio = result["requests_per_second"], result["totals"], result["ratio"]
    ledger, answered = result["ledger"], result["answered"]
    # wrk does not count the answers of requests cut at a round's end: the ledger may hold more.
    missing = 0 if ledger is None else max(0, answered - ledger)
    verdict = judge(
        "bench_web",
        "scan ÷ bare page",
        ratio,
        target,
        higher=True,
        backend=backend,
        errors=result["errors"] + missing,
        detail=f"{rps['siapkerja']:,.0f} ÷ {rps['bare']:,.0f} req/s",
    )
    print(
        f"{backend}: GET /v/<token> through uvicorn, {args.concurrency} concurrent,"
        f" {args.rounds} interleaved rounds, client: {client}"
    )
    sizes = result["page_bytes"]
    print(f"  page size: siapkerja {sizes['siapkerja']:,} B, bare {sizes['bare']:,} B")
    for name, label in (("siapkerja", "siapkerja scan page"), ("bare", "bare Starlette page")):
        t = totals[name]
        print(
            f"  {label:<22} {rps[name]:8,.0f} req/s  "
            f"({t['requests']:,} requests, {t['errors']} errors)"
        )
    if ledger is not None:
        state = "every answered scan is in it" if not missing else f"{missing} MISSING"
        print(f"  ledger: {ledger:,} entries for {answered:,} answered scans ({state})")
    print(f"  ratio {ratio:.2f}x  (target {describe(target, higher=True)}, zero errors)  {verdict}")
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, action="append", help="default: all three")
    parser.add_argument("--requests", type=int, help="per server (default 20000; quick 4000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 10; quick 4)")
    parser.add_argument(
        "--max-seconds", type=float, help="time budget per server (default 60; quick 15)"
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--client",
        choices=["wrk", "raw", "httpx"],
        help="load generator: wrk if installed, else raw (asyncio keep-alive connections);"
        " httpx is heavier and may saturate before the servers do",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--database", default="", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        backend = (args.backend or ["memory"])[0]
        return serve_child(args.serve, args.size, backend, args.database, args.schema)
    if args.requests is None:
        args.requests = 4000 if args.quick else 20000
    if args.rounds is None:
        args.rounds = 4 if args.quick else 10
    if args.max_seconds is None:
        args.max_seconds = 15.0 if args.quick else 60.0

    client = args.client or ("wrk" if shutil.which("wrk") else "raw")
    results: dict[str, Any] = {}
    for backend in args.backend or BACKENDS:
        result = measure(backend, args, client)
        if result is None:
            continue
        result["verdict"] = report(backend, result, args, client)
        result["target"] = TARGETS[backend]
        results[backend] = result
    if args.json:
        report_json = {
            "client": client,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "backends": results,
        }
        args.json.write_text(json.dumps(report_json, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
