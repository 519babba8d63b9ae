"""Schedule expansion in the station's zone and clash detection, on the clock of a real year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playlists.slots import SlotError, SlotRule, expand, find_conflict, occurrences, on_air

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


def test_a_daily_slot_at_a_time_skipped_by_the_change_airs_an_hour_later_that_day() -> None:
    night = rule(1, local(NEW_YORK, 2026, 3, 7, 2, 30), hours=0.5, rrule="FREQ=DAILY;COUNT=3")
    found = list(
        occurrences(night, datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    )
    wall = [o.start.astimezone(ZoneInfo(NEW_YORK)).strftime("%d %H:%M") for o in found]
    assert wall == ["07 02:30", "08 03:30", "09 02:30"]


def test_an_ambiguous_autumn_time_airs_once_at_its_first_occurrence() -> None:
    night = rule(1, local(NEW_YORK, 2026, 10, 31, 1, 30), hours=0.25, rrule="FREQ=DAILY;COUNT=2")
    found = list(
        occurrences(night, datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
    )
    assert len(found) == 2
    assert found[1].start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


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
