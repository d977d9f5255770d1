"""The access ledger's verifier index, partial: anonymous scans write no page of it.

Revision ID: 0016_ledger_indexes
Revises: 0015_completeness
Create Date: 2026-12-07

``ix_sk_access_log_verifier_id_at`` becomes ``WHERE verifier_id IS NOT NULL``.
Every anonymous QR scan appends a ledger row without a verifier, and those are
nearly all rows; none is ever looked up by verifier, so indexing them only cost
a page write per scan. The only lookup on the index — a verifier's ledger,
``verifier_id = :x`` — implies the predicate, so SQLite and PostgreSQL still
use it. The ledger's other indexes stay: the primary key, and
``(account_id, at)`` for a holder's ledger and erasure; neither is a prefix
of another.

The index is rebuilt, which reads the whole ledger once; on PostgreSQL the
ledger's writes wait for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_ledger_indexes"
down_revision: str | Sequence[str] | None = "0015_completeness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_sk_access_log_verifier_id_at"
_WITH_VERIFIER = sa.text("verifier_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="sk_access_log")
    op.create_index(
        _INDEX,
        "sk_access_log",
        ["verifier_id", "at"],
        sqlite_where=_WITH_VERIFIER,
        postgresql_where=_WITH_VERIFIER,
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="sk_access_log")
    op.create_index(_INDEX, "sk_access_log", ["verifier_id", "at"])
