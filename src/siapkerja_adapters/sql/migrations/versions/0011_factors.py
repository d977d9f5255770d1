"""Second factors: authenticator apps, recovery codes, passkeys and WebAuthn ceremony states.

Revision ID: 0011_factors
Revises: 0010_sso
Create Date: 2026-12-06

``sk_factors``: one row per factor of an account (``siapkerja_core.factors.FactorRecord``).
The TOTP secret (or a ceremony's challenge) is an AES-GCM ciphertext bound to the row;
recovery codes are kept only as keyed hashes (JSON list); a passkey's credential id and
COSE public key are public values. The index serves an account's factors.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_factors"
down_revision: str | Sequence[str] | None = "0010_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, *, nullable: bool = False, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "sk_factors",
        _text("id"),
        _text("account_id"),
        _text("kind", comment="FactorKind"),
        _text("status", comment="FactorStatus"),
        _text("label"),
        _time("created_at"),
        _time("last_used_at", nullable=True),
        _time("expires_at", nullable=True),
        sa.Column(
            "secret",
            sa.LargeBinary(),
            nullable=True,
            comment="AES-GCM: the TOTP secret or a ceremony's challenge",
        ),
        sa.Column(
            "last_step",
            sa.BigInteger(),
            nullable=True,
            comment="TOTP step of the last code accepted",
        ),
        _text("code_hashes", comment="JSON list of HMACs of recovery codes"),
        _text("credential_id", nullable=True, comment="WebAuthn credential id, base64url"),
        _text(
            "public_key", nullable=True, comment="WebAuthn COSE public key, base64url: no secret"
        ),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        _text("transports", comment="JSON list"),
        sa.PrimaryKeyConstraint("id", name="pk_sk_factors"),
    )
    op.create_index("ix_sk_factors_account_id", "sk_factors", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_sk_factors_account_id", table_name="sk_factors")
    op.drop_table("sk_factors")
