"""Listeners stay connected while the programme has no source: the local Icecast moves them
to the standby stream (silence in the programme's format, in real time) and back to the
programme as soon as it returns."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.icecast import (
    IcecastServer,
    IcecastSettings,
    fetch_mount_status,
    fetch_server_counters,
)
from playlists.standby_stream import StandbySource
from playlists.vlc_output import OutputSettings
from tests.playout.conftest import (
    ADMIN_PASSWORD,
    MOUNT,
    SOURCE_PASSWORD,
    EngineFactory,
    Feed,
    Tones,
    free_port,
    item,
    make_engine,
    wait_until,
)
from tests.playout.listening import Listener, tone_runs

__all__ = ["make_engine"]

STANDBY = f"{MOUNT}-standby"


@pytest.fixture
def icecast(tmp_path: Path) -> Iterator[IcecastServer]:
    """The playout fixtures' Icecast, with the standby mount as `altavoz serve` sets it up."""
    settings = IcecastSettings(
        port=free_port(),
        source_password=SOURCE_PASSWORD,
        admin_password=ADMIN_PASSWORD,
        mount=MOUNT,
        standby_mount=STANDBY,
    )
    server = IcecastServer(settings, tmp_path / "icecast")
    server.start()
    standby = StandbySource(
        OutputSettings(port=settings.port, mount=MOUNT, source_password=SOURCE_PASSWORD),
        STANDBY,
        tmp_path / "standby.log",
    )
    standby.ensure_running()
    try:
        wait_until(
            lambda: fetch_server_counters(settings).sources == 1,
            timeout_s=10,
            what="the standby stream",
        )
        yield server
    finally:
        standby.stop()
        server.stop()


def test_a_listener_stays_through_a_source_restart_and_hears_the_programme_again(
    icecast: IcecastServer, make_engine: EngineFactory, tones: Tones
) -> None:
    settings = icecast.settings
    listener = Listener(f"{settings.base_url}{MOUNT}")
    connected = time.monotonic()
    try:
        listener.wait_heard(1.0, timeout_s=10)
        engine = make_engine(Feed([item(tones.tone(700, 30.0), "programme")]))
        wait_until(
            lambda: fetch_mount_status(settings.base_url, MOUNT).has_source,
            timeout_s=10,
            what="the programme's source",
        )
        time.sleep(3.0)
        engine.stop()
        time.sleep(3.0)
        make_engine(Feed([item(tones.tone(1100, 30.0), "after the restart")]))
        time.sleep(4.0)
        heard = listener.heard_s()
        runs = [run.frequency for run in tone_runs(listener.pcm())]
        wall = time.monotonic() - connected
    finally:
        listener.stop()
    assert runs[:2] == [700, 1100], runs
    assert heard <= wall + 5.0, "the standby stream is paced in real time, not sent in a burst"
