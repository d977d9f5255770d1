"""Training classes, their enrolments, labour programmes and their admissions.

Revision ID: 0008_classes
Revises: 0007_gates
Create Date: 2026-12-06

Uses 8 and 9 of the brief: a class of a training institution (BLK UPTP/UPTD,
BLK Komunitas, LPK Swasta) with its trainees, whose attendance comes from the
check-ins at its sessions; a programme (JKP, BSU, Prakerja …) whose
eligibility rules are stored as data, and who was admitted to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_classes"
# Chained after the event gates' revision, merged into this branch (the lead re-chains the
# 0004 revisions of the six branches when merging them).
down_revision: str | Sequence[str] | None = "0007_gates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_classes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("institution_kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("vocation", sa.Text(), nullable=False),
        sa.Column("kbji_code", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("min_attendance", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_classes"),
    )
    op.create_index(
        "ix_sk_classes_institution_id_starts_on", "sk_classes", ["institution_id", "starts_on"]
    )
    op.create_table(
        "sk_class_enrolments",
        sa.Column("class_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        _time("enrolled_at"),
        _time("withdrawn_at", nullable=True),
        sa.PrimaryKeyConstraint("class_id", "account_id", name="pk_sk_class_enrolments"),
    )
    op.create_index("ix_sk_class_enrolments_account_id", "sk_class_enrolments", ["account_id"])
    op.create_table(
        "sk_programmes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False, comment="JSON: Programme.as_data()"),
        sa.Column("owner_id", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        _time("created_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_programmes"),
    )
    op.create_table(
        "sk_programme_enrolments",
        sa.Column("programme_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("exclusion_group", sa.Text(), nullable=True),
        _time("enrolled_at"),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("programme_id", "account_id", name="pk_sk_programme_enrolments"),
    )
    op.create_index(
        "ix_sk_programme_enrolments_account_id", "sk_programme_enrolments", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_sk_programme_enrolments_account_id", table_name="sk_programme_enrolments")
    op.drop_table("sk_programme_enrolments")
    op.drop_table("sk_programmes")
    op.drop_index("ix_sk_class_enrolments_account_id", table_name="sk_class_enrolments")
    op.drop_table("sk_class_enrolments")
    op.drop_index("ix_sk_classes_institution_id_starts_on", table_name="sk_classes")
    op.drop_table("sk_classes")
