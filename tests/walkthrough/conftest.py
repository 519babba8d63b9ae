"""A new station for the walk-through: `altavoz serve` with its own Icecast and every worker
(tests/onair/station.py), started from a fresh `altavoz init` whose one-time admin password is
kept for the first login; the SMSC simulator for when SMS is turned on; Debian's Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium
from tests.onair.station import Station
from tests.smsc_harness import SmscSimulator, running_simulator
from tests.transcription.conftest import korean_wav, speech_dir

__all__ = ["korean_wav", "speech_dir"]

ZONE = "America/Mexico_City"
SMSC_SYSTEM_ID = "altavoz"
SMSC_PASSWORD = "walkpass"
"""At most 8 characters, as SMPP allows."""


def altavoz(station: Station, *args: str) -> subprocess.CompletedProcess[str]:
    """The `altavoz` command line, run as the station's operator would, on its settings."""
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=station.env,
        cwd=station.root,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class Stations:
    """The one station of the walk, restarted with other settings (SMS on) the way an operator
    does it: stop `serve`, change the configuration, start it again on the same data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: Station | None = None
        self.one_time_password = ""

    def first_start(self) -> Station:
        """`altavoz init` on an empty folder, then `serve`; the password init printed is kept."""
        station = Station(self.root, timezone=ZONE)
        self.root.mkdir(parents=True, exist_ok=True)
        init = altavoz(station, "init")
        assert init.returncode == 0, init.stderr
        found = re.search(r"One-time password: (\S+)", init.stdout)
        assert found, init.stdout + init.stderr
        self.one_time_password = found.group(1)
        return self._start(station)

    def restart(self, **environment: str) -> Station:
        assert self.current is not None
        self.current.stop()
        self.current = None
        return self._start(Station(self.root, timezone=ZONE, environment=environment))

    def _start(self, station: Station) -> Station:
        self.current = station
        return station.start()

    @property
    def station(self) -> Station:
        assert self.current is not None, "the station is not running"
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stations]:
    running = Stations(tmp_path_factory.mktemp("walk") / "station")
    try:
        running.first_start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def smsc() -> Iterator[SmscSimulator]:
    with running_simulator(system_id=SMSC_SYSTEM_ID, password=SMSC_PASSWORD) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running
