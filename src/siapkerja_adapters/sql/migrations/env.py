"""Alembic environment of the SQL storage adapter.

Run programmatically by :mod:`siapkerja_adapters.sql.migrate` (which hands
over an open connection in ``config.attributes["connection"]``, inside a
transaction it commits), or by the ``alembic`` command with
``sqlalchemy.url`` set. Offline mode (``--sql``) writes the SQL out.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from siapkerja_adapters.sql.engine import create_sql_engine
from siapkerja_adapters.sql.schema import VERSION_TABLE, metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = create_sql_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
