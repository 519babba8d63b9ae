"""In a real browser: an operator reorders a playlist with the arrow buttons and by dragging
a row, and the page shows (and the database keeps) the new playing order."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.database import Database
from playlists.models import Playlist
from playlists.timetable import create_playlist
from tests.browser import admin_page, chromium, live_station
from tests.support import add_recordings

pytestmark = pytest.mark.browser


def test_reorder_with_the_arrows_and_by_dragging(tmp_path: Path) -> None:
    with live_station(tmp_path) as station, chromium() as browser:
        database = Database(station.env["ALTAVOZ_DATABASE__URL"])
        a, b, c = add_recordings(database, "Alba", "Brisa", "Cerro")
        with database.session() as session:
            playlist_id = create_playlist(session, name="Mañanas", recording_ids=[a, b, c]).id
        page = admin_page(browser, station)
        page.goto(f"{station.base_url}/schedule/playlists/{playlist_id}")
        titles = page.locator("table.playlist-items tbody tr td:nth-child(2)")
        assert titles.all_inner_texts() == ["Alba", "Brisa", "Cerro"]
        page.locator("tr[data-index='0'] button[value=down]").click()
        page.wait_for_load_state()
        assert titles.all_inner_texts() == ["Brisa", "Alba", "Cerro"]
        page.drag_and_drop("tr[data-index='2']", "tr[data-index='0']")
        page.wait_for_function(
            "document.querySelector('table.playlist-items tbody tr td:nth-child(2)')"
            ".innerText === 'Cerro'"
        )
        assert titles.all_inner_texts() == ["Cerro", "Brisa", "Alba"]
        with database.session() as session:
            stored = session.get(Playlist, playlist_id)
            assert stored is not None
            assert [item.recording_id for item in stored.items] == [c, b, a]
        database.dispose()
