"""Moderating voice messages: correct, approve or reject, mark sensitive, protect the voice,
send to the library, and forget the original audio of rejected messages after a while.

Every action writes an audit entry in the same session as the change, so the two are committed
together or not at all. The functions flush but do not commit (the panel commits once per
request) except `purge_expired`, which commits after each message: it deletes files, and a
deleted file must never be left with a row that still points at it as if it were there.

A sensitive message never reaches the library with its original voice: `add_to_library`
disguises it first if no protected copy exists yet.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from audio import library, voice_protection
from audio.ingest import prepare_recording
from audio.metadata import TITLE_MAX, RecordingMetadata, clean_text
from audio.models import Moderation, Recording, RecordingKind, TranscriptionStatus, VoiceMessage
from audio.storage import Area, MediaStore
from gateway import audit
from gateway.accounts import SYSTEM, Actor
from gateway.codes import Refused
from gateway.database import utcnow
from gateway.settings import MediaSettings
from sms.phones import mask

PAGE_SIZE = 200
TRANSCRIPT_MAX = 20_000
LIBRARY_TAGS = ("voice-message",)
PROTECTED_TAG = "protected-voice"


class ModerationProblem(StrEnum):
    """Why an action on a voice message was refused: the panel words it
    (gateway/web/labels.py), `str(error)` stays the English of the API and the command line."""

    TRANSCRIPT_TOO_LONG = "moderation.transcript_too_long"
    AUDIO_DELETED = "moderation.audio_deleted"
    ORIGINAL_DELETED = "moderation.original_deleted"
    ORIGINAL_MISSING = "moderation.original_missing"
    PROTECTED_MISSING = "moderation.protected_missing"
    NOT_APPROVED = "moderation.not_approved"
    IN_LIBRARY = "moderation.in_library"


class ModerationError(Refused):
    """An action that cannot be done to this message now; the message says why, `problem`
    and `params` let the panel say it in the moderator's language."""


@dataclass(frozen=True)
class Filters:
    """What the list of voice messages is narrowed to; None means 'any'."""

    status: TranscriptionStatus | None = None
    moderation: Moderation | None = None
    within: frozenset[Moderation] = frozenset(Moderation)
    """The decisions the person asking may see at all (`gateway.visibility`)."""


def _audit(
    session: Session, action: str, message: VoiceMessage, actor: Actor, **details: object
) -> None:
    audit.record(
        session,
        action=action,
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=f"voice message {message.id}",
        details=dict(details),
    )


