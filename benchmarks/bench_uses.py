"""The uses of issue 12 against their peers: gate admission, the status list, prefill, code size.

Run: ``python benchmarks/bench_uses.py [--json PATH] [--quick]`` (``nox -s bench`` runs it too).

Each capability is measured through the facade, on SQLite (a file in a
temporary directory) and PostgreSQL (a throw-away schema at
``$SIAPKERJA_TEST_POSTGRES_URL``, skipped with the reason when unreachable),
and the first and third on ``connect("memory")`` for reference — each as a
ratio against a peer measured in the same run, on the same storage:

1. **Gate admission** — ``svc.events.admit(code, event_id=…,
   credential=StationCredential(api_key=…))`` of a holder's access code at a
   registered gate (the station's key, the code, the event's window and lock,
   the first-entry check, the capacity count, the receipt with the photo, a
   check-in and a ledger entry) against ``svc.resolve(link)``, an anonymous
   scan of another holder's link QR (also one ledger entry). Target: **≤ 3×**.
   Every admission is a different holder (a card enters once); its code is
   minted just before, untimed (a code lives one 30 s step). The admissions
   per second of one gate, one after another, are reported beside it.
2. **Status list** — ``svc.status_lists.token()`` rebuilt and signed (its
   cache emptied before each call) with ``--cards`` issued cards of which
   ``--revoked`` are revoked and ``--suspended`` suspended, against the
   floor: the bare ``SELECT status_index, revoked_at, suspended_at FROM
   sk_cards`` of the same rows (those not valid), fetched on a connection of
   the same storage. SQL storages only. Target: **≤ 5×**.
3. **Prefill document** — ``svc.prefill.document(link, verifier, purpose)``
   with the holder's consent, against ``svc.resolve(link, verifier,
   purpose=purpose)`` of another consenting holder: the same disclosure and
   ledger entry, without the schema-shaped document. Target: **≤ 1.5×**.
4. **Access-code size** — the length of a minted access code and the QR
   version and level it takes. Target: **≤ 150 characters, version ≤ 6 at M**.

The databases are filled as ``bench_storage.py`` fills them (the adapter's
bulk path, then ``svc.issue_cards()``), with Argon2 swapped for its keyed
SHA-256 stand-in; memory holds ``--memory-cards``. A latency ratio is taken
from paired calls (the capability, then its peer, alternately) in
``--rounds`` rounds of ``--samples`` after a warm-up, with the GC off; the
lowest round median of each side is kept. The admission's round medians are
printed with the number already inside the event when the round began: an
admission must not grow with the crowd. The status list is the best of
``--repeat`` interleaved calls of each side. Targets are reported
(``PASS``, ``ABOVE``), not asserted: the script exits 0.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _targets import judge
from bench_journey import KeyedSha256Hasher
from bench_storage import (
    Population,
    connect_sql,
    gc_off,
    load,
    postgresql_database,
    settle,
    sqlite_database,
)
from siapkerja_adapters import connect
from siapkerja_core.errors import CardError
from siapkerja_core.services.gates import StationCredential

ADMIT_TARGET = 3.0
STATUS_LIST_TARGET = 5.0
PREFILL_TARGET = 1.5
CODE_LENGTH_TARGET = 150
CODE_VERSION_TARGET = 6
EVENT_ID = "JOBFAIR-JKT-2026"
PURPOSE = "lamaran kerja backend developer"


def connect_memory() -> Any:
    return connect("memory", environ={}, load_entrypoints=False, hasher=KeyedSha256Hasher())


def fill_memory(svc: Any, population: Population, count: int) -> None:
    with svc.storage.transaction() as tx:
        for n in range(count):
            tx.accounts.add(population.account(n))
            tx.profiles.put(*population.profile(n))
    svc.issue_cards()


def paired(
    run: Callable[[int], object],
    peer: Callable[[int], object],
    count: int,
    before: Callable[[int], object] | None = None,
    start: int = 0,
) -> tuple[float, float]:
    """Median ms of ``run(i)`` and of ``peer(i)`` right after it, ``i`` from ``start`` on.

    ``before(i)`` runs first, untimed (minting the access code of the next admission).
    """
    times, peer_times = [], []
    for i in range(start, start + count):
        if before is not None:
            before(i)
        began = time.perf_counter()
        run(i)
        middle = time.perf_counter()
        peer(i)
        times.append(middle - began)
        peer_times.append(time.perf_counter() - middle)
    return statistics.median(times) * 1e3, statistics.median(peer_times) * 1e3


class Draw:
    """Distinct holders for each use, drawn at random from every card issued."""

    def __init__(self, loaded: int, needed: int, seed: int) -> None:
        if needed > loaded:
            raise SystemExit(f"needs {needed:,} holders, only {loaded:,} loaded")
        self._left = random.Random(seed).sample(range(loaded), needed)

    def take(self, count: int) -> list[str]:
        taken, self._left = self._left[:count], self._left[count:]
        return [Population.account_id(n) for n in taken]


def rounds_of(
    args: argparse.Namespace,
    run: Callable[[int], object],
    peer: Callable[[int], object],
    before: Callable[[int], object] | None = None,
    inside: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Warm-up, then ``args.rounds`` rounds of ``args.samples`` paired calls."""
    seen: list[dict[str, float]] = []
    with gc_off():
        paired(run, peer, args.warm_up, before)
        for n in range(args.rounds):
            crowd = inside() if inside is not None else 0
            at = args.warm_up + n * args.samples
            ms, peer_ms = paired(run, peer, args.samples, before, start=at)
            seen.append({"ms": ms, "peer_ms": peer_ms, "inside_before": crowd})
    best, best_peer = min(r["ms"] for r in seen), min(r["peer_ms"] for r in seen)
    return {"rounds": seen, "ms": best, "peer_ms": best_peer, "ratio": best / best_peer}


