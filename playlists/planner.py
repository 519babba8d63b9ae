"""What airs next: the slot on air (or about to start) and its playlist, or the fallback.

The playout worker asks this from two threads — the engine's (`next_item`, a little before
the current item ends) and its own (`slot_starts`, to hand slot starts to the engine ahead
of time) — so state is kept under one lock. Each slot occurrence has its own rotation, kept
while it is on air, so a programme continues where it was after an alert or an item that
failed; the fallback has one rotation that continues all day. Rotations are rebuilt from the
positions saved in the database (playlists/cursors.py) when the worker was restarted.

Choosing an item uses it up, so every choice is made once: a slot occurrence is handed over
once, whatever how often `slot_starts` is asked. An item the engine could not play (missing
or undecodable file) is not chosen again for that occurrence (for the fallback, not within
`RETRY_FAILED_AFTER`), so a slot with nothing playable gives way to the fallback at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.models import Recording, RecordingKind
from audio.storage import MediaStore
from gateway.database import Database
from gateway.settings import Settings
from playlists import cursors
from playlists.models import AirReason, AsRunEntry, Playlist, ScheduleSlot
from playlists.rotation import Rotation, RotationItem, RotationRules
from playlists.slots import Occurrence, SlotRule, expand

HORIZON = timedelta(hours=6)
"""How far ahead a slot start is looked for when the fallback must stop for it."""

MIN_REMAINING = timedelta(seconds=1)
"""A slot with less than this left is treated as over: starting an item would only cut it."""

RETRY_FAILED_AFTER = timedelta(minutes=10)
"""A fallback item that failed is tried again after this long (the file may be back)."""


@dataclass(frozen=True, kw_only=True)
class PlannedItem:
    """One thing to air and why: everything the as-run log needs to say about it."""

    key: str
    path: Path
    title: str
    recording_id: int | None
    reason: AirReason
    slot_id: int | None = None
    alert_id: int | None = None
    start: datetime | None = None
    """Set for the first item of a slot: the engine starts it at this moment."""
    cut_at: datetime | None = None
    source_key: str | None = None
    """The rotation it was chosen from (a slot occurrence or the fallback)."""
    cursor: dict[str, Any] | None = None
    """The rotation's position once this item was chosen: saved when it starts."""
    offset_s: float = 0.0
    """Where in the recording to start (a resumed item)."""


