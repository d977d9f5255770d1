"""Every page a holder sees, served by uvicorn on SQLite and PostgreSQL, against a bare page.

Run: ``python benchmarks/bench_pages.py [--quick] [--backend sqlite|postgresql] [--json PATH]``
(``nox -s bench`` runs it too).

The siapkerja web application in production mode (a secret key, no dev
pages) runs in a uvicorn child process over SQL storage — a SQLite file in a
temporary directory, or a throw-away schema at ``$SIAPKERJA_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; skipped with
the reason when unreachable). The child registers the brief's holder, Galih
Agan Pambayun (NIK 3173071203940042, known to the offline Dukcapil), fills
his whole profile — three certificates, an achievement, two jobs, two
schools, two languages, eight skills, both addresses, a photo — issues his
card and opens it five times (five lines of his history). This process then
signs him in through the pages (the sign-in form, its CSRF token), keeps the
session cookie, and loads the pages:

* ``GET /`` — the sign-in page, anonymous (no cookie);
* ``GET /daftar`` — the first registration step, anonymous;
* ``GET /profil`` — his profile with every list section, signed in (the
  session and the form stash of issue 14 are read on every render);
* ``GET /profil/alamat/ktp?cari=palmerah`` — the region picker with a search;
* ``GET /wilayah/cari?q=palmerah`` — the region search's JSON, with the
  cookie a browser on the picker would send;
* ``GET /kartu`` — his card (its QR);
* ``GET /riwayat`` — his history (who opened the card, consents);
* ``GET /program`` — the programmes and his eligibility.

Each page is measured against a bare Starlette endpoint answering a constant
body of the same byte size (and media type), from a second uvicorn child with
the same settings, sent the same headers. Rounds are interleaved — every
round loads each page on both servers in turn, the order flipped every other
round — so a change in the machine's load hits both alike. The load is 16
keep-alive HTTP/1.1 connections from a few lines of asyncio streams
(``_servers.raw_round``); each request's latency is kept for p50 and p99.
A failed request or a status other than 200 is an error.

Target (issue 15): every page ≥ 0.3x the bare page's requests per second,
judged per page and backend through ``_targets.judge`` (reported, not
asserted: the script exits 0). ``--quick``: 2 rounds of 2 s per page and
server, a short warm-up — a smoke run, its ratios rougher.

``--compare-src DIR`` also starts the application from another checkout's
``src`` (say, a ``git worktree`` of an older commit) over its own database and
loads its ``GET /`` in the same rounds: the sign-in page before and after a
change, same run, same machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# A server of another checkout (--compare-src) imports the library from there: pinned
# here, before the benchmarks' modules below put this checkout's src first on the path.
_SRC = os.environ.get("SIAPKERJA_BENCH_SRC") or str(_HERE.parent / "src")
sys.path.insert(0, _SRC)
import siapkerja_adapters  # noqa: F401
import siapkerja_core  # noqa: F401

sys.path.insert(0, str(_HERE))

import argparse
import contextlib
import json
import re
import tempfile
import time
from collections.abc import Iterator
from html import unescape
from typing import Any

import _servers as servers
from _targets import describe, judge
from bench_storage import connect_sql, photo_bytes

NIK = "3173071203940042"
NAME = "Galih Agan Pambayun"
MOTHER = "Sri Wahyuni"
EMAIL = "galih.pambayun@example.com"
PASSWORD = "kopi tubruk di pal merah"  # noqa: S105 (a made-up holder's)
VILLAGE = "3173071001"  # Kelurahan Palmerah, Kecamatan Pal Merah, Jakarta Barat
SECRET = "bench-pages-" + "k" * 32

# name: (path, signed in?)
PAGES: dict[str, tuple[str, bool]] = {
    "signin": ("/", False),
    "register": ("/daftar", False),
    "profile": ("/profil", True),
    "picker": ("/profil/alamat/ktp?cari=palmerah", True),
    "search": ("/wilayah/cari?q=palmerah", True),
    "card": ("/kartu", True),
    "history": ("/riwayat", True),
    "programmes": ("/program", True),
}
LABELS = {
    "signin": "GET / (sign-in, anonymous)",
    "register": "GET /daftar (anonymous)",
    "profile": "GET /profil (signed in)",
    "picker": "GET /profil/alamat/ktp?cari=palmerah",
    "search": "GET /wilayah/cari?q=palmerah",
    "card": "GET /kartu",
    "history": "GET /riwayat",
    "programmes": "GET /program",
    "signin_old": "GET / on --compare-src",
}
TARGET = 0.3  # each page's req/s ÷ the bare page's (issue 15)
SCANS = 5  # openings of the card before the run: lines of the history page
CERTIFICATES = [
    ("Japan Foundation Test for Basic Japanese", "Japan Language Center", "2018-01"),
    ("Japanese Language Proficiency Test N4 or higher", "Japan Language Center", "2017-01"),
    ("Manufacturing field Specified Skilled Worker (I) test", "Programming Center", "2017-01"),
]
SKILLS = [
    "PHP",
    "Symfony",
    "AngularJS",
    "Laravel",
    "Linux",
    "Object-oriented Programming (OOP)",
    "DevOps",
    "Java",
]
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def full_profile() -> dict[str, Any]:
    """The ``update_profile`` sections of Galih's whole profile: every list has entries."""

    def address(street: str) -> dict[str, Any]:
        return {
            "village_code": VILLAGE,
            "street": street,
            "rt": "005",
            "rw": "003",
            "postal_code": "11480",
        }

    return {
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": "1994-03-12",
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        "ktp_address": address("Jl. Palmerah Barat No. 10"),
        "domicile_address": address("Jl. Palmerah Utara No. 3"),
        "skills": SKILLS,
        "languages": [
            {"name": "English", "level": "menengah"},
            {"name": "Japanese", "level": "dasar"},
        ],
        "work": [
            {
                "title": "Backend Developer",
                "company": "PT Teknologi Nusantara",
                "start": "2021-06",
                "location": "Jakarta",
            },
            {
                "title": "Web Developer",
                "company": "CV Kreasi Digital",
                "start": "2018-08",
                "end": "2021-05",
                "location": "Jakarta",
            },
        ],
        "education": [
            {"institution": "BINUS University", "level": "S1", "start_year": 2012},
            {"institution": "SMA Negeri 65 Jakarta", "level": "SMA", "start_year": 2009},
        ],
        "certificates": [
            {"name": name, "issuer": issuer, "valid_from": start, "score": "84"}
            for name, issuer, start in CERTIFICATES
        ],
        "achievements": [
            {
                "title": "Juara 3 Lomba Web Design ASC Tingkat Nasional",
                "organiser": "Kemnaker RI",
                "date": "2016-01",
            }
        ],
        "photo": {"content": photo_bytes()},
    }


