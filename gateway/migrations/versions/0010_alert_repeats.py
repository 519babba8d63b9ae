"""alerts: on-air repeats (every N minutes until a time); SMS alerts first, taking turns

Revision ID: 0010_alert_repeats
Revises: 0009_cap_import
Create Date: 2026-12-03 16:45:00

Playout commands get the moment they are due (an alert's repeats wait for theirs); alerts
keep how they repeat. SMS segments get a turn within their priority, and the priorities are
renumbered: alerts (0) first, then messages to one person (1), then other bulk (2). Segments
still queued from an alert (its message names one) become alerts; a retry (0 before) of a
message to one person becomes a message to one person again.
"""

from __future__ import annotations

import sqlalchemy as sa

import gateway.database
from alembic import op

revision = "0010_alert_repeats"
down_revision = "0009_cap_import"
branch_labels = None
depends_on = None

ALERT_MESSAGES = "SELECT id FROM sms_outbound WHERE alert_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("repeat_every_min", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("repeat_until", gateway.database.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("playout_commands") as batch:
        batch.add_column(
            sa.Column("due_at", gateway.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_playout_commands_due_at", ["due_at"], unique=False)
    with op.batch_alter_table("sms_segments") as batch:
        batch.add_column(sa.Column("turn", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_sms_segments_turn", ["state", "priority", "turn"], unique=False)
    op.execute(
        "UPDATE sms_segments SET priority = CASE WHEN message_id IN "
        f"({ALERT_MESSAGES}) THEN 0 ELSE 1 END WHERE priority IN (0, 2)"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE sms_segments SET priority = 2 WHERE priority = 0 AND message_id IN "
        f"({ALERT_MESSAGES})"
    )
    with op.batch_alter_table("sms_segments") as batch:
        batch.drop_index("ix_sms_segments_turn")
        batch.drop_column("turn")
    with op.batch_alter_table("playout_commands") as batch:
        batch.drop_index("ix_playout_commands_due_at")
        batch.drop_column("due_at")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("repeat_until")
        batch.drop_column("repeat_every_min")
