"""Schedule slots expanded into occurrences, in the station's time zone, and their clashes.

A recurring slot is a wall-clock rule ("every Sunday from 02:30 to 03:30 in America/New_York"),
so it is expanded on naive local times and only then placed in time: 07:00 stays 07:00 across
a daylight-saving change, while its UTC time moves. Its local end is its local start plus its
duration (the minutes of the panel form, end - start in the API), so its duration is how long
it lasts on a normal day. A series whose first occurrence itself spans a change is no
exception: its first occurrence is placed like the others.

Both ends of an occurrence are then placed by one rule: each is the first instant at which the
station's clock reads that local time or later. On a normal day that is the only instant that
reads it. Where a change skips local times (spring), a time in the gap is the instant the clock
jumps: a slot starting at 02:30 on a day when 02:00 becomes 03:00 starts at 03:00 and keeps its
local end (03:30), and a slot whose whole span lies in the gap does not air that day, since its
clock times never happen. Where a change repeats local times (autumn), a repeated time is its
first pass, as in RFC 5545 and PEP 495 (fold=0); so the repeated hour goes to the slot the
clock is in when it reaches the end of that hour: in New York on 2026-11-01, 00:30-01:30 airs
00:30-01:30 EDT (one hour) and 01:30-02:30 airs from 01:30 EDT to 02:30 EST (two hours).

Because that placement never runs backwards, slots that do not overlap on the clock of a
normal week do not overlap on a change day either, and every occurrence that airs lasts its
duration, less what a spring gap skips, plus at most what an autumn change repeats. A one-off
slot is not a wall-clock rule: it airs from the instant it was given, for its duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from playlists.recurrence_limits import MAX_RULE_CHARS, check_rule

CONFLICT_HORIZON = timedelta(days=366)
"""Recurring slots are compared over a year: a weekly grid repeats long before that."""


class SlotError(ValueError):
    """A slot that cannot be expanded (bad RRULE, naive time)."""


@dataclass(frozen=True, kw_only=True)
class SlotRule:
    slot_id: int
    start: datetime
    """The first occurrence, timezone-aware."""
    duration: timedelta
    """Its length on a normal day; a recurring slot ends at its local start plus this."""
    timezone: str
    rrule: str = ""
    until: datetime | None = None
    exdates: tuple[str, ...] = ()
    """Occurrence starts (ISO 8601 with offset) that are cancelled."""


@dataclass(frozen=True, order=True)
class Occurrence:
    start: datetime
    end: datetime
    slot_id: int


def _body(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def parse_rule(text: str, start: datetime, timezone: str) -> rrule:
    """The RRULE of a slot, anchored on its first start in local wall-clock time."""
    if start.tzinfo is None:
        raise SlotError("a slot's start needs a UTC offset")
    local = start.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    body = _body(text)
    if len(body) > MAX_RULE_CHARS:
        raise SlotError(f"an RRULE is at most {MAX_RULE_CHARS} characters")
    try:
        parsed = rrulestr(body, dtstart=local, ignoretz=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SlotError(f"not a valid RRULE: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise SlotError("give a single RRULE, not a set")
    return parsed


def check_new_rule(text: str, start: datetime, timezone: str) -> None:
    """A new slot's rule, parsed and within the limits of `playlists.recurrence_limits`;
    raises SlotError with the reason."""
    parsed = parse_rule(text, start, timezone)
    local = start.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    try:
        check_rule(_body(text), parsed, local)
    except (ValueError, OverflowError) as exc:
        raise SlotError(str(exc)) from exc


def _clock(moment: datetime, zone: ZoneInfo) -> datetime:
    """What the station's clock reads at `moment`, as a naive local time."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _first_reading(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at which the clock reads `naive` or later (see the module docstring)."""
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if _clock(first, zone) == naive:
        return first
    # Skipped by a change. Read with the offset after it (fold=1) the time falls before the
    # jump, where the clock shows less; with the offset before it, after the jump, where the
    # clock shows more. The jump lies between; zone changes fall on whole seconds.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp()) + 1
    while low < high:
        middle = (low + high) // 2
        if _clock(datetime.fromtimestamp(middle, UTC), zone) > naive:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


def _placed(rule: SlotRule, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) instants of a slot's occurrences around [start, end), before filtering."""
    if not rule.rrule:
        begin = rule.start.astimezone(UTC)
        yield begin, begin + rule.duration
        return
    zone = ZoneInfo(rule.timezone)
    recurrence = parse_rule(rule.rrule, rule.start, rule.timezone)
    margin = rule.duration + timedelta(days=1)
    around = (_clock(start - margin, zone), _clock(end + margin, zone))
    for naive in recurrence.between(*around, inc=True):
        yield _first_reading(naive, zone), _first_reading(naive + rule.duration, zone)


def occurrences(rule: SlotRule, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Occurrences of one slot that overlap [start, end); `until` and cancelled dates apply
    to an occurrence's start as it airs."""
    cancelled = {datetime.fromisoformat(text).astimezone(UTC) for text in rule.exdates}
    for begin, finish in _placed(rule, start, end):
        if rule.until is not None and begin > rule.until:
            continue
        if begin in cancelled or finish <= begin:
            continue
        if finish > start and begin < end:
            yield Occurrence(begin, finish, rule.slot_id)


def next_start(rule: SlotRule, at: datetime) -> datetime | None:
    """When the slot next starts at or after `at` (as it airs, `until` applied), None when
    it never does again: what tells a slot still to come from one that is all past."""
    if not rule.rrule:
        return rule.start if rule.start >= at else None
    zone = ZoneInfo(rule.timezone)
    naive = parse_rule(rule.rrule, rule.start, rule.timezone).after(_clock(at, zone), inc=True)
    if naive is None:
        return None
    begin = _first_reading(naive, zone)
    if rule.until is not None and begin > rule.until:
        return None
    return begin


def expand(rules: Iterable[SlotRule], start: datetime, end: datetime) -> list[Occurrence]:
    """Every occurrence of every slot overlapping [start, end), in time order."""
    return sorted(o for rule in rules for o in occurrences(rule, start, end))


@dataclass(frozen=True)
class Conflict:
    slot_id: int
    """The existing slot that clashes."""
    start: datetime
    end: datetime
    """The clashing occurrence of the existing slot."""


def find_conflict(
    candidate: SlotRule, existing: Iterable[SlotRule], *, horizon: timedelta = CONFLICT_HORIZON
) -> Conflict | None:
    """The first occurrence of another slot that overlaps one of the candidate's."""
    window_start = candidate.start.astimezone(UTC)
    window_end = window_start + (horizon if candidate.rrule else candidate.duration)
    mine = list(occurrences(candidate, window_start, window_end))
    if not mine:
        return None
    theirs = expand(
        (rule for rule in existing if rule.slot_id != candidate.slot_id), window_start, window_end
    )
    index = 0
    for occurrence in mine:
        while index < len(theirs) and theirs[index].end <= occurrence.start:
            index += 1
        probe = index
        while probe < len(theirs) and theirs[probe].start < occurrence.end:
            if theirs[probe].end > occurrence.start:
                clash = theirs[probe]
                return Conflict(clash.slot_id, clash.start, clash.end)
            probe += 1
    return None


def on_air(occurrence_list: Iterable[Occurrence], now: datetime) -> Occurrence | None:
    """The occurrence covering `now`, the most recently started if several do."""
    covering = [o for o in occurrence_list if o.start <= now < o.end]
    return max(covering, default=None)
