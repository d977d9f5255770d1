"""The rights migration (``0012_rights``) on SQLite and PostgreSQL: up from ``0010_sso`` with
its tables and indexes, a request written, down again, and up empty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.rights import RightKind, RightsRequest

BEFORE = "0010_sso"
TABLES = {"sk_rights_requests", "sk_rights_log", "sk_rights_restrictions"}
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'rights.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def test_the_migration_adds_the_tables_and_goes_down(storage: SqlStorage) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    with storage.engine.connect() as conn:
        assert not TABLES & set(sa.inspect(conn).get_table_names())
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert set(inspector.get_table_names()) >= TABLES
        indexes = {i["name"] for i in inspector.get_indexes("sk_rights_requests")}
        registrations = {i["name"] for i in inspector.get_indexes("sk_registrations")}
    assert indexes >= {
        "ix_sk_rights_requests_account_id_received_at",
        "ix_sk_rights_requests_status_due_at",
        "ix_sk_rights_requests_purge_after",
    }
    assert "ix_sk_registrations_account_id" in registrations
    request = RightsRequest.received(
        id="r1", receipt="HAK-20261206-AAAAAAAA", account_id="a1", kind=RightKind.ACCESS, at=NOW
    )
    with storage.transaction() as tx:
        tx.rights.put(request)
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
        assert current_revision(conn) == BEFORE
        assert not TABLES & set(sa.inspect(conn).get_table_names())
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.transaction() as tx:
        assert tx.rights.get("r1") is None
        tx.rights.put(request)
