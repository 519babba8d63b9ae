"""air monitor: the stream as heard (one row)

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.database

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_heard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("dead_since", gateway.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("level_db", sa.Float(), nullable=True),
        sa.Column("listeners", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", gateway.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_heard")),
    )


def downgrade() -> None:
    op.drop_table("stream_heard")
