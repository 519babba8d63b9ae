"""Voice messages from callers: intake, and the transcription queue the workers share.

`receive` is the one way in for the API, the panel's upload form and the inbox folder, so all
three refuse the same files for the same reasons. The queue is the table itself: a worker
claims the oldest queued message in a transaction (status `transcribing`, `claimed_by` its
name; `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers on several hosts never take the same
message; SQLite serialises writers and the conditional update lets only one of them win).
A worker that dies leaves its claim behind; live workers give such messages back to the
queue, and a message whose transcription was cut short `MAX_ATTEMPTS` times fails instead of
taking workers down with it forever.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select, true, update
from sqlalchemy.orm import Session

from audio.decode import TRUNCATION_TOLERANCE_S, decoding_timeout
from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg, last_error_line
from audio.languages import parse_language
from audio.models import FailureReason, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.probe import Probe, clock, probe
from audio.storage import Area, MediaStore
from gateway import audit
from gateway.accounts import SYSTEM, Actor
from gateway.codes import coded
from gateway.settings import MediaSettings
from sms.phones import PhoneError, mask, to_e164

MAX_ATTEMPTS = 3
CALLER_MAX = 32
_OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
_SUFFIXES = {"mov": "m4a", "matroska": "mka", "amr": "amr", "ogg": "ogg", "wav": "wav"}


def normalise_caller(raw: str, *, default_region: str | None) -> str:
    """E.164 when the number parses, else the digits (and a leading +) as given, or ""."""
    text = raw.strip()[:CALLER_MAX]
    try:
        return to_e164(text, default_region=default_region or "ZZ")
    except PhoneError:
        digits = "".join(char for char in text if char.isdigit())
        return ("+" + digits if text.startswith("+") and digits else digits)[:CALLER_MAX]


def _decoded_seconds(source: Path, described: Probe, media: MediaSettings) -> float:
    """Decode the whole file (to nothing) to catch damage the headers hide; return its length."""
    result = ffmpeg(
        "-v", "error", "-i", source, "-map", "0:a:0", "-t", f"{media.max_duration_s + 1:.3f}",
        "-progress", "pipe:1", "-f", "null", "-",
        timeout=decoding_timeout(described.duration_s or media.max_duration_s),
    )  # fmt: skip
    times = _OUT_TIME.findall(result.stdout)
    if result.returncode != 0 or not times:
        raise AudioError(
            Problem.DAMAGED, f"the audio could not be decoded ({last_error_line(result.stderr)})"
        )
    seconds = int(times[-1]) / 1_000_000
    if seconds < 0.05:
        raise AudioError(Problem.DAMAGED, "no sound could be decoded from the file")
    if seconds > media.max_duration_s:
        raise AudioError(
            Problem.TOO_LONG,
            f"the recording is longer than the {clock(media.max_duration_s)} this station accepts",
        )
    announced = described.duration_s
    if (
        announced is not None
        and not described.duration_estimated
        and seconds < announced - max(TRUNCATION_TOLERANCE_S, 0.05 * announced)
    ):
        raise AudioError(
            Problem.DAMAGED,
            f"the file is cut short or damaged: it announces {announced:.1f} s "
            f"but only {seconds:.1f} s can be decoded",
        )
    return seconds


def _suffix(described: Probe) -> str:
    """Our own file suffix from what ffprobe found, never from the name the file came with."""
    first = described.format_name.split(",")[0]
    name = _SUFFIXES.get(first, first)
    return f".{name}" if name.isalnum() and len(name) <= 8 else ".bin"


def receive(
    session: Session,
    store: MediaStore,
    source: Path,
    *,
    caller: str,
    language: str,
    channel: VoiceChannel,
    received_at: datetime,
    media: MediaSettings,
    default_region: str | None = None,
    actor: Actor = SYSTEM,
) -> VoiceMessage:
    """Check, store and queue one message; AudioError or LanguageError leave nothing behind.
    The intake is audited (who brought it in, which way, the caller's number masked)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    code = parse_language(language)
    if source.is_file() and source.stat().st_size > media.max_upload_mb * 1024 * 1024:
        raise AudioError(
            Problem.TOO_LONG, f"the file is larger than the {media.max_upload_mb} MB accepted"
        )
    described = probe(source, max_duration_s=media.max_duration_s)
    duration = _decoded_seconds(source, described, media)
    stored = store.put(source, area=Area.ORIGINALS, suffix=_suffix(described))
    try:
        message = VoiceMessage(
            caller=normalise_caller(caller, default_region=default_region),
            received_at=received_at,
            language=code,
            channel=channel.value,
            original_path=stored.relative,
            duration_s=duration,
            status=TranscriptionStatus.QUEUED.value,
        )
        session.add(message)
        session.flush()
        audit.record_by(
            session,
            actor,
            action="voice.receive",
            target=f"voice message {message.id}",
            details={
                "channel": channel.value,
                "caller": mask(message.caller) if message.caller else "",
                "duration_s": round(duration, 1),
            },
        )
    except BaseException:
        if stored.created:
            store.delete(stored.relative)
        raise
    return message


def claim_next(session: Session, worker_name: str, now: datetime) -> VoiceMessage | None:
    """Take the oldest queued message for this worker, or None when the queue is empty."""
    for _race in range(5):
        query = (
            select(VoiceMessage.id)
            .where(VoiceMessage.status == TranscriptionStatus.QUEUED)
            .order_by(VoiceMessage.received_at, VoiceMessage.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message_id = session.scalar(query)
        if message_id is None:
            return None
        taken = session.execute(
            update(VoiceMessage)
            .where(VoiceMessage.id == message_id, VoiceMessage.status == TranscriptionStatus.QUEUED)
            .values(
                status=TranscriptionStatus.TRANSCRIBING,
                claimed_by=worker_name,
                claimed_at=now,
                attempts=VoiceMessage.attempts + 1,
                failure_reason="",
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) == 1:
            return session.get(VoiceMessage, message_id, populate_existing=True)
    return None


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _finish(session: Session, message_id: int, worker_name: str, **values: Any) -> bool:
    """Write the outcome only if the message is still this worker's (not given away since)."""
    result = session.execute(
        update(VoiceMessage)
        .where(
            VoiceMessage.id == message_id,
            VoiceMessage.status == TranscriptionStatus.TRANSCRIBING,
            VoiceMessage.claimed_by == worker_name,
        )
        .values(claimed_by="", **values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def mark_transcribed(
    session: Session,
    message_id: int,
    *,
    worker_name: str,
    text: str,
    words: list[dict[str, Any]],
    duration_s: float,
    now: datetime,
) -> bool:
    return _finish(
        session,
        message_id,
        worker_name,
        status=TranscriptionStatus.TRANSCRIBED,
        transcript=text,
        words=words,
        duration_s=duration_s,
        transcribed_at=now,
        failure_reason="",
    )


def mark_failed(
    session: Session, message_id: int, reason: str, *, worker_name: str, now: datetime
) -> bool:
    return _finish(
        session,
        message_id,
        worker_name,
        status=TranscriptionStatus.FAILED,
        failure_reason=reason[:1000],
        transcribed_at=now,
    )


def release_claims(session: Session, *, alive: set[str], now: datetime) -> int:
    """Give back messages claimed by workers not in `alive` (they died mid-transcription);
    those interrupted MAX_ATTEMPTS times fail, so one poisonous file cannot crash-loop."""
    stale = and_(
        VoiceMessage.status == TranscriptionStatus.TRANSCRIBING,
        VoiceMessage.claimed_by.not_in(alive) if alive else true(),
    )
    failed = session.execute(
        update(VoiceMessage)
        .where(stale, VoiceMessage.attempts >= MAX_ATTEMPTS)
        .values(
            status=TranscriptionStatus.FAILED,
            claimed_by="",
            transcribed_at=now,
            failure_reason=coded(FailureReason.INTERRUPTED, times=MAX_ATTEMPTS),
        )
        .execution_options(synchronize_session=False)
    )
    requeued = session.execute(
        update(VoiceMessage)
        .where(stale)
        .values(status=TranscriptionStatus.QUEUED, claimed_by="", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(failed) + _rowcount(requeued)


def requeue(session: Session, message_id: int) -> bool:
    """Queue a failed message again (a model was installed since, say)."""
    result = session.execute(
        update(VoiceMessage)
        .where(VoiceMessage.id == message_id, VoiceMessage.status == TranscriptionStatus.FAILED)
        .values(status=TranscriptionStatus.QUEUED, attempts=0, failure_reason="")
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1
