"""Changing and deleting a playlist after it was made: what the panel, the API and the CLI call.

The items are stored in the order given and that is the order an "ordered" playlist airs.
A change replaces name, items and rules at once, checked like a new playlist, so a bad edit
changes nothing. The rotation cursor needs no bookkeeping here: the planner keys every
rotation (in memory and saved) by the playlist's mode and item list, so after an edit the
next item chosen starts the playlist over in its new order, instead of pointing into a list
that no longer exists.

A playlist is not deleted while something still needs it: a coming slot (it would turn into
dead air or fallback unnoticed) or the fallback role (nothing would play between slots).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.models import Playlist, PlaylistItem, ScheduleSlot
from playlists.planner import slot_rule
from playlists.slots import CONFLICT_HORIZON, occurrences
from playlists.timetable import PlaylistRules, TimetableError, check_playlist


class PlaylistMissing(TimetableError):
    """There is no such playlist (a 404, not a 422)."""


class PlaylistInUse(TimetableError):
    """The playlist cannot go: `slot_ids` still air it, or it is the fallback."""

    def __init__(self, message: str, *, slot_ids: Sequence[int] = (), fallback: bool = False):
        super().__init__(message)
        self.slot_ids = list(slot_ids)
        self.fallback = fallback


@dataclass(frozen=True)
class Removed:
    """What a deletion took with it: the playlist, its item rows and slots that had ended."""

    playlist_id: int
    name: str
    items: int
    past_slot_ids: list[int] = field(default_factory=list)


def get_playlist(session: Session, playlist_id: int) -> Playlist:
    playlist = session.get(Playlist, playlist_id)
    if playlist is None:
        raise PlaylistMissing(f"there is no playlist {playlist_id}")
    return playlist


def rules_of(playlist: Playlist) -> PlaylistRules:
    return PlaylistRules(
        mode=playlist.mode,
        jingle_every_items=playlist.jingle_every_items,
        jingle_every_minutes=playlist.jingle_every_minutes,
        no_repeat_minutes=playlist.no_repeat_minutes,
    )


def replace_playlist(
    session: Session,
    playlist_id: int,
    *,
    name: str | None = None,
    recording_ids: Sequence[int] | None = None,
    rules: PlaylistRules | None = None,
) -> Playlist:
    """Set what is given (None keeps the current value); items play in the order given."""
    playlist = get_playlist(session, playlist_id)
    new_name = playlist.name if name is None else name
    new_items = (
        [item.recording_id for item in playlist.items]
        if recording_ids is None
        else list(recording_ids)
    )
    new_rules = rules_of(playlist) if rules is None else rules
    playlist.name = check_playlist(session, name=new_name, recording_ids=new_items, rules=new_rules)
    playlist.mode = new_rules.mode
    playlist.jingle_every_items = new_rules.jingle_every_items
    playlist.jingle_every_minutes = new_rules.jingle_every_minutes
    playlist.no_repeat_minutes = new_rules.no_repeat_minutes
    if recording_ids is not None:
        playlist.items.clear()
        session.flush()
        playlist.items.extend(
            PlaylistItem(position=n, recording_id=rid) for n, rid in enumerate(new_items)
        )
    session.flush()
    return playlist


def moved(recording_ids: Sequence[int], index: int, step: int) -> list[int]:
    """The list with the item at `index` swapped with its neighbour `step` (-1 up, +1 down);
    unchanged at either end, so a double click on "up" at the top does no harm."""
    order = list(recording_ids)
    other = index + step
    if 0 <= index < len(order) and 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    return order


def delete_playlist(session: Session, playlist_id: int, *, now: datetime) -> Removed:
    """Delete it with its items and its ended slots, or raise `PlaylistInUse` saying why not."""
    playlist = get_playlist(session, playlist_id)
    if playlist.is_fallback:
        raise PlaylistInUse(
            f"playlist {playlist_id} is the fallback: make another playlist the fallback first",
            fallback=True,
        )
    slots = list(
        session.scalars(select(ScheduleSlot).where(ScheduleSlot.playlist_id == playlist_id))
    )
    coming = [
        slot.id
        for slot in slots
        if next(occurrences(slot_rule(slot), now, now + CONFLICT_HORIZON), None) is not None
    ]
    if coming:
        raise PlaylistInUse(
            f"coming slots air playlist {playlist_id}: {', '.join(map(str, coming))}; "
            "remove them first",
            slot_ids=coming,
        )
    removed = Removed(
        playlist_id=playlist.id,
        name=playlist.name,
        items=len(playlist.items),
        past_slot_ids=[slot.id for slot in slots],
    )
    for slot in slots:
        session.delete(slot)
    session.delete(playlist)
    session.flush()
    return removed
