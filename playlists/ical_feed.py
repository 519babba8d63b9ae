"""The schedule as an iCalendar feed, so the team sees the programme in any calendar app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
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
            event.add("rrule", vRecur.from_ical(slot.rrule))
        for text in slot.exdates or ():
            event.add("exdate", datetime.fromisoformat(text).astimezone(zone))
        calendar.add_component(event)
    return bytes(calendar.to_ical())
