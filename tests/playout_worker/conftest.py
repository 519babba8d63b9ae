"""A station for the playout worker: a real Icecast on a free port (the playout fixtures), a
migrated database, and workers run in threads of the test process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import migrate
from gateway.database import Database
from gateway.settings import Settings
from playlists.icecast import IcecastServer
from playlists.playout_worker import PlayoutWorker
from tests.conftest import station_settings
from tests.playout.conftest import ADMIN_PASSWORD, MOUNT, SOURCE_PASSWORD, icecast, tones

__all__ = ["icecast", "tones"]


def on_icecast(root: Path, icecast: IcecastServer, **sections: dict[str, Any]) -> Settings:
    """A station under `root` streaming to the test's Icecast, with section overrides."""
    stream = {
        "icecast_url": f"http://127.0.0.1:{icecast.settings.port}",
        "mount": MOUNT,
        "source_password": SOURCE_PASSWORD,
        "admin_password": ADMIN_PASSWORD,
        **sections.pop("stream", {}),
    }
    return station_settings(root, stream=stream, **sections)


@pytest.fixture
def station(tmp_path: Path, icecast: IcecastServer) -> Iterator[tuple[Settings, Database]]:
    settings = on_icecast(tmp_path, icecast)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    yield settings, database
    database.dispose()


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
def run_worker_for() -> Iterator[Callable[[Settings, Database], Running]]:
    """Start a playout worker for a station; every one started is stopped at the end."""
    started: list[Running] = []

    def start(settings: Settings, database: Database) -> Running:
        running = Running(PlayoutWorker(settings, database))
        started.append(running)
        return running

    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()


@pytest.fixture
def run_worker(
    station: tuple[Settings, Database], run_worker_for: Callable[[Settings, Database], Running]
) -> Callable[[], Running]:
    return lambda: run_worker_for(*station)