# --------------------------------------------------------------------------
# The servers (child processes: python bench_pages.py --serve ours|bare …)
# --------------------------------------------------------------------------


def sms_text(svc: Any, timeout: float = 30.0) -> str:
    """The code's SMS: the outbox's dispatcher thread sends it just after the request."""
    deadline = time.monotonic() + timeout
    while not svc.sms.messages:
        if time.monotonic() > deadline:
            raise RuntimeError("no SMS with the code")
        time.sleep(0.01)
    return str(svc.sms.messages[-1].text)


def our_app(url: str, schema: str | None) -> Any:
    """The web application over SQL storage holding Galih, his whole profile and his card."""
    from siapkerja_adapters.web import create_app

    svc = connect_sql(url, schema)
    registration = svc.register(nik=NIK, full_name=NAME, mother_name=MOTHER)
    svc.submit_contact(registration.id, email=EMAIL, phone="0812-9999-9999", password=PASSWORD)
    code = _CODE.findall(sms_text(svc))[0]
    account = svc.confirm_otp(registration.id, code=code)
    svc.update_profile(account.id, **full_profile())
    svc.issue_card(account.id)
    link = svc.card_qr(account.id).token
    for _ in range(SCANS):
        svc.resolve(link)
    # Production mode: a secret, no dev pages, the host named.
    return create_app(svc, secret_key=SECRET, trusted_hosts=servers.HOST)


def serve_child(args: argparse.Namespace) -> int:
    if args.serve == "ours":
        return servers.serve(our_app(args.database_url, args.schema or None), {"src": _SRC})
    sizes = json.loads(args.sizes)
    return servers.serve(servers.bare_pages({p: (s, m) for p, (s, m) in sizes.items()}), {})


@contextlib.contextmanager
def our_server(url: str, schema: str | None, src: str | None = None) -> Iterator[str]:
    command = [__file__, "--serve", "ours", "--database-url", url, "--schema", schema or ""]
    env = {**os.environ, "SIAPKERJA_BENCH_SRC": src} if src else None
    with servers.child_server(command, env=env) as info:
        yield info["base"]


