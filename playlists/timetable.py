"""The database side of playlists and the weekly schedule: what the API and the panel call.

Every refusal is a `TimetableError` (or `SlotClash`, which names the slot in the way) raised
before anything is written, so a bad request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audio.models import Recording
from gateway.codes import Refused
from gateway.date_range import check_in_range
from gateway.plain_text import plain_text
from playlists.models import Playlist, PlaylistItem, PlaylistMode, ScheduleSlot
from playlists.planner import slot_rule, slot_rules
from playlists.slots import (
    Conflict,
    SlotError,
    SlotRule,
    check_new_rule,
    expand,
    find_conflict,
    next_start,
)

MAX_SLOT = timedelta(hours=24)
MAX_PLAYLIST_ITEMS = 1000
"""Days of audio; a list longer than this is a mistake or an attack, not a programme."""


class TimetableProblem(StrEnum):
    """Why a playlist or slot was refused: the panel words it (gateway/web/labels.py),
    `str(error)` stays the English of the API and the command line."""

    TOO_MANY_ITEMS = "timetable.too_many_items"
    MODE = "timetable.mode"
    NEGATIVE_RULES = "timetable.negative_rules"
    NO_RECORDINGS = "timetable.no_recordings"
    CONTENT = "timetable.content"
    OFFSET = "timetable.offset"
    ZONE = "timetable.zone"
    LENGTH = "timetable.length"
    RULE = "timetable.rule"
    NO_PLAYLIST = "timetable.no_playlist"
    NO_RECORDING = "timetable.no_recording"


class TimetableError(Refused):
    """A playlist or slot that cannot be created as asked; `problem` and `params` let the
    panel say it in the operator's language.
    Text refused by plain_text gets a TextProblem instead of None."""


class SlotClash(TimetableError):
    """Names the slot in the way and when it airs on the station's clock (not UTC), so the
    panel can say it in the operator's language from `title`, `start` and `end`."""

    def __init__(self, conflict: Conflict, title: str, zone: ZoneInfo) -> None:
        self.conflict = conflict
        self.title = title or f"slot {conflict.slot_id}"
        self.start = conflict.start.astimezone(zone)
        self.end = conflict.end.astimezone(zone)
        super().__init__(
            f"it overlaps slot {conflict.slot_id} ({self.title}) "
            f"from {_local(self.start)} to {_local(self.end)} ({zone.key})"
        )


class SlotInThePast(TimetableError):
    """A slot that would never air again: a one-off whose start has passed, or a series whose
    every occurrence has."""

    def __init__(self, start: datetime, zone: ZoneInfo, recurring: bool) -> None:
        self.start = start.astimezone(zone)
        self.recurring = recurring
        super().__init__(
            f"every occurrence of a series first airing {_local(self.start)} ({zone.key}) "
            "has already started"
            if recurring
            else f"it would start at {_local(self.start)} ({zone.key}), which has already passed"
        )


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class PlaylistRules:
    mode: str = PlaylistMode.ORDERED
    jingle_every_items: int = 0
    jingle_every_minutes: float = 0.0
    no_repeat_minutes: float = 0.0


def create_playlist(
    session: Session,
    *,
    name: str,
    recording_ids: Sequence[int],
    rules: PlaylistRules = PlaylistRules(),
    fallback: bool = False,
) -> Playlist:
    name = check_playlist(session, name=name, recording_ids=recording_ids, rules=rules)
    playlist = Playlist(
        name=name,
        mode=rules.mode,
        jingle_every_items=rules.jingle_every_items,
        jingle_every_minutes=rules.jingle_every_minutes,
        no_repeat_minutes=rules.no_repeat_minutes,
    )
    playlist.items = [
        PlaylistItem(position=n, recording_id=rid) for n, rid in enumerate(recording_ids)
    ]
    session.add(playlist)
    session.flush()
    if fallback:
        make_fallback(session, playlist.id)
    return playlist


def check_playlist(
    session: Session, *, name: str, recording_ids: Sequence[int], rules: PlaylistRules
) -> str:
    """The cleaned name, or `TimetableError`: the same limits for a new and an edited playlist.
    The same recording may appear more than once (a song aired twice in a long programme)."""
    name = plain_text(name, what="the playlist's name", max_chars=120, error=TimetableError)
    if len(recording_ids) > MAX_PLAYLIST_ITEMS:
        raise TimetableError(
            f"a playlist holds at most {MAX_PLAYLIST_ITEMS} items",
            TimetableProblem.TOO_MANY_ITEMS,
            limit=MAX_PLAYLIST_ITEMS,
        )
    if rules.mode not in (PlaylistMode.ORDERED, PlaylistMode.SHUFFLE):
        raise TimetableError("mode must be 'ordered' or 'shuffle'", TimetableProblem.MODE)
    if min(rules.jingle_every_items, rules.jingle_every_minutes, rules.no_repeat_minutes) < 0:
        raise TimetableError(
            "jingle and repeat rules cannot be negative", TimetableProblem.NEGATIVE_RULES
        )
    known = set(session.scalars(select(Recording.id).where(Recording.id.in_(recording_ids))))
    unknown = list(dict.fromkeys(rid for rid in recording_ids if rid not in known))
    if unknown:
        numbers = ", ".join(map(str, unknown))
        raise TimetableError(
            f"no such recordings: {numbers}", TimetableProblem.NO_RECORDINGS, ids=numbers
        )
    return name


