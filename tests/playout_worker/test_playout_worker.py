"""The playout worker with its database: the fallback fills an empty schedule, a slot starts on
the clock, an alert left as a command interrupts and the programme resumes, and the as-run log
says what went out and why."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from audio.models import Recording
from audio.storage import Area, MediaStore
from gateway import migrate
from gateway.database import Database, utcnow
from gateway.settings import Settings
from playlists.icecast import IcecastServer, fetch_server_counters
from playlists.models import (
    AsRunEntry,
    CommandKind,
    Playlist,
    PlaylistItem,
    PlayoutCommand,
    ScheduleSlot,
)
from playlists.playout_worker import PlayoutWorker
from tests.conftest import station_settings
from tests.playout.conftest import ADMIN_PASSWORD, MOUNT, SOURCE_PASSWORD, Tones, wait_until


def on_icecast(root: Path, icecast: IcecastServer, **sections: dict[str, Any]) -> Settings:
    """A station under `root` streaming to the test's Icecast, with section overrides."""
    stream = {
        "icecast_url": f"http://127.0.0.1:{icecast.settings.port}",
        "mount": MOUNT,
        "source_password": SOURCE_PASSWORD,
        "admin_password": ADMIN_PASSWORD,
    }
    return station_settings(root, stream=stream, **sections)


@pytest.fixture
def station(tmp_path: Path, icecast: IcecastServer) -> Iterator[tuple[Settings, Database]]:
    settings = on_icecast(tmp_path, icecast)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    yield settings, database
    database.dispose()


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


class Running:
    def __init__(self, worker: PlayoutWorker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:
            self.error = exc

    def stop(self) -> None:
        self.worker.request_stop()
        self.thread.join(20)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


@pytest.fixture
def run_worker(station: tuple[Settings, Database]) -> Iterator[Callable[[], Running]]:
    started: list[Running] = []

    def start() -> Running:
        running = Running(PlayoutWorker(*station))
        started.append(running)
        return running

    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()


def log(database: Database) -> list[AsRunEntry]:
    with database.session() as session:
        return list(
            session.scalars(select(AsRunEntry).order_by(AsRunEntry.started_at, AsRunEntry.id))
        )


def test_the_fallback_fills_an_empty_schedule_item_after_item_on_one_connection(
    station: tuple[Settings, Database],
    run_worker: Callable[[], Running],
    tones: Tones,
    icecast: IcecastServer,
) -> None:
    settings, database = station
    ids = [
        add_recording(settings, database, tones.tone(f, 1.5), f"tono {f}", duration=1.5)
        for f in (300, 500, 700)
    ]
    add_playlist(database, "Relleno", ids, fallback=True)
    run_worker()
    wait_until(
        lambda: sum(e.status == "played" for e in log(database)) >= 5,
        timeout_s=30,
        what="five items",
    )
    entries = log(database)
    assert {e.reason for e in entries} == {"fallback"}
    assert [e.recording_id for e in entries[:4]] == [ids[0], ids[1], ids[2], ids[0]]
    assert fetch_server_counters(icecast.settings).source_client_connections == 1


def test_a_slot_starts_within_a_second_of_its_time_and_is_logged_as_schedule(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    filler = add_recording(settings, database, tones.tone(300, 8.0), "relleno", duration=8.0)
    add_playlist(database, "Relleno", [filler], fallback=True)
    programme = add_recording(settings, database, tones.tone(900, 3.0), "programa", duration=3.0)
    start = (utcnow() + timedelta(seconds=6)).replace(microsecond=0)
    with database.session() as session:
        session.add(
            ScheduleSlot(
                title="Voces",
                recording_id=programme,
                start=start,
                timezone="America/Mexico_City",
                duration_s=60,
            )
        )
    run_worker()
    wait_until(
        lambda: any(e.reason == "schedule" for e in log(database)), timeout_s=20, what="the slot"
    )
    slot_entry = next(e for e in log(database) if e.reason == "schedule")
    assert slot_entry.recording_id == programme
    assert abs((slot_entry.started_at - start).total_seconds()) < 1.0
    cut = [e for e in log(database) if e.recording_id == filler and e.status == "cut"]
    assert cut, "the fallback item on air at the slot's start was cut"


def test_an_alert_command_interrupts_and_the_programme_resumes_afterwards(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    long = add_recording(settings, database, tones.tone(440, 10.0), "testimonio", duration=10.0)
    alert_audio = add_recording(
        settings, database, tones.tone(1500, 1.0), "alerta", kind="alert", duration=1.0
    )
    add_playlist(database, "Relleno", [long], fallback=True)
    run_worker()
    wait_until(lambda: any(e.status == "playing" for e in log(database)), timeout_s=20, what="air")
    with database.session() as session:
        session.add(
            PlayoutCommand(
                kind=CommandKind.PREEMPT.value,
                payload={
                    "alert_id": 7,
                    "recording_id": alert_audio,
                    "text": "Alerta",
                    "repeats": 1,
                },
            )
        )
    wait_until(
        lambda: any(e.reason == "alert" and e.status == "played" for e in log(database)),
        timeout_s=30,
        what="the alert",
    )
    wait_until(
        lambda: sum(e.recording_id == long for e in log(database)) >= 2, timeout_s=10, what="resume"
    )
    entries = log(database)
    statuses = [(e.recording_id, e.reason, e.status) for e in entries][:3]
    assert statuses[0] == (long, "fallback", "interrupted")
    assert statuses[1][1:] == ("alert", "played") and entries[1].alert_id == 7
    assert statuses[2][:2] == (long, "fallback")
    with database.session() as session:
        command = session.scalars(select(PlayoutCommand)).one()
        assert command.done_at is not None and command.result == "aired"


def test_a_corrupt_file_in_the_playlist_is_skipped_with_a_log_line_and_the_stream_goes_on(
    station: tuple[Settings, Database],
    run_worker: Callable[[], Running],
    tones: Tones,
    tmp_path: Path,
) -> None:
    settings, database = station
    good = add_recording(settings, database, tones.tone(600, 1.0), "bueno", duration=1.0)
    broken_source = tmp_path / "broken.flac"
    shutil.copy(tones.corrupt(), broken_source)
    broken = add_recording(settings, database, broken_source, "roto", duration=3.0)
    add_playlist(database, "Relleno", [broken, good], fallback=True)
    run_worker()
    wait_until(
        lambda: sum(e.recording_id == good and e.status == "played" for e in log(database)) >= 2,
        timeout_s=30,
        what="two good items",
    )
    skipped = [e for e in log(database) if e.recording_id == broken]
    assert skipped and all(e.status == "skipped" and e.detail for e in skipped)
