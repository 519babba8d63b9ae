"""What is on air now and what follows, as the On air page and the dashboard show it.

"Now" is the open line of the as-run log (what the playout worker says it put out), with the
time left taken from the recording's length and where in it the item started. "Next" is asked
of the planner itself, rebuilt from the rotation positions the worker saved (playlists/cursors):
the item the worker will choose when the current one ends, or the first item of a slot that
starts before then. So the panel never keeps a second idea of the programme order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from audio.models import Recording
from playlists import asrun
from playlists.models import ScheduleSlot
from playlists.planner import Planner, coming_up


@dataclass(frozen=True, kw_only=True)
class OnAirNow:
    """The item the as-run log has open, and how far through it the station is."""

    title: str
    reason: str
    """Why it airs: schedule, fallback or alert (`AirReason`)."""
    kind: str | None
    """The recording's kind (testimony, jingle...), None when it is not in the library."""
    recording_id: int | None
    alert_id: int | None
    programme: str
    """The title of the slot it airs in; empty outside a slot."""
    started_at: datetime
    elapsed_s: float
    remaining_s: float | None
    """None when the length is unknown (no library recording)."""

    @property
    def ends_at(self) -> datetime | None:
        if self.remaining_s is None:
            return None
        return self.started_at + timedelta(seconds=self.elapsed_s + self.remaining_s)


@dataclass(frozen=True, kw_only=True)
class NextUp:
    """The item that follows what is on air, as the planner would choose it."""

    title: str
    reason: str
    kind: str | None
    recording_id: int | None
    programme: str
    starts_at: datetime


def on_air_now(session: Session, now: datetime) -> OnAirNow | None:
    entry = asrun.now_playing(session)
    if entry is None:
        return None
    recording = session.get(Recording, entry.recording_id) if entry.recording_id else None
    slot = session.get(ScheduleSlot, entry.slot_id) if entry.slot_id else None
    elapsed = max(0.0, (now - entry.started_at).total_seconds())
    remaining = (
        max(0.0, recording.duration_s - entry.offset_s - elapsed) if recording is not None else None
    )
    return OnAirNow(
        title=entry.title,
        reason=entry.reason,
        kind=recording.kind if recording is not None else None,
        recording_id=entry.recording_id,
        alert_id=entry.alert_id,
        programme=slot.title if slot is not None else "",
        started_at=entry.started_at,
        elapsed_s=elapsed,
        remaining_s=remaining,
    )


def next_up(
    planner: Planner, session: Session, current: OnAirNow | None, now: datetime
) -> NextUp | None:
    """What airs once the current item ends (or at once when nothing is on air), unless a
    slot starts first: then that slot's first item at its start. None when nothing would
    (no slot and no fallback playlist)."""
    at = now
    if current is not None and current.ends_at is not None:
        at = max(now, current.ends_at)
    coming = coming_up(session, now, count=1)
    if coming and coming[0][0].start <= at:
        at = coming[0][0].start
    planned = planner.next_item(at)
    if planned is None:
        return None
    recording = session.get(Recording, planned.recording_id) if planned.recording_id else None
    slot = session.get(ScheduleSlot, planned.slot_id) if planned.slot_id else None
    return NextUp(
        title=planned.title,
        reason=planned.reason.value,
        kind=recording.kind if recording is not None else None,
        recording_id=planned.recording_id,
        programme=slot.title if slot is not None else "",
        starts_at=at,
    )
