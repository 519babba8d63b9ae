"""alerts: versions in other languages (text and recording per language)

Revision ID: 0011_alert_versions
Revises: 0010_alert_repeats
Create Date: 2026-12-03 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0011_alert_versions"
down_revision = "0010_alert_repeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "language"),
    )
    op.create_index("ix_alert_versions_alert_id", "alert_versions", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_versions_alert_id", table_name="alert_versions")
    op.drop_table("alert_versions")
