"""Single sign-on ("Masuk dengan SIAPkerja") against its peer: a verifier's consented scan.

Run: ``python benchmarks/bench_sso.py [--json PATH] [--quick]`` (``nox -s bench`` runs it too).

Measured through the facade on ``connect("memory")``, SQLite (a file in a
temporary directory) and PostgreSQL (a throw-away schema at
``$SIAPKERJA_TEST_POSTGRES_URL``, skipped with the reason when unreachable),
each as a ratio against ``svc.resolve(link, verifier, purpose=…)`` of another
consenting holder, measured in the same run on the same storage — the same
disclosure under a consent, with one ledger line:

1. **userinfo** — ``svc.sso.userinfo(access_token)``: the token's hash
   looked up, the client and its hub checked, the client's rate-limit slot,
   the holder, consent, card and profile read, the prefill claims built and a
   ledger line written. Target: **≤ 2×**.
2. **token exchange** — what the token endpoint asks of the core for one
   sign-in: ``redeem_code`` (the code spent), ``issue_tokens`` (access and
   refresh token, the sign-in's ledger line) and ``id_token_claims``; the
   code is issued just before, untimed. Signing the JWT is the web
   adapter's and not included. Target: **≤ 3×**.

Every holder consented beforehand (untimed). A latency ratio is the lowest of
``--rounds`` round medians of ``--samples`` paired calls (the capability,
then its peer) after a warm-up, with the GC off. Targets are reported
(``PASS``, ``ABOVE``), not asserted: the script exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _targets import judge
from bench_storage import (
    Population,
    connect_sql,
    load,
    postgresql_database,
    settle,
    sqlite_database,
)
from bench_uses import Draw, connect_memory, fill_memory, issue_all, rounds_of

USERINFO_TARGET = 2.0
EXCHANGE_TARGET = 3.0
PURPOSE = "melamar lowongan di karirhub"
REDIRECT = "https://karirhub.example/callback"
SCOPE = "openid email profile work skills nik_masked"


def prepare(svc: Any, holders: list[str]) -> tuple[Any, Any, dict[str, str]]:
    """A client, the peer verifier, and each holder's consent id (untimed)."""
    client, _ = svc.sso.add_client(
        name="Karirhub", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose=PURPOSE
    )
    peer, _ = svc.register_verifier("PT Karya Nusantara", ["karirhub"])
    consents = {}
    for account_id in holders:
        plan = svc.sso.plan(client, account_id, SCOPE)
        consents[account_id] = svc.sso.approve(client, account_id, plan).id
        svc.grant_consent(account_id, peer.id, PURPOSE)
    return client, peer, consents


def measure(svc: Any, draw: Draw, args: argparse.Namespace) -> dict[str, Any]:
    needed = args.warm_up + args.samples * args.rounds
    signing_in, asking, scanned = draw.take(needed), draw.take(needed), draw.take(needed)
    client, peer, consents = prepare(svc, signing_in + asking + scanned)
    sso = svc.sso
    links = [svc.card(account_id).qr_text for account_id in scanned]
    fields = sorted(sso.plan(client, signing_in[0], SCOPE).fields)

    def code_for(account_id: str) -> str:
        return str(
            sso.issue_code(
                client,
                account_id,
                consent_id=consents[account_id],
                fields=fields,
                scope=SCOPE,
                redirect_uri=REDIRECT,
                nonce="n",
                code_challenge="c" * 43,
                code_challenge_method="S256",
                auth_time=svc.now(),
                amr=["pwd"],
            )
        )

    tokens = [
        sso.issue_tokens(client, sso.redeem_code(client, code_for(a))).access_token for a in asking
    ]
    codes: dict[int, str] = {}

    def mint(i: int) -> None:
        codes[i] = code_for(signing_in[i])

    def exchange(i: int) -> None:
        grant = sso.redeem_code(client, codes.pop(i))
        sso.issue_tokens(client, grant)
        sso.id_token_claims(client, grant)

    def userinfo(i: int) -> None:
        sso.userinfo(tokens[i])

    def scan(i: int) -> None:
        svc.resolve(links[i], peer, purpose=PURPOSE)

    if hasattr(svc.storage, "single_statement"):
        settle(svc)  # SQL: statistics after the writes above
    sample = sso.userinfo(tokens[-1])
    assert "work" in sample
    # Generous: every call of the run is within the client's per-minute limit.
    svc.sso.update_client(client.id, rate_limit=100_000)
    client = sso.usable_client(client.id)
    return {
        "userinfo": rounds_of(args, userinfo, scan),
        "exchange": rounds_of(args, exchange, scan, before=mint),
    }


def run_sql(url: str, schema: str | None, args: argparse.Namespace) -> dict[str, Any]:
    svc = connect_sql(url, schema)
    population = Population()
    load_s = load(svc, population, 0, args.cards)
    issue_s, _ = issue_all(svc)
    settle(svc)
    result = measure(svc, Draw(args.cards, 3 * _needed(args), args.seed), args)
    return {**result, "cards": args.cards, "load_s": load_s, "issue_s": issue_s}


def run_memory(args: argparse.Namespace) -> dict[str, Any]:
    svc = connect_memory()
    fill_memory(svc, Population(), args.memory_cards)
    return {
        **measure(svc, Draw(args.memory_cards, 3 * _needed(args), args.seed), args),
        "cards": args.memory_cards,
    }


def _needed(args: argparse.Namespace) -> int:
    return args.warm_up + args.samples * args.rounds


def verdict(ratio: float, target: float, name: str, backend: str) -> str:
    return judge("bench_sso", f"{name} ÷ resolve", ratio, target, higher=False, backend=backend)


def report(name: str, result: dict[str, Any]) -> None:
    if result.get("skipped"):
        print(f"{name}: skipped ({result.get('reason', 'unreachable')})")
        return
    print(f"{name} ({result['cards']:,} cards):")
    for key, label, target in (
        ("userinfo", "userinfo", USERINFO_TARGET),
        ("exchange", "token exchange", EXCHANGE_TARGET),
    ):
        r = result[key]
        judged = verdict(r["ratio"], target, label, name)
        print(
            f"  {label:<16} {r['ms']:6.2f} ms   resolve (verifier, purpose) {r['peer_ms']:6.2f} ms"
            f"   ratio {r['ratio']:.2f}x (target ≤ {target:.0f}x)  {judged}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cards, not 100,000")
    parser.add_argument("--cards", type=int, help="cards issued on each SQL storage")
    parser.add_argument("--memory-cards", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=200, help="paired calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (best median kept)")
    parser.add_argument("--warm-up", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--backend", choices=("memory", "sqlite", "postgresql"), action="append")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    args.cards = args.cards or (10_000 if args.quick else 100_000)
    backends = args.backend or ["memory", "sqlite", "postgresql"]
    started = time.perf_counter()
    print(
        f"Single sign-on against a consented verifier scan (best of {args.rounds} medians of"
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
                report(name, results[name])
                continue
            url, schema = target
            results[name] = run_sql(url, schema, args)
            report(name, results[name])
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
