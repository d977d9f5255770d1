"""Migration ``0004_institutions`` on a database that already holds verifiers (SQLite, PostgreSQL).

Rows written before the revision read as kind ``other``; an inactive one as
``suspended``; an active one as ``active``, and its key still matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Boolean, column, insert, table

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.migrate import upgrade
from siapkerja_core.institutions import VerifierKind, VerifierStatus

BEFORE = "0003_sms_outbox"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    made = SqlStorage(url, key_material=KeyMaterial.generate(), schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def test_existing_verifiers_migrate_to_kind_other_and_a_status(storage: SqlStorage) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    # The table as revision 0003 had it: no kind, region, contact, status or rotation time.
    old = table(
        "sk_verifiers",
        column("id"),
        column("name"),
        column("scopes"),
        column("created_at", sk.UtcDateTime()),
        column("active", Boolean()),
        column("key_hash"),
    )
    with storage.engine.begin() as conn:
        for n, active in ((1, True), (2, False)):
            conn.execute(
                insert(old).values(
                    id=f"ver-{n}",
                    name=f"Instansi {n}",
                    scopes='["karirhub"]',
                    created_at=CREATED,
                    active=active,
                    key_hash=f"h{n}",
                )
            )
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.transaction() as tx:
        kept = tx.verifiers.by_key("h1")
        stopped = tx.verifiers.get("ver-2")
        assert tx.audit.list() == []
    assert kept is not None
    assert kept.kind is VerifierKind.OTHER
    assert kept.status is VerifierStatus.ACTIVE
    assert kept.created_at == CREATED
    assert kept.region_code is None
    assert kept.key_rotated_at is None
    assert stopped is not None
    assert stopped.status is VerifierStatus.SUSPENDED
    assert not stopped.active
