"""api tokens: an optional expiry; tokens without an owner go to the oldest active admin

Revision ID: 0006_tokens
Revises: 0005_login
Create Date: 2026-12-03 13:00:00

Tokens made at the shell before tokens had owners carry no `created_by`. A token now belongs to
an account and can do no more than that account, so each such token is given to the oldest
active admin (who could make it anyway). With no active admin they stay ownerless and stop
working until an admin makes new ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.database

revision = "0006_tokens"
down_revision = "0005_login"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("expires_at", gateway.database.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        sa.text(
            "UPDATE api_tokens SET created_by = (SELECT min(id) FROM users "
            "WHERE role = 'admin' AND active) WHERE created_by IS NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
