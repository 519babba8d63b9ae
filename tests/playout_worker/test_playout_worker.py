"""The playout worker with its database: the fallback fills an empty schedule, a slot starts on
the clock, an alert left as a command interrupts and the programme resumes, and the as-run log
says what went out and why."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from gateway.database import Database, utcnow
from gateway.settings import Settings
from playlists.icecast import IcecastServer, fetch_server_counters
from playlists.models import CommandKind, PlayoutCommand
from tests.playout.conftest import Tones, wait_until
from tests.playout_worker.conftest import Running
from tests.playout_worker.records import add_playlist, add_recording, log
from tests.support import add_recording_slot


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
    add_recording_slot(database, programme, start)
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
                    "text": "ALERTA URGENTE: crecida del río",
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
    assert entries[1].title == "ALERTA URGENTE: crecida del río", "the prefix is not doubled"
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


def test_a_cancelled_alert_on_air_is_cut_and_the_programme_resumes(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    long = add_recording(settings, database, tones.tone(440, 10.0), "testimonio", duration=10.0)
    alert_audio = add_recording(
        settings, database, tones.tone(1500, 8.0), "alerta", kind="alert", duration=8.0
    )
    add_playlist(database, "Relleno", [long], fallback=True)
    run_worker()
    wait_until(lambda: any(e.status == "playing" for e in log(database)), timeout_s=20, what="air")
    with database.session() as session:
        session.add(
            PlayoutCommand(
                kind=CommandKind.PREEMPT.value,
                payload={"alert_id": 9, "recording_id": alert_audio, "text": "A", "repeats": 1},
            )
        )
    wait_until(
        lambda: any(e.reason == "alert" and e.status == "playing" for e in log(database)),
        timeout_s=30,
        what="the alert on air",
    )
    with database.session() as session:
        session.add(
            PlayoutCommand(
                kind=CommandKind.SKIP.value, payload={"alert_id": 9, "detail": "alert cancelled"}
            )
        )
    wait_until(
        lambda: any(e.reason == "alert" and e.status == "cut" for e in log(database)),
        timeout_s=10,
        what="the alert cut",
    )
    alert_entry = next(e for e in log(database) if e.reason == "alert")
    assert alert_entry.ended_at is not None
    assert (alert_entry.ended_at - alert_entry.started_at).total_seconds() < 7.0
    wait_until(
        lambda: sum(e.recording_id == long for e in log(database)) >= 2, timeout_s=10, what="resume"
    )
