"""alerts: the CAP sender, identifier and sent of an alert imported from another system

Revision ID: 0009_cap_import
Revises: 0008_alert_approval
Create Date: 2026-12-03 16:40:00

A later CAP Update or Cancel from that system names the alert by these; alerts made here
have none (their CAP identifier is derived from the station's sender and the alert's id).
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0009_cap_import"
down_revision = "0008_alert_approval"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("cap_sender", sa.String(200), nullable=True))
        batch.add_column(sa.Column("cap_identifier", sa.String(200), nullable=True))
        batch.add_column(sa.Column("cap_sent", sa.String(40), nullable=True))
        batch.create_index("ix_alerts_cap_identifier", ["cap_identifier"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_cap_identifier")
        for column in ("cap_sent", "cap_identifier", "cap_sender"):
            batch.drop_column(column)
