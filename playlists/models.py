"""Tables of the air side: playlists, the weekly schedule, the as-run log, playout commands."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.database import Base, UTCDateTime, utcnow


class PlaylistMode(StrEnum):
    ORDERED = "ordered"
    SHUFFLE = "shuffle"


class AirReason(StrEnum):
    """Why an item went out, as the broadcast log must say."""

    SCHEDULE = "schedule"
    FALLBACK = "fallback"
    ALERT = "alert"
    OUTAGE = "outage"
    """Nothing went out: the playout worker was down (its row spans the dead air)."""
    MONITOR = "monitor"
    """Put there by the air monitor: a station ID after a restart, or a dead-air incident."""


class AsRunStatus(StrEnum):
    PLAYING = "playing"
    PLAYED = "played"
    CUT = "cut"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"
    OFF_AIR = "off_air"
    DEAD_AIR = "dead_air"
    """A dead-air incident: nothing was heard from the stream between start and end."""


class AsRunDetail(StrEnum):
    """Why an item ended or started as it did, stored as codes (gateway/codes.py) in the
    as-run detail for the panel to word; errors from libVLC or a file stay as their text."""

    CUT_AT = "cut_at"
    """The item reached the end its slot or alert set."""
    SLOT_START = "slot_start"
    PREEMPTED = "preempted"
    CUT_NOW = "cut_now"
    LATE = "late"
    """Started `seconds` late."""
    NOTHING_TO_AIR = "nothing_to_air"
    WORKER_STOPPED = "worker_stopped"
    WORKER_RESTARTED = "worker_restarted"
    SKIPPED_BY_MONITOR = "skipped_by_monitor"
    """The air monitor heard `seconds` of silence and skipped the item."""
    NO_FILE = "no_file"
    """The item's file (`path`) is not there: skipped."""
    UNPARSABLE = "unparsable"
    """libVLC could not parse the file (`status`): skipped."""
    NO_AUDIO_TRACK = "no_audio_track"
    RESTARTED_BY_MONITOR = "restarted_by_monitor"
    """The air monitor restarted the source: the stream was `heard` for `seconds`."""
    STREAM_HEARD = "stream_heard"
    """A dead-air incident: the stream was `heard` (silent, unreachable)."""
    DEAD_AIR_OVER = "dead_air_over"
    """Sound came back after `seconds`."""
    STAFF_TOLD = "staff_told"
    """The staff SMS was queued to `queued` of the `numbers` on-call numbers."""
    NO_STAFF = "no_staff"
    STAFF_NOT_SENT = "staff_not_sent"


class CommandKind(StrEnum):
    PREEMPT = "preempt"
    SKIP = "skip"
    RESTART_SOURCE = "restart_source"
    STATION_ID = "station_id"


class Playlist(Base):
    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(16), default=PlaylistMode.ORDERED)
    jingle_every_items: Mapped[int] = mapped_column(Integer, default=0)
    jingle_every_minutes: Mapped[float] = mapped_column(Float, default=0)
    no_repeat_minutes: Mapped[float] = mapped_column(Float, default=0)
    is_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[list[PlaylistItem]] = relationship(
        order_by="PlaylistItem.position", cascade="all, delete-orphan"
    )


class PlaylistItem(Base):
    __tablename__ = "playlist_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))


class ScheduleSlot(Base):
    """One-off or recurring (RRULE) time holding a playlist or one recording, in station time."""

    __tablename__ = "schedule_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    playlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("playlists.id", ondelete="CASCADE"), nullable=True
    )
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), nullable=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float] = mapped_column(Float)
    rrule: Mapped[str] = mapped_column(String(500), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class AsRunEntry(Base):
    """One line of the broadcast log a station can hand to a regulator."""

    __tablename__ = "as_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=AsRunStatus.PLAYING)
    detail: Mapped[str] = mapped_column(Text, default="")
    offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    """Where in the recording it started (after an alert or a restart, not at 0)."""
    heard_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Last moment the playout worker saw it on air: where a killed worker's item ended."""
    source_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The rotation it came from (a slot occurrence or the fallback), to resume it."""


class PlayoutCursor(Base):
    """Where a slot occurrence's or the fallback's rotation stands, saved as each item starts,
    so a restarted playout worker continues the playlist instead of starting it over."""

    __tablename__ = "playout_cursors"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlayoutCommand(Base):
    """A request to the playout worker (e.g. preempt now with an alert), delivered via the DB."""

    __tablename__ = "playout_commands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    """Not to be carried out before this moment (an alert's repeat); None: at once."""
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")


class StreamHeard(Base):
    """The stream as the air monitor hears it: one row (id 1), rewritten every few seconds."""

    __tablename__ = "stream_heard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    """ok, silent or unreachable."""
    dead_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Since when nothing has been heard (silent or unreachable); None while sound is."""
    silence_s: Mapped[float] = mapped_column(Float, default=0.0)
    level_db: Mapped[float | None] = mapped_column(Float, nullable=True)
    listeners: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """From Icecast's status page; None when it could not be read."""
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The as-run line of the dead-air incident still open, if any."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
