"""The local Icecast never outlives its manager in the way: a manager killed outright leaves an
Icecast that the next start stops, and an unrelated process behind a stale pid is left alone."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from playlists.icecast import IcecastServer, IcecastSettings, is_running
from tests.playout.conftest import ADMIN_PASSWORD, MOUNT, SOURCE_PASSWORD, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

MANAGER = """
import sys, time
from pathlib import Path
from playlists.icecast import IcecastServer, IcecastSettings
settings = IcecastSettings(port=int(sys.argv[1]), source_password="s", admin_password="a",
                           mount="/test.mp3")
IcecastServer(settings, Path(sys.argv[2])).start()
print("up", flush=True)
time.sleep(600)
"""


def settings(port: int) -> IcecastSettings:
    return IcecastSettings(
        port=port, source_password=SOURCE_PASSWORD, admin_password=ADMIN_PASSWORD, mount=MOUNT
    )


def test_an_icecast_left_by_a_killed_manager_is_stopped_by_the_next_start(
    tmp_path: Path,
) -> None:
    port, directory = free_port(), tmp_path / "icecast"
    manager = subprocess.Popen(
        [sys.executable, "-c", MANAGER, str(port), str(directory)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert manager.stdout is not None and manager.stdout.readline().strip() == "up"
        leftover = int((directory / "icecast.pid").read_text().strip())
        manager.send_signal(signal.SIGKILL)
        manager.wait(timeout=10)
        server = IcecastServer(settings(port), directory)
        with server:
            assert server.answers()
            assert not is_running(leftover)
        assert not server.answers()
    finally:
        if manager.poll() is None:
            manager.kill()
            manager.wait(timeout=10)
        if manager.stdout is not None:
            manager.stdout.close()


def test_a_stale_pid_file_naming_another_program_does_not_touch_that_program(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "icecast"
    directory.mkdir()
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (directory / "icecast.pid").write_text(f"{bystander.pid}\n")
        with IcecastServer(settings(free_port()), directory) as server:
            assert server.answers()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait(timeout=10)


def test_without_a_pid_file_icecast_simply_starts_and_stops(tmp_path: Path) -> None:
    with IcecastServer(settings(free_port()), tmp_path / "icecast") as server:
        wait_until(server.answers, timeout_s=5, what="Icecast to answer")
    assert not server.running
