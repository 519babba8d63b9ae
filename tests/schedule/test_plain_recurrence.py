"""The schedule form's plain choices become an RRULE whose expansion is exactly what was
chosen: the ticked days, every N weeks (counted in Monday-to-Sunday weeks from the first day's
week), from the first day until the last day inclusive, on the station's clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playlists.plain_recurrence import (
    WEEKDAYS,
    BadInterval,
    NoDayInRange,
    NoWeekday,
    UntilBeforeStart,
    weekday_code,
    weekly_rule,
)
from playlists.slots import SlotRule, check_new_rule, expand

NEW_YORK = ZoneInfo("America/New_York")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@settings(max_examples=60, deadline=None)
@given(
    first_day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    weekdays=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    interval=st.integers(min_value=1, max_value=4),
    last=st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    clock=st.sampled_from([time(0, 0), time(7, 30), time(12, 0), time(23, 0)]),
)
def test_the_rule_airs_exactly_the_chosen_days_every_n_weeks_until_the_last_day(
    first_day: date, weekdays: set[str], interval: int, last: int | None, clock: time
) -> None:
    until = None if last is None else first_day + timedelta(days=last)
    horizon = until or first_day + timedelta(weeks=9)
    wanted = [
        day
        for day in (first_day + timedelta(days=n) for n in range((horizon - first_day).days + 8))
        if weekday_code(day) in weekdays
        and ((monday_of(day) - monday_of(first_day)).days // 7) % interval == 0
        and (until is None or day <= until)
    ]
    if not wanted:
        with pytest.raises(NoDayInRange):
            weekly_rule(first_day, weekdays, interval=interval, until=until)
        return
    text = weekly_rule(first_day, weekdays, interval=interval, until=until)
    start = datetime.combine(first_day, clock, NEW_YORK)
    check_new_rule(text, start, NEW_YORK.key)
    rule = SlotRule(
        slot_id=1, start=start, duration=timedelta(minutes=30), timezone=NEW_YORK.key, rrule=text
    )
    window_end = datetime.combine(horizon + timedelta(days=8), time(0), NEW_YORK)
    aired = [o.start.astimezone(NEW_YORK) for o in expand([rule], start, window_end)]
    assert [moment.date() for moment in aired] == wanted
    assert all(moment.time() == clock for moment in aired)


def test_the_rule_is_plain_iCalendar_with_a_floating_inclusive_until() -> None:
    assert weekly_rule(date(2026, 12, 3), ["FR", "MO"]) == "FREQ=WEEKLY;BYDAY=MO,FR"
    assert (
        weekly_rule(date(2026, 12, 3), ["TH"], interval=2, until=date(2027, 1, 28))
        == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270128T235959"
    )


def test_choices_that_make_no_rule_are_refused_with_the_reason() -> None:
    with pytest.raises(NoWeekday):
        weekly_rule(date(2026, 12, 3), [])
    with pytest.raises(UntilBeforeStart):
        weekly_rule(date(2026, 12, 3), ["TH"], until=date(2026, 12, 2))
    with pytest.raises(BadInterval):
        weekly_rule(date(2026, 12, 3), ["TH"], interval=0)
    with pytest.raises(NoDayInRange):
        weekly_rule(date(2026, 12, 3), ["MO"], until=date(2026, 12, 6))
    with pytest.raises(ValueError, match="unknown day codes: XX"):
        weekly_rule(date(2026, 12, 3), ["XX"])
    assert weekly_rule(date(2026, 12, 3), ["TH"], until=date(2026, 12, 3)).endswith(
        "UNTIL=20261203T235959"
    )