class Planner:
    def __init__(self, database: Database, *, settings: Settings, store: MediaStore) -> None:
        self.database = database
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()
        self._rotations: dict[str, Rotation] = {}
        self._handed: dict[str, datetime] = {}
        self._failed: dict[str, dict[int, datetime]] = {}

    def next_item(self, now: datetime) -> PlannedItem | None:
        """The item to air after the current one: the running slot's next, or the fallback.
        Planning only reads, in a deferred transaction, so the engine never waits for another
        process's write (a big import) at the seam between two items."""
        with self._lock, self.database.session(write=False) as session:
            occurrences = self._occurrences(session, now - timedelta(days=1), now + HORIZON)
            for occurrence in occurrences:
                if occurrence.start <= now < occurrence.end - MIN_REMAINING:
                    planned = self._from_slot(session, occurrence, now)
                    if planned is not None:
                        return planned
            following = [o.start for o in occurrences if o.start > now]
            return self._from_fallback(session, now, min(following, default=None))

    def slot_starts(self, now: datetime, horizon: timedelta) -> list[PlannedItem]:
        """The first item of each slot starting within `horizon` that was not handed over yet,
        to be started on the clock. Each occurrence is handed over once."""
        starts: list[PlannedItem] = []
        with self._lock, self.database.session(write=False) as session:
            for occurrence in self._occurrences(session, now, now + horizon):
                key = occurrence_key(occurrence)
                if not now < occurrence.start <= now + horizon or key in self._handed:
                    continue
                self._handed[key] = occurrence.end
                planned = self._from_slot(session, occurrence, occurrence.start)
                if planned is not None:
                    starts.append(planned)
        return starts

    def note_failed(self, planned: PlannedItem, now: datetime) -> None:
        """The engine could not play it: do not choose it again for the same rotation."""
        if planned.source_key is None or planned.recording_id is None:
            return
        with self._lock:
            self._failed.setdefault(planned.source_key, {})[planned.recording_id] = now

    def resumed(
        self, session: Session, entry: AsRunEntry, *, position_s: float, now: datetime
    ) -> PlannedItem | None:
        """The programme item a stopped worker had on air, to go on from `position_s`; None
        when it came from no rotation (an alert airs again whole) or its time is over."""
        key = entry.source_key
        recording = session.get(Recording, entry.recording_id) if entry.recording_id else None
        if key is None or recording is None or position_s >= recording.duration_s - 0.5:
            return None
        if entry.slot_id is not None:
            occurrence = self._occurrence_of(session, key, entry.slot_id)
            if occurrence is None or now >= occurrence.end - MIN_REMAINING:
                return None
            cut_at: datetime | None = occurrence.end
            reason = AirReason.SCHEDULE
        else:
            following = [
                o.start for o in self._occurrences(session, now, now + HORIZON) if o.start > now
            ]
            cut_at, reason = min(following, default=None), AirReason.FALLBACK
        return PlannedItem(
            key=f"{key}:{recording.id}",
            path=self.store.path(recording.media_path),
            title=entry.title,
            recording_id=recording.id,
            reason=reason,
            slot_id=entry.slot_id,
            cut_at=cut_at,
            source_key=key,
            offset_s=position_s,
        )

    def _occurrence_of(self, session: Session, key: str, slot_id: int) -> Occurrence | None:
        slot = session.get(ScheduleSlot, slot_id)
        if slot is None:
            return None
        start = datetime.fromisoformat(key.rpartition("@")[2])
        for occurrence in expand([slot_rule(slot)], start - timedelta(days=1), start + HORIZON):
            if occurrence.start == start:
                return occurrence
        return None

    def _occurrences(self, session: Session, start: datetime, end: datetime) -> list[Occurrence]:
        self._forget_finished(start)
        return expand(slot_rules(session), start, end)

    def _forget_finished(self, before: datetime) -> None:
        finished = [k for k, r in self._rotations.items() if r.expires_at and r.expires_at < before]
        for key in finished:
            del self._rotations[key]
            self._failed.pop(key, None)
        for key in [k for k, end in self._handed.items() if end < before]:
            del self._handed[key]

    def _from_slot(
        self, session: Session, occurrence: Occurrence, now: datetime
    ) -> PlannedItem | None:
        slot = session.get(ScheduleSlot, occurrence.slot_id)
        if slot is None:
            return None
        key = occurrence_key(occurrence)
        rotation = self._rotations.get(key)
        playlist = session.get(Playlist, slot.playlist_id) if slot.playlist_id else None
        edited = (
            playlist is not None
            and rotation is not None
            and (rotation.source_version != _version(playlist))
        )
        if rotation is None or edited:
            # A playlist edited while its slot airs starts over in its new order.
            rotation = self._rotation_for(session, slot, key, expires_at=occurrence.end)
            self._rotations[key] = rotation
        chosen = self._choose(rotation, key, now)
        if chosen is None:
            return None
        return self._planned(
            session,
            chosen,
            rotation,
            key=key,
            reason=AirReason.SCHEDULE,
            slot_id=slot.id,
            start=occurrence.start if now == occurrence.start else None,
            cut_at=occurrence.end,
            title=slot.title,
        )

    def _from_fallback(
        self, session: Session, now: datetime, next_start: datetime | None
    ) -> PlannedItem | None:
        playlist = session.scalar(
            select(Playlist).where(Playlist.is_fallback).order_by(Playlist.id).limit(1)
        )
        if playlist is None:
            return None
        key = f"fallback:{playlist.id}"
        rotation = self._rotations.get(key)
        if rotation is None or rotation.source_version != _version(playlist):
            rotation = self._playlist_rotation(session, playlist, key, expires_at=None)
            self._rotations[key] = rotation
        failed = self._failed.get(key, {})
        for recording_id, at in list(failed.items()):
            if now - at >= RETRY_FAILED_AFTER:
                del failed[recording_id]
        chosen = self._choose(rotation, key, now)
        if chosen is None:
            return None
        return self._planned(
            session,
            chosen,
            rotation,
            key=key,
            reason=AirReason.FALLBACK,
            cut_at=next_start,
            title="",
        )

    def _choose(self, rotation: Rotation, key: str, now: datetime) -> RotationItem | None:
        """The rotation's next item that has not failed; None once every item has."""
        failed = self._failed.get(key, {})
        for _ in range(len(rotation.items) + len(rotation.jingles) + 1):
            chosen = rotation.next(now)
            if chosen is None or chosen.recording_id not in failed:
                return chosen
        return None

    def _rotation_for(
        self, session: Session, slot: ScheduleSlot, key: str, *, expires_at: datetime
    ) -> Rotation:
        if slot.playlist_id is not None:
            playlist = session.get(Playlist, slot.playlist_id)
            if playlist is not None:
                return self._playlist_rotation(session, playlist, key, expires_at=expires_at)
        recording = session.get(Recording, slot.recording_id) if slot.recording_id else None
        items = [_item(recording)] if recording is not None else []
        repeat = self.settings.station.slot_overrun == "repeat"
        version = ("recording", slot.recording_id)
        rotation = Rotation(
            items,
            rules=RotationRules(repeat=repeat),
            seed=key,
            expires_at=expires_at,
            state=cursors.load_state(session, key, version),
        )
        rotation.source_version = version
        return rotation

    def _playlist_rotation(
        self, session: Session, playlist: Playlist, key: str, *, expires_at: datetime | None
    ) -> Rotation:
        recordings = {
            r.id: r
            for r in session.scalars(
                select(Recording).where(
                    Recording.id.in_([item.recording_id for item in playlist.items])
                )
            )
        }
        items = [
            _item(recordings[i.recording_id])
            for i in playlist.items
            if i.recording_id in recordings
        ]
        jingles = [
            _item(r)
            for r in session.scalars(
                select(Recording)
                .where(Recording.kind.in_([RecordingKind.JINGLE, RecordingKind.STATION_ID]))
                .order_by(Recording.id)
            )
        ]
        rules = RotationRules(
            shuffle=playlist.mode == "shuffle",
            jingle_every_items=playlist.jingle_every_items,
            jingle_every=timedelta(minutes=playlist.jingle_every_minutes),
            no_repeat_within=timedelta(minutes=playlist.no_repeat_minutes),
            repeat=expires_at is None or self.settings.station.slot_overrun == "repeat",
        )
        version = _version(playlist)
        rotation = Rotation(
            items,
            jingles=jingles,
            rules=rules,
            seed=key,
            expires_at=expires_at,
            state=cursors.load_state(session, key, version),
        )
        rotation.source_version = version
        return rotation

    def _planned(
        self,
        session: Session,
        chosen: RotationItem,
        rotation: Rotation,
        *,
        key: str,
        reason: AirReason,
        title: str,
        slot_id: int | None = None,
        start: datetime | None = None,
        cut_at: datetime | None = None,
    ) -> PlannedItem:
        recording = session.get(Recording, chosen.recording_id)
        path = self.store.path(recording.media_path) if recording else Path("/nonexistent")
        return PlannedItem(
            key=f"{key}:{chosen.recording_id}",
            path=path,
            title=recording.title if recording else title,
            recording_id=chosen.recording_id,
            reason=reason,
            slot_id=slot_id,
            start=start,
            cut_at=cut_at,
            source_key=key,
            cursor=cursors.cursor_payload(rotation.source_version, rotation.state),
        )


