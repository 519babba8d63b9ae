"""Where a library recording is used on air, and whether deleting it would leave air empty.

A recording deleted from the library leaves its playlists quietly, as the delete page says.
But if a coming slot airs that recording by itself, or a playlist that holds nothing else,
the deletion would silently turn that hour of the grid into fallback or silence, and the same
for a fallback playlist it alone fills. Those uses block the deletion until an operator has
moved or removed the slot, so the empty hour is a decision and not an accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from playlists.models import Playlist, PlaylistItem, ScheduleSlot
from playlists.planner import slot_rule
from playlists.slots import CONFLICT_HORIZON, occurrences


@dataclass(frozen=True)
class PlaylistUse:
    playlist_id: int
    name: str
    is_fallback: bool
    only_item: bool
    """The playlist holds nothing but this recording, so deleting it empties the playlist."""


@dataclass(frozen=True)
class SlotUse:
    slot_id: int
    title: str
    next_start: datetime
    playlist_id: int | None


@dataclass(frozen=True)
class RecordingUse:
    playlists: list[PlaylistUse] = field(default_factory=list)
    coming_slots: list[SlotUse] = field(default_factory=list)
    """Slots with an occurrence still to come that air the recording or one of its playlists."""

    @property
    def blocking_slots(self) -> list[SlotUse]:
        """Coming slots that would have nothing left to air."""
        emptied = {use.playlist_id for use in self.playlists if use.only_item}
        return [
            slot
            for slot in self.coming_slots
            if slot.playlist_id is None or slot.playlist_id in emptied
        ]

    @property
    def emptied_fallback(self) -> PlaylistUse | None:
        return next((use for use in self.playlists if use.is_fallback and use.only_item), None)

    @property
    def blocks_deletion(self) -> bool:
        return bool(self.blocking_slots) or self.emptied_fallback is not None


def recording_use(session: Session, recording_id: int, now: datetime) -> RecordingUse:
    """The playlists holding the recording and the coming slots that air it, soonest first."""
    holding = session.scalars(
        select(Playlist)
        .where(
            Playlist.id.in_(
                select(PlaylistItem.playlist_id).where(PlaylistItem.recording_id == recording_id)
            )
        )
        .order_by(Playlist.name, Playlist.id)
    ).all()
    others = {
        playlist_id: count
        for playlist_id, count in session.execute(
            select(PlaylistItem.playlist_id, func.count(PlaylistItem.id))
            .where(
                PlaylistItem.playlist_id.in_([playlist.id for playlist in holding]),
                PlaylistItem.recording_id != recording_id,
            )
            .group_by(PlaylistItem.playlist_id)
        ).all()
    }
    playlists = [
        PlaylistUse(
            playlist_id=playlist.id,
            name=playlist.name,
            is_fallback=playlist.is_fallback,
            only_item=others.get(playlist.id, 0) == 0,
        )
        for playlist in holding
    ]
    slots = session.scalars(
        select(ScheduleSlot).where(
            (ScheduleSlot.recording_id == recording_id)
            | ScheduleSlot.playlist_id.in_([use.playlist_id for use in playlists])
        )
    )
    coming = []
    for slot in slots:
        following = next(occurrences(slot_rule(slot), now, now + CONFLICT_HORIZON), None)
        if following is not None:
            coming.append(
                SlotUse(
                    slot_id=slot.id,
                    title=slot.title,
                    next_start=following.start,
                    playlist_id=slot.playlist_id,
                )
            )
    coming.sort(key=lambda use: (use.next_start, use.slot_id))
    return RecordingUse(playlists=playlists, coming_slots=coming)
