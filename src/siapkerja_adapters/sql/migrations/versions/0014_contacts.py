"""Contacts and notices: the outbox's channel, the holder's second contact.

Revision ID: 0014_contacts
Revises: 0013_disputes
Create Date: 2026-12-06

``sk_outbox.channel``: ``sms`` (every message written before this revision)
or ``email``; the dispatcher hands a message to the sender of its channel.
``sk_second_contacts``: one verified second contact (a phone or an e-mail) per
account, used by recovery when the primary phone is lost; the contact is
personal data, encrypted (``value``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_contacts"
down_revision: str | Sequence[str] | None = "0013_disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sk_outbox") as batch:
        batch.add_column(
            sa.Column(
                "channel",
                sa.Text(),
                nullable=False,
                server_default="sms",
                comment="sms or email",
            )
        )
    op.create_table(
        "sk_second_contacts",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="ContactKind: phone or email"),
        sa.Column("value", sa.LargeBinary(), nullable=False, comment="AES-GCM: the contact"),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_sk_second_contacts"),
    )


def downgrade() -> None:
    op.drop_table("sk_second_contacts")
    with op.batch_alter_table("sk_outbox") as batch:
        batch.drop_column("channel")
