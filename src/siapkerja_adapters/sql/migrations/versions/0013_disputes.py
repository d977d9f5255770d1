"""Disputes over a NIK and identity re-proofing.

Revision ID: 0013_disputes
Revises: 0012_rights
Create Date: 2026-12-06

``sk_disputes``: one row per case (``siapkerja_core.disputes.CaseRecord``). A
case names a person (NIK, name, new contacts, a password hash), so the whole
case is one AES-GCM JSON document (``data``); ids, kind, status and times are
in the clear for the officers' lists. The indexes serve a holder's cases, the
overdue list and the list by status.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_disputes"
down_revision: str | Sequence[str] | None = "0012_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_sk_disputes_account_id_created_at": ["account_id", "created_at"],
    "ix_sk_disputes_due_at": ["due_at"],
    "ix_sk_disputes_status_created_at": ["status", "created_at"],
}


def upgrade() -> None:
    op.create_table(
        "sk_disputes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="CaseKind"),
        sa.Column("status", sa.Text(), nullable=False, comment="CaseStatus"),
        sa.Column("account_id", sa.Text(), nullable=False, comment="the account the case is about"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "due_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the deadline of the current step",
        ),
        sa.Column(
            "data", sa.LargeBinary(), nullable=False, comment="AES-GCM: the whole case as JSON"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sk_disputes"),
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "sk_disputes", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="sk_disputes")
    op.drop_table("sk_disputes")
