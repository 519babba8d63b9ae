"""The air monitor against a real Icecast, a real playout worker and a simulated SMSC: a silent
stretch inside a recording is skipped after `monitor.silence_s`, and a stopped source brings
the on-call staff one SMS for the incident and one when sound is back."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway import migrate
from gateway.air_monitor import MonitorWorker
from gateway.database import Database
from gateway.settings import Settings
from playlists.icecast import IcecastServer, fetch_mount_status, fetch_server_counters
from playlists.models import AsRunEntry, CommandKind, PlayoutCommand, StreamHeard
from playlists.playout_worker import PlayoutWorker
from sms import gsm7
from sms.worker import SmsWorker
from tests.playout.conftest import MOUNT, Tones, wait_until
from tests.playout.listening import Listener, tone_runs
from tests.playout_worker.conftest import Running, on_icecast
from tests.playout_worker.records import add_playlist, add_recording
from tests.sms_delivery.conftest import PASSWORD, SYSTEM_ID
from tests.smsc_harness import SmscSimulator

STAFF = "+525512345678"


@pytest.fixture
def make_station(
    tmp_path: Path, icecast: IcecastServer
) -> Iterator[Callable[..., tuple[Settings, Database]]]:
    made: list[Database] = []

    def make(**sections: dict[str, Any]) -> tuple[Settings, Database]:
        settings = on_icecast(tmp_path, icecast, **sections)
        database = Database(settings.database.url)
        migrate.upgrade(database)
        made.append(database)
        return settings, database

    yield make
    for database in made:
        database.dispose()


@pytest.fixture
def running() -> Iterator[Callable[[Any], Running]]:
    """Workers run in threads of the test process; all are stopped after the test."""
    started: list[Running] = []

    def start(worker: Any) -> Running:
        started.append(Running(worker))
        return started[-1]

    yield start
    for worker in reversed(started):
        if worker.thread.is_alive():
            worker.stop()


def heard(database: Database) -> StreamHeard | None:
    with database.session() as session:
        return session.get(StreamHeard, 1)


def commands(database: Database, kind: CommandKind) -> list[PlayoutCommand]:
    with database.session() as session:
        return list(session.scalars(select(PlayoutCommand).where(PlayoutCommand.kind == kind)))


def as_run(database: Database) -> list[AsRunEntry]:
    with database.session() as session:
        return list(session.scalars(select(AsRunEntry).order_by(AsRunEntry.id)))


def with_silence_inside(tones: Tones, directory: Path) -> Path:
    """Tone 3 s, 30 s of digital silence, tone 3 s: a recording with a hole in it."""
    path = directory / "hole.wav"
    gap = directory / "gap.wav"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(gap), "trim", "0", "30"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    tone = tones.tone(400, 3.0)
    subprocess.run(
        ["sox", str(tone), str(gap), str(tone), str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


def test_a_long_silence_inside_a_recording_is_skipped_after_silence_s(
    make_station: Callable[..., tuple[Settings, Database]],
    running: Callable[[Any], Running],
    listen: Callable[[], Listener],
    tones: Tones,
    icecast: IcecastServer,
    tmp_path: Path,
) -> None:
    settings, database = make_station(monitor={"silence_s": 2.0, "alert_after_s": 600.0})
    lead_in = add_recording(settings, database, tones.tone(600, 4.0), "entrada", duration=4.0)
    hole = add_recording(
        settings, database, with_silence_inside(tones, tmp_path), "con hueco", duration=36.0
    )
    after = add_recording(settings, database, tones.tone(900, 3.0), "después", duration=3.0)
    add_playlist(database, "Relleno", [lead_in, hole, after], fallback=True)
    running(PlayoutWorker(settings, database))
    listener = listen()
    running(MonitorWorker(settings, database))
    wait_until(
        lambda: any(e.recording_id == after for e in as_run(database)),
        timeout_s=30,
        what="the item after the silent one",
    )
    listener.wait_heard(listener.heard_s() + 1.5, timeout_s=10)
    runs = tone_runs(listener.pcm())
    frequencies = [run.frequency for run in runs]
    assert frequencies[:3] == [600, 400, 900], runs
    silence_heard = runs[2].start_s - (runs[1].start_s + runs[1].duration_s)
    assert 1.5 < silence_heard < 6.0, f"heard {silence_heard:.1f} s of silence, not ~2 s"

    line = next(e for e in as_run(database) if e.recording_id == hole)
    assert line.status == "cut"
    assert line.detail == "skipped_by_monitor?seconds=2"
    (skip,) = commands(database, CommandKind.SKIP)
    assert skip.payload["entry_id"] == line.id and skip.result == "cut"
    assert commands(database, CommandKind.RESTART_SOURCE) == []
    assert fetch_server_counters(icecast.settings).source_client_connections == 1
    state = heard(database)
    assert state is not None and state.state == "ok" and state.listeners == 1


def sent_texts(smsc: SmscSimulator) -> list[tuple[str, str]]:
    return [
        (pdu["destination_addr"], gsm7.decode(bytes.fromhex(pdu["short_message_hex"])))
        for pdu in smsc.pdus("submit_sm", "in")
    ]


def test_a_stopped_source_sends_the_staff_one_sms_and_one_more_when_it_is_back(
    make_station: Callable[..., tuple[Settings, Database]],
    running: Callable[[Any], Running],
    smsc: SmscSimulator,
    tones: Tones,
) -> None:
    settings, database = make_station(
        monitor={"alert_after_s": 3.0, "staff_numbers": [STAFF]},
        station={"name": "Radio Tz'ikin"},
        smpp={
            "enabled": True,
            "port": smsc.smpp_port,
            "system_id": SYSTEM_ID,
            "password": PASSWORD,
            "max_tps": 1000,
        },
    )
    tone = add_recording(settings, database, tones.tone(500, 20.0), "tono", duration=20.0)
    add_playlist(database, "Relleno", [tone], fallback=True)
    running(SmsWorker(settings, database))
    playout = running(PlayoutWorker(settings, database))
    wait_until(lambda: bool(as_run(database)), timeout_s=20, what="the programme on air")
    running(MonitorWorker(settings, database))
    wait_until(
        lambda: (row := heard(database)) is not None and row.state == "ok",
        timeout_s=15,
        what="the monitor hearing the stream",
    )

    playout.stop()
    smsc.wait_for_pdus("submit_sm", timeout=20)
    wait_until(
        lambda: (row := heard(database)) is not None and row.silence_s >= 3.0 + 4.0,
        timeout_s=15,
        what="the dead air going on after the SMS",
    )
    [(to, text)] = sent_texts(smsc)
    assert to == STAFF.removeprefix("+")
    assert text.startswith("Radio Tz'ikin: no se oye nada en el stream desde las ")
    incident = [e for e in as_run(database) if e.status == "dead_air"]
    assert len(incident) == 1 and incident[0].reason == "monitor"
    assert "stream_heard?heard=unreachable" in incident[0].detail

    running(PlayoutWorker(settings, database))
    smsc.wait_for_pdus("submit_sm", count=2, timeout=30)
    wait_until(
        lambda: (row := heard(database)) is not None and row.incident_id is None,
        timeout_s=10,
        what="the incident closed",
    )
    texts = sent_texts(smsc)
    assert len(texts) == 2
    assert texts[1][1].startswith("Radio Tz'ikin: el audio volvio al aire a las ")
    [closed] = [e for e in as_run(database) if e.status == "dead_air"]
    assert closed.ended_at is not None and closed.ended_at > closed.started_at
    assert "dead_air_over?seconds=" in closed.detail
    restarts = commands(database, CommandKind.RESTART_SOURCE)
    assert len(restarts) == 1
    assert restarts[0].result == "not needed: the source connected since"


def test_silence_with_nothing_on_air_restarts_the_source_and_airs_the_station_id(
    make_station: Callable[..., tuple[Settings, Database]],
    running: Callable[[Any], Running],
    icecast: IcecastServer,
) -> None:
    settings, database = make_station(
        monitor={"silence_s": 1.0, "alert_after_s": 600.0, "restart_every_s": 600.0},
        station={"name": "Radio Altavoz"},
    )
    running(PlayoutWorker(settings, database))
    wait_until(
        lambda: fetch_mount_status(icecast.settings.base_url, MOUNT).has_source,
        timeout_s=10,
        what="the source on the mount",
    )
    running(MonitorWorker(settings, database))
    wait_until(
        lambda: any(e.reason == "monitor" and e.status == "played" for e in as_run(database)),
        timeout_s=30,
        what="the station ID on air",
    )
    (station_id,) = [e for e in as_run(database) if e.reason == "monitor"]
    assert station_id.title == "Está escuchando Radio Altavoz."
    (restart,) = commands(database, CommandKind.RESTART_SOURCE)
    assert restart.result == "restarted"
    assert restart.payload["detail"].startswith("restarted_by_monitor?heard=silent&seconds=")
    (spoken,) = commands(database, CommandKind.STATION_ID)
    assert spoken.result == "aired"
    assert fetch_server_counters(icecast.settings).source_client_connections == 2
