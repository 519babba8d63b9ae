"""The alerts table: an urgent message composed once and carried by SMS and on air."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base, UTCDateTime, utcnow


class AlertChannel(StrEnum):
    SMS = "sms"
    AIR = "air"


class AlertStatus(StrEnum):
    """Where an alert stands, as its summary says (codes the panel words)."""

    SENDING = "sending"
    COMPLETED = "completed"


class SmsBlocked(StrEnum):
    """Why an alert's queued SMS cannot go out now."""

    SMS_OFF = "sms_off"
    NO_SMS_WORKER = "no_sms_worker"


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    audio_recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True
    )
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped_opted_out: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(80), default="")
