"""The week as a table people read at a glance: days as columns, half hours as rows, each slot
one cell spanning its rows. Slots never overlap (clashes are refused), so a table with row
spans is exact, and it needs no script and no inline style."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playlists.slots import Occurrence

ROW = timedelta(minutes=30)
ROWS = 48


@dataclass(frozen=True)
class Cell:
    slot_id: int
    title: str
    start: datetime
    end: datetime
    rows: int


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_grid(
    occurrences: Iterable[Occurrence], titles: dict[int, str], *, monday: date, zone: ZoneInfo
) -> list[list[Cell | bool | None]]:
    """grid[row][day]: a Cell where a slot starts, True where a cell above spans over it,
    None where the hour is free (the fallback plays)."""
    grid: list[list[Cell | bool | None]] = [[None] * 7 for _ in range(ROWS)]
    for occurrence in occurrences:
        local_start = occurrence.start.astimezone(zone)
        local_end = occurrence.end.astimezone(zone)
        for offset in range(7):
            day = monday + timedelta(days=offset)
            day_start = datetime.combine(day, time(0), zone)
            day_end = day_start + timedelta(days=1)
            begin, finish = max(local_start, day_start), min(local_end, day_end)
            if begin >= finish:
                continue
            first = int((begin - day_start) / ROW)
            last = max(first + 1, -(-int((finish - day_start).total_seconds()) // 1800))
            last = min(last, ROWS)
            if grid[first][offset] is not None:
                continue
            grid[first][offset] = Cell(
                occurrence.slot_id,
                titles.get(occurrence.slot_id, ""),
                local_start,
                local_end,
                last - first,
            )
            for row in range(first + 1, last):
                grid[row][offset] = True
    return grid


@dataclass(frozen=True)
class NowMark:
    """Where "now" falls on the week shown: today's column and the half-hour row holding the
    current time on the station's clock."""

    day: int
    row: int
    clock: datetime


def now_mark(now: datetime, *, monday: date, zone: ZoneInfo) -> NowMark | None:
    """None when the week shown is not the current one in the station's zone."""
    local = now.astimezone(zone)
    day = (local.date() - monday).days
    if not 0 <= day < 7:
        return None
    since_midnight = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)
    return NowMark(day, min(int(since_midnight / ROW), ROWS - 1), local)
