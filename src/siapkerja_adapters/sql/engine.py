"""Engines for the SQL storage adapter: SQLite (embedded) and PostgreSQL (psycopg 3).

This module owns how a database URL becomes a configured SQLAlchemy
:class:`~sqlalchemy.engine.Engine`:

* **SQLite** — a file, created on first use (its directory too), in WAL mode
  with ``synchronous=NORMAL`` and a busy timeout. pysqlite's own transaction
  handling is switched off and every unit of work starts with
  ``BEGIN IMMEDIATE``: it takes the write lock up front, so two writers
  queue on the busy timeout instead of failing with "database is locked"
  when a reader tries to become a writer. Single statements (a scan, a
  ledger entry, a counter) run without ``BEGIN``. (An in-memory URL is
  turned into a temporary file by :class:`~.storage.SqlStorage`, since a memory
  database cannot be shared by a pool's connections.)
* **PostgreSQL** — ``postgresql://`` means psycopg 3; a pool of
  connections (``QueuePool``), the session time zone in UTC, an optional
  ``search_path`` (``schema``), a connect timeout. A pooled connection is
  checked before use (``pool_pre_ping``) only when it sat idle in the pool
  for :data:`PING_AFTER_IDLE` seconds or more: SQLAlchemy's own pre-ping
  costs a round trip at *every* checkout — a registration journey makes
  twenty. A dead idle connection (a database restart, a firewall's idle
  timeout) is replaced before use, as with the pre-ping; one that died
  within the last second fails its statement, which becomes
  ``StorageError("unavailable")``, and SQLAlchemy then discards every
  connection of the pool that is as old, so the next checkouts reconnect.

**The pool is sized for a web server** on both: :data:`POOL_SIZE` kept open
and up to :data:`POOL_CAPACITY` at once — more than the web binding's worker
threads (``siapkerja_adapters.web.threads.MAX_WORKER_THREADS``, 40), each of
which holds at most one connection at a time (:class:`~.storage.SqlStorage`
checks it). So a request never queues for a connection: the database's own
lock (SQLite) or its row locks (PostgreSQL) are the only queue. The 5 + 10
of 0.1 let 40 threads wait on the pool while the connection they waited for
was held by a thread waiting for the SQLite lock.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.pool import QueuePool

__all__ = [
    "BEGIN_OPTION",
    "PING_AFTER_IDLE",
    "POOL_CAPACITY",
    "POOL_SIZE",
    "create_sql_engine",
    "is_memory_sqlite",
    "normalise_url",
]

_SCHEMA_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

BEGIN_OPTION: Final = "siapkerja_begin"
"""Execution option of a SQLite connection: ``"IMMEDIATE"`` (default), ``"DEFERRED"`` or ``None``
(no ``BEGIN``: each statement commits on its own)."""

POOL_CAPACITY: Final = 50
"""Connections one engine opens at most: the web binding's 40 worker threads, one each,
and 10 for everything else in the process (a command, a bulk run, a sender's flush)."""

PING_AFTER_IDLE: Final = 1.0
"""PostgreSQL: seconds a pooled connection sits unused before its next checkout pings it."""

POOL_SIZE: Final = 10
"""Connections kept open between bursts; up to :data:`POOL_CAPACITY` are opened under load."""


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``.

    :raises ValueError: a URL of another database (only SQLite and PostgreSQL are supported).
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
        backend = "postgresql"
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"the sql storage supports sqlite and postgresql, not {backend!r}")
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:") or database.startswith("file::memory:")
    )


def _sqlite_engine(
    url: URL,
    *,
    busy_timeout: float,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    echo: bool,
    read_only: bool = False,
) -> Engine:
    if is_memory_sqlite(url):
        raise ValueError("an in-memory SQLite database cannot be pooled: use a file")
    if url.database:
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {"timeout": busy_timeout, "check_same_thread": False}
    engine = create_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
    )
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's implicit BEGIN is off: the "begin" listener below emits our own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
            if read_only:  # set once per connection: toggling it re-prepares every statement
                cursor.execute("PRAGMA query_only=ON")
        finally:
            cursor.close()

    default_mode = "DEFERRED" if read_only else "IMMEDIATE"
    begins = {mode: f"BEGIN {mode}" for mode in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE")}

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, default_mode)
        if mode is None:
            return
        statement = begins.get(mode) or f"BEGIN {mode}"
        # On the driver's connection: SQLAlchemy's statement machinery (events, an
        # execution context, a result) costs more than the BEGIN itself, once per
        # unit of work. Its failure (the busy timeout ran out) stays a SQLAlchemy error.
        try:
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as error:
            raise OperationalError(statement, None, error) from error

    return engine