def sign_in(base: str) -> str:
    """Sign Galih in through the pages; the ``Cookie`` header his browser then sends."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as http:
        page = http.get("/")
        found = _CSRF.search(page.text)
        if found is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        data = {"identifier": EMAIL, "password": PASSWORD, "csrf_token": unescape(found[1])}
        reply = http.post("/", data=data)
        if reply.status_code != 303:
            raise RuntimeError(f"sign-in answered {reply.status_code}: {reply.text[:300]}")
        # Follow the redirect as a browser does: the profile page gives the new session its
        # CSRF token, so the cookie loaded below is the one a signed-in browser sends (one
        # without a token had every page mint one and sign a new cookie).
        landed = http.get(reply.headers["location"])
        if landed.status_code != 200:
            raise RuntimeError(f"the page after signing in answered {landed.status_code}")
        return "; ".join(f"{name}={value}" for name, value in _jar(http).items())


def _jar(http: Any) -> dict[str, str]:
    """The client's cookies read off its jar by hand: a Secure cookie would not be resent
    on http."""
    return {c.name: c.value for c in http.cookies.jar if c.value is not None}


def probe(url: str, headers: dict[str, str], must_contain: tuple[str, ...]) -> tuple[int, str]:
    """The page's size and media type, after checking it is the page meant."""
    import httpx

    page = httpx.get(url, headers=headers, timeout=30, follow_redirects=False)
    if page.status_code != 200:
        raise RuntimeError(f"{url} answered {page.status_code}")
    for text in must_contain:
        if text not in page.text:
            raise RuntimeError(f"{url} lacks {text!r}: not the page meant")
    return len(page.content), page.headers["content-type"].split(";")[0]


