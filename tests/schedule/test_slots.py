"""Schedule expansion in the station's zone and clash detection, on the clock of a real year."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playlists.slots import (
    Occurrence,
    SlotError,
    SlotRule,
    expand,
    find_conflict,
    occurrences,
    on_air,
)

NEW_YORK = "America/New_York"
MEXICO = "America/Mexico_City"
HOUR = timedelta(hours=1)


def rule(
    slot_id: int, start: datetime, hours: float = 1, rrule: str = "", **kw: object
) -> SlotRule:
    return SlotRule(
        slot_id=slot_id,
        start=start,
        duration=timedelta(hours=hours),
        timezone=kw.pop("timezone", NEW_YORK),  # type: ignore[arg-type]
        rrule=rrule,
        **kw,  # type: ignore[arg-type]
    )


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_a_weekday_slot_keeps_its_local_time_across_the_spring_change() -> None:
    morning = rule(1, local(NEW_YORK, 2026, 3, 5, 7, 0), rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    found = list(
        occurrences(morning, datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC))
    )
    local_times = [o.start.astimezone(ZoneInfo(NEW_YORK)).strftime("%a %H:%M") for o in found]
    assert local_times == ["Thu 07:00", "Fri 07:00", "Mon 07:00", "Tue 07:00"]
    offsets = [o.start.astimezone(ZoneInfo(NEW_YORK)).utcoffset() for o in found]
    assert offsets == [timedelta(hours=-5)] * 2 + [timedelta(hours=-4)] * 2
    assert [o.start.hour for o in found] == [12, 12, 11, 11]


def wall(found: list[Occurrence], zone: str = NEW_YORK) -> list[str]:
    """Each occurrence as the station's clock shows it, with the UTC offset in force."""
    clock = ZoneInfo(zone)
    return [
        f"{o.start.astimezone(clock):%m-%d %H:%M%z}–{o.end.astimezone(clock):%H:%M%z}"
        for o in found
    ]


def sunday_grid(zone: str, sunday: date) -> list[SlotRule]:
    """Two weekly Sunday slots that touch at 03:30: 02:30–03:30 and 03:30–04:30."""
    day = datetime.combine(sunday, time(0), ZoneInfo(zone))
    return [
        rule(n, day.replace(hour=hour, minute=30), rrule="FREQ=WEEKLY", timezone=zone)
        for n, hour in ((1, 2), (2, 3))
    ]


