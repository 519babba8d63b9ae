"""What a slot's RRULE may ask for: at most one occurrence an hour, a readable length, and an
occurrence within a few years. Checked once, when the slot is made, in bounded time.

The time bound needs care: python-dateutil looks for the next occurrence period by period and
stops only at a match or at year 9999, so a rule that never matches (February 30th) keeps it
busy for seconds (daily) to minutes (hourly); every expansion of the week would pay that again.
The check therefore runs the rule from a start moved to a calendar-equivalent year shortly
before 9999 (same leap years and weekdays for the years looked at; the Gregorian calendar
repeats every 400 years, so one exists), where dateutil's own end of time bounds the search.
"""

from __future__ import annotations

import calendar
from datetime import MAXYEAR, date, datetime, timedelta
from itertools import islice, pairwise

from dateutil.rrule import rrule, rrulestr

MAX_RULE_CHARS = 500
"""Longer than any rule a person writes; the schedule shows and exports the rule as given."""

MIN_GAP = timedelta(hours=1)
"""A radio slot repeats at most hourly; finer rules are typos or attacks, and cost memory."""

FIRST_WITHIN_YEARS = 5
"""A rule must air within this many years of its start (February 29th does, every 4 years)."""

SPACING_SAMPLE = 200
"""Occurrences looked at for their spacing: enough to cover every expansion of one period."""

FINER_THAN_HOURLY = frozenset({"SECONDLY", "MINUTELY"})

NUMBER_LIMITS = {"COUNT": 100_000, "INTERVAL": 10_000}
"""Beyond these a rule means nothing on a radio grid (COUNT 100,000 hourly is 11 years), and
calendar exports refuse numbers outside iCalendar's range."""


class RecurrenceError(ValueError):
    """An RRULE the schedule does not accept, with the reason."""


def _parts(text: str) -> list[tuple[str, str]]:
    return [
        (name.strip().upper(), value.strip())
        for name, _sep, value in (part.partition("=") for part in text.split(";"))
        if name.strip()
    ]


def _calendar(year: int, years: int) -> tuple[tuple[bool, int], ...]:
    return tuple(
        (calendar.isleap(y), date(y, 1, 1).weekday()) for y in range(year, year + years + 1)
    )


def equivalent_start(start: datetime, years: int) -> datetime:
    """`start` moved to the latest year before 9999 (with `years` to spare) whose following
    years have the same leap years and weekdays as the original's."""
    last = MAXYEAR - years - 1
    if start.year >= last:
        return start
    wanted = _calendar(start.year, years)
    for year in range(last, start.year, -1):  # a match within 400 years: the calendar repeats
        if _calendar(year, years) == wanted:
            return start.replace(year=year)
    return start


def check_rule(text: str, rule: rrule, local_start: datetime) -> None:
    """Refuse rules finer than hourly and rules with no occurrence within
    FIRST_WITHIN_YEARS of `local_start`; `rule` is `text` parsed with that start."""
    parts = _parts(text)
    frequency = dict(parts).get("FREQ", "")
    if frequency in FINER_THAN_HOURLY:
        raise RecurrenceError(f"a slot repeats at most once an hour (FREQ={frequency})")
    for name, highest in NUMBER_LIMITS.items():
        value = dict(parts).get(name)
        if value is not None and not (
            value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= highest
        ):
            raise RecurrenceError(f"{name} must be a whole number from 1 to {highest:,}")
    if "BYEASTER" in dict(parts):
        raise RecurrenceError("BYEASTER is not part of the iCalendar standard")
    moved = equivalent_start(local_start, FIRST_WITHIN_YEARS)
    without_end = ";".join(f"{name}={value}" for name, value in parts if name != "UNTIL")
    probe = rrulestr(without_end, dtstart=moved, ignoretz=True)
    sample = list(islice(iter(probe), SPACING_SAMPLE))
    if not sample or sample[0] - moved > timedelta(days=366 * FIRST_WITHIN_YEARS):
        raise RecurrenceError(
            f"the rule never occurs (not within {FIRST_WITHIN_YEARS} years of the start)"
        )
    if any(later - earlier < MIN_GAP for earlier, later in pairwise(sample)):
        raise RecurrenceError("a slot repeats at most once an hour (the rule expands to more)")
    # Bounded now: without its end the rule matches within the years checked above.
    if rule.after(local_start, inc=True) is None:
        raise RecurrenceError("the rule ends (UNTIL or COUNT) before it first occurs")
