"""Marking a voice message sensitive after it reached the library withdraws its undisguised copy.

`audio.moderation.add_to_library` never lets a sensitive message's own voice into the library.
A message marked sensitive only later may already be there, undisguised, downloadable by
operators, in playlists and booked on air. Marking it sensitive deletes that recording (its
playlist items and the slots that aired it alone go with it, by the database's cascades) in
the same transaction as the mark, and says what went, so the moderator can tell the operators.
A disguised copy (tagged `protected-voice`) stays: it is what sensitive messages may air.

This composes the audio library with the schedule, so it lives in the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from audio import library, moderation
from audio.models import VoiceMessage
from gateway import audit
from gateway.accounts import Actor
from playlists.usage import SlotUse, recording_use


@dataclass(frozen=True)
class Withdrawal:
    """The undisguised library copy taken away, and where it had been."""

    recording_id: int
    title: str
    playlists: list[str] = field(default_factory=list)
    emptied_playlists: list[str] = field(default_factory=list)
    """Playlists that held nothing else and are now empty (their slots will air the fallback)."""
    removed_slots: list[SlotUse] = field(default_factory=list)
    """Coming slots that aired the recording alone; deleted with it."""
    files: list[str] = field(default_factory=list)
    """Stored files no recording uses any more: remove them after the commit."""


def mark_sensitive(
    session: Session, message: VoiceMessage, *, now: datetime, actor: Actor
) -> Withdrawal | None:
    """Mark `message` sensitive; withdraw its undisguised library copy if there is one."""
    moderation.set_sensitive(session, message, True, actor=actor)
    recording = moderation.library_recording(session, message)
    if recording is None or moderation.PROTECTED_TAG in (recording.tags or []):
        return None
    use = recording_use(session, recording.id, now)
    withdrawal = Withdrawal(
        recording_id=recording.id,
        title=recording.title,
        playlists=[playlist.name for playlist in use.playlists],
        emptied_playlists=[playlist.name for playlist in use.playlists if playlist.only_item],
        removed_slots=[slot for slot in use.coming_slots if slot.playlist_id is None],
    )
    audit.record(
        session,
        action="voice.withdraw_from_library",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=f"voice message {message.id}",
        details={
            "recording": recording.id,
            "playlists": [playlist.playlist_id for playlist in use.playlists],
            "removed_slots": [slot.slot_id for slot in withdrawal.removed_slots],
        },
    )
    files = library.delete_recording(session, recording, actor=actor)
    session.expire_all()
    return replace(withdrawal, files=files)
