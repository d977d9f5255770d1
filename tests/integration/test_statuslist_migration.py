"""Migration 0004 on a database that already holds cards (SQLite and PostgreSQL).

Cards issued before the status list existed get random, unique indexes in
the migration, the list's state row records them, and issuing continues
without a collision. A fresh database gets no state row until its first card.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from siapkerja_adapters.sql import KeyMaterial, SqlStorage
from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.migrate import alembic_config, current_revision, upgrade
from siapkerja_core.ports import CardConflict, StatusListState
from siapkerja_core.records import CardRecord
from siapkerja_core.services.status_list import reserve_status_indexes

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
BEFORE = "0003_sms_outbox"
CARDS = 500

# The card table as revision 0003 left it.
_OLD_CARDS = sa.Table(
    "sk_cards",
    sa.MetaData(),
    sa.Column("id", sa.Text),
    sa.Column("account_id", sa.Text),
    sa.Column("number", sa.Text),
    sa.Column("card_ref", sa.BigInteger),
    sa.Column("version", sa.Integer),
    sa.Column("issued_at", sk.UtcDateTime),
    sa.Column("updated_at", sk.UtcDateTime),
    sa.Column("revoked_at", sk.UtcDateTime),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'old.sqlite3'}", None
    else:
        url, schema = (
            request.getfixturevalue("postgres_url"),
            request.getfixturevalue("postgres_schema"),
        )
    made = SqlStorage(url, key_material=KeyMaterial.generate(), migrate=False, schema=schema)
    try:
        yield made
    finally:
        made.dispose()


def _old_database(storage: SqlStorage, cards: int) -> None:
    assert upgrade(storage.engine, BEFORE) == BEFORE
    rows = [
        {
            "id": f"card-{n:05d}",
            "account_id": f"acct-{n:05d}",
            "number": f"SK-OLD-{n:05d}",
            "card_ref": 10_000 + n,
            "version": 1,
            "issued_at": NOW,
            "updated_at": NOW,
            "revoked_at": NOW if n % 50 == 0 else None,
        }
        for n in range(cards)
    ]
    with storage.engine.begin() as conn:
        if rows:
            conn.execute(sa.insert(_OLD_CARDS), rows)


def test_cards_from_before_get_random_unique_indexes(storage: SqlStorage) -> None:
    _old_database(storage, CARDS)
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.engine.connect() as conn:
        rows = conn.execute(
            sa.select(sk.cards.c.id, sk.cards.c.status_index).order_by(sk.cards.c.id)
        ).all()
    indexes = [row.status_index for row in rows]
    assert len(indexes) == CARDS
    assert None not in indexes
    assert len(set(indexes)) == CARDS  # unique
    assert all(1 <= i < 2**17 for i in indexes)  # inside the list, never 0
    assert indexes != sorted(indexes)  # not the order of the ids (or of issue)
    assert max(indexes) > 2**16  # spread over the list, not packed at its start
    with storage.transaction() as tx:
        assert tx.status_list.state() == StatusListState(2**17, CARDS, 0)
        revoked = sorted(tx.status_list.statuses())
        # the cards revoked before the migration are in the list from the start
        assert len(revoked) == CARDS // 50
        assert {status for _, status in revoked} == {1}
        card = tx.cards.get("acct-00000")
        assert card is not None
        assert card.status_index is not None
        assert card.suspended_at is None


def test_issuing_after_the_migration_cannot_reuse_an_old_index(storage: SqlStorage) -> None:
    _old_database(storage, CARDS)
    upgrade(storage.engine)
    with storage.transaction() as tx:
        old = tx.cards.get("acct-00001")
    assert old is not None
    assert old.status_index is not None
    new = CardRecord(
        id="card-new",
        account_id="acct-new",
        number="SK-NEW-00001",
        card_ref=1,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
        status_index=old.status_index,
    )
    with pytest.raises(CardConflict), storage.transaction() as tx:
        tx.cards.add(new)
    with storage.transaction() as tx:
        size = reserve_status_indexes(tx, 1)
        taken = {c.status_index for c in map(tx.cards.get, [f"acct-{n:05d}" for n in range(CARDS)])}
        free = next(i for i in range(1, size) if i not in taken)
        tx.cards.add(attrs.evolve(new, status_index=free))
        assert tx.status_list.state() == StatusListState(2**17, CARDS + 1, 0)


def test_a_fresh_database_has_no_state_until_its_first_card(storage: SqlStorage) -> None:
    assert upgrade(storage.engine) == sk.SCHEMA_REVISION
    with storage.transaction() as tx:
        assert tx.status_list.state() is None


def test_the_migration_goes_down_and_up_again(storage: SqlStorage) -> None:
    from alembic import command

    _old_database(storage, 20)
    upgrade(storage.engine)
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BEFORE)
        assert current_revision(conn) == BEFORE
        assert "status_index" not in {c["name"] for c in sa.inspect(conn).get_columns("sk_cards")}
    upgrade(storage.engine)
    with storage.transaction() as tx:
        state = tx.status_list.state()
    assert state == StatusListState(2**17, 20, 0)
