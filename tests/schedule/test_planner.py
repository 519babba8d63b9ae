"""What the planner hands the playout engine: a slot's items while it is on air, then — when
the slot outlasts its playlist — the playlist again or the fallback, as configured."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest

from audio.models import Recording
from audio.storage import MediaStore
from gateway import migrate
from gateway.database import Database, utcnow
from playlists.models import Playlist, PlaylistItem, ScheduleSlot
from playlists.planner import Planner
from tests.conftest import station_settings


def add(session: object, title: str) -> int:
    recording = Recording(
        title=title,
        kind="testimony",
        duration_s=60,
        loudness_lufs=-16,
        true_peak_dbtp=-1,
        media_path=f"library/00/{title}.flac",
        sha256=title,
    )
    session.add(recording)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    return recording.id


@pytest.mark.parametrize(
    ("overrun", "expected"), [("repeat", "schedule"), ("fallback", "fallback")]
)
def test_a_slot_longer_than_its_playlist_repeats_or_gives_way_to_the_fallback(
    tmp_path: Path, overrun: str, expected: str
) -> None:
    settings = station_settings(tmp_path, station={"slot_overrun": overrun})
    database = Database(settings.database.url)
    migrate.upgrade(database)
    now = utcnow()
    with database.session() as session:
        programme = add(session, "programa")
        filler = add(session, "relleno")
        fallback = Playlist(name="Relleno", is_fallback=True)
        fallback.items = [PlaylistItem(position=0, recording_id=filler)]
        session.add(fallback)
        slot_start = now - timedelta(minutes=1)
        session.add(
            ScheduleSlot(
                title="Voces",
                recording_id=programme,
                start=slot_start,
                timezone="America/Mexico_City",
                duration_s=3600,
            )
        )
    planner = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    first = planner.next_item(now)
    second = planner.next_item(now + timedelta(minutes=1))
    database.dispose()
    assert first is not None and first.reason == "schedule" and first.recording_id == programme
    assert first.cut_at == now - timedelta(minutes=1) + timedelta(hours=1)
    assert second is not None and second.reason == expected
    assert second.recording_id == (programme if overrun == "repeat" else filler)


def test_the_planner_does_not_wait_for_another_process_writing(tmp_path: Path) -> None:
    """A big import holds the write lock for seconds; the next item is chosen all the same."""
    settings = station_settings(tmp_path)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    with database.session() as session:
        filler = add(session, "relleno")
        fallback = Playlist(name="Relleno", is_fallback=True)
        fallback.items = [PlaylistItem(position=0, recording_id=filler)]
        session.add(fallback)
    planner = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    writer = sqlite3.connect(str(tmp_path / "altavoz.db"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE playlists SET name = 'Relleno 2'")
        started = time.monotonic()
        planned = planner.next_item(utcnow())
        waited = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        database.dispose()
    assert planned is not None and planned.recording_id == filler
    assert waited < 1
