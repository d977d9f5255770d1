"""Consent requests: an institution asks, the holder answers in their own session.

Revision ID: 0005_prefill
Revises: 0004_institutions
Create Date: 2026-12-06

One row per request (``siapkerja_core.prefill.ConsentRequest``). No column
holds personal data (ids, the verifier's name, the purpose, field names), as
in ``sk_consents``. The index serves the holder's list of pending requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_prefill"
down_revision: str | Sequence[str] | None = "0004_institutions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_consent_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("verifier_id", sa.Text(), nullable=False),
        sa.Column("verifier_name", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column(
            "fields",
            sa.Text(),
            nullable=True,
            comment="JSON list, or NULL for the verifier's whole scope",
        ),
        sa.Column("essential", sa.Text(), nullable=False, comment="JSON list"),
        _time("created_at"),
        _time("expires_at"),
        sa.Column("status", sa.Text(), nullable=False),
        _time("decided_at", nullable=True),
        sa.Column("consent_id", sa.Text(), nullable=True),
        sa.Column("granted_fields", sa.Text(), nullable=True, comment="JSON list, or NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_consent_requests"),
    )
    op.create_index(
        "ix_sk_consent_requests_account_id_status_created_at",
        "sk_consent_requests",
        ["account_id", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_sk_consent_requests_account_id_status_created_at", table_name="sk_consent_requests"
    )
    op.drop_table("sk_consent_requests")
