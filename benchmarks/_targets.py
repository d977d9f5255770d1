"""Every benchmark's targets, judged one way and gathered for ``nox -s bench``'s summary.

A benchmark measures, then calls :func:`judge` once per target::

    verdict = judge(
        "bench_web", "scan ÷ bare page", ratio, 0.3, higher=True, backend="sqlite"
    )
    print(f"  ratio {ratio:.2f}x (target ≥ 0.3x)  {verdict}")

:func:`judge` returns ``"PASS"`` or ``"FAIL"`` and, when ``$SIAPKERJA_BENCH_RESULTS``
names a file, appends the result to it as one JSON line. ``benchmarks/summary.py``
reads that file and prints one table: every target, its value (min / median / max
when a suite ran more than once), and PASS or FAIL on the median. Targets are
reported, never asserted: a benchmark exits 0 whatever it measured.
"""

from __future__ import annotations

import json
import os
import time
from typing import Final

RESULTS_ENV: Final = "SIAPKERJA_BENCH_RESULTS"
"""A file path: each judged target is appended to it as a JSON line (``nox -s bench`` sets it)."""


def judge(
    benchmark: str,
    name: str,
    value: float,
    target: float,
    *,
    higher: bool,
    backend: str = "",
    unit: str = "x",
    errors: int = 0,
    detail: str = "",
) -> str:
    """``"PASS"`` when ``value`` meets ``target`` (``higher``: at least, else at most), no errors.

    :param benchmark: the script's name (``bench_web``), the summary's first column.
    :param name: what is measured, as the benchmark's README names it.
    :param backend: ``memory``, ``sqlite``, ``postgresql`` or a setup (``4 workers``).
    :param unit: how the value reads: ``x`` (a ratio), ``/s``, ``µs``, ``%``.
    :param errors: failed requests or calls during the measure: any makes it a FAIL.
    :param detail: the peer's or the raw numbers, shown beside the value.
    """
    ok = (value >= target if higher else value <= target) and errors == 0
    verdict = "PASS" if ok else "FAIL"
    path = os.environ.get(RESULTS_ENV)
    if path:
        line = {
            "benchmark": benchmark,
            "name": name,
            "backend": backend,
            "value": value,
            "target": target,
            "higher": higher,
            "unit": unit,
            "errors": errors,
            "detail": detail,
            "verdict": verdict,
            "at": time.time(),
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return verdict


def describe(target: float, *, higher: bool, unit: str = "x") -> str:
    """``≥ 0.3x`` or ``≤ 150 µs``: a target as the summary and the READMEs write it."""
    sign = "≥" if higher else "≤"
    return f"{sign} {target:g}{unit}" if unit == "x" else f"{sign} {target:,g} {unit}"
