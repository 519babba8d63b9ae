"""The engine stops promptly in every state, including while it waits for an Icecast that is
not up (the state `altavoz serve` is in when SIGTERM comes during its first seconds) and
while it reconnects to one that went away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from playlists.engine import PlayoutEngine
from playlists.icecast import IcecastServer
from playlists.playout_events import EngineSettings, EventKind
from playlists.vlc_output import OutputSettings
from tests.loopback import free_port, wait_until
from tests.playout.conftest import SOURCE_PASSWORD, Feed, item
from tests.playout.tones import Tones


def stopped_quickly(engine: PlayoutEngine) -> float:
    asked = time.monotonic()
    assert engine.stop(), "the engine thread was left running"
    return time.monotonic() - asked


@pytest.mark.parametrize("fed", [True, False], ids=["with-programme", "nothing-to-air"])
def test_the_engine_stops_within_two_seconds_while_icecast_is_not_up(
    tmp_path: Path, tones: Tones, fed: bool
) -> None:
    """Nobody listens on the port, as when the local Icecast has not started yet."""
    feed = Feed([item(tones.tone(500, 30.0), "programme")] if fed else [])
    output = OutputSettings(port=free_port(), mount="/down.mp3", source_password=SOURCE_PASSWORD)
    engine = PlayoutEngine(
        EngineSettings(output=output, work_dir=tmp_path / "engine"),
        next_item=feed.next_item,
        on_event=feed.on_event,
    )
    engine.start()
    wait_until(lambda: engine.status == "reconnecting", timeout_s=5, what="reconnecting")
    took = stopped_quickly(engine)
    print(f"stopped in {took:.2f} s")
    assert took < 2.0


def test_the_engine_stops_within_two_seconds_while_reconnecting_to_an_icecast_gone_away(
    tmp_path: Path, tones: Tones, icecast: IcecastServer
) -> None:
    feed = Feed([item(tones.tone(500, 30.0), "programme")])
    output = OutputSettings(
        port=icecast.settings.port, mount=icecast.settings.mount, source_password=SOURCE_PASSWORD
    )
    engine = PlayoutEngine(
        EngineSettings(output=output, work_dir=tmp_path / "engine"),
        next_item=feed.next_item,
        on_event=feed.on_event,
    )
    engine.start()
    try:
        feed.wait_for(EventKind.STARTED, "programme")
        icecast.stop()
        feed.wait_for(EventKind.OUTPUT_FAULT, timeout_s=10)
        wait_until(lambda: engine.status == "reconnecting", timeout_s=5, what="reconnecting")
    finally:
        took = stopped_quickly(engine)
    print(f"stopped in {took:.2f} s")
    assert took < 2.0
