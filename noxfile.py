"""Developer sessions: ``nox -s tests lint typecheck docs bench``.

Each session installs the project into its own virtualenv, so a session
checks what a user would get from ``pip install``, not the working tree's
accidents. ``.ci/run`` runs the README's test command plus lint and typecheck.
"""

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


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: throughput and latency as ratios against peers measured in the same run."""
    session.install("-e", ".[dev,bench]")
    session.run("python", "benchmarks/bench_nik.py", *session.posargs)
    session.run("python", "benchmarks/bench_journey.py")
    session.run("python", "benchmarks/bench_tokens.py")
    session.run("python", "benchmarks/bench_qr.py")
    session.run("python", "benchmarks/bench_cards.py")
    session.run("python", "benchmarks/bench_storage.py")
    session.run("python", "benchmarks/bench_uses.py")
    session.run("python", "benchmarks/bench_sso.py")
    session.run("python", "benchmarks/bench_web.py")
    session.run("python", "benchmarks/bench_pages.py")
    session.run("python", "benchmarks/bench_load.py")
