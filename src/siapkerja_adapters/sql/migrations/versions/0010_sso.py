"""Single sign-on: registered relying parties and their codes, tokens and pushed requests.

Revision ID: 0010_sso
Revises: 0009_aki
Create Date: 2026-12-06

``sk_sso_clients``: one row per client (``siapkerja_core.sso.SsoClient``) and
the HMAC of its secret. ``sk_sso_tokens``: codes, access and refresh tokens,
pushed requests, spent ``state`` values and client-assertion ids
(``SsoToken``), keyed by the HMAC of the token: the token itself is never
stored. No column holds personal data in the clear: ids, field names, OAuth
values (nonce, PKCE challenge, redirect URI); a pushed request's parameters
may carry a ``login_hint`` or ``id_token_hint``, so they are encrypted. The
indexes serve revoking a grant, a holder's tokens (of one client) and the
purge of expired rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sso"
down_revision: str | Sequence[str] | None = "0009_aki"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKEN_INDEXES = {
    "ix_sk_sso_tokens_grant_id": ["grant_id"],
    "ix_sk_sso_tokens_account_id_client_id": ["account_id", "client_id"],
    "ix_sk_sso_tokens_client_id": ["client_id"],
    "ix_sk_sso_tokens_expires_at": ["expires_at"],
}


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, *, nullable: bool = False, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "sk_sso_clients",
        _text("id"),
        _text("verifier_id"),
        _text("name"),
        _text("purpose", comment="canonical: what consents match on"),
        _text("purpose_label", comment="as typed: what holders read"),
        _text("fields", comment="JSON list"),
        _text("essential", comment="JSON list"),
        _text("redirect_uris", comment="JSON list, in order"),
        _text("post_logout_redirect_uris", comment="JSON list, in order"),
        _text("auth_method"),
        _text("jwks", nullable=True, comment="JSON JWK Set: public keys only"),
        sa.Column(
            "id_token_alg",
            sa.Text(),
            nullable=False,
            server_default="EdDSA",
            comment="IdTokenAlg",
        ),
        sa.Column("high_assurance", sa.Boolean(), nullable=False),
        sa.Column("step_up", sa.Boolean(), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=False, comment="calls per minute"),
        _text("status", comment="VerifierStatus"),
        _time("created_at"),
        _time("secret_rotated_at", nullable=True),
        _text(
            "secret_hash",
            nullable=True,
            comment="HMAC of the client secret; NULL: private_key_jwt",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sk_sso_clients"),
    )
    op.create_table(
        "sk_sso_tokens",
        _text("token_hash", comment="HMAC of the token, never the token"),
        _text("kind", comment="TokenKind"),
        _text("client_id"),
        _text("grant_id"),
        _text("account_id", nullable=True),
        _text("consent_id", nullable=True),
        _text("fields", comment="JSON list"),
        _text("scope"),
        _text("redirect_uri", nullable=True),
        _text("nonce", nullable=True),
        _text("code_challenge", nullable=True),
        _text("code_challenge_method", nullable=True),
        _time("auth_time", nullable=True),
        _text("amr", comment="JSON list, in order"),
        _time("issued_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _time("revoked_at", nullable=True),
        sa.Column(
            "params",
            sa.LargeBinary(),
            nullable=True,
            comment="AES-GCM: a pushed request's parameters (JSON)",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sk_sso_tokens"),
    )
    for name, columns in _TOKEN_INDEXES.items():
        op.create_index(name, "sk_sso_tokens", columns)


def downgrade() -> None:
    for name in reversed(_TOKEN_INDEXES):
        op.drop_index(name, table_name="sk_sso_tokens")
    op.drop_table("sk_sso_tokens")
    op.drop_table("sk_sso_clients")
