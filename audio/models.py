"""Tables of the audio side: the library of recordings and the listeners' voice messages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base, UTCDateTime, utcnow


class RecordingKind(StrEnum):
    TESTIMONY = "testimony"
    JINGLE = "jingle"
    STATION_ID = "station-id"
    ALERT = "alert"


class TranscriptionStatus(StrEnum):
    QUEUED = "queued"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a transcription failed, stored as a code (gateway/codes.py) the panel words; the
    worker's log keeps the full English sentence."""

    NO_MODEL = "no_model"
    """No Vosk model for `language`: `altavoz models add` it, then retry."""
    BAD_MODEL = "bad_model"
    """The model for `language` cannot be used."""
    BAD_LANGUAGE = "bad_language"
    UNREADABLE = "unreadable"
    """ffmpeg could not decode the audio, or it holds no sound."""
    FILE_MISSING = "file_missing"
    INTERRUPTED = "interrupted_times"
    """The worker stopped while on it `times` times."""


class Moderation(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class VoiceChannel(StrEnum):
    API = "api"
    INBOX = "inbox"
    UPLOAD = "upload"


class Recording(Base):
    """A broadcast-ready file in the library, stored under its content hash."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(16), default="")
    speaker: Mapped[str] = mapped_column(String(120), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    duration_s: Mapped[float] = mapped_column(Float)
    loudness_lufs: Mapped[float] = mapped_column(Float)
    true_peak_dbtp: Mapped[float] = mapped_column(Float)
    source_loudness_lufs: Mapped[float | None] = mapped_column(Float, nullable=True)
    media_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    waveform_path: Mapped[str] = mapped_column(String(255), default="")
    voice_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_messages.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "language": self.language,
            "speaker": self.speaker,
            "consent": self.consent,
            "tags": list(self.tags or []),
            "duration_s": round(self.duration_s, 3),
            "loudness_lufs": round(self.loudness_lufs, 2),
            "true_peak_dbtp": round(self.true_peak_dbtp, 2),
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
        }


class VoiceMessage(Base):
    """A listener's call-in message: its original audio stays restricted to moderators."""

    __tablename__ = "voice_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    original_path: Mapped[str] = mapped_column(String(255), default="")
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=TranscriptionStatus.QUEUED, index=True)
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transcribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transcript: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    corrected_transcript: Mapped[str | None] = mapped_column(Text, nullable=True)
    moderation: Mapped[str] = mapped_column(String(16), default=Moderation.PENDING, index=True)
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    protected_path: Mapped[str] = mapped_column(String(255), default="")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def text(self) -> str:
        """What moderators settled on, or what Vosk heard."""
        return (
            self.corrected_transcript if self.corrected_transcript is not None else self.transcript
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "transcript": self.text,
            "words": list(self.words or []),
            "language": self.language,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "received_at": self.received_at.isoformat(),
            "moderation": self.moderation,
            "failure_reason": self.failure_reason or None,
        }
