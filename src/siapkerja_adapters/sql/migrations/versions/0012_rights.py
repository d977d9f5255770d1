"""The holder's rights: recorded requests, the record of sign-ins, restrictions.

Revision ID: 0012_rights
Revises: 0011_factors
Create Date: 2026-12-06

``sk_rights_requests``: every request of a holder under UU 27/2022 (Pasal 14)
with its receipt, when it was received and when it is due (3×24 hours), its
status and who handled it; an objection's words are encrypted. ``sk_rights_log``:
the lines of the record of processing no other table keeps (sign-ins).
``sk_rights_restrictions``: accounts whose holder restricted processing. Two
indexes let an erasure find the holder's registrations and password resets.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_rights"
down_revision: str | Sequence[str] | None = "0011_factors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "sk_rights_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="RightKind"),
        sa.Column("status", sa.Text(), nullable=False, comment="RequestStatus"),
        _time("received_at"),
        _time("due_at", comment="received_at + 3x24 h (UU 27/2022)"),
        _time("completed_at", nullable=True),
        sa.Column("handled_by", sa.Text(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True, comment="AES-GCM: the holder's words"),
        _time("purge_after", nullable=True),
        _time("purged_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_rights_requests"),
        sa.UniqueConstraint("receipt", name="uq_sk_rights_requests_receipt"),
    )
    op.create_index(
        "ix_sk_rights_requests_account_id_received_at",
        "sk_rights_requests",
        ["account_id", "received_at"],
    )
    op.create_index(
        "ix_sk_rights_requests_status_due_at", "sk_rights_requests", ["status", "due_at"]
    )
    op.create_index("ix_sk_rights_requests_purge_after", "sk_rights_requests", ["purge_after"])
    op.create_table(
        "sk_rights_log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        _time("at"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_rights_log"),
    )
    op.create_index("ix_sk_rights_log_account_id_at", "sk_rights_log", ["account_id", "at"])
    op.create_table(
        "sk_rights_restrictions",
        sa.Column("account_id", sa.Text(), nullable=False),
        _time("restricted_at"),
        sa.PrimaryKeyConstraint("account_id", name="pk_sk_rights_restrictions"),
    )
    # An erasure finds the holder's registrations and password resets by account.
    op.create_index("ix_sk_registrations_account_id", "sk_registrations", ["account_id"])
    op.create_index("ix_sk_password_resets_account_id", "sk_password_resets", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_sk_password_resets_account_id", table_name="sk_password_resets")
    op.drop_index("ix_sk_registrations_account_id", table_name="sk_registrations")
    op.drop_table("sk_rights_restrictions")
    op.drop_index("ix_sk_rights_log_account_id_at", table_name="sk_rights_log")
    op.drop_table("sk_rights_log")
    for name in (
        "ix_sk_rights_requests_purge_after",
        "ix_sk_rights_requests_status_due_at",
        "ix_sk_rights_requests_account_id_received_at",
    ):
        op.drop_index(name, table_name="sk_rights_requests")
    op.drop_table("sk_rights_requests")
