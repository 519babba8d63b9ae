"""Where the planner, the worker and the engine meet: a slot of many items starts with its
first item in full, a slot with nothing playable gives way to the fallback at once, an alert
is never cut by a slot start, and jingles the operator put in a playlist air."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from gateway.database import Database, utcnow
from gateway.settings import Settings
from playlists.models import CommandKind, PlayoutCommand
from tests.playout.conftest import Tones, wait_until
from tests.playout_worker.conftest import Running
from tests.playout_worker.records import (
    add_playlist,
    add_recording,
    add_slot,
    log,
    media_path,
)


def test_a_slot_of_many_items_airs_each_once_in_order_from_its_first_item(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    filler = add_recording(settings, database, tones.tone(250, 4.0), "relleno", duration=4.0)
    add_playlist(database, "Relleno", [filler], fallback=True)
    items = [
        add_recording(settings, database, tones.tone(400 + 100 * n, 1.0), f"t{n}", duration=1.0)
        for n in range(6)
    ]
    programme = add_playlist(database, "Programa", items)
    start = (utcnow() + timedelta(seconds=8)).replace(microsecond=0)
    add_slot(database, start, playlist_id=programme, duration_s=30)
    run_worker()
    wait_until(
        lambda: sum(e.reason == "schedule" and e.status == "played" for e in log(database)) >= 6,
        timeout_s=30,
        what="six slot items",
    )
    slot_rows = [e for e in log(database) if e.reason == "schedule"]
    assert [e.recording_id for e in slot_rows[:6]] == items
    assert all(e.status == "played" for e in slot_rows[:6]), [e.status for e in slot_rows]
    assert abs((slot_rows[0].started_at - start).total_seconds()) < 0.5
    assert not [e for e in log(database) if e.status == "skipped"]


def test_a_slot_whose_only_file_is_missing_hands_over_to_the_fallback_with_one_log_line(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    filler = add_recording(settings, database, tones.tone(250, 2.0), "relleno", duration=2.0)
    add_playlist(database, "Relleno", [filler], fallback=True)
    lost = add_recording(settings, database, tones.tone(900, 3.0), "perdido", duration=3.0)
    media_path(settings, database, lost).unlink()
    start = (utcnow() + timedelta(seconds=6)).replace(microsecond=0)
    add_slot(database, start, recording_id=lost, duration_s=20)
    running = run_worker()
    wait_until(
        lambda: any(e.reason == "fallback" and e.started_at > start for e in log(database)),
        timeout_s=20,
        what="the fallback after the slot start",
    )
    after = next(e for e in log(database) if e.reason == "fallback" and e.started_at > start)
    assert (after.started_at - start).total_seconds() < 2.0
    wait_until(lambda: running.worker.items_done >= 2, timeout_s=15, what="the fallback to go on")
    skipped = [e for e in log(database) if e.status == "skipped"]
    assert [e.recording_id for e in skipped] == [lost]
    assert skipped[0].detail.startswith("no_file?path=")


def test_an_alert_just_before_a_slot_airs_whole_and_the_slot_starts_after_it_late(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    filler = add_recording(settings, database, tones.tone(250, 10.0), "relleno", duration=10.0)
    add_playlist(database, "Relleno", [filler], fallback=True)
    programme = add_recording(settings, database, tones.tone(900, 2.0), "programa", duration=2.0)
    alert_audio = add_recording(
        settings, database, tones.tone(1500, 4.0), "alerta", kind="alert", duration=4.0
    )
    start = (utcnow() + timedelta(seconds=8)).replace(microsecond=0)
    add_slot(database, start, recording_id=programme, duration_s=30)
    run_worker()
    wait_until(lambda: utcnow() >= start - timedelta(seconds=2), timeout_s=15, what="near start")
    with database.session() as session:
        session.add(
            PlayoutCommand(
                kind=CommandKind.PREEMPT.value,
                payload={"alert_id": 3, "recording_id": alert_audio, "text": "", "repeats": 1},
            )
        )
    wait_until(
        lambda: any(e.reason == "schedule" for e in log(database)), timeout_s=20, what="the slot"
    )
    alert = next(e for e in log(database) if e.reason == "alert")
    slot = next(e for e in log(database) if e.reason == "schedule")
    assert alert.status == "played", (alert.status, alert.detail)
    assert alert.ended_at is not None and alert.ended_at - alert.started_at > timedelta(seconds=3.5)
    assert slot.started_at >= alert.ended_at - timedelta(seconds=0.1)
    assert "late" in slot.detail
    with database.session() as session:
        command = session.query(PlayoutCommand).one()
        assert command.result == "aired"
    assert not [e for e in log(database) if e.recording_id == filler and e.started_at > start]


def test_jingles_and_station_ids_in_a_playlist_air_in_the_operators_order(
    station: tuple[Settings, Database], run_worker: Callable[[], Running], tones: Tones
) -> None:
    settings, database = station
    first = add_recording(settings, database, tones.tone(400, 1.0), "testimonio 1", duration=1.0)
    jingle = add_recording(
        settings, database, tones.tone(1200, 0.6), "cortina", kind="jingle", duration=0.6
    )
    second = add_recording(settings, database, tones.tone(600, 1.0), "testimonio 2", duration=1.0)
    station_id = add_recording(
        settings, database, tones.tone(1800, 0.6), "identificación", kind="station-id", duration=0.6
    )
    add_playlist(database, "Relleno", [first, jingle, second, station_id], fallback=True)
    run_worker()
    wait_until(
        lambda: sum(e.status == "played" for e in log(database)) >= 5, timeout_s=30, what="items"
    )
    aired = [e.recording_id for e in log(database) if e.status == "played"][:5]
    assert aired == [first, jingle, second, station_id, first]