def make_fallback(session: Session, playlist_id: int) -> None:
    """One fallback at a time: it is what plays whenever nothing is scheduled."""
    session.execute(update(Playlist).values(is_fallback=False))
    session.execute(update(Playlist).where(Playlist.id == playlist_id).values(is_fallback=True))


def playlist_length(playlist: Playlist, session: Session) -> timedelta:
    ids = [item.recording_id for item in playlist.items]
    rows = session.execute(
        select(Recording.id, Recording.duration_s).where(Recording.id.in_(ids))
    ).all()
    durations = {recording_id: duration for recording_id, duration in rows}
    return timedelta(seconds=sum(durations.get(i, 0.0) for i in ids))


def create_slot(
    session: Session,
    *,
    start: datetime,
    timezone: str,
    playlist_id: int | None = None,
    recording_id: int | None = None,
    end: datetime | None = None,
    rrule: str = "",
    until: datetime | None = None,
    title: str = "",
    created_by: int | None = None,
    now: datetime | None = None,
) -> ScheduleSlot:
    """Check everything (the content, the times, the rule, clashes), then add the slot.

    With `now` (the panel and the API pass the clock) a slot that would never air is refused:
    a one-off must start at or after the current minute (the form has no seconds, so "now"
    typed at 10:15:40 is 10:15 and accepted), and a series must have an occurrence starting
    then or later; a series that began in the past is fine, its past occurrences are history.
    Without `now` (tests and imports writing history) the past is accepted."""
    if (playlist_id is None) == (recording_id is None):
        raise TimetableError("give either playlist_id or recording_id", TimetableProblem.CONTENT)
    if start.tzinfo is None:
        raise TimetableError(
            "start needs a UTC offset, e.g. 2026-11-24T07:00:00-06:00", TimetableProblem.OFFSET
        )
    if end is not None and end.tzinfo is None:
        raise TimetableError("end needs a UTC offset", TimetableProblem.OFFSET)
    for name, moment in (("start", start), ("end", end), ("until", until)):
        if moment is not None:
            check_in_range(moment, what=name, error=TimetableError)
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise TimetableError(
            f"unknown time zone {timezone!r}", TimetableProblem.ZONE, zone=timezone
        ) from exc
    length, default_title = _content(session, playlist_id, recording_id)
    duration = (end - start) if end is not None else length
    if duration <= timedelta(0) or duration > MAX_SLOT:
        raise TimetableError(
            "a slot lasts more than nothing and at most 24 hours", TimetableProblem.LENGTH
        )
    if rrule:
        try:
            check_new_rule(rrule, start, timezone)
        except SlotError as exc:
            raise TimetableError(str(exc), TimetableProblem.RULE) from exc
    slot = ScheduleSlot(
        title=plain_text(
            title, what="the slot's title", max_chars=200, required=False, error=TimetableError
        )
        or default_title[:200],
        playlist_id=playlist_id,
        recording_id=recording_id,
        start=start,
        timezone=timezone,
        duration_s=duration.total_seconds(),
        rrule=rrule.strip().removeprefix("RRULE:"),
        until=until,
        exdates=[],
        created_by=created_by,
    )
    candidate = slot_rule(slot)
    if now is not None:
        check_still_to_come(candidate, now)
    clash = find_conflict(candidate, slot_rules(session))
    if clash is not None:
        other = session.get(ScheduleSlot, clash.slot_id)
        raise SlotClash(clash, other.title if other else "", ZoneInfo(timezone))
    session.add(slot)
    session.flush()
    return slot


def check_still_to_come(candidate: SlotRule, now: datetime) -> None:
    """`SlotInThePast` unless the slot starts at or after the minute of `now` at least once."""
    minute = now.replace(second=0, microsecond=0)
    if next_start(candidate, minute) is None:
        raise SlotInThePast(candidate.start, ZoneInfo(candidate.timezone), bool(candidate.rrule))


def _content(
    session: Session, playlist_id: int | None, recording_id: int | None
) -> tuple[timedelta, str]:
    if playlist_id is not None:
        playlist = session.get(Playlist, playlist_id)
        if playlist is None:
            raise TimetableError(
                f"there is no playlist {playlist_id}", TimetableProblem.NO_PLAYLIST, id=playlist_id
            )
        return playlist_length(playlist, session), playlist.name
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise TimetableError(
            f"there is no recording {recording_id}",
            TimetableProblem.NO_RECORDING,
            id=recording_id or 0,
        )
    return timedelta(seconds=recording.duration_s), recording.title


def expanded(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Occurrences in [start, end) as the API gives them."""
    slots = {slot.id: slot for slot in session.scalars(select(ScheduleSlot))}
    return [
        {
            "slot_id": occurrence.slot_id,
            "title": slots[occurrence.slot_id].title,
            "start": occurrence.start.isoformat(),
            "end": occurrence.end.isoformat(),
            "playlist_id": slots[occurrence.slot_id].playlist_id,
            "recording_id": slots[occurrence.slot_id].recording_id,
            "recurring": bool(slots[occurrence.slot_id].rrule),
        }
        for occurrence in expand([slot_rule(s) for s in slots.values()], start, end)
    ]