def measure_gate(svc: Any, draw: Draw, args: argparse.Namespace) -> dict[str, Any]:
    needed = args.warm_up + args.samples * args.rounds
    entrants, scanned = draw.take(needed), draw.take(needed)
    organiser, _ = svc.register_verifier("Disnaker Provinsi DKI Jakarta", ["disnaker"])
    now = svc.now()
    svc.events.create_event(
        organiser,
        id=EVENT_ID,
        name="Job Fair Jakarta 2026",
        kind="job_fair",
        venue="JIExpo Kemayoran",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        region_code="31",
    )
    _gate, key = svc.events.add_station(organiser, EVENT_ID, name="Pintu A")
    credential = StationCredential(api_key=key)
    links = [svc.card(account_id).qr_text for account_id in scanned]
    codes: dict[int, str] = {}
    admit, resolve = svc.events.admit, svc.resolve

    def mint(i: int) -> None:
        codes[i] = svc.card_qr(entrants[i], mode="access", purpose=EVENT_ID).token

    def admission(i: int) -> None:
        admit(codes.pop(i), event_id=EVENT_ID, credential=credential)

    def scan(i: int) -> None:
        resolve(links[i])

    result = rounds_of(
        args, admission, scan, before=mint, inside=lambda: svc.events.counts(EVENT_ID).inside
    )
    assert svc.events.counts(EVENT_ID).inside == needed
    result["admissions_per_second"] = 1e3 / result["ms"]
    qr = svc.card_qr(scanned[0], mode="access", purpose=EVENT_ID)
    result["code"] = {
        "length": len(qr.token),
        "version": qr.qr.version,
        "error": qr.qr.error,
        "event_id": EVENT_ID,
    }
    return result


def measure_prefill(svc: Any, draw: Draw, args: argparse.Namespace) -> dict[str, Any]:
    needed = args.warm_up + args.samples * args.rounds
    documented, resolved = draw.take(needed), draw.take(needed)
    verifier, _ = svc.register_verifier("PT Karya Nusantara", ["karirhub"])
    for account_id in (*documented, *resolved):
        svc.grant_consent(account_id, verifier.id, PURPOSE)
    doc_links = [svc.card(account_id).qr_text for account_id in documented]
    links = [svc.card(account_id).qr_text for account_id in resolved]
    document, resolve = svc.prefill.document, svc.resolve
    sample = document(doc_links[-1], verifier, PURPOSE)
    assert sample is not None
    doc_links.pop()  # that holder's view is cached now: not one of the measured
    documented.pop()
    links.pop()

    def prefill(i: int) -> None:
        document(doc_links[i], verifier, PURPOSE)

    def scan(i: int) -> None:
        resolve(links[i], verifier, purpose=PURPOSE)

    args = argparse.Namespace(**{**vars(args), "warm_up": args.warm_up - 1})
    return rounds_of(args, prefill, scan)