def _postgresql_engine(
    url: URL,
    *,
    schema: str | None,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    pool_pre_ping: bool,
    ping_after_idle: float,
    connect_timeout: int,
    application_name: str,
    echo: bool,
) -> Engine:
    settings = ["-c timezone=UTC"]
    if schema is not None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError("a schema name is ASCII letters, digits and '_' (not first)")
        settings.append(f"-c search_path={schema}")
    connect_args: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "options": " ".join(settings),
        "application_name": application_name,
    }
    engine = create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )
    if pool_pre_ping:
        _ping_idle_connections(engine, ping_after_idle)
    return engine


def _ping_idle_connections(engine: Engine, idle: float) -> None:
    """Ping a connection at checkout only when it sat in the pool ``idle`` seconds or more.

    The pessimistic disconnect handling of SQLAlchemy's documentation, limited to
    connections that may have gone stale: a failed ping raises
    :class:`~sqlalchemy.exc.DisconnectionError`, on which the pool discards the
    connection and checks out (or opens) another, up to three times.
    """
    key = "siapkerja_checked_in"

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[key] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get(key)
        if checked_in is None or time.monotonic() - checked_in < idle:
            return  # new (just connected), or used within the last ``idle`` seconds
        # The dialect's own ping, as pool_pre_ping does it: psycopg's runs in autocommit
        # and leaves no transaction open (an open one would refuse the autocommit of
        # a single statement checked out next).
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's: the connection is dead
            raise DisconnectionError(str(error)) from error


def create_sql_engine(
    url: str | URL,
    *,
    schema: str | None = None,
    pool_size: int = POOL_SIZE,
    max_overflow: int = POOL_CAPACITY - POOL_SIZE,
    pool_timeout: float = 30.0,
    pool_pre_ping: bool = True,
    ping_after_idle: float = PING_AFTER_IDLE,
    busy_timeout: float = 30.0,
    connect_timeout: int = 10,
    application_name: str = "siapkerja",
    echo: bool = False,
    read_only: bool = False,
) -> Engine:
    """An engine for ``url`` configured as the module docstring says.

    :param read_only: SQLite only: the engine of read-only units of work — its
        connections are ``PRAGMA query_only`` from the start and begin
        ``DEFERRED`` (a WAL snapshot), in a pool of their own.

    :param schema: PostgreSQL only: the schema the tables live in (``search_path``).
    :param pool_size: connections kept open; ``max_overflow`` more are opened
        under load (defaults: :data:`POOL_SIZE` and up to :data:`POOL_CAPACITY`).
    :param application_name: PostgreSQL only: how the connections show in
        ``pg_stat_activity`` (the ``application_name`` setting, env
        ``SIAPKERJA_APPLICATION_NAME``).
    :param pool_pre_ping: PostgreSQL only: check a connection idle for
        ``ping_after_idle`` seconds (default :data:`PING_AFTER_IDLE`) before use.
    :param busy_timeout: SQLite only: seconds a writer waits for the lock.
    :raises ValueError: an unsupported database, or ``schema`` with SQLite.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if schema is not None:
            raise ValueError("schema applies to PostgreSQL only")
        return _sqlite_engine(
            parsed,
            busy_timeout=busy_timeout,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            echo=echo,
            read_only=read_only,
        )
    if read_only:
        raise ValueError("read_only applies to SQLite only (PostgreSQL: BEGIN READ ONLY)")
    return _postgresql_engine(
        parsed,
        schema=schema,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=pool_pre_ping,
        ping_after_idle=ping_after_idle,
        connect_timeout=connect_timeout,
        application_name=application_name,
        echo=echo,
    )
