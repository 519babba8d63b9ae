"""In a real browser: while an alert is typed, the form lists what smart encoding will replace
and which letters it keeps, in the panel's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import admin_page, chromium, live_station

pytestmark = pytest.mark.browser


def test_the_alert_form_lists_replacements_and_kept_letters(tmp_path: Path) -> None:
    with live_station(tmp_path) as station, chromium() as browser:
        page = admin_page(browser, station)
        page.goto(f"{station.base_url}/alerts/")
        page.fill("#alert-text", "“Reunión” mañana")
        changes = page.locator("#sms-changes li")
        changes.first.wait_for()
        assert changes.all_inner_texts() == ['Reemplazado antes de enviar: “ → ", ó → o, ” → "']
        page.fill("#alert-text", "Xtikïr ri ëq'ij")
        page.get_by_text("Se conservan tal como se escribieron: ï, ë").wait_for()
        assert page.locator("#sms-preview").inner_text().startswith("UCS2")