# --------------------------------------------------------------------------
# One backend
# --------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_backend(
    url: str, schema: str | None, old: tuple[str, str | None] | None, args: argparse.Namespace
) -> dict[str, Any]:
    """Serve, sign in, probe, and load every page on both servers in interleaved rounds."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        ours = stack.enter_context(our_server(url, schema))
        cookie = {"Cookie": sign_in(ours)}
        checks = {
            "signin": ('name="identifier"',),
            "profile": (NAME, CERTIFICATES[2][0], SKILLS[-1], "CV Kreasi Digital"),
            "picker": ("Palmerah",),
            "search": ('"Palmerah"',),
            "register": ('name="nik"',),
            "card": ("<svg",),
            "history": ("<table", "<h1"),
            "programmes": ("<h1",),
        }
        targets: dict[str, tuple[str, dict[str, str]]] = {}
        pages: dict[str, tuple[int, str]] = {}
        for name, (path, signed_in) in PAGES.items():
            if name not in args.page:
                continue
            headers = cookie if signed_in else {}
            targets[name] = (ours + path, headers)
            pages[name] = probe(ours + path, headers, checks[name])
        if old is not None:
            old_url, old_schema = old
            old_base = stack.enter_context(our_server(old_url, old_schema, args.compare_src))
            targets["signin_old"] = (old_base + "/", {})
            pages["signin_old"] = probe(old_base + "/", {}, checks["signin"])
        sizes = {f"/bare/{name}": page for name, page in pages.items()}
        bare = stack.enter_context(
            servers.child_server([__file__, "--serve", "bare", "--sizes", json.dumps(sizes)])
        )["base"]
        bare_targets = {
            name: (f"{bare}/bare/{name}", headers) for name, (_, headers) in targets.items()
        }
        setup_s = time.perf_counter() - started
        for name in pages:  # the bare page answers as many bytes
            size, _ = probe(bare_targets[name][0], bare_targets[name][1], ())
            if size != pages[name][0]:
                raise RuntimeError(f"bare {name}: {size} bytes, not {pages[name][0]}")

        def load_all(rounds: int, requests: int, seconds: float) -> dict[tuple[str, str], Any]:
            """Each page on both servers in turn, ``seconds`` (or ``requests``) each in all."""
            totals: dict[tuple[str, str], Any] = {}
            for round_number in range(rounds):
                for name in targets:
                    pair = [("ours", targets[name]), ("bare", bare_targets[name])]
                    for side, (target, headers) in pair[:: 1 if round_number % 2 == 0 else -1]:
                        slot = totals.setdefault(
                            (name, side), {"requests": 0, "errors": 0, "seconds": 0.0, "lat": []}
                        )
                        result = servers.run(
                            servers.raw_round(
                                target,
                                requests // rounds,
                                args.concurrency,
                                seconds / rounds,
                                headers,
                                slot["lat"],
                            )
                        )
                        for key in ("requests", "errors", "seconds"):
                            slot[key] += result[key]
            return totals

        # Warm-up: lazy imports, templates, pools, the region search's index.
        load_all(2, 2 * (2 if args.quick else 4) * args.concurrency, 20.0)
        totals = load_all(args.rounds, args.requests or 10**9, args.seconds)

    result: dict[str, Any] = {"setup_s": setup_s, "pages": {}}
    for name in targets:
        entry: dict[str, Any] = {"bytes": pages[name][0], "media_type": pages[name][1]}
        for side in ("ours", "bare"):
            slot = totals[(name, side)]
            entry[side] = {
                "requests": slot["requests"],
                "errors": slot["errors"],
                "seconds": slot["seconds"],
                "rps": slot["requests"] / slot["seconds"] if slot["seconds"] else 0.0,
                "p50_ms": 1000 * percentile(slot["lat"], 0.50),
                "p99_ms": 1000 * percentile(slot["lat"], 0.99),
            }
        entry["ratio"] = entry["ours"]["rps"] / entry["bare"]["rps"]
        result["pages"][name] = entry
    if "signin_old" in result["pages"] and "signin" in result["pages"]:
        new, old_page = result["pages"]["signin"], result["pages"]["signin_old"]
        result["signin_new_over_old"] = new["ours"]["rps"] / old_page["ours"]["rps"]
    return result


@contextlib.contextmanager
def sqlite_databases(count: int) -> Iterator[list[tuple[str, str | None]]]:
    with tempfile.TemporaryDirectory(prefix="siapkerja-bench-pages-") as directory:
        yield [(f"sqlite:///{directory}/pages{n}.sqlite3", None) for n in range(count)]


@contextlib.contextmanager
def postgresql_databases(count: int) -> Iterator[list[tuple[str, str | None]] | None]:
    from siapkerja_adapters.sql import testing

    url = testing.postgres_test_url()
    reason = testing.postgres_unavailable(url)
    if reason is not None:
        print(f"postgresql: skipped — {reason}")
        yield None
        return
    with contextlib.ExitStack() as stack:
        yield [
            (url, stack.enter_context(testing.temporary_schema(url, prefix="sk_bench_pages_")))
            for _ in range(count)
        ]


def report(name: str, result: dict[str, Any]) -> None:
    if result.get("skipped"):
        print(f"{name}: skipped")
        return
    target = describe(TARGET, higher=True)
    print(f"{name} (set-up {result['setup_s']:.1f} s):")
    print(
        f"  {'page':<38} {'bytes':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'bare/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>7} errors  target {target}"
    )
    for page, entry in result["pages"].items():
        ours, bare = entry["ours"], entry["bare"]
        if page != "signin_old":
            entry["verdict"] = judge(
                "bench_pages",
                f"{LABELS[page]} ÷ bare page",
                entry["ratio"],
                TARGET,
                higher=True,
                backend=name,
                errors=ours["errors"] + bare["errors"],
                detail=f"{ours['rps']:,.0f} vs {bare['rps']:,.0f} req/s",
            )
        print(
            f"  {LABELS[page]:<38} {entry['bytes']:>7,} {ours['rps']:>7,.0f}"
            f" {ours['p50_ms']:>7.1f} {ours['p99_ms']:>7.1f} {bare['rps']:>7,.0f}"
            f" {bare['p50_ms']:>7.1f} {bare['p99_ms']:>7.1f} {entry['ratio']:>6.3f}x"
            f" {ours['errors'] + bare['errors']:>6}  {entry.get('verdict', '')}"
        )
    if "signin_new_over_old" in result:
        ratio = result["signin_new_over_old"]
        print(f"  sign-in page's req/s, this checkout ÷ --compare-src: {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 2 rounds of 2 s per page and server"
    )
    parser.add_argument("--page", choices=tuple(PAGES), action="append")
    parser.add_argument(
        "--seconds",
        type=float,
        default=4.0,
        help="load time per page and server, split over the rounds (default 4)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (default 4)")
    parser.add_argument(
        "--requests", type=int, default=0, help="a cap per page and server (default: none)"
    )
    parser.add_argument(
        "--compare-src", help="another checkout's src directory: its GET / in the same rounds"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve_child(args)
    args.page = args.page or list(PAGES)
    if args.quick:
        args.seconds, args.rounds = min(args.seconds, 2.0), min(args.rounds, 2)
    if args.compare_src:
        args.compare_src = str(Path(args.compare_src).resolve())

    started = time.perf_counter()
    print(
        f"Pages through uvicorn against a bare page of the same size:"
        f" {args.concurrency} keep-alive connections, {args.rounds} interleaved rounds,"
        f" {args.seconds:.0f} s per page and server"
    )
    results: dict[str, Any] = {}
    count = 2 if args.compare_src else 1
    for name, databases in (("sqlite", sqlite_databases), ("postgresql", postgresql_databases)):
        if args.backend and name not in args.backend:
            continue
        with databases(count) as targets:
            if targets is None:
                results[name] = {"skipped": True}
            else:
                url, schema = targets[0]
                results[name] = run_backend(url, schema, targets[1] if count == 2 else None, args)
        report(name, results[name])
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "serve", "sizes")}
        args.json.write_text(json.dumps({"settings": settings, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