def occurrence_key(occurrence: Occurrence) -> str:
    """The name of one occurrence of a slot: its rotation and its cursor go by it."""
    return f"slot:{occurrence.slot_id}@{occurrence.start.isoformat()}"


def slot_rule(slot: ScheduleSlot) -> SlotRule:
    return SlotRule(
        slot_id=slot.id,
        start=slot.start,
        duration=timedelta(seconds=slot.duration_s),
        timezone=slot.timezone,
        rrule=slot.rrule,
        until=slot.until,
        exdates=tuple(slot.exdates or ()),
    )


def slot_rules(session: Session) -> list[SlotRule]:
    return [slot_rule(slot) for slot in session.scalars(select(ScheduleSlot))]


def coming_up(session: Session, now: datetime, *, count: int = 5) -> list[tuple[Occurrence, str]]:
    """The next slot occurrences within a day, with their titles, for the On air page."""
    upcoming = [
        o for o in expand(slot_rules(session), now, now + timedelta(days=1)) if o.start > now
    ]
    titles = {
        slot.id: slot.title
        for slot in session.scalars(
            select(ScheduleSlot).where(ScheduleSlot.id.in_({o.slot_id for o in upcoming}))
        )
    }
    return [(o, titles.get(o.slot_id, "")) for o in upcoming[:count]]


def _item(recording: Recording) -> RotationItem:
    return RotationItem(
        recording_id=recording.id,
        duration=timedelta(seconds=recording.duration_s),
        is_jingle=recording.kind in (RecordingKind.JINGLE, RecordingKind.STATION_ID),
    )


def _version(playlist: Playlist) -> tuple[object, ...]:
    return (playlist.mode, tuple(item.recording_id for item in playlist.items))
