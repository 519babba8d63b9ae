"""Tables of the SMS side: subscribers, the durable outbound queue, inbound messages, the link.

The outbound queue is kept per segment: each segment is what one submit_sm carries, so the
state the SMSC acknowledges (message_id, receipts) maps onto a row without guessing.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base, UTCDateTime, utcnow


class SegmentState(StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    """Never handed to an SMSC: its alert was cancelled or corrected while it waited."""


class SegmentPriority(IntEnum):
    """Claim order of due segments, lowest first: alerts, then messages to one person, then
    other bulk.

    An alert (its fan-out, or its cancellation or correction notices) goes before everything
    else queued: a keyword reply can wait seconds, a warning cannot (issue 14). A message to one
    person (a keyword reply, `altavoz sms send`) goes before bulk that is not an alert, so a
    reply is not stuck behind thousands of copies (issue 12). Within a priority, `turn` orders:
    alerts take turns message by message (see `sms.outbox.alert_turn_base`), so a second
    alert does not wait behind the first one's thousands; a retry keeps its turn, which had
    already come, so it goes first among its kind when due."""

    ALERT = 0
    PERSON = 1
    BULK = 2


FINAL_STATES = frozenset(
    {SegmentState.DELIVERED, SegmentState.FAILED, SegmentState.EXPIRED, SegmentState.WITHDRAWN}
)


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    region: Mapped[str] = mapped_column(String(80))
    # The region folded for matching: "San Marcos", "SAN MÁRCOS" and "san marcos" are one place.
    region_key: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(8), default="es")
    opted_in: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_channel: Mapped[str] = mapped_column(String(16), default="")
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriberGroup(Base):
    __tablename__ = "subscriber_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class GroupMember(Base):
    __tablename__ = "subscriber_group_members"
    __table_args__ = (UniqueConstraint("group_id", "subscriber_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("subscriber_groups.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))


class OutboundMessage(Base):
    __tablename__ = "sms_outbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    destination: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segment_count: Mapped[int] = mapped_column(Integer)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboundSegment(Base):
    __tablename__ = "sms_segments"
    __table_args__ = (
        Index("ix_sms_segments_state_next", "state", "next_attempt_at"),
        Index("ix_sms_segments_claim_order", "state", "priority", "next_attempt_at"),
        Index("ix_sms_segments_turn", "state", "priority", "turn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("sms_outbound.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    destination: Mapped[str] = mapped_column(String(20))
    short_message: Mapped[bytes] = mapped_column(LargeBinary)
    data_coding: Mapped[int] = mapped_column(Integer)
    esm_class: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=SegmentState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(
        Integer, default=SegmentPriority.PERSON, server_default=str(int(SegmentPriority.PERSON))
    )
    turn: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Place within its priority: an alert's k-th message has the turn `base + k`."""
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    smsc_message_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    error: Mapped[str] = mapped_column(String(200), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InboundMessage(Base):
    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboundPart(Base):
    """One part of a concatenated inbound message, kept until its siblings arrive."""

    __tablename__ = "sms_inbound_parts"
    __table_args__ = (UniqueConstraint("source", "reference", "total", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    reference: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingReceipt(Base):
    """A delivery receipt that arrived before we stored its message_id (or for a lost one)."""

    __tablename__ = "sms_pending_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    smsc_message_id: Mapped[str] = mapped_column(String(80), index=True)
    state: Mapped[str] = mapped_column(String(12))
    error: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkStatus(Base):
    """The SMPP bind as the SMS worker last saw it, for the panel and `altavoz doctor`."""

    __tablename__ = "sms_link_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