def test_a_daily_slot_at_a_time_skipped_by_the_change_starts_when_the_clock_jumps() -> None:
    night = rule(1, local(NEW_YORK, 2026, 3, 7, 2, 30), rrule="FREQ=DAILY;COUNT=3")
    found = list(
        occurrences(night, datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    )
    assert wall(found) == [
        "03-07 02:30-0500–03:30-0500",
        "03-08 03:00-0400–03:30-0400",
        "03-09 02:30-0400–03:30-0400",
    ]


def test_a_slot_whose_whole_span_is_skipped_by_the_change_does_not_air_that_day() -> None:
    gone = rule(1, local(NEW_YORK, 2026, 3, 7, 2, 15), hours=0.5, rrule="FREQ=DAILY;COUNT=3")
    found = expand([gone], datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    assert wall(found) == ["03-07 02:15-0500–02:45-0500", "03-09 02:15-0400–02:45-0400"]


@pytest.mark.parametrize(
    ("zone", "normal", "aired"),
    [
        (
            NEW_YORK,
            date(2026, 3, 1),
            [
                "03-01 02:30-0500–03:30-0500", "03-01 03:30-0500–04:30-0500",
                "03-08 03:00-0400–03:30-0400", "03-08 03:30-0400–04:30-0400",
                "03-15 02:30-0400–03:30-0400", "03-15 03:30-0400–04:30-0400",
            ],
        ),
        (
            "Australia/Sydney",
            date(2026, 9, 27),
            [
                "09-27 02:30+1000–03:30+1000", "09-27 03:30+1000–04:30+1000",
                "10-04 03:00+1100–03:30+1100", "10-04 03:30+1100–04:30+1100",
                "10-11 02:30+1100–03:30+1100", "10-11 03:30+1100–04:30+1100",
            ],
        ),
        (
            MEXICO,
            date(2026, 3, 29),
            [
                "03-29 02:30-0600–03:30-0600", "03-29 03:30-0600–04:30-0600",
                "04-05 02:30-0600–03:30-0600", "04-05 03:30-0600–04:30-0600",
                "04-12 02:30-0600–03:30-0600", "04-12 03:30-0600–04:30-0600",
            ],
        ),
    ],
)  # fmt: skip
def test_a_sunday_grid_touching_in_the_spring_gap_keeps_its_local_ends_and_does_not_clash(
    zone: str, normal: date, aired: list[str]
) -> None:
    """The middle Sunday is a change day in New York (2026-03-08) and Sydney (2026-10-04);
    in Mexico City it would have been one (first Sunday of April) until 2022, and no more."""
    first, second = sunday_grid(zone, normal)
    assert find_conflict(second, [first]) is None
    assert find_conflict(first, [second]) is None
    begin = datetime.combine(normal, time(0), ZoneInfo(zone))
    found = expand([first, second], begin, begin + timedelta(days=15))
    assert wall(found, zone) == aired


def test_an_ambiguous_autumn_time_airs_once_at_its_first_occurrence() -> None:
    night = rule(1, local(NEW_YORK, 2026, 10, 31, 1, 30), hours=0.25, rrule="FREQ=DAILY;COUNT=2")
    found = list(
        occurrences(night, datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
    )
    assert len(found) == 2
    assert found[1].start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_fall_back_neighbours_end_when_the_clock_reads_their_end_and_do_not_clash() -> None:
    """01:00–02:00 happens twice on 2026-11-01: the slot the clock is in at 02:00 gets it."""
    late, later = (
        rule(n, local(NEW_YORK, 2026, 10, 25, hour, 30), rrule="FREQ=WEEKLY")
        for n, hour in ((1, 0), (2, 1))
    )
    assert find_conflict(later, [late]) is None and find_conflict(late, [later]) is None
    found = expand([late, later], local(NEW_YORK, 2026, 10, 25), local(NEW_YORK, 2026, 11, 9))
    assert wall(found) == [
        "10-25 00:30-0400–01:30-0400", "10-25 01:30-0400–02:30-0400",
        "11-01 00:30-0400–01:30-0400", "11-01 01:30-0400–02:30-0500",
        "11-08 00:30-0500–01:30-0500", "11-08 01:30-0500–02:30-0500",
    ]  # fmt: skip
    assert [o.end - o.start for o in found if o.start.day == 1] == [HOUR, 2 * HOUR]


def test_a_slot_crossing_midnight_into_the_change_ends_at_its_local_end() -> None:
    overnight = rule(1, local(NEW_YORK, 2026, 2, 28, 23, 0), hours=4, rrule="FREQ=WEEKLY")
    morning = rule(2, local(NEW_YORK, 2026, 3, 1, 3, 0), rrule="FREQ=WEEKLY")
    assert find_conflict(morning, [overnight]) is None
    found = expand([overnight], local(NEW_YORK, 2026, 3, 7), local(NEW_YORK, 2026, 3, 9))
    assert wall(found) == ["03-07 23:00-0500–03:00-0400"]


def test_until_and_a_cancelled_date_apply_to_the_occurrence_as_it_airs() -> None:
    first = sunday_grid(NEW_YORK, date(2026, 3, 1))[0]
    aired = local(NEW_YORK, 2026, 3, 8, 3, 0)
    window = (local(NEW_YORK, 2026, 3, 1), local(NEW_YORK, 2026, 3, 30))
    until_then = replace(first, until=aired)
    assert wall(expand([until_then], *window)) == [
        "03-01 02:30-0500–03:30-0500",
        "03-08 03:00-0400–03:30-0400",
    ]
    skipped = replace(first, exdates=(aired.isoformat(),))
    assert [o.start.day for o in expand([skipped], *window)] == [1, 15, 22, 29]


def test_mexico_city_has_had_no_daylight_saving_since_2022() -> None:
    slot = rule(1, local(MEXICO, 2026, 4, 1, 7, 0), rrule="FREQ=DAILY", timezone=MEXICO)
    found = expand([slot], datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC))
    assert {o.start.hour for o in found} == {13}


def test_until_and_cancelled_dates_end_and_skip_occurrences() -> None:
    start = local(NEW_YORK, 2026, 6, 1, 9, 0)
    slot = rule(
        1,
        start,
        rrule="FREQ=DAILY",
        until=start + timedelta(days=3),
        exdates=((start + timedelta(days=1)).isoformat(),),
    )
    found = expand([slot], start - HOUR, start + timedelta(days=10))
    assert [o.start.day for o in found] == [1, 3, 4]


def test_a_recurring_slot_clashes_with_a_one_off_months_later() -> None:
    weekly = rule(1, local(NEW_YORK, 2026, 1, 5, 7, 0), rrule="FREQ=WEEKLY;BYDAY=MO")
    special = rule(2, local(NEW_YORK, 2026, 9, 14, 7, 30))
    clash = find_conflict(special, [weekly])
    assert clash is not None and clash.slot_id == 1
    assert clash.start == local(NEW_YORK, 2026, 9, 14, 7, 0)
    assert find_conflict(weekly, [special]) is not None


def test_slots_that_only_touch_do_not_clash() -> None:
    first = rule(1, local(NEW_YORK, 2026, 5, 1, 7, 0))
    second = rule(2, local(NEW_YORK, 2026, 5, 1, 8, 0))
    assert find_conflict(second, [first]) is None


def test_a_slot_crossing_midnight_clashes_with_an_early_morning_slot_the_next_day() -> None:
    late = rule(1, local(NEW_YORK, 2026, 5, 1, 23, 0), hours=2, rrule="FREQ=WEEKLY;BYDAY=FR")
    early = rule(2, local(NEW_YORK, 2026, 5, 2, 0, 30), hours=1, rrule="FREQ=WEEKLY;BYDAY=SA")
    clash = find_conflict(early, [late])
    assert clash is not None and clash.slot_id == 1
    before_midnight = rule(3, local(NEW_YORK, 2026, 5, 2, 1, 0), hours=1)
    assert find_conflict(before_midnight, [late]) is None


def test_two_weekly_slots_on_different_days_never_clash() -> None:
    monday = rule(1, local(NEW_YORK, 2026, 1, 5, 7, 0), rrule="FREQ=WEEKLY;BYDAY=MO")
    tuesday = rule(2, local(NEW_YORK, 2026, 1, 6, 7, 0), rrule="FREQ=WEEKLY;BYDAY=TU")
    assert find_conflict(tuesday, [monday]) is None


def test_a_bad_rrule_or_a_naive_start_is_refused() -> None:
    january = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(SlotError):
        list(occurrences(rule(1, local(NEW_YORK, 2026, 1, 5, 7), rrule="FREQ=SOMETIMES"), *january))
    with pytest.raises(SlotError):
        list(occurrences(rule(1, datetime(2026, 1, 5, 7, 0), rrule="FREQ=DAILY"), *january))


def test_on_air_finds_the_occurrence_covering_now() -> None:
    slot = rule(1, local(NEW_YORK, 2026, 5, 1, 7, 0), rrule="FREQ=DAILY")
    found = expand([slot], datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 3, tzinfo=UTC))
    now = local(NEW_YORK, 2026, 5, 2, 7, 30)
    covering = on_air(found, now)
    assert covering is not None and covering.start == local(NEW_YORK, 2026, 5, 2, 7, 0)
    assert on_air(found, local(NEW_YORK, 2026, 5, 2, 8, 0)) is None


@given(
    day=st.integers(0, 364),
    hour=st.integers(0, 23),
    minutes=st.integers(1, 600),
    zone=st.sampled_from([NEW_YORK, MEXICO, "America/Guatemala", "Europe/Madrid"]),
)
def test_occurrences_of_one_daily_slot_never_overlap_and_clashing_is_symmetric(
    day: int, hour: int, minutes: int, zone: str
) -> None:
    start = local(zone, 2026, 1, 1, hour, 0) + timedelta(days=day)
    daily = SlotRule(
        slot_id=1, start=start, duration=timedelta(minutes=min(minutes, 23 * 60)),
        timezone=zone, rrule="FREQ=DAILY",
    )  # fmt: skip
    found = expand([daily], start, start + timedelta(days=40))
    assert all(a.end <= b.start for a, b in pairwise(found))
    other = SlotRule(slot_id=2, start=start + timedelta(days=3, minutes=minutes // 2),
                     duration=timedelta(minutes=30), timezone=zone)  # fmt: skip
    assert (find_conflict(other, [daily]) is None) == (find_conflict(daily, [other]) is None)


WEEK = 7 * 24 * 60
SUNDAY = 6 * 24 * 60
"""Minutes from Monday 00:00 to Sunday 00:00; every zone below changes its clocks near it."""


@st.composite
def weekly_grids(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Non-overlapping (start, length) in minutes from Monday 00:00 local, on a quarter-hour
    lattice, packed from up to a day before Sunday so they cover the changes, often touching."""
    cursor = origin = SUNDAY - 15 * draw(st.integers(0, 96))
    grid = []
    for _ in range(draw(st.integers(1, 12))):
        cursor += 15 * draw(st.sampled_from([0, 0, 0, 1, 2, 4]))
        length = 15 * draw(st.integers(1, 32))
        if cursor + length > origin + WEEK:
            break
        grid.append((cursor, length))
        cursor += length
    return grid


@settings(max_examples=60, deadline=None)
@given(
    grid=weekly_grids(),
    zone=st.sampled_from(
        [NEW_YORK, "Europe/Madrid", "Australia/Sydney", "America/Santiago", "Australia/Lord_Howe"]
    ),
)
def test_a_weekly_grid_without_clashes_on_a_normal_week_never_clashes_in_a_year(
    grid: list[tuple[int, int]], zone: str
) -> None:
    """January 2026 has no clock change in these zones; the year after it has two."""
    monday = local(zone, 2026, 1, 5)
    rules = [
        SlotRule(slot_id=n, start=monday + timedelta(minutes=begin),
                 duration=timedelta(minutes=length), timezone=zone, rrule="FREQ=WEEKLY")
        for n, (begin, length) in enumerate(grid, start=1)
    ]  # fmt: skip
    found = expand(rules, monday, monday + timedelta(days=365))
    assert all(o.end > o.start for o in found)
    clashes = [pair for pair in pairwise(found) if pair[0].end > pair[1].start]
    assert not clashes, wall(list(clashes[0]), zone)
    assert all(len([o for o in found if o.slot_id == r.slot_id]) >= 51 for r in rules)
    for candidate in rules:
        assert find_conflict(candidate, rules) is None
