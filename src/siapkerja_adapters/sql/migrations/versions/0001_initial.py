"""Create the storage tables.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-15

A snapshot written out in full (not ``metadata.create_all``): later changes
to ``schema.py`` arrive as new revisions and never change this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_registrations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "pii", sa.LargeBinary(), nullable=False, comment="AES-GCM: nik, full_name, email, phone"
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        _time("created_at"),
        _time("expires_at"),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_registrations"),
    )
    op.create_table(
        "sk_otp_challenges",
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("phone", sa.LargeBinary(), nullable=False, comment="AES-GCM"),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        _time("issued_at"),
        _time("expires_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.Text(), nullable=False, comment="JSON list of ISO 8601 times"),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("last_failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name="pk_sk_otp_challenges"),
    )
    op.create_table(
        "sk_accounts",
        # Byte order on PostgreSQL ("C"), as in Python and SQLite: ids are paged in order.
        sa.Column(
            "id",
            sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "nik_index", sa.LargeBinary(), nullable=False, comment="HMAC-SHA-256 blind index"
        ),
        sa.Column(
            "email_index", sa.LargeBinary(), nullable=False, comment="HMAC-SHA-256 blind index"
        ),
        sa.Column(
            "phone_index", sa.LargeBinary(), nullable=False, comment="HMAC-SHA-256 blind index"
        ),
        sa.Column(
            "pii", sa.LargeBinary(), nullable=False, comment="AES-GCM: nik, full_name, email, phone"
        ),
        sa.Column("password_hash", sa.Text(), nullable=False),
        _time("created_at"),
        _time("password_changed_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sk_accounts"),
    )
    for field in ("nik", "email", "phone"):
        op.create_index(
            f"uq_sk_accounts_{field}_active",
            "sk_accounts",
            [f"{field}_index"],
            unique=True,
            sqlite_where=sa.text("active = 1"),
            postgresql_where=sa.text("active"),
        )
    op.create_table(
        "sk_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_sessions"),
    )
    op.create_index("ix_sk_sessions_account_id", "sk_sessions", ["account_id"])
    op.create_table(
        "sk_password_resets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("expires_at"),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sk_password_resets"),
    )
    op.create_table(
        "sk_profiles",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False, comment="AES-GCM: the profile as JSON"),
        sa.PrimaryKeyConstraint("account_id", name="pk_sk_profiles"),
    )
    op.create_table(
        "sk_cards",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("card_ref", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _time("issued_at"),
        _time("updated_at"),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_cards"),
        sa.UniqueConstraint("account_id", name="uq_sk_cards_account_id"),
        sa.UniqueConstraint("number", name="uq_sk_cards_number"),
        sa.UniqueConstraint("card_ref", name="uq_sk_cards_card_ref"),
    )
    op.create_table(
        "sk_verifiers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False, comment="JSON list"),
        _time("created_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sk_verifiers"),
        sa.UniqueConstraint("key_hash", name="uq_sk_verifiers_key_hash"),
    )
    op.create_table(
        "sk_consents",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("verifier_id", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column(
            "fields",
            sa.Text(),
            nullable=True,
            comment="JSON list, or NULL for the verifier's whole scope",
        ),
        _time("granted_at"),
        _time("withdrawn_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_consents"),
    )
    op.create_index(
        "ix_sk_consents_account_id_granted_at", "sk_consents", ["account_id", "granted_at"]
    )
    op.create_table(
        "sk_access_log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        _time("at"),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False, comment="JSON list"),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("verifier_id", sa.Text(), nullable=True),
        sa.Column("verifier_name", sa.Text(), nullable=True),
        sa.Column("viewer_account_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sk_access_log"),
    )
    op.create_index("ix_sk_access_log_account_id_at", "sk_access_log", ["account_id", "at"])
    op.create_table(
        "sk_check_ins",
        sa.Column("card_ref", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("station_id", sa.Text(), nullable=False),
        _time("checked_in_at"),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("kid", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("card_ref", "event_id", name="pk_sk_check_ins"),
    )
    op.create_index(
        "ix_sk_check_ins_event_id_checked_in_at", "sk_check_ins", ["event_id", "checked_in_at"]
    )
    op.create_table(
        "sk_keyring",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False, comment="AES-GCM: the keyring as JSON"),
        sa.PrimaryKeyConstraint("name", name="pk_sk_keyring"),
    )
    op.create_table(
        "sk_counters",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window_index", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sk_counters"),
    )
    op.create_table(
        "sk_meta",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False, comment="AES-GCM wrapped secrets"),
        sa.PrimaryKeyConstraint("name", name="pk_sk_meta"),
    )


def downgrade() -> None:
    for table in (
        "sk_meta",
        "sk_counters",
        "sk_keyring",
        "sk_check_ins",
        "sk_access_log",
        "sk_consents",
        "sk_verifiers",
        "sk_cards",
        "sk_profiles",
        "sk_password_resets",
        "sk_sessions",
        "sk_accounts",
        "sk_otp_challenges",
        "sk_registrations",
    ):
        op.drop_table(table)
