"""The ``sk_disputes`` table on real SQL (SQLite, PostgreSQL), beyond the port's contract.

* migration ``0013_disputes`` goes up from ``0010_sso`` and down again;
* a case names a person: its NIK, name and new contacts are not in the
  database in the clear (one AES-GCM document).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.disputes import CaseKind, CaseRecord, CaseStatus

BEFORE = "0010_sso"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
INDEXES = {
    "ix_sk_disputes_account_id_created_at",
    "ix_sk_disputes_due_at",
    "ix_sk_disputes_status_created_at",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'disputes.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def case() -> CaseRecord:
    return CaseRecord(
        id="case-1",
        kind=CaseKind.DISPUTE,
        status=CaseStatus.AWAITING_HOLDER,
        nik="3173071203940042",
        account_id="acct-1",
        created_at=NOW,
        updated_at=NOW,
        due_at=NOW + timedelta(days=7),
        full_name="Galih Agan Pambayun",
        phone="+6281399990001",
        email="galih.klaim@example.com",
        password_hash="$argon2id$fake",
    )


def test_the_migration_adds_the_table_to_a_0010_database_and_goes_down(
    storage: SqlStorage,
) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    with storage.engine.connect() as conn:
        assert "sk_disputes" not in sa.inspect(conn).get_table_names()
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("sk_disputes")}
    assert indexes == INDEXES
    with storage.transaction() as tx:
        tx.disputes.put(case())
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
        assert current_revision(conn) == BEFORE
        assert "sk_disputes" not in sa.inspect(conn).get_table_names()
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION  # and up again, empty
    with storage.transaction() as tx:
        assert tx.disputes.get("case-1") is None


def test_a_case_names_no_one_in_the_clear(storage: SqlStorage) -> None:
    upgrade(storage.engine)
    with storage.transaction() as tx:
        tx.disputes.put(case())
    with storage.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM sk_disputes")).all()
    dump = repr(rows)
    for secret in ("3173071203940042", "Galih", "81399990001", "galih.klaim", "argon2"):
        assert secret not in dump
    assert "awaiting_holder" in dump  # the status is a column, for the officers' lists
