"""Running the Alembic migrations programmatically (no ``alembic.ini`` at run time).

:func:`alembic_config` points Alembic at the revisions shipped inside the
package (``script_location = "siapkerja_adapters.sql:migrations"``).
:func:`upgrade` runs them in **one** transaction that first takes a lock —
``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on PostgreSQL —
so two processes starting on a fresh database at once do not both create
the tables: the second waits, then finds the schema at head and does nothing.
Within one process, migrations run one at a time whatever their databases
(:data:`_ALEMBIC_LOCK`): Alembic's migration context is a module-level proxy,
so two at once in two threads — two storages opened together, a SQLite file
and a PostgreSQL schema — broke each other (six of six failed here).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import Connection

from siapkerja_adapters.sql.schema import SCHEMA_REVISION, VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SCRIPT_LOCATION", "alembic_config", "current_revision", "head_revision", "upgrade"]

SCRIPT_LOCATION: Final = "siapkerja_adapters.sql:migrations"
_LOCK_KEY: Final = 0x5349_4150_4B45_524A  # "SIAPKERJ": the advisory lock of migrations
_ALEMBIC_LOCK: Final = threading.Lock()
"""Held by a migration in this process: ``alembic.context`` is one module-level proxy.
Taken before the database's lock, always in that order, so no two wait on each other."""


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An :class:`alembic.config.Config` for the package's migrations.

    :param connection: an open connection the migrations run on (in its transaction).
    :param url: used by Alembic when no connection is given (offline ``--sql`` mode).
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    row = connection.execute(select(text("version_num")).select_from(text(VERSION_TABLE))).first()
    return None if row is None else str(row[0])


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database of ``engine`` to ``revision``; return the revision reached.

    Safe to run from several processes at once (see the module docstring).
    """
    from alembic import command

    with _ALEMBIC_LOCK, engine.begin() as connection:  # BEGIN IMMEDIATE on SQLite
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        if revision == "head" and current_revision(connection) == SCHEMA_REVISION:
            return SCHEMA_REVISION
        command.upgrade(alembic_config(connection), revision)
        return current_revision(connection)