def measure_status_list(svc: Any, draw: Draw, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import or_, select

    from siapkerja_adapters.sql import schema as sk

    revoked, suspended = draw.take(args.revoked), draw.take(args.suspended)
    began = time.perf_counter()
    indexes = [svc.revoke_card(account_id).status_index for account_id in revoked]
    revoke_s = time.perf_counter() - began
    for account_id in suspended:
        svc.suspend_card(account_id)
    settle(svc)
    lists = svc.status_lists
    c = sk.cards.c
    same_rows = select(c.status_index, c.revoked_at, c.suspended_at).where(
        c.status_index.is_not(None), or_(c.revoked_at.is_not(None), c.suspended_at.is_not(None))
    )
    every_row = select(c.status_index, c.revoked_at, c.suspended_at)
    storage = svc.storage
    rows: dict[str, int] = {}

    def build() -> None:
        lists._signed = None  # the cache: every call reads and signs again
        lists.token()

    def floor() -> None:
        with storage.single_statement(write=False) as conn:
            rows["same"] = len(conn.execute(same_rows).all())

    def whole_table() -> None:
        with storage.single_statement(write=False) as conn:
            rows["all"] = len(conn.execute(every_row).all())

    runs = {"status_list": build, "select": floor, "select_all": whole_table}
    best = {name: float("inf") for name in runs}
    build()
    floor()
    with gc_off():
        for _ in range(args.repeat):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    listed = lists.current().status_list
    assert all(listed.status(index) == 1 for index in indexes[:20])
    assert rows["same"] == args.revoked + args.suspended, rows
    return {
        "ms": best["status_list"] * 1e3,
        "select_ms": best["select"] * 1e3,
        "select_all_ms": best["select_all"] * 1e3,
        "ratio": best["status_list"] / best["select"],
        "rows": rows,
        "token_chars": len(lists.token()),
        "revocations_per_second": args.revoked / revoke_s,
    }


def issue_all(svc: Any) -> tuple[float, int]:
    """``svc.issue_cards()`` until every account holds a card; (seconds, ``card.exhausted`` met).

    Bulk issuance can stop on ``card.exhausted``: a card's status-list index
    is drawn at most 8 times, and the list is allowed to fill to one half, so
    near that fill about one card in 200 fails its 8 draws. The batches
    before it are committed and a second call carries on; how often that
    happened is reported.
    """
    exhausted = 0
    began = time.perf_counter()
    while True:
        try:
            svc.issue_cards()
        except CardError as error:
            if error.full_code != "card.exhausted" or exhausted >= 100:
                raise
            exhausted += 1
            continue
        return time.perf_counter() - began, exhausted


def run_sql(url: str, schema: str | None, args: argparse.Namespace) -> dict[str, Any]:
    svc = connect_sql(url, schema)
    population = Population()
    try:
        result: dict[str, Any] = {"cards": args.cards}
        result["load_s"] = load(svc, population, 0, args.cards)
        result["issue_s"], result["exhausted"] = issue_all(svc)
        settle(svc)
        per_use = args.warm_up + args.samples * args.rounds
        draw = Draw(args.cards, 4 * per_use + args.revoked + args.suspended, args.seed)
        result["gate"] = measure_gate(svc, draw, args)
        result["prefill"] = measure_prefill(svc, draw, args)
        result["status_list"] = measure_status_list(svc, draw, args)
    finally:
        svc.storage.dispose()
    return result


def run_memory(args: argparse.Namespace) -> dict[str, Any]:
    svc = connect_memory()
    population = Population()
    fill_memory(svc, population, args.memory_cards)
    per_use = args.warm_up + args.samples * args.rounds
    draw = Draw(args.memory_cards, 4 * per_use, args.seed)
    return {
        "cards": args.memory_cards,
        "gate": measure_gate(svc, draw, args),
        "prefill": measure_prefill(svc, draw, args),
    }


def verdict(ratio: float, target: float, name: str, backend: str) -> str:
    return judge("bench_uses", name, ratio, target, higher=False, backend=backend)


def report(name: str, result: dict[str, Any]) -> None:
    line = f"{name}: {result['cards']:,} cards"
    if "load_s" in result:
        line += f" (loaded in {result['load_s']:.1f} s, issued in {result['issue_s']:.1f} s)"
        if result["exhausted"]:
            line += f"; issue_cards stopped {result['exhausted']}x on card.exhausted"
    print(line)
    gate = result["gate"]
    judged = verdict(gate["ratio"], ADMIT_TARGET, "admit ÷ resolve", name)
    print(
        f"  admit (gate, API key)       {gate['ms']:6.2f} ms   resolve (anonymous scan)"
        f" {gate['peer_ms']:6.2f} ms   ratio {gate['ratio']:.2f}x"
        f" (target ≤ {ADMIT_TARGET:.0f}x)  {judged}"
        f"   {gate['admissions_per_second']:,.0f} admissions/s"
    )
    crowd = ", ".join(
        f"{r['ms']:.2f} ms at {r['inside_before']:,.0f} inside" for r in gate["rounds"]
    )
    print(f"    admission by round: {crowd}")
    pre = result["prefill"]
    judged = verdict(pre["ratio"], PREFILL_TARGET, "prefill ÷ resolve", name)
    print(
        f"  prefill.document            {pre['ms']:6.2f} ms   resolve (verifier, purpose)"
        f" {pre['peer_ms']:6.2f} ms   ratio {pre['ratio']:.2f}x"
        f" (target ≤ {PREFILL_TARGET}x)  {judged}"
    )
    listed = result.get("status_list")
    if listed is not None:
        print(
            f"  status list, built + signed {listed['ms']:6.2f} ms   SELECT of its"
            f" {listed['rows']['same']:,} rows {listed['select_ms']:6.2f} ms   ratio"
            f" {listed['ratio']:.2f}x (target ≤ {STATUS_LIST_TARGET:.0f}x)"
            f"  {verdict(listed['ratio'], STATUS_LIST_TARGET, 'status list ÷ SELECT', name)}"
        )
        print(
            f"    (SELECT of all {listed['rows']['all']:,} rows {listed['select_all_ms']:.2f} ms;"
            f" JWT {listed['token_chars']:,} chars;"
            f" {listed['revocations_per_second']:,.0f} revocations/s)"
        )


def report_code(code: dict[str, Any]) -> None:
    ok = code["length"] <= CODE_LENGTH_TARGET and code["version"] <= CODE_VERSION_TARGET
    ok = ok and code["error"] == "M"
    print(
        f"access code for {code['event_id']!r}: {code['length']} characters, QR version"
        f" {code['version']}-{code['error']} (target ≤ {CODE_LENGTH_TARGET} characters,"
        f" ≤ {CODE_VERSION_TARGET}-M)  {'PASS' if ok else 'ABOVE'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cards, not 100,000")
    parser.add_argument("--cards", type=int, help="cards issued on each SQL storage")
    parser.add_argument("--memory-cards", type=int, default=4000)
    parser.add_argument("--revoked", type=int, default=1000)
    parser.add_argument("--suspended", type=int, default=100)
    parser.add_argument("--samples", type=int, default=200, help="paired calls per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds (best median kept)")
    parser.add_argument("--warm-up", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=15, help="status list: best of")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--backend", choices=("memory", "sqlite", "postgresql"), action="append")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    args.cards = args.cards or (10_000 if args.quick else 100_000)
    backends = args.backend or ["memory", "sqlite", "postgresql"]

    started = time.perf_counter()
    print(
        f"Uses of issue 12 against their peers (best of {args.rounds} medians of"
        f" {args.samples} paired calls after {args.warm_up} warm-up, GC off):"
    )
    results: dict[str, Any] = {}
    if "memory" in backends:
        results["memory"] = run_memory(args)
        report("memory", results["memory"])
    for name, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
        if name not in backends:
            continue
        with database() as target:
            if target is None:
                results[name] = {"skipped": True}
                continue
            url, schema = target
            results[name] = run_sql(url, schema, args)
            report(name, results[name])
    code = next((r["gate"]["code"] for r in results.values() if "gate" in r), None)
    if code is not None:
        report_code(code)
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
