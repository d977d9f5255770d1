"""The card status list: each card's random index in it, suspension, and the list's state.

Revision ID: 0006_statuslist
Revises: 0005_prefill
Create Date: 2026-12-06

Every card gets an entry in the published status list (``status_index``,
unique). Cards issued before this revision get theirs here: a random sample,
without repeats, of the indexes of a list big enough for them (at least
131,072 entries and twice the cards, a power of two; index 0 is never given),
so the order of issue says nothing about an index. The list's state row
records its size, how many indexes were handed out and a revision.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_statuslist"
down_revision: str | Sequence[str] | None = "0005_prefill"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here, not imported: a migration must do tomorrow what it does today.
_MIN_SIZE = 2**17
_CHUNK = 5000


def _size(cards: int) -> int:
    need = max(_MIN_SIZE, 2 * cards)
    return 1 << (need - 1).bit_length()


def upgrade() -> None:
    with op.batch_alter_table("sk_cards") as batch:
        batch.add_column(
            sa.Column(
                "status_index",
                sa.Integer(),
                nullable=True,
                comment="entry in the published status list (random)",
            )
        )
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    status_lists = op.create_table(
        "sk_status_lists",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "size", sa.BigInteger(), nullable=False, comment="entries: a power of two, only grows"
        ),
        sa.Column("allocated", sa.BigInteger(), nullable=False, comment="indexes handed out"),
        sa.Column(
            "revision", sa.BigInteger(), nullable=False, comment="bumped by every status change"
        ),
        sa.PrimaryKeyConstraint("name", name="pk_sk_status_lists"),
    )
    connection = op.get_bind()
    cards = sa.table("sk_cards", sa.column("id", sa.Text()), sa.column("status_index"))
    ids = [row.id for row in connection.execute(sa.select(cards.c.id).order_by(cards.c.id))]
    size = _size(len(ids))
    # A uniform sample without repeats: unique by construction, random in the list.
    indexes = secrets.SystemRandom().sample(range(1, size), len(ids))
    assign = (
        sa.update(cards)
        .where(cards.c.id == sa.bindparam("card_id"))
        .values(status_index=sa.bindparam("index"))
    )
    pairs = [{"card_id": i, "index": n} for i, n in zip(ids, indexes, strict=True)]
    for start in range(0, len(pairs), _CHUNK):
        connection.execute(assign, pairs[start : start + _CHUNK])
    if ids:  # a fresh database gets its row with its first card
        op.bulk_insert(
            status_lists, [{"name": "cards", "size": size, "allocated": len(ids), "revision": 0}]
        )
    op.create_index("ix_sk_cards_status_index", "sk_cards", ["status_index"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_sk_cards_status_index", table_name="sk_cards")
    op.drop_table("sk_status_lists")
    with op.batch_alter_table("sk_cards") as batch:
        batch.drop_column("suspended_at")
        batch.drop_column("status_index")
