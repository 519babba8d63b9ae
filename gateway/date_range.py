"""The years a station's schedule, as-run log and reports deal in.

Python's dates end at years 1 and 9999, and the panel adds a week, a day or a year of
recurrences to a date and moves it between time zones; near either end that overflows (a
500 once). Dates outside this range are refused where they come in, so the arithmetic
behind them never needs to care.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2200, 12, 31)


class DateRangeError(ValueError):
    """A date outside FIRST_DAY..LAST_DAY."""


def in_range(day: date | datetime) -> bool:
    moment = day.date() if isinstance(day, datetime) else day
    return FIRST_DAY <= moment <= LAST_DAY


def check_in_range(
    day: date | datetime, *, what: str, error: Callable[[str], Exception] = DateRangeError
) -> None:
    if not in_range(day):
        raise error(f"{what} must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
