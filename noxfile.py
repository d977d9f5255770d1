"""Developer sessions: ``nox -s tests lint typecheck docs bench``.

Each session installs the project into its own virtualenv, so a session
checks what a user would get from ``pip install``, not the working tree's
accidents. ``.ci/run`` runs the README's test command plus lint and typecheck.
"""

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite (unit, contract, integration, e2e; doc examples)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting, on everything."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core (the adapters are typed but checked less strictly)."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "src/siapkerja_core")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation strictly: a warning (broken link, missing page) fails."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "build/site")


BENCHMARKS = [
    "bench_nik.py",
    "bench_journey.py",
    "bench_tokens.py",
    "bench_qr.py",
    "bench_cards.py",
    "bench_storage.py",
    "bench_bulk.py",
    "bench_uses.py",
    "bench_sso.py",
    "bench_web.py",
    "bench_pages.py",
    "bench_load.py",
    "bench_memory.py",
]
"""Run in this order by ``nox -s bench``; each judges its targets (``benchmarks/_targets.py``)."""


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: every target as a ratio against a peer measured in the same run, then a summary.

    ``nox -s bench -- --runs 3`` runs the whole suite three times and the
    summary shows min / median / max; ``-- --only bench_web.py`` runs one script;
    ``-- --large`` passes ``--large`` to the scripts that offer it (a million accounts);
    ``-- --quick`` passes ``--quick`` to those that offer it (a smoke run of a few minutes).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="nox -s bench --")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args(session.posargs)
    session.install("-e", ".[dev,bench]")
    results = Path(session.create_tmp()) / "bench-results.jsonl"
    results.unlink(missing_ok=True)
    env = {"SIAPKERJA_BENCH_RESULTS": str(results)}
    scripts = options.only or BENCHMARKS
    for _ in range(options.runs):
        for script in scripts:
            extra = ["--large"] if options.large and script in LARGE else []
            extra += ["--quick"] if options.quick and script in QUICK else []
            session.run("python", f"benchmarks/{script}", *extra, env=env)
    session.run("python", "benchmarks/summary.py", str(results))


QUICK = {
    "bench_bulk.py",
    "bench_cards.py",
    "bench_journey.py",
    "bench_load.py",
    "bench_memory.py",
    "bench_pages.py",
    "bench_sso.py",
    "bench_storage.py",
    "bench_uses.py",
    "bench_web.py",
}
"""The scripts that take ``--quick``."""

LARGE = {"bench_bulk.py"}
"""The scripts that take ``--large``."""
