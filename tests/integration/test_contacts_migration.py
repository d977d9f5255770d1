"""Migration ``0014_contacts`` on real SQL (SQLite, PostgreSQL): up from ``0010_sso`` with an
SMS waiting in the outbox (it keeps going as ``sms``), the second contact encrypted at rest,
and down again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.second_contact import ContactKind, SecondContact

BEFORE = "0010_sso"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SECOND = "cadangan.rahasia@example.id"


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'contacts.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def test_the_migration_keeps_waiting_sms_and_goes_down(storage: SqlStorage) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    with storage.engine.begin() as conn:
        outbox = sa.Table("sk_outbox", sa.MetaData(), autoload_with=conn)
        conn.execute(
            outbox.insert().values(
                id="old-1",
                payload=b"x",
                created_at=NOW,
                available_at=NOW,
                expires_at=NOW + timedelta(minutes=5),
                attempts=0,
            )
        )
    upgrade(storage.engine, "0014_contacts")
    with storage.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert "sk_second_contacts" in inspector.get_table_names()
        channel = conn.execute(sa.text("SELECT channel FROM sk_outbox WHERE id = 'old-1'"))
        assert channel.scalar_one() == "sms"
    with storage.transaction() as tx:
        tx.second_contacts.put(
            SecondContact(
                account_id="acct-1", kind=ContactKind.EMAIL, value=SECOND, verified_at=NOW
            )
        )
    with storage.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT value FROM sk_second_contacts")).scalar_one()
    assert SECOND.encode() not in bytes(raw)  # encrypted at rest
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
        assert current_revision(conn) == BEFORE
        inspector = sa.inspect(conn)
        assert "sk_second_contacts" not in inspector.get_table_names()
        assert "channel" not in {c["name"] for c in inspector.get_columns("sk_outbox")}
