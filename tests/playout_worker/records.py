"""Recordings, playlists, slots and the as-run log of a test station, written and read
directly in its database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from audio.models import Recording
from audio.storage import Area, MediaStore
from gateway.database import Database
from gateway.settings import Settings
from playlists.models import AsRunEntry, Playlist, PlaylistItem, ScheduleSlot


def add_recording(
    settings: Settings,
    database: Database,
    path: Path,
    title: str,
    kind: str = "testimony",
    duration: float = 2.0,
) -> int:
    stored = MediaStore(settings.media.dir).put(path, area=Area.LIBRARY, suffix=path.suffix)
    with database.session() as session:
        recording = Recording(
            title=title,
            kind=kind,
            duration_s=duration,
            loudness_lufs=-16.0,
            true_peak_dbtp=-1.5,
            media_path=stored.relative,
            sha256=stored.sha256,
        )
        session.add(recording)
        session.flush()
        return recording.id


def add_playlist(
    database: Database, name: str, recording_ids: list[int], *, fallback: bool = False
) -> int:
    with database.session() as session:
        playlist = Playlist(name=name, is_fallback=fallback)
        playlist.items = [
            PlaylistItem(position=n, recording_id=r) for n, r in enumerate(recording_ids)
        ]
        session.add(playlist)
        session.flush()
        return playlist.id


def add_slot(
    database: Database,
    start: datetime,
    *,
    playlist_id: int | None = None,
    recording_id: int | None = None,
    duration_s: int = 60,
    title: str = "Voces",
) -> int:
    with database.session() as session:
        slot = ScheduleSlot(
            title=title,
            playlist_id=playlist_id,
            recording_id=recording_id,
            start=start,
            timezone="America/Mexico_City",
            duration_s=duration_s,
        )
        session.add(slot)
        session.flush()
        return slot.id


def media_path(settings: Settings, database: Database, recording_id: int) -> Path:
    with database.session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        return MediaStore(settings.media.dir).path(recording.media_path)


def log(database: Database) -> list[AsRunEntry]:
    with database.session() as session:
        return list(
            session.scalars(select(AsRunEntry).order_by(AsRunEntry.started_at, AsRunEntry.id))
        )
