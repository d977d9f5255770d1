"""The durable SMS outbox.

Revision ID: 0003_sms_outbox
Revises: 0002_keyring_stamp
Create Date: 2026-12-06

A message to send is written in the same transaction as the OTP challenge it
carries the code of, and a dispatcher (the serving process's background
thread or ``siapkerja worker``) sends it after the answer, under a lease
(``claimed_until``). The recipient and the text (a one-time code) are
encrypted like every other piece of personal data (``payload``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_sms_outbox"
down_revision: str | Sequence[str] | None = "0002_keyring_stamp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_outbox",
        sa.Column("id", sa.Text(), nullable=False, comment="also the idempotency key of the send"),
        sa.Column("payload", sa.LargeBinary(), nullable=False, comment="AES-GCM: to, text"),
        sa.Column("subject_id", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        _time("created_at"),
        _time("available_at"),
        _time("expires_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Text(), nullable=True),
        _time("claimed_until", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_outbox"),
    )
    op.create_index("ix_sk_outbox_available_at", "sk_outbox", ["available_at"])


def downgrade() -> None:
    op.drop_index("ix_sk_outbox_available_at", table_name="sk_outbox")
    op.drop_table("sk_outbox")
