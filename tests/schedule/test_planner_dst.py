"""What the planner hands the playout worker around a daylight-saving change: the instants a
daily slot starts and is cut, and what airs in the hour a change skips or repeats.

This is the seam the worker uses (`slot_starts` to start a slot on the clock, `next_item` for
what airs now, both given `now`), so these are the UTC instants the engine is told; that
they are also heard then is tests/onair/test_programme.py's part. Zones whose change falls at
local midnight (Havana, Santiago), both directions: a start in the skipped hour begins when
the clock jumps and keeps its local end; a start in the repeated hour airs once, at its first
pass, and the slot holds the air until the clock reads its end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audio.storage import MediaStore
from gateway import migrate
from gateway.database import Database
from playlists.models import Playlist, PlaylistItem, ScheduleSlot
from playlists.planner import Planner
from tests.conftest import station_settings
from tests.schedule.test_planner import add


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass(frozen=True)
class Change:
    """A daily slot (local start, minutes) over three days around one change."""

    zone: str
    first: tuple[int, int, int, int, int]
    """The series' first local start (year, month, day, hour, minute)."""
    minutes: int
    aired: list[tuple[datetime, datetime]]
    """The UTC start and end of the occurrences on the day before, of and after the change."""
    probe: datetime
    """An instant inside the skipped or repeated hour: the slot must be on air then."""


CHANGES = {
    # 2027-03-14 00:00 CST -> 01:00 CDT (05:00 UTC): 00:30 never happens that night.
    "havana-spring": Change(
        "America/Havana",
        (2027, 3, 10, 0, 30),
        60,
        [
            (utc(2027, 3, 13, 5, 30), utc(2027, 3, 13, 6, 30)),
            (utc(2027, 3, 14, 5, 0), utc(2027, 3, 14, 5, 30)),
            (utc(2027, 3, 15, 4, 30), utc(2027, 3, 15, 5, 30)),
        ],
        utc(2027, 3, 14, 5, 10),
    ),
    # 2027-11-07 01:00 CDT -> 00:00 CST (05:00 UTC): 00:00-01:00 is lived twice.
    "havana-autumn": Change(
        "America/Havana",
        (2027, 11, 3, 0, 30),
        30,
        [
            (utc(2027, 11, 6, 4, 30), utc(2027, 11, 6, 5, 0)),
            (utc(2027, 11, 7, 4, 30), utc(2027, 11, 7, 6, 0)),
            (utc(2027, 11, 8, 5, 30), utc(2027, 11, 8, 6, 0)),
        ],
        utc(2027, 11, 7, 5, 45),
    ),
    # 2027-09-05 00:00 -04 -> 01:00 -03 (04:00 UTC): 00:15 never happens that night.
    "santiago-spring": Change(
        "America/Santiago",
        (2027, 9, 1, 0, 15),
        90,
        [
            (utc(2027, 9, 4, 4, 15), utc(2027, 9, 4, 5, 45)),
            (utc(2027, 9, 5, 4, 0), utc(2027, 9, 5, 4, 45)),
            (utc(2027, 9, 6, 3, 15), utc(2027, 9, 6, 4, 45)),
        ],
        utc(2027, 9, 5, 4, 5),
    ),
    # 2027-04-04 00:00 -03 -> 2027-04-03 23:00 -04 (03:00 UTC): 23:00-24:00 is lived twice.
    "santiago-autumn": Change(
        "America/Santiago",
        (2027, 3, 30, 23, 20),
        60,
        [
            (utc(2027, 4, 3, 2, 20), utc(2027, 4, 3, 3, 20)),
            (utc(2027, 4, 4, 2, 20), utc(2027, 4, 4, 4, 20)),
            (utc(2027, 4, 5, 3, 20), utc(2027, 4, 5, 4, 20)),
        ],
        utc(2027, 4, 4, 3, 30),
    ),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_daily_slot_is_handed_over_at_its_instants_across_the_change(
    tmp_path: Path, change: Change
) -> None:
    settings = station_settings(tmp_path, station={"timezone": change.zone})
    database = Database(settings.database.url)
    migrate.upgrade(database)
    with database.session() as session:
        programme_id = add(session, "programa")
        filler = add(session, "relleno")
        fallback = Playlist(name="Relleno", is_fallback=True)
        fallback.items = [PlaylistItem(position=0, recording_id=filler)]
        session.add(fallback)
        session.add(
            ScheduleSlot(
                title="Voces",
                recording_id=programme_id,
                start=datetime(*change.first, tzinfo=ZoneInfo(change.zone)),
                timezone=change.zone,
                duration_s=change.minutes * 60,
                rrule="FREQ=DAILY",
            )
        )
    store = MediaStore(settings.media.dir)
    day_before = change.aired[0][0] - timedelta(hours=1)
    try:
        # A worker running through the three days, then workers (re)started at the moment
        # before the slot and inside the skipped or repeated hour.
        starts = Planner(database, settings=settings, store=store).slot_starts(
            day_before, timedelta(days=3)
        )
        before = Planner(database, settings=settings, store=store).next_item(
            change.aired[1][0] - timedelta(seconds=1)
        )
        inside = Planner(database, settings=settings, store=store).next_item(change.probe)
    finally:
        database.dispose()

    assert [(s.start, s.cut_at) for s in starts] == change.aired
    assert all(s.recording_id == programme_id for s in starts)
    assert before is not None and before.reason == "fallback"
    assert before.cut_at == change.aired[1][0], "the fallback is not cut when the slot starts"
    assert inside is not None and inside.reason == "schedule", f"{inside}"
    assert inside.cut_at == change.aired[1][1]
