"""The schedule as an iCalendar feed, so the team sees the programme in any calendar app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from playlists.models import ScheduleSlot


def schedule_calendar(slots: Iterable[ScheduleSlot], *, station: str, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Altavoz//schedule//ES")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", station)
    for slot in slots:
        zone = ZoneInfo(slot.timezone)
        start = slot.start.astimezone(zone)
        event = Event()
        event.add("uid", f"slot-{slot.id}@altavoz")
        event.add("summary", slot.title or f"slot {slot.id}")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(seconds=slot.duration_s))
        if slot.rrule:
            event.add("rrule", _until_in_utc(vRecur.from_ical(slot.rrule), zone))
        for text in slot.exdates or ():
            event.add("exdate", datetime.fromisoformat(text).astimezone(zone))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _until_in_utc(rule: vRecur, zone: ZoneInfo) -> vRecur:
    """RFC 5545 wants UNTIL in UTC when DTSTART has a zone; the stored rule keeps it on the
    station's wall clock (how `playlists.slots` expands it), so calendars are given the same
    instant in UTC, or they may end the series a few hours early or late."""
    until = rule.get("UNTIL")
    if until and isinstance(until[0], datetime) and until[0].tzinfo is None:
        rule["UNTIL"] = [until[0].replace(tzinfo=zone).astimezone(UTC)]
    return rule
