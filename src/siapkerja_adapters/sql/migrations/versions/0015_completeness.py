"""The profile's completeness stamp, so bulk issuance need not decode every profile.

Revision ID: 0015_completeness
Revises: 0014_contacts
Create Date: 2026-12-06

``sk_profiles.complete``: :func:`siapkerja_core.completeness.completeness_stamp`
of the profile when it was written — whether it is complete, and under which
built-in rules. Rows written before this revision have none; bulk issuance
decodes those as before, and every later write of the profile stamps it.
The column says nothing about the holder beyond whether a card can be
issued, so it is not encrypted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_completeness"
down_revision: str | Sequence[str] | None = "0014_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sk_profiles") as batch:
        batch.add_column(
            sa.Column(
                "complete",
                sa.Text(),
                nullable=True,
                comment="completeness_stamp: complete under which rules",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sk_profiles") as batch:
        batch.drop_column("complete")
