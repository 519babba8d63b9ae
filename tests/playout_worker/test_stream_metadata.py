"""The stream announces the station, not VLC: what a real Icecast shows in /status-json.xsl."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from gateway import migrate
from gateway.database import Database, utcnow
from playlists.icecast import IcecastServer
from playlists.stream_config import output_settings
from playlists.vlc_output import instance_args
from tests.conftest import station_settings
from tests.playout.conftest import MOUNT, Tones, wait_until
from tests.playout_worker.conftest import Running, on_icecast
from tests.playout_worker.records import add_playlist, add_recording
from tests.support import add_recording_slot


def mount_status(icecast: IcecastServer) -> dict[str, Any]:
    with urllib.request.urlopen(
        f"{icecast.settings.base_url}/status-json.xsl", timeout=2
    ) as answer:
        sources = json.load(answer)["icestats"].get("source", [])
    for source in [sources] if isinstance(sources, dict) else sources:
        if str(source.get("listenurl", "")).endswith(MOUNT):
            return dict(source)
    return {}


def test_icecast_shows_the_stations_name_and_the_title_of_what_plays(
    tmp_path: Path, icecast: IcecastServer, tones: Tones, run_worker_for: Callable[..., Running]
) -> None:
    settings = on_icecast(
        tmp_path,
        icecast,
        station={"name": "Radio Ixchel"},
        stream={
            "description": "La voz de San Marcos",
            "genre": "Comunitaria",
            "url": "https://radio-ixchel.example.org/",
        },
    )
    database = Database(settings.database.url)
    migrate.upgrade(database)
    filler = add_recording(
        settings, database, tones.tone(300, 30.0), "Música de marimba", duration=30.0
    )
    add_playlist(database, "Relleno", [filler], fallback=True)
    programme = add_recording(
        settings, database, tones.tone(900, 10.0), "Testimonio de doña Rosa", duration=10.0
    )
    start = (utcnow() + timedelta(seconds=4)).replace(microsecond=0)
    add_recording_slot(database, programme, start)
    run_worker_for(settings, database)
    wait_until(
        lambda: mount_status(icecast).get("title") == "Música de marimba",
        timeout_s=15,
        what=f"the fallback's title on the mount; got {mount_status(icecast)}",
    )
    status = mount_status(icecast)
    assert (
        status["server_name"],
        status["server_description"],
        status["genre"],
        status["server_url"],
    ) == (
        "Radio Ixchel",
        "La voz de San Marcos",
        "Comunitaria",
        "https://radio-ixchel.example.org/",
    )
    wait_until(
        lambda: mount_status(icecast).get("title") == "Testimonio de doña Rosa",
        timeout_s=15,
        what=f"the slot item's title on the mount; got {mount_status(icecast)}",
    )
    database.dispose()


def test_unset_keys_announce_the_station_and_its_stream_never_vlc_nor_an_empty_value(
    tmp_path: Path,
) -> None:
    """An empty `--sout-shout-*` value crashes libVLC, an absent one announces VLC."""
    output = output_settings(station_settings(tmp_path, station={"name": "Radio Ixchel"}))
    assert (output.stream_name, output.stream_url) == (
        "Radio Ixchel",
        "http://127.0.0.1:8000/altavoz",
    )
    shout = [arg for arg in instance_args(output) if arg.startswith("--sout-shout-")]
    assert sorted(arg.split("=")[0] for arg in shout if "=" in arg) == [
        "--sout-shout-description",
        "--sout-shout-genre",
        "--sout-shout-name",
        "--sout-shout-url",
    ]
    assert all(arg.split("=", 1)[1] for arg in shout if "=" in arg)
