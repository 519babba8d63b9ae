"""The schedule's iCalendar feed says what airs in terms every calendar app reads alike."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from playlists.ical_feed import schedule_calendar
from playlists.models import ScheduleSlot
from playlists.plain_recurrence import weekly_rule


def test_a_weekly_series_ends_at_the_same_instant_in_any_calendar() -> None:
    start = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 07:00 in Guatemala
    rule = weekly_rule(start.date(), ["MO"], until=datetime(2027, 1, 25).date())
    slot = ScheduleSlot(
        id=1, title="Mañanas", start=start, duration_s=3600, timezone="America/Guatemala",
        rrule=rule, exdates=[],
    )  # fmt: skip
    feed = Calendar.from_ical(schedule_calendar([slot], station="Radio", now=start))
    (event,) = feed.walk("VEVENT")
    (until,) = event["RRULE"]["UNTIL"]
    assert until == datetime(2027, 1, 26, 5, 59, 59, tzinfo=UTC), "23:59:59 in Guatemala"
    assert b"UNTIL=20270126T055959Z" in schedule_calendar([slot], station="Radio", now=start)
