"""A playout worker killed outright (kill -9) costs the air well under two seconds: the
standby process takes the lock the kernel frees, closes the killed item's log line where it
was last heard, logs the outage, and goes on with the same item from where it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.database import Database
from gateway.settings import Settings
from gateway.worker import WorkerHeartbeat
from playlists.icecast import IcecastServer, fetch_mount_status, fetch_server_counters
from tests.playout.conftest import ADMIN_PASSWORD, MOUNT, SOURCE_PASSWORD, Tones, wait_until
from tests.playout_worker.records import add_playlist, add_recording, log

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workers(
    station: tuple[Settings, Database], icecast: IcecastServer, tmp_path: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two `altavoz worker playout` processes on one station, as `altavoz serve` runs them."""
    settings, _ = station
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_MEDIA__DIR": str(settings.media.dir),
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_STREAM__ICECAST_URL": f"http://127.0.0.1:{icecast.settings.port}",
        "ALTAVOZ_STREAM__MOUNT": MOUNT,
        "ALTAVOZ_STREAM__SOURCE_PASSWORD": SOURCE_PASSWORD,
        "ALTAVOZ_STREAM__ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    processes: list[subprocess.Popen[bytes]] = []
    with (tmp_path / "workers.log").open("w") as out:
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gateway.cli", "worker", "playout"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=tmp_path,
                )
            )
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def on_air_pid(database: Database, *, besides: int = 0) -> int | None:
    """The pid of the one worker whose last heartbeat says it is on air (but `besides`)."""
    with database.session() as session:
        beats = session.query(WorkerHeartbeat).filter(WorkerHeartbeat.state == "on air").all()
        pids = [beat.pid for beat in beats if beat.pid != besides]
        return pids[0] if len(pids) == 1 else None


def heard_s(database: Database) -> float:
    last = log(database)[-1]
    return ((last.heard_until or last.started_at) - last.started_at).total_seconds()


def test_a_killed_playout_worker_is_replaced_at_once_and_its_item_goes_on_where_it_was(
    station: tuple[Settings, Database],
    workers: list[subprocess.Popen[bytes]],
    icecast: IcecastServer,
    tones: Tones,
) -> None:
    settings, database = station
    steps = tones.steps(tuple(300 + 100 * n for n in range(12)), 1.0)
    long = add_recording(settings, database, steps, "testimonio largo", duration=12.0)
    after = add_recording(settings, database, tones.tone(1700, 2.0), "siguiente", duration=2.0)
    add_playlist(database, "Relleno", [long, after], fallback=True)
    wait_until(lambda: on_air_pid(database) is not None, timeout_s=30, what="one worker on air")
    wait_until(
        lambda: any(e.status == "playing" and e.recording_id == long for e in log(database)),
        timeout_s=20,
        what="the long item on air",
    )
    wait_until(lambda: heard_s(database) >= 4.0, timeout_s=15, what="four seconds of the long item")
    killed = on_air_pid(database)
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    kill_time = time.monotonic()
    wait_until(
        lambda: any(e.status == "playing" and e.offset_s > 0 for e in log(database)),
        timeout_s=10,
        what="the item to go on",
    )
    entries = log(database)
    first, outage, resumed = entries[0], entries[1], entries[2]
    assert (first.recording_id, first.status) == (long, "interrupted")
    assert "stopped" in first.detail
    assert outage.reason == "outage" and outage.status == "off_air"
    assert outage.ended_at is not None and outage.started_at == first.ended_at
    assert (outage.ended_at - outage.started_at).total_seconds() < 2.0
    assert resumed.recording_id == long and resumed.reason == "fallback"
    assert first.ended_at is not None
    heard = (first.ended_at - first.started_at).total_seconds()
    assert abs(resumed.offset_s - heard) < 0.1 and resumed.offset_s > 3.5
    assert on_air_pid(database, besides=killed) is not None
    wait_until(
        lambda: fetch_mount_status(icecast.settings.base_url, MOUNT).has_source,
        timeout_s=10,
        what="the new source",
    )
    print("source back after", time.monotonic() - kill_time)
    wait_until(
        lambda: fetch_server_counters(icecast.settings).source_client_connections == 2,
        timeout_s=10,
        what="Icecast to count the standby's connection (its statistics lag a little)",
    )
    wait_until(
        lambda: any(e.recording_id == after for e in log(database)),
        timeout_s=20,
        what="the playlist to go on after the resumed item",
    )
    assert [e.recording_id for e in log(database)].count(long) == 2
