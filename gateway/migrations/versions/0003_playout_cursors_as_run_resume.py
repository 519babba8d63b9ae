"""playout cursors; as-run offset, heard_until and source_key for resuming after a crash

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.database

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playout_cursors",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("expires_at", gateway.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", gateway.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_playout_cursors")),
    )
    with op.batch_alter_table("playout_cursors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playout_cursors_expires_at"), ["expires_at"])
    with op.batch_alter_table("as_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offset_s", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("heard_until", gateway.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("as_run", schema=None) as batch_op:
        batch_op.drop_column("source_key")
        batch_op.drop_column("heard_until")
        batch_op.drop_column("offset_s")
    with op.batch_alter_table("playout_cursors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playout_cursors_expires_at"))
    op.drop_table("playout_cursors")
