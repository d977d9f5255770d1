"""Institutions as an administrator runs them, and the audit of administrative actions.

Revision ID: 0004_institutions
Revises: 0003_sms_outbox
Create Date: 2026-12-06

A verifier gains a kind, a region code, a contact, a status (active,
suspended, retired) and the time its key was last replaced. Existing rows
become kind ``other``; an inactive one becomes ``suspended`` (``active`` stays,
written as ``status == "active"``). The access ledger gets an index by
verifier (an institution's activity), and the audit of administrative
actions its table, with the reason and details encrypted like other
personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_institutions"
down_revision: str | Sequence[str] | None = "0003_sms_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("sk_verifiers") as batch:
        batch.add_column(
            sa.Column(
                "kind", sa.Text(), nullable=False, server_default="other", comment="VerifierKind"
            )
        )
        batch.add_column(
            sa.Column("region_code", sa.Text(), nullable=True, comment="Kemendagri code")
        )
        batch.add_column(
            sa.Column("contact", sa.Text(), nullable=True, comment="e-mail address or URL")
        )
        batch.add_column(
            sa.Column(
                "status",
                sa.Text(),
                nullable=False,
                server_default="active",
                comment="VerifierStatus",
            )
        )
        batch.add_column(_time("key_rotated_at", nullable=True))
    verifiers = sa.table("sk_verifiers", sa.column("active", sa.Boolean), sa.column("status"))
    op.execute(
        verifiers.update().where(verifiers.c.active == sa.false()).values(status="suspended")
    )
    op.create_index("ix_sk_access_log_verifier_id_at", "sk_access_log", ["verifier_id", "at"])
    op.create_table(
        "sk_audit",
        sa.Column("id", sa.Text(), nullable=False),
        _time("at"),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False, comment="AES-GCM: reason, details"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_audit"),
    )
    op.create_index("ix_sk_audit_target_id_at", "sk_audit", ["target_id", "at"])
    op.create_index("ix_sk_audit_actor_at", "sk_audit", ["actor", "at"])
    op.create_index("ix_sk_audit_at", "sk_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_sk_audit_at", table_name="sk_audit")
    op.drop_index("ix_sk_audit_actor_at", table_name="sk_audit")
    op.drop_index("ix_sk_audit_target_id_at", table_name="sk_audit")
    op.drop_table("sk_audit")
    op.drop_index("ix_sk_access_log_verifier_id_at", table_name="sk_access_log")
    with op.batch_alter_table("sk_verifiers") as batch:
        for column in ("key_rotated_at", "status", "contact", "region_code", "kind"):
            batch.drop_column(column)
