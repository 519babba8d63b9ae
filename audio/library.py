"""The library in the database: adding, finding, editing and deleting recordings.

Functions take the caller's session and, except `import_recording`, never commit: the panel,
the API and the command line each commit once, so a recording and its audit entry are written
together or not at all. `import_recording` commits itself because the stored files and the row
must agree: if the row cannot be written, the files it would have used are removed again.
Files are content-addressed and may be shared by two rows (the same jingle imported twice), so
a file is only removed when the last row using it is gone, and only after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from audio.ingest import PreparedAudio, prepare_recording
from audio.metadata import RecordingMetadata
from audio.models import Recording, RecordingKind
from audio.storage import MediaStore
from gateway import audit
from gateway.accounts import Actor
from gateway.database import utcnow
from gateway.settings import MediaSettings

PAGE_SIZE = 200


@dataclass(frozen=True)
class Filters:
    """What the library list is narrowed to; None means 'any'."""

    text: str = ""
    kind: RecordingKind | None = None
    language: str = ""
    consent: bool | None = None


def _audit(
    session: Session, action: str, recording: Recording, actor: Actor, **details: object
) -> None:
    audit.record(
        session,
        action=action,
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=f"recording {recording.id}",
        details={"title": recording.title, **details},
    )


def add_recording(
    session: Session,
    prepared: PreparedAudio,
    metadata: RecordingMetadata,
    *,
    actor: Actor,
    voice_message_id: int | None = None,
) -> Recording:
    """A new library row for audio already in the store (see `audio.ingest`)."""
    recording = Recording(
        title=metadata.title,
        kind=metadata.kind.value,
        language=metadata.language,
        speaker=metadata.speaker,
        consent=metadata.consent,
        tags=list(metadata.tags),
        duration_s=prepared.duration_s,
        loudness_lufs=prepared.loudness_lufs,
        true_peak_dbtp=prepared.true_peak_dbtp,
        source_loudness_lufs=prepared.source_loudness_lufs,
        media_path=prepared.media.relative,
        sha256=prepared.sha256,
        waveform_path=prepared.waveform.relative,
        voice_message_id=voice_message_id,
        created_at=utcnow(),
        created_by=actor.id,
    )
    session.add(recording)
    session.flush()
    _audit(session, "recording.add", recording, actor, sha256=prepared.sha256)
    return recording


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(session: Session, filters: Filters, *, limit: int = PAGE_SIZE) -> list[Recording]:
    """Newest first. Text matches title, speaker or a tag, ignoring case."""
    query = select(Recording).order_by(Recording.created_at.desc(), Recording.id.desc())
    text = filters.text.strip()
    if text:
        tags = cast(Recording.tags, String)
        # Tags are stored as JSON, where non-ASCII letters are \u-escaped: match both spellings.
        escaped = json.dumps(text)[1:-1]
        query = query.where(
            or_(
                Recording.title.ilike(_like(text), escape="\\"),
                Recording.speaker.ilike(_like(text), escape="\\"),
                tags.ilike(_like(text), escape="\\"),
                tags.ilike(_like(escaped), escape="\\"),
            )
        )
    if filters.kind is not None:
        query = query.where(Recording.kind == filters.kind.value)
    if filters.language:
        query = query.where(func.lower(Recording.language) == filters.language.lower())
    if filters.consent is not None:
        query = query.where(Recording.consent.is_(filters.consent))
    return list(session.scalars(query.limit(limit)))


def languages(session: Session) -> list[str]:
    """Languages present in the library, for the filter's choices."""
    query = select(Recording.language).where(Recording.language != "").distinct()
    return sorted(session.scalars(query))


def update_metadata(
    session: Session, recording: Recording, metadata: RecordingMetadata, *, actor: Actor
) -> list[str]:
    """Apply new metadata; return the names of the fields that changed (audited)."""
    new = {
        "title": metadata.title,
        "kind": metadata.kind.value,
        "language": metadata.language,
        "speaker": metadata.speaker,
        "consent": metadata.consent,
        "tags": list(metadata.tags),
    }
    changed = [name for name, value in new.items() if getattr(recording, name) != value]
    for name in changed:
        setattr(recording, name, new[name])
    if changed:
        session.flush()
        _audit(session, "recording.edit", recording, actor, changed=changed)
    return changed


def delete_recording(session: Session, recording: Recording, *, actor: Actor) -> list[str]:
    """Delete the row (audited); return stored files no other row uses, to remove after commit."""
    _audit(session, "recording.delete", recording, actor, sha256=recording.sha256)
    paths = [recording.media_path, recording.waveform_path]
    session.delete(recording)
    session.flush()
    return unused_files(session, paths)


def unused_files(session: Session, relatives: Iterable[str]) -> list[str]:
    """Those of `relatives` that no recording refers to any more."""
    unused = []
    for relative in relatives:
        if not relative:
            continue
        users = select(func.count(Recording.id)).where(
            or_(Recording.media_path == relative, Recording.waveform_path == relative)
        )
        if session.scalar(users) == 0:
            unused.append(relative)
    return unused


def remove_files(store: MediaStore, relatives: Iterable[str]) -> None:
    """Remove stored files (after the commit that stopped using them)."""
    for relative in relatives:
        store.delete(relative)


def discard_prepared(session: Session, store: MediaStore, prepared: PreparedAudio) -> None:
    """Undo `prepare_recording` when its row could not be written: nothing is left behind."""
    remove_files(
        store, unused_files(session, [prepared.media.relative, prepared.waveform.relative])
    )


def import_recording(
    session: Session,
    source: Path,
    metadata: RecordingMetadata,
    *,
    media: MediaSettings,
    store: MediaStore,
    actor: Actor,
) -> Recording:
    """Normalise `source` into the store and commit its row; AudioError leaves nothing behind."""
    prepared = prepare_recording(source, media=media, store=store)
    try:
        recording = add_recording(session, prepared, metadata, actor=actor)
        session.commit()
    except BaseException:
        session.rollback()
        discard_prepared(session, store, prepared)
        raise
    return recording
