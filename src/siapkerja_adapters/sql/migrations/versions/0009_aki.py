"""Use 1: the AK/I (kartu kuning) — job-seeker registrations and officers' offices.

Revision ID: 0009_aki
Revises: 0008_classes
Create Date: 2026-12-06

A registration's number is unique, and an account holds at most one active
registration (applied or legalised): a partial unique index ``WHERE active``,
as the accounts' identifiers. The names, the report dates, the placement
(employer, position) and the removal are personal data: encrypted (``data``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_aki"
down_revision: str | Sequence[str] | None = "0008_classes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_aki_registrations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("office_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, comment="status applied or legalised"),
        _time("applied_at"),
        _time("updated_at"),
        sa.Column("legalised_on", sa.Date(), nullable=True),
        sa.Column("officer_id", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.LargeBinary(),
            nullable=False,
            comment="AES-GCM: office and officer names, reports, placement, removal",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sk_aki_registrations"),
        sa.UniqueConstraint("number", name="uq_sk_aki_registrations_number"),
    )
    op.create_index(
        "ix_sk_aki_registrations_office_code_applied_at",
        "sk_aki_registrations",
        ["office_code", "applied_at"],
    )
    op.create_index(
        "ix_sk_aki_registrations_account_id_applied_at",
        "sk_aki_registrations",
        ["account_id", "applied_at"],
    )
    op.create_index(
        "uq_sk_aki_registrations_account_active",
        "sk_aki_registrations",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("active = 1"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "sk_aki_officers",
        sa.Column("verifier_id", sa.Text(), nullable=False),
        sa.Column("office_code", sa.Text(), nullable=False),
        sa.Column("office_name", sa.Text(), nullable=False),
        _time("appointed_at"),
        sa.PrimaryKeyConstraint("verifier_id", name="pk_sk_aki_officers"),
    )


def downgrade() -> None:
    op.drop_table("sk_aki_officers")
    op.drop_index("uq_sk_aki_registrations_account_active", table_name="sk_aki_registrations")
    for index in (
        "ix_sk_aki_registrations_account_id_applied_at",
        "ix_sk_aki_registrations_office_code_applied_at",
    ):
        op.drop_index(index, table_name="sk_aki_registrations")
    op.drop_table("sk_aki_registrations")
