"""The alerts table: an urgent message composed once and carried by SMS and on air.

An alert has a life: a draft waiting for a second person (`alerts.approvals_required`), then
sent, or rejected; once sent it may be cancelled or corrected. A cancellation or correction is
an alert row of its own (`kind`) that `references` the original, which is what CAP's
Update/Cancel messages name; the original keeps its text and says it was superseded."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base, UTCDateTime, utcnow


class AlertChannel(StrEnum):
    SMS = "sms"
    AIR = "air"


class AlertStatus(StrEnum):
    """Where an alert stands. Stored: draft, sent, rejected, cancelled, corrected; a sent alert's
    summary says sending or completed instead (codes the panel words)."""

    DRAFT = "draft"
    """Held for a second person's approval: nothing queued, nothing on air."""
    SENT = "sent"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    """Sent, then withdrawn: what was not yet submitted never went, the rest got a notice."""
    CORRECTED = "corrected"
    """Sent, then superseded by a correction (its own alert, referencing this one)."""
    SENDING = "sending"
    COMPLETED = "completed"


class AlertKind(StrEnum):
    ALERT = "alert"
    CANCEL = "cancel"
    CORRECTION = "correction"


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
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    """The account that drafted it (a token acts as its owner): never its approver."""
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.SENT, index=True)
    kind: Mapped[str] = mapped_column(String(16), default=AlertKind.ALERT)
    references_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The alert this one cancels or corrects."""
    smart: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Smart encoding as asked when drafted, so an approved draft is sent as it was previewed."""
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    cap_sender: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cap_identifier: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    cap_sent: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """For an alert imported from another warning system: its CAP sender, identifier and
    sent, which that system's later Update or Cancel names in `references`."""
    repeat_every_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """On air again every so many minutes (gateway/alert_repeats.py); None or 0: aired once."""
    repeat_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """The last repeat airs at or before this moment."""


class AlertVersion(Base):
    """The alert in one more language: text for the SMS of subscribers who speak it, and a
    recording (made on a phone, often: most of the region's languages have no text-to-speech
    and no written standard) aired after the main one. The alert's own text and recording are
    its default version, in Spanish."""

    __tablename__ = "alert_versions"
    __table_args__ = (UniqueConstraint("alert_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order on air, as given."""
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True
    )