def search(
    session: Session,
    filters: Filters,
    *,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    oldest_first: bool = False,
) -> list[VoiceMessage]:
    """Newest first (oldest first for a queue of work), never outside `filters.within`."""
    query = _narrowed(select(VoiceMessage), filters)
    if oldest_first:
        query = query.order_by(VoiceMessage.received_at, VoiceMessage.id)
    else:
        query = query.order_by(VoiceMessage.received_at.desc(), VoiceMessage.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count(session: Session, filters: Filters) -> int:
    """How many messages `search` would find with no limit."""
    query = _narrowed(select(func.count(VoiceMessage.id)), filters)
    return session.scalar(query) or 0


def _narrowed(query: Select[Any], filters: Filters) -> Select[Any]:
    query = query.where(VoiceMessage.moderation.in_(sorted(filters.within)))
    if filters.status is not None:
        query = query.where(VoiceMessage.status == filters.status.value)
    if filters.moderation is not None:
        query = query.where(VoiceMessage.moderation == filters.moderation.value)
    return query


def library_recording(session: Session, message: VoiceMessage) -> Recording | None:
    """The library recording made from this message, if any."""
    query = select(Recording).where(Recording.voice_message_id == message.id).limit(1)
    return session.scalars(query).first()


def correct_transcript(session: Session, message: VoiceMessage, text: str, *, actor: Actor) -> bool:
    """Set what the message says; the same text as Vosk's drops the correction. True if changed.

    The audit entry records lengths, not words: the transcript may name people at risk.
    """
    cleaned = clean_text(text)
    if len(cleaned) > TRANSCRIPT_MAX:
        raise ModerationError(
            f"the transcript is longer than {TRANSCRIPT_MAX} characters",
            ModerationProblem.TRANSCRIPT_TOO_LONG,
            limit=TRANSCRIPT_MAX,
        )
    corrected = None if cleaned == clean_text(message.transcript) else cleaned
    if corrected == message.corrected_transcript:
        return False
    message.corrected_transcript = corrected
    session.flush()
    _audit(
        session,
        "voice.correct",
        message,
        actor,
        characters=len(cleaned),
        reverted=corrected is None,
    )
    return True


def _decide(
    session: Session, message: VoiceMessage, decision: Moderation, actor: Actor, note: str
) -> None:
    previous = message.moderation
    message.moderation = decision.value
    message.moderated_by = actor.id
    message.moderated_at = utcnow()
    session.flush()
    details: dict[str, object] = {"previous": previous}
    if note:
        details["note"] = note
    _audit(session, f"voice.{decision.value}", message, actor, **details)


def approve(session: Session, message: VoiceMessage, *, actor: Actor) -> None:
    """Approve for broadcast; refused once the original audio is gone and nothing is left."""
    if message.purged_at is not None and not message.protected_path:
        raise ModerationError(
            "the audio of this message was deleted; it cannot be broadcast",
            ModerationProblem.AUDIO_DELETED,
        )
    _decide(session, message, Moderation.APPROVED, actor, "")


def reject(session: Session, message: VoiceMessage, *, actor: Actor, note: str = "") -> None:
    """Reject; the original audio is deleted after `media.retention_rejected_days`."""
    _decide(session, message, Moderation.REJECTED, actor, clean_text(note)[:500])


def set_sensitive(
    session: Session, message: VoiceMessage, sensitive: bool, *, actor: Actor
) -> bool:
    """Mark or unmark as sensitive; True if that changed anything."""
    if message.sensitive == sensitive:
        return False
    message.sensitive = sensitive
    session.flush()
    _audit(session, "voice.sensitive" if sensitive else "voice.not_sensitive", message, actor)
    return True


def _masked(message: VoiceMessage) -> str:
    return mask(message.caller) if message.caller else ""


def record_listening(session: Session, message: VoiceMessage, *, actor: Actor) -> None:
    """Audit that someone listened to the original, recognisable voice of a caller."""
    _audit(session, "voice.listen_original", message, actor, caller=_masked(message))


def reveal_caller(session: Session, message: VoiceMessage, *, actor: Actor) -> str:
    """The caller's full number, audited; the entry itself keeps the number masked."""
    _audit(session, "voice.reveal_caller", message, actor, caller=_masked(message))
    return message.caller


def _original(message: VoiceMessage, store: MediaStore) -> Path:
    if message.purged_at is not None or not message.original_path:
        raise ModerationError(
            "the original audio of this message was deleted", ModerationProblem.ORIGINAL_DELETED
        )
    path = store.path(message.original_path)
    if not path.is_file():
        raise ModerationError(
            "the original audio of this message is missing from the store",
            ModerationProblem.ORIGINAL_MISSING,
        )
    return path


def protect_voice(
    session: Session,
    message: VoiceMessage,
    *,
    store: MediaStore,
    actor: Actor,
    semitones: float = voice_protection.DEFAULT_SEMITONES,
    formant_semitones: float = voice_protection.DEFAULT_FORMANT_SEMITONES,
) -> str:
    """Disguise the original into `Area.PROTECTED`; return (and set) `protected_path`.

    Takes about a fifteenth of the message's length (ffmpeg with rubberband, one core).
    """
    source = _original(message, store)
    work = store.scratch()
    try:
        disguised = voice_protection.disguise(
            source,
            work / f"protected{voice_protection.PROTECTED_SUFFIX}",
            semitones=semitones,
            formant_semitones=formant_semitones,
        )
        stored = store.put(disguised, area=Area.PROTECTED, suffix=voice_protection.PROTECTED_SUFFIX)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    message.protected_path = stored.relative
    session.flush()
    _audit(
        session,
        "voice.protect",
        message,
        actor,
        semitones=semitones,
        formant_semitones=formant_semitones,
        sha256=stored.sha256,
    )
    return stored.relative


def broadcast_source(
    session: Session, message: VoiceMessage, *, store: MediaStore, actor: Actor
) -> tuple[Path, bool]:
    """The audio that may go on air and whether it is the protected copy.

    Sensitive or protected messages only ever give the protected copy (made now if needed).
    """
    if message.sensitive and not message.protected_path:
        protect_voice(session, message, store=store, actor=actor)
    if message.protected_path:
        path = store.path(message.protected_path)
        if not path.is_file():
            raise ModerationError(
                "the protected copy of this message is missing from the store",
                ModerationProblem.PROTECTED_MISSING,
            )
        return path, True
    return _original(message, store), False


def add_to_library(
    session: Session,
    message: VoiceMessage,
    *,
    store: MediaStore,
    media: MediaSettings,
    actor: Actor,
    title: str = "",
    consent: bool = False,
) -> Recording:
    """Turn an approved message into a library testimony (loudness-normalised like any import).

    The recording carries no caller number; `consent` records that the caller agreed to be
    broadcast, which approval alone does not say.
    """
    if message.moderation != Moderation.APPROVED:
        raise ModerationError(
            "only approved messages can be added to the library", ModerationProblem.NOT_APPROVED
        )
    existing = library_recording(session, message)
    if existing is not None:
        raise ModerationError(
            f"this message is already in the library as recording {existing.id}",
            ModerationProblem.IN_LIBRARY,
            id=existing.id,
        )
    source, protected = broadcast_source(session, message, store=store, actor=actor)
    metadata = RecordingMetadata(
        title=clean_text(title)[:TITLE_MAX] or f"Voice message {message.id}",
        kind=RecordingKind.TESTIMONY,
        language=message.language,
        consent=consent,
        tags=(*LIBRARY_TAGS, PROTECTED_TAG) if protected else LIBRARY_TAGS,
    )
    prepared = prepare_recording(source, media=media, store=store)
    try:
        recording = library.add_recording(
            session, prepared, metadata, actor=actor, voice_message_id=message.id
        )
    except BaseException:
        library.discard_prepared(session, store, prepared)
        raise
    _audit(session, "voice.to_library", message, actor, recording=recording.id, protected=protected)
    return recording


def _shared_elsewhere(session: Session, message_id: int, relative: str) -> bool:
    """Another message still holds the very same audio (content-addressed: the same file).

    Purged rows have no `original_path`, so every match is a message that still needs it.
    """
    query = select(func.count(VoiceMessage.id)).where(
        VoiceMessage.original_path == relative, VoiceMessage.id != message_id
    )
    return bool(session.scalar(query))


def purge_expired(
    session: Session, store: MediaStore, *, now: datetime, media: MediaSettings
) -> int:
    """Delete the original audio of messages rejected more than the retention period ago.

    The row stays (with `purged_at`, and its transcript for the record); the file goes, with an
    audit entry by the system for each. Run it again and nothing happens: idempotent. A
    retention of 0 days keeps everything. Returns how many messages were purged.
    """
    if media.retention_rejected_days == 0:
        return 0
    cutoff = now - timedelta(days=media.retention_rejected_days)
    decided = func.coalesce(VoiceMessage.moderated_at, VoiceMessage.received_at)
    expired = (
        VoiceMessage.moderation == Moderation.REJECTED.value,
        VoiceMessage.purged_at.is_(None),
        decided < cutoff,
    )
    candidates = list(
        session.scalars(select(VoiceMessage).where(*expired).order_by(VoiceMessage.id))
    )
    purged = 0
    for message in candidates:
        relative = message.original_path
        # Claim the row first: another worker purging at the same moment, or a moderator who
        # approved it again meanwhile, makes this update match nothing, and the file stays.
        claimed = session.execute(
            update(VoiceMessage)
            .where(VoiceMessage.id == message.id, *expired)
            .values(purged_at=now, original_path="")
        )
        if getattr(claimed, "rowcount", 0) != 1:
            session.rollback()
            continue
        kept_for_other = bool(relative) and _shared_elsewhere(session, message.id, relative)
        removed = bool(relative) and not kept_for_other and store.delete(relative)
        audit.record(
            session,
            action="voice.purge",
            actor_id=SYSTEM.id,
            actor_name=SYSTEM.name,
            target=f"voice message {message.id}",
            details={
                "retention_days": media.retention_rejected_days,
                "file_removed": removed,
                "shared_with_kept_message": kept_for_other,
            },
        )
        session.commit()
        purged += 1
    return purged
