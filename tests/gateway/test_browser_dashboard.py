"""In a real browser: the dashboard an operator keeps open brings what went on air without a
reload (the page's script fetches it again and swaps the station part in place)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.database import Database, utcnow
from playlists import asrun
from playlists.models import AirReason
from tests.browser import ARTIFACTS, admin_page, chromium, live_station

pytestmark = pytest.mark.browser


def test_the_dashboard_shows_what_went_on_air_without_being_reloaded(tmp_path: Path) -> None:
    with live_station(tmp_path) as station, chromium() as browser:
        page = admin_page(browser, station)
        on_air = page.locator("#on-air")
        assert "No suena nada." in on_air.inner_text()
        page.evaluate("window.keptOpen = true")

        database = Database(station.env["ALTAVOZ_DATABASE__URL"])
        try:
            with database.session() as session:
                asrun.start(
                    session,
                    title="Voces de la sierra",
                    recording_id=None,
                    reason=AirReason.FALLBACK,
                    at=utcnow(),
                )
        finally:
            database.dispose()

        expect(on_air.locator("strong")).to_have_text("Voces de la sierra", timeout=25_000)
        assert page.evaluate("window.keptOpen") is True, "the page was swapped, not reloaded"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-refreshed.png"), full_page=True)
