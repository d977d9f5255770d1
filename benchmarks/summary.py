"""Print every judged target of a benchmark run as one table (``nox -s bench`` ends with it).

Run: ``python benchmarks/summary.py RESULTS.jsonl [--markdown]``, where the file is
what the benchmarks appended through :func:`_targets.judge` while
``$SIAPKERJA_BENCH_RESULTS`` named it. A target measured in several runs (``nox -s
bench -- --runs 3``) shows min / median / max; its verdict is on the median, and a
run with errors fails it. Exit code 0 whatever the verdicts: targets are reported,
not asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _targets import describe


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def rows(lines: list[dict[str, object]]) -> list[list[str]]:
    """One row per (benchmark, name, backend), in the order first measured."""
    groups: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for line in lines:
        key = (str(line["benchmark"]), str(line["name"]), str(line["backend"]))
        groups.setdefault(key, []).append(line)
    table = []
    for (benchmark, name, backend), runs in groups.items():
        values = sorted(float(run["value"]) for run in runs)  # type: ignore[arg-type]
        unit = str(runs[0]["unit"])
        higher = bool(runs[0]["higher"])
        target = float(runs[0]["target"])  # type: ignore[arg-type]
        median = statistics.median(values)
        errors = sum(int(run["errors"]) for run in runs)  # type: ignore[call-overload]
        ok = (median >= target if higher else median <= target) and errors == 0
        shown = " / ".join(_number(v, unit) for v in (values[0], median, values[-1]))
        if len(values) == 1:
            shown = _number(values[0], unit)
        table.append(
            [
                benchmark,
                name,
                backend or "—",
                shown + ("" if unit == "x" else f" {unit}"),
                describe(target, higher=higher, unit=unit),
                str(len(values)),
                str(errors),
                "PASS" if ok else "FAIL",
            ]
        )
    return table


HEADER = ["benchmark", "measure", "backend", "measured", "target", "runs", "errors", "verdict"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(f"no results in {args.results}")
        return 0
    lines = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    table = rows(lines)
    if args.markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + " --- |" * len(HEADER))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]
        for row in [HEADER, *table]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    failed = sum(row[-1] == "FAIL" for row in table)
    print(f"\n{len(table)} targets, {len(table) - failed} PASS, {failed} FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
