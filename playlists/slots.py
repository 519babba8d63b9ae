"""Schedule slots expanded into occurrences, in the station's time zone, and their clashes.

A recurring slot is a wall-clock rule ("every weekday at 07:00 in America/Mexico_City"), so
it is expanded on naive local times and only then given its zone: 07:00 stays 07:00 across a
daylight-saving change, while its UTC time moves. Two edge cases follow the zoneinfo rules
(PEP 495, fold=0): a local time that does not exist (skipped by a spring-forward change) is
read with the offset from before the change, so it airs an hour later on the clock, and an
ambiguous one (repeated at a fall-back change) airs at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

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


def parse_rule(text: str, start: datetime, timezone: str) -> rrule:
    """The RRULE of a slot, anchored on its first start in local wall-clock time."""
    if start.tzinfo is None:
        raise SlotError("a slot's start needs a UTC offset")
    local = start.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    try:
        parsed = rrulestr(body, dtstart=local, ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise SlotError(f"not a valid RRULE: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise SlotError("give a single RRULE, not a set")
    return parsed


def _local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=zone).astimezone(UTC)


def occurrences(rule: SlotRule, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Occurrences of one slot that overlap [start, end)."""
    zone = ZoneInfo(rule.timezone)
    cancelled = {datetime.fromisoformat(text).astimezone(UTC) for text in rule.exdates}
    if not rule.rrule:
        candidates: Iterable[datetime] = [rule.start.astimezone(UTC)]
    else:
        recurrence = parse_rule(rule.rrule, rule.start, rule.timezone)
        window_start = (start - rule.duration - timedelta(days=1)).astimezone(zone)
        window_end = (end + timedelta(days=1)).astimezone(zone)
        candidates = (
            _local_to_utc(naive, zone)
            for naive in recurrence.between(
                window_start.replace(tzinfo=None), window_end.replace(tzinfo=None), inc=True
            )
        )
    for begin in candidates:
        if rule.until is not None and begin > rule.until:
            continue
        if begin in cancelled:
            continue
        finish = begin + rule.duration
        if finish > start and begin < end:
            yield Occurrence(begin, finish, rule.slot_id)


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
