"""sms segments: a claim priority (retries, then messages to one person, then alert fan-outs)

Revision ID: 0007_sms_priority
Revises: 0006_tokens
Create Date: 2026-12-03 13:40:00

Segments already queued become messages to one person (1); an alert queued before this
migration is therefore not held behind anything, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sms_priority"
down_revision = "0006_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_segments") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        batch.create_index(
            "ix_sms_segments_claim_order", ["state", "priority", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_segments") as batch:
        batch.drop_index("ix_sms_segments_claim_order")
        batch.drop_column("priority")
