"""Serving a scanned card through uvicorn against a bare Starlette page of the same size.

Run: ``python benchmarks/bench_web.py [--json PATH]`` (``nox -s bench`` runs it too).

The issue's target: under load, ``GET /v/<token>`` — the page a link QR
opens, for an anonymous scanner — reaches at least **0.5×** the requests per
second of a bare Starlette endpoint returning a constant HTML page of the
same byte size, both behind uvicorn with the same settings, measured in the
same run, with zero errors.

Two servers run in child processes on 127.0.0.1 (ephemeral ports, loopback
only): the siapkerja web binding (production mode, ``memory`` profile, one
issued card) and the bare page. They are loaded in interleaved rounds, so a
change in the machine's load hits both alike, with a bounded number of
requests (default 20,000 each, in 10 rounds) from ``wrk`` when it is installed, else from a
small asyncio client pool in this process (default 16 keep-alive connections
of bare HTTP/1.1 over asyncio streams; ``--client httpx`` uses httpx instead,
which on a small machine saturates before the servers do and so flatters the
ratio). Each scan arrives without cookies, as from a phone that never
visited the site. A request that fails or answers anything but 200 counts
as an error. The target is reported, not asserted: ``PASS`` or ``BELOW``,
exit code 0.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers as servers
from _servers import bare_app, raw_round, run, serve, wait_ready

TARGET = 0.5

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


def our_app() -> tuple[Any, str]:
    """The web binding over a service holding one issued card, and the card's scan path."""
    from siapkerja_adapters import connect
    from siapkerja_adapters.web import create_app
    from siapkerja_core.passwords import PasswordHasher

    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    registration = svc.register(nik=NIK, full_name=NAME, mother_name=MOTHER)
    svc.submit_contact(
        registration.id,
        email="galih.pambayun@example.com",
        phone="0812-9999-9999",
        password="kopi tubruk di pal merah",
    )
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


def serve_child(kind: str, size: int) -> int:
    """Build one app and serve it on an ephemeral loopback port (``_servers.serve``)."""
    if kind == "ours":
        app, path = our_app()
    else:
        app, path = bare_app(size), "/v/BARE"
    return serve(app, {"path": path})


@contextmanager
def child_server(kind: str, size: int = 0) -> Iterator[str]:
    """Start ``--serve kind`` in a child process; yield its page's URL; stop it."""
    with servers.child_server([__file__, "--serve", kind, "--size", str(size)]) as info:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000, help="per server (default 20000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="time budget per server (default 60)"
    )
    parser.add_argument(
        "--client",
        choices=["wrk", "raw", "httpx"],
        help="load generator: wrk if installed, else raw (asyncio keep-alive connections);"
        " httpx is heavier and may saturate before the servers do",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve_child(args.serve, args.size)

    import httpx

    client = args.client or ("wrk" if shutil.which("wrk") else "raw")
    with child_server("ours") as ours:
        probe = httpx.get(ours, timeout=10)
        if probe.status_code != 200:
            raise RuntimeError(f"{ours} answered {probe.status_code}")
        size = len(probe.content)
        with child_server("bare", size) as bare:
            bare_size = len(httpx.get(bare, timeout=10).content)
            urls = {"siapkerja": ours, "bare": bare}
            warm_up = "raw" if client == "wrk" else client
            load(urls, min(300, args.requests), args.concurrency, 2, 30.0, warm_up)
            totals = load(
                urls, args.requests, args.concurrency, args.rounds, args.max_seconds, client
            )

    rps = {name: t["requests"] / t["seconds"] for name, t in totals.items() if t["seconds"]}
    ratio = rps["siapkerja"] / rps["bare"]
    errors = sum(t["errors"] for t in totals.values())
    verdict = "PASS" if ratio >= TARGET and errors == 0 else "BELOW"
    print(
        f"GET /v/<token> through uvicorn, {args.concurrency} concurrent, {args.rounds} "
        f"interleaved rounds, client: {client}"
    )
    print(f"  page size: siapkerja {size:,} B, bare {bare_size:,} B")
    for name, label in (("siapkerja", "siapkerja scan page"), ("bare", "bare Starlette page")):
        t = totals[name]
        print(
            f"  {label:<22} {rps[name]:8,.0f} req/s  "
            f"({t['requests']:,} requests, {t['errors']} errors)"
        )
    print(f"  ratio {ratio:.2f}x  (target ≥ {TARGET}x, zero errors)  {verdict}")
    if args.json:
        report = {
            "client": client,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "page_bytes": {"siapkerja": size, "bare": bare_size},
            "totals": totals,
            "requests_per_second": rps,
            "ratio": ratio,
            "target": TARGET,
            "errors": errors,
            "verdict": verdict,
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
