"""Helpers for testing against the SQL storage: the PostgreSQL service and throw-away schemas.

Used by the project's contract and integration suites, and usable by an
application's own tests. Nothing here imports pytest: a fixture turns
:func:`postgres_unavailable` into a skip, or into a failure when
:func:`services_required` (``SIAPKERJA_REQUIRE_SERVICES=1``, set by ``.ci/run``).
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from siapkerja_adapters.sql.engine import create_sql_engine, normalise_url

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "POSTGRES_URL_ENV",
    "REQUIRE_SERVICES_ENV",
    "postgres_test_url",
    "postgres_unavailable",
    "services_required",
    "temporary_schema",
]

DEFAULT_TEST_POSTGRES_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_URL_ENV: Final = "SIAPKERJA_TEST_POSTGRES_URL"
REQUIRE_SERVICES_ENV: Final = "SIAPKERJA_REQUIRE_SERVICES"


def postgres_test_url(environ: Mapping[str, str] | None = None) -> str:
    """The PostgreSQL URL tests use: ``$SIAPKERJA_TEST_POSTGRES_URL`` or the local default."""
    env = os.environ if environ is None else environ
    return env.get(POSTGRES_URL_ENV) or DEFAULT_TEST_POSTGRES_URL


def services_required(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``SIAPKERJA_REQUIRE_SERVICES`` is set to a true value (CI)."""
    env = os.environ if environ is None else environ
    return env.get(REQUIRE_SERVICES_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@functools.cache
def postgres_unavailable(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used (``None``: it can). Probed once per process."""
    shown = normalise_url(url).render_as_string(hide_password=True)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return f"psycopg is not installed (pip install 'siapkerja[postgres]'); needed for {shown}"
    engine = create_sql_engine(url, connect_timeout=3, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return f"PostgreSQL is not reachable at {shown}: {reason}"
    finally:
        engine.dispose()
    return None


@contextmanager
def temporary_schema(url: str, prefix: str = "sk_test_") -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test, dropped (with its tables) afterwards."""
    name = f"{prefix}{secrets.token_hex(6)}"
    engine = create_sql_engine(url, pool_pre_ping=False)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        yield name
    finally:
        try:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        finally:
            engine.dispose()
