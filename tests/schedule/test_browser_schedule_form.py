"""In a real browser: the weekday tick follows the chosen day until the operator ticks days
themselves, and a weekly slot made from the plain choices is stored as its RRULE."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.database import Database
from playlists.models import ScheduleSlot
from tests.browser import admin_page, chromium, live_station
from tests.support import add_recordings

pytestmark = pytest.mark.browser


def test_the_tick_follows_the_day_and_a_weekly_slot_is_made_from_plain_choices(
    tmp_path: Path,
) -> None:
    with live_station(tmp_path) as station, chromium() as browser:
        database = Database(station.env["ALTAVOZ_DATABASE__URL"])
        (recording,) = add_recordings(database, "Voces", duration_s=600)
        page = admin_page(browser, station)
        page.goto(f"{station.base_url}/schedule/")

        ticked = page.locator("input[name=weekdays]:checked")
        today = datetime.now(ZoneInfo("America/Mexico_City")).date()
        assert page.input_value("input[name=day]") == today.isoformat()
        codes = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        tomorrow = today + timedelta(days=1)
        first, other = codes[tomorrow.weekday()], codes[(tomorrow.weekday() + 2) % 7]
        page.fill("input[name=day]", tomorrow.isoformat())
        page.wait_for_function(f"document.querySelector('input[value={first}]').checked")
        assert [box.get_attribute("value") for box in ticked.all()] == [first]
        page.check(f"input[name=weekdays][value={other}]")
        page.fill("input[name=day]", (tomorrow + timedelta(days=1)).isoformat())
        page.fill("input[name=title]", "Voces de mujeres")
        page.select_option("select[name=content]", f"r:{recording}")
        page.fill("input[name=start]", "09:00")
        page.select_option("select[name=repeat]", "weekly")
        page.fill("input[name=interval]", "2")
        page.click("form#slot-form button[type=submit]")
        page.wait_for_load_state()
        assert "Voces de mujeres" in page.content()
        with database.session(write=False) as session:
            (slot,) = session.scalars(select(ScheduleSlot))
            days = ",".join(code for code in codes if code in (first, other))
            assert slot.rrule == f"FREQ=WEEKLY;INTERVAL=2;BYDAY={days}"
        database.dispose()
