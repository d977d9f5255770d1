"""NIK validation benchmark: siapkerja_core against python-stdnum, in one process.

Run ``python benchmarks/bench_nik.py`` (or ``nox -s bench``). It

1. builds a deterministic mixed corpus (seeded ``random``) of NIKs: about 70 %
   valid, 30 % invalid of every kind (see ``build_corpus``);
2. times ``siapkerja_core.is_valid_nik``, ``siapkerja_core.parse_nik`` and
   ``stdnum.id.nik.is_valid`` over the same corpus, best of several repeats,
   and prints our speed-up against the 20x target;
3. counts where ours and stdnum disagree, and why;
4. measures, in fresh interpreters, the import time of ``siapkerja_core`` and
   the latency of the first ``parse_nik`` (which loads the region table),
   median of several runs, against the 50 ms target.

Targets are reported (PASS / BELOW), never asserted: the exit code is 0
unless the benchmark itself fails. ``--json PATH`` writes every number.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import timeit
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

try:
    import siapkerja_core
except ModuleNotFoundError:  # run from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import siapkerja_core

from _targets import judge
from siapkerja_core import InvalidNik, is_valid_nik, parse_nik, regions

try:
    from stdnum.id import nik as stdnum_nik
except ModuleNotFoundError:  # the `bench` extra is not installed
    stdnum_nik = None

SEED = 17_081_945
CORPUS_SIZE = 24_000
REPEAT = 9
COLD_RUNS = 7
SPEEDUP_TARGET = 20.0
FIRST_PARSE_TARGET_MS = 50.0

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def _valid_date(rng: random.Random) -> tuple[int, int, int]:
    """(day, month, year): a random birth date, or one of the unknown-date conventions."""
    year = rng.randint(1940, 2025)
    convention = rng.random()
    if convention < 0.04:
        return 31, 12, year  # unknown birth date, registered before 2004
    if convention < 0.08:
        return 1, 7, year  # unknown birth date, SIAK (since 2004)
    month = rng.randint(1, 12)
    if convention < 0.10:
        return 15, month, year  # only the month known
    return rng.randint(1, calendar.monthrange(year, month)[1]), month, year


def _nik(district: str, day: int, month: int, year: int, female: bool, serial: int) -> str:
    return f"{district}{day + 40 * female:02d}{month:02d}{year % 100:02d}{serial:04d}"


def _format(rng: random.Random, nik: str) -> str:
    """The NIK as people type it: grouped with spaces, dashes or dots."""
    sep = rng.choice([" ", "-", ".", " - "])
    if rng.random() < 0.5:
        return sep.join((nik[:6], nik[6:12], nik[12:]))
    return sep.join((nik[:4], nik[4:8], nik[8:12], nik[12:]))


def build_corpus(size: int = CORPUS_SIZE, seed: int = SEED) -> tuple[list[str], list[str]]:
    """(NIKs, the kind each was built as), shuffled, the same for the same seed.

    About 70 % are built valid: current and retired districts, both sexes,
    birth years 1940-2025, the unknown-date conventions; a small share is
    formatted or in full-width digits (valid, but off the fast path). The rest
    are invalid in every way we know of.
    """
    rng = random.Random(seed)
    everything = sorted(regions.district_codes())  # sorted: set order varies per process
    current = sorted(regions.district_codes(include_retired=False))
    retired = sorted(set(everything) - set(current))
    known = set(everything)

    def valid_digits(pool: Sequence[str] | None = None) -> str:
        day, month, year = _valid_date(rng)
        district = rng.choice(pool if pool is not None else current)
        return _nik(district, day, month, year, rng.random() < 0.5, rng.randint(1, 9999))

    def unknown_region() -> str:
        if rng.random() < 0.5:  # a real regency, a district number it never had
            while True:
                code = rng.choice(current)[:4] + f"{rng.randint(0, 99):02d}"
                if code not in known:
                    break
        else:  # anything
            while True:
                code = f"{rng.randint(0, 999_999):06d}"
                if code not in known:
                    break
        return code + valid_digits()[6:]

    def bad_day() -> str:
        day = rng.choice([0, *range(32, 41), *range(72, 100)])  # 81-91: stdnum's day % 40
        nik = valid_digits()
        return f"{nik[:6]}{day:02d}{nik[8:]}"

    def bad_month() -> str:
        month = rng.choice([0, *range(13, 100)])
        nik = valid_digits()
        return f"{nik[:8]}{month:02d}{nik[10:]}"

    def impossible_date() -> str:  # 30/31 February, 31 April, June, September, November
        day, month = rng.choice([(30, 2), (31, 2), (31, 4), (31, 6), (31, 9), (31, 11)])
        nik = valid_digits()
        return f"{nik[:6]}{day + 40 * (rng.random() < 0.5):02d}{month:02d}{nik[10:]}"

    def feb_29_non_leap() -> str:  # yy % 4 != 0: neither 19yy nor 20yy is a leap year
        yy = rng.choice([y for y in range(100) if y % 4])
        nik = valid_digits()
        return f"{nik[:6]}{rng.choice((29, 69))}02{yy:02d}{nik[12:]}"

    def serial_zero() -> str:
        return valid_digits()[:12] + "0000"

    def wrong_length() -> str:
        nik = valid_digits()
        length = rng.choice([*range(16), *range(17, 21)])
        return (nik + valid_digits())[:length]

    def letters() -> str:
        nik = list(valid_digits())
        for _ in range(rng.randint(1, 2)):
            nik[rng.randrange(16)] = rng.choice(LETTERS + "Oo")  # O for 0, a classic
        return "".join(nik)

    def formatted_wrong_length() -> str:
        nik = valid_digits()
        nik = nik[:-1] if rng.random() < 0.5 else nik + str(rng.randint(0, 9))
        return _format(rng, nik)

    kinds: list[tuple[str, float, Callable[[], str]]] = [
        ("valid: current district", 0.570, valid_digits),
        ("valid: retired district", 0.080, lambda: valid_digits(retired)),
        ("valid: formatted", 0.040, lambda: _format(rng, valid_digits())),
        ("valid: full-width digits", 0.010, lambda: valid_digits().translate(FULL_WIDTH)),
        ("invalid: unknown region", 0.050, unknown_region),
        ("invalid: bad day", 0.035, bad_day),
        ("invalid: bad month", 0.030, bad_month),
        ("invalid: impossible date", 0.025, impossible_date),
        ("invalid: 29 Feb, non-leap", 0.020, feb_29_non_leap),
        ("invalid: serial 0000", 0.035, serial_zero),
        ("invalid: wrong length", 0.040, wrong_length),
        ("invalid: letters", 0.035, letters),
        ("invalid: formatted, wrong length", 0.030, formatted_wrong_length),
    ]
    corpus: list[tuple[str, str]] = []
    for kind, share, make in kinds:
        corpus.extend((make(), kind) for _ in range(round(size * share)))
    rng.shuffle(corpus)
    return [nik for nik, _ in corpus], [kind for _, kind in corpus]


# --------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------


def loop_is_valid(corpus: list[str], check: Callable[[str], bool] = is_valid_nik) -> None:
    for text in corpus:
        check(text)


def loop_parse(corpus: list[str], parse: Callable[[str], object] = parse_nik) -> None:
    for text in corpus:
        try:  # noqa: SIM105 - contextlib.suppress costs more than the parse
            parse(text)
        except InvalidNik:
            pass


def best_seconds(
    loops: dict[str, Callable[[list[str]], None]], corpus: list[str], repeat: int
) -> dict[str, float]:
    """The best time of each loop over ``corpus``, in ``repeat`` interleaved rounds.

    Each round runs every loop once, so a burst of load on a shared machine
    slows all of them alike instead of one; the minimum is the run least
    disturbed (``timeit``'s advice), garbage collection off as in ``timeit``.
    """
    for loop in loops.values():
        loop(corpus)  # warm up: lazy data loads, memo tables, stdnum's numdb
    best = dict.fromkeys(loops, float("inf"))
    for _ in range(repeat):
        for name, loop in loops.items():
            [seconds] = timeit.repeat(lambda loop=loop: loop(corpus), number=1, repeat=1)
            best[name] = min(best[name], seconds)
    return best


# --------------------------------------------------------------------------
# Disagreements
# --------------------------------------------------------------------------


def _stdnum_knows_regency(code: str) -> bool:
    from stdnum import numdb

    return bool(numdb.get("id/loc").info(code[:4])[0][1])


def disagreement_reason(text: str, ours: bool) -> str:
    """Why siapkerja_core and stdnum judge ``text`` differently (ours is stricter, mostly)."""
    if ours:  # we accept, stdnum rejects
        compact = text.replace(" ", "").replace("-", "").replace(".", "")
        if not (compact.isascii() and compact.isdigit()):
            return "we clean more input (full-width digits, '/', '_')"
        if not _stdnum_knows_regency(compact):
            return "regency code not in stdnum's BPS-based list (no 65xx, no 2022 Papua codes)"
        return "other (stdnum rejects, we accept)"
    try:
        parse_nik(text)
    except InvalidNik as error:
        code = error.code
    else:  # pragma: no cover - ours is False, so parse_nik raises
        return "?"
    day = text.replace(" ", "").replace("-", "").replace(".", "")[6:8]
    if code == "region":
        return "district (kecamatan) unknown: stdnum checks only the 4-digit regency"
    if code == "serial":
        return "serial 0000: Dukcapil starts at 0001, stdnum does not check"
    if code == "birth_date" and "81" <= day <= "99":
        return "day 81-99: stdnum takes day % 40 (81 -> 1)"
    if code == "birth_date":
        return "birth date: other (stdnum tries 19yy then 20yy, we use the reference date)"
    return f"other ({code})"


def disagreements(corpus: list[str]) -> tuple[int, Counter[str], dict[str, list[str]]]:
    assert stdnum_nik is not None
    reasons: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for text in corpus:
        ours = is_valid_nik(text)
        if ours == stdnum_nik.is_valid(text):
            continue
        side = "ours accepts, stdnum rejects" if ours else "ours rejects, stdnum accepts"
        reason = f"{side}: {disagreement_reason(text, ours)}"
        reasons[reason] += 1
        found = examples.setdefault(reason, [])
        if len(found) < 2:
            found.append(text)
    return sum(reasons.values()), reasons, examples


# --------------------------------------------------------------------------
# Cold start, in fresh interpreters
# --------------------------------------------------------------------------

_CHILD = """
import sys, time
sys.path.insert(0, {path!r})
start = time.perf_counter()
import siapkerja_core
imported = time.perf_counter()
siapkerja_core.parse_nik("3171011708450001")
parsed = time.perf_counter()
print(imported - start, parsed - imported)
"""


def cold_start(runs: int) -> tuple[list[float], list[float]]:
    """(import seconds, first-parse seconds) of ``runs`` fresh interpreters (after one warm-up).

    The child imports the same ``siapkerja_core`` as this process. Times are
    taken with ``time.perf_counter`` inside the child, so interpreter start-up
    is not counted.
    """
    path = str(Path(siapkerja_core.__file__).resolve().parents[1])
    code = _CHILD.format(path=path)
    imports: list[float] = []
    firsts: list[float] = []
    for run in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        if run == 0:
            continue  # the first may write .pyc files: not what a user sees
        imported, parsed = map(float, done.stdout.split())
        imports.append(imported)
        firsts.append(parsed)
    return imports, firsts


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the numbers here")
    parser.add_argument("--size", type=int, default=CORPUS_SIZE, help="corpus size")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="timing repeats (best kept)")
    parser.add_argument("--cold-runs", type=int, default=COLD_RUNS, help="fresh interpreters")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": date.today().isoformat(),
        "seed": args.seed,
        "repeat": args.repeat,
        "cold_runs": args.cold_runs,
        "targets": {"speedup": SPEEDUP_TARGET, "first_parse_ms": FIRST_PARSE_TARGET_MS},
    }
    print(
        f"siapkerja NIK benchmark - Python {results['python']}, {platform.machine()}, "
        f"{results['cpus']} CPUs"
    )

    corpus, kinds = build_corpus(args.size, args.seed)
    accepted = sum(map(is_valid_nik, corpus))
    built_valid = sum(kind.startswith("valid") for kind in kinds)
    print(
        f"\ncorpus: {len(corpus):,} NIKs (seed {args.seed}): {built_valid:,} built valid "
        f"({built_valid / len(corpus):.1%}); siapkerja_core accepts {accepted / len(corpus):.1%}"
    )
    for kind, count in sorted(Counter(kinds).items()):
        print(f"  {kind:<34} {count:>6,}")
    results["corpus"] = {
        "size": len(corpus),
        "built_valid": built_valid,
        "accepted_by_siapkerja": accepted,
        "kinds": dict(Counter(kinds)),
    }

    loops: dict[str, Callable[[list[str]], None]] = {
        "siapkerja_core.is_valid_nik": loop_is_valid,
        "siapkerja_core.parse_nik": loop_parse,
    }
    if stdnum_nik is not None:
        peer = stdnum_nik.is_valid
        loops["stdnum.id.nik.is_valid"] = lambda c: loop_is_valid(c, peer)
    timings = best_seconds(loops, corpus, args.repeat)
    print(f"\nthroughput (best of {args.repeat} interleaved runs over the corpus):")
    throughput: dict[str, dict[str, float]] = {}
    for name, seconds in timings.items():
        per_nik = seconds / len(corpus)
        throughput[name] = {
            "seconds": seconds,
            "ns_per_nik": per_nik * 1e9,
            "per_second": 1 / per_nik,
        }
        print(f"  {name:<30} {per_nik * 1e6:8.3f} µs/NIK  {1 / per_nik / 1e6:7.2f} M NIK/s")
    results["throughput"] = throughput

    if stdnum_nik is None:
        print(
            "\nstdnum not installed (pip install 'siapkerja[bench]'): no ratios, no disagreements"
        )
    else:
        peer_seconds = timings["stdnum.id.nik.is_valid"]
        print(f"\nspeed-up against stdnum (target {SPEEDUP_TARGET:g}x):")
        ratios: dict[str, float] = {}
        for name in ("is_valid_nik", "parse_nik"):
            ratio = peer_seconds / timings[f"siapkerja_core.{name}"]
            ratios[name] = ratio
            verdict = judge("bench_nik", f"{name} ÷ stdnum", ratio, SPEEDUP_TARGET, higher=True)
            print(f"  {name} vs stdnum: {ratio:.1f}x  {verdict}")
        results["speedup_vs_stdnum"] = ratios

        total, reasons, examples = disagreements(corpus)
        print(
            f"\ndisagreements with stdnum: {total:,} of {len(corpus):,} ({total / len(corpus):.1%})"
        )
        for reason, count in reasons.most_common():
            print(f"  {count:>6,}  {reason}")
            print(f"          e.g. {', '.join(repr(e) for e in examples[reason])}")
        results["disagreements"] = {
            "total": total,
            "reasons": dict(reasons),
            "examples": examples,
        }

    imports, firsts = cold_start(args.cold_runs)
    import_ms = statistics.median(imports) * 1e3
    first_ms = statistics.median(firsts) * 1e3
    print(f"\ncold start (fresh interpreter, median of {args.cold_runs}):")
    print(f"  import siapkerja_core          {import_ms:8.1f} ms")
    verdict = judge(
        "bench_nik",
        "first parse_nik after import",
        first_ms,
        FIRST_PARSE_TARGET_MS,
        higher=False,
        unit="ms",
    )
    print(
        f"  first parse_nik after import   {first_ms:8.1f} ms  "
        f"target < {FIRST_PARSE_TARGET_MS:g} ms  {verdict}"
    )
    print(f"  import + first parse           {import_ms + first_ms:8.1f} ms")
    results["cold_start_ms"] = {
        "import_median": import_ms,
        "first_parse_median": first_ms,
        "import_runs": [t * 1e3 for t in imports],
        "first_parse_runs": [t * 1e3 for t in firsts],
    }

    elapsed = time.perf_counter() - started
    results["elapsed_seconds"] = elapsed
    print(f"\n(benchmark took {elapsed:.1f} s; targets are reported, not asserted)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
