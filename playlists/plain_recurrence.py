"""The schedule form's plain choices (days of the week, every N weeks, until a date) as the
RRULE the schedule stores, so a station never has to write one.

The rule is expanded on the station's wall clock (see `playlists.slots`), so UNTIL is written
as a local, floating time: the last second of the chosen day, which makes the date inclusive in
the station's zone. Weeks start on Monday (iCalendar's default WKST), which is what "every two
weeks" counts from. The checks live here, not only in the form, so every caller gets them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""iCalendar's day codes, Monday first, as `date.weekday()` numbers them."""

MAX_INTERVAL = 52
"""Every N weeks up to once a year; a larger gap is a mistake on a radio grid."""


class PlainRepeatError(ValueError):
    """Plain choices that make no rule; the subclass says which, for a translated message."""


class NoWeekday(PlainRepeatError):
    def __init__(self) -> None:
        super().__init__("tick at least one day of the week")


class BadInterval(PlainRepeatError):
    def __init__(self) -> None:
        super().__init__(f"repeat every 1 to {MAX_INTERVAL} weeks")


class UntilBeforeStart(PlainRepeatError):
    def __init__(self) -> None:
        super().__init__("the last day comes before the first")


class NoDayInRange(PlainRepeatError):
    def __init__(self) -> None:
        super().__init__("none of the ticked days falls between the first and the last day")


def weekday_code(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def weekly_rule(
    first_day: date, weekdays: Iterable[str], *, interval: int = 1, until: date | None = None
) -> str:
    """The RRULE for "on these days, every `interval` weeks, from `first_day` until `until`
    (inclusive)"; raises a `PlainRepeatError` for choices that make no rule."""
    chosen = set(weekdays)
    unknown = chosen - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown day codes: {', '.join(sorted(unknown))}")
    if not chosen:
        raise NoWeekday()
    if not 1 <= interval <= MAX_INTERVAL:
        raise BadInterval()
    if until is not None and until < first_day:
        raise UntilBeforeStart()
    if until is not None and not _airs_between(first_day, until, chosen, interval):
        raise NoDayInRange()
    parts = ["FREQ=WEEKLY"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    parts.append("BYDAY=" + ",".join(code for code in WEEKDAYS if code in chosen))
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def _airs_between(first_day: date, until: date, chosen: set[str], interval: int) -> bool:
    """Whether a ticked day of an airing week falls in [first_day, until]; weeks count from
    the Monday of `first_day`'s week, as the rule's INTERVAL does."""
    monday = first_day - timedelta(days=first_day.weekday())
    days = (until - first_day).days + 1
    return any(
        weekday_code(day) in chosen and ((day - monday).days // 7) % interval == 0
        for day in (first_day + timedelta(days=n) for n in range(min(days, 7 * interval)))
    )
