"""Store the keyring's stamp beside it, in plaintext.

Revision ID: 0002_keyring_stamp
Revises: 0001_initial
Create Date: 2026-12-06

Running services compare their cached keyring's ``Keyring.stamp`` with this
column on every key-dependent request, so a rotation or retirement made by
another process is honoured at once without decrypting the keyring. A row
written before this revision has no stamp: the first service that reads it
writes one (``keyring`` is then reloaded everywhere once).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_keyring_stamp"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sk_keyring") as batch:
        batch.add_column(
            sa.Column(
                "stamp",
                sa.Text(),
                nullable=True,
                comment="Keyring.stamp: which keys exist, none secret",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sk_keyring") as batch:
        batch.drop_column("stamp")
