"""Event entry: events, their stations (gates with their own credential), double entries.

Revision ID: 0004_gates
Revises: 0003_sms_outbox
Create Date: 2026-12-06

A check-in is admitted by a registered station of a registered event, never
by an anonymous call: ``sk_events`` holds the events (organiser, window,
capacity), ``sk_stations`` each gate's credential (an Ed25519 public key or
the HMAC of an API key), ``sk_double_entries`` the cards an offline sync
found entering at two stations. No personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_gates"
down_revision: str | Sequence[str] | None = "0003_sms_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sk_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=True),
        _time("opens_at"),
        _time("closes_at"),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("organiser_id", sa.Text(), nullable=False),
        sa.Column("class_id", sa.Text(), nullable=True),
        sa.Column("programme_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_events"),
    )
    op.create_index("ix_sk_events_organiser_id_opens_at", "sk_events", ["organiser_id", "opens_at"])
    op.create_index("ix_sk_events_closes_at", "sk_events", ["closes_at"])
    op.create_table(
        "sk_stations",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column(
            "public_key", sa.Text(), nullable=True, comment="Ed25519, base64url: public, no secret"
        ),
        sa.Column("key_hash", sa.Text(), nullable=True, comment="HMAC of the API key"),
        sa.Column("status", sa.Text(), nullable=False),
        _time("created_at"),
        _time("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("event_id", "id", name="pk_sk_stations"),
        sa.UniqueConstraint("key_hash", name="uq_sk_stations_key_hash"),
    )
    op.create_table(
        "sk_double_entries",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("card_ref", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.Text(), nullable=False),
        _time("at"),
        sa.Column("first_station_id", sa.Text(), nullable=False),
        _time("first_at"),
        sa.PrimaryKeyConstraint("event_id", "card_ref", "station_id", name="pk_sk_double_entries"),
    )


def downgrade() -> None:
    op.drop_table("sk_double_entries")
    op.drop_table("sk_stations")
    op.drop_index("ix_sk_events_closes_at", table_name="sk_events")
    op.drop_index("ix_sk_events_organiser_id_opens_at", table_name="sk_events")
    op.drop_table("sk_events")
