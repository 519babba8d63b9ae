"""Voice message rows made directly (intake is tested elsewhere), with their original stored."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from audio.models import Moderation, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import Area, MediaStore
from gateway.database import utcnow

CALLER = "+50255551234"
WORDS = [
    {"word": "radio", "start": 0.12, "end": 0.48, "conf": 0.97},
    {"word": "altavoz", "start": 0.52, "end": 1.10, "conf": 0.41},
    {"word": "defensoras", "start": 1.60, "end": 2.35, "conf": 0.88},
]


def make_message(
    session: Session,
    store: MediaStore,
    source: Path,
    *,
    moderation: Moderation = Moderation.PENDING,
    received_at: datetime | None = None,
    **fields: Any,
) -> VoiceMessage:
    stored = store.put(source, area=Area.ORIGINALS, suffix=source.suffix or ".wav")
    values: dict[str, Any] = {
        "caller": CALLER,
        "language": "es",
        "channel": VoiceChannel.UPLOAD.value,
        "original_path": stored.relative,
        "duration_s": 7.0,
        "status": TranscriptionStatus.TRANSCRIBED.value,
        "transcript": " ".join(str(word["word"]) for word in WORDS),
        "words": WORDS,
        "moderation": moderation.value,
        "received_at": received_at or utcnow(),
    }
    values.update(fields)
    message = VoiceMessage(**values)
    session.add(message)
    session.flush()
    return message
