"""alerts: two-person approval (draft, sent, rejected) and cancel/correct records

Revision ID: 0008_alert_approval
Revises: 0007_sms_priority
Create Date: 2026-12-03 15:40:00

Alerts already in the table were sent when they were made: they become `sent` alerts.
"""

from __future__ import annotations

import sqlalchemy as sa

import gateway.database
from alembic import op

revision = "0008_alert_approval"
down_revision = "0007_sms_priority"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="sent")
        )
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="alert"))
        batch.add_column(sa.Column("references_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("smart", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("decided_at", gateway.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reject_reason", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key(
            "fk_alerts_created_by_id", "users", ["created_by_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_alerts_decided_by_id", "users", ["decided_by_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_alerts_references_id", "alerts", ["references_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_alerts_status", ["status"], unique=False)
        batch.create_index("ix_alerts_references_id", ["references_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_references_id")
        batch.drop_index("ix_alerts_status")
        batch.drop_constraint("fk_alerts_references_id", type_="foreignkey")
        batch.drop_constraint("fk_alerts_decided_by_id", type_="foreignkey")
        batch.drop_constraint("fk_alerts_created_by_id", type_="foreignkey")
        for column in (
            "reject_reason",
            "decided_at",
            "decided_by",
            "decided_by_id",
            "smart",
            "references_id",
            "kind",
            "status",
            "created_by_id",
        ):
            batch.drop_column(column)
