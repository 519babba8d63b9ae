"""In a real browser at 1280 x 800, in Spanish (the longer language): the admin's menu is one
line, buttons side by side or one above the other never touch, and every checkbox sits beside
its label."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from audio.storage import MediaStore
from gateway import accounts
from gateway.database import Database, utcnow
from playlists.timetable import create_playlist
from tests.browser import ADMIN_PASSWORD, ARTIFACTS, chromium, live_station
from tests.moderation.messages import make_message
from tests.support import add_playlist_slot, add_recordings

pytestmark = pytest.mark.browser

MIN_GAP_PX = 4
LABEL_CENTRE_PX = 6
LABEL_DISTANCE_PX = 24

BUTTON_PROBLEMS = """(minGap) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (el) => (el.innerText || el.value || el.name || el.tagName).trim().slice(0, 30);
  const buttons = [...document.querySelectorAll('button, input[type=submit], input[type=button]')]
    .filter(visible).map((el) => [el, el.getBoundingClientRect()]);
  const problems = [];
  for (let i = 0; i < buttons.length; i++) {
    for (let j = i + 1; j < buttons.length; j++) {
      const [a, ra] = buttons[i], [b, rb] = buttons[j];
      const rows = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      const columns = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      let gap = null;
      if (rows > Math.min(ra.height, rb.height) / 2) {  // side by side on one line
        gap = Math.max(rb.left - ra.right, ra.left - rb.right);
      } else if (columns > 0) {  // one above the other
        gap = Math.max(rb.top - ra.bottom, ra.top - rb.bottom);
      }
      if (gap !== null && gap < minGap) {
        problems.push(`"${name(a)}" and "${name(b)}": ${gap.toFixed(1)} px apart`);
      }
    }
  }
  return problems;
}"""

CHECKBOX_PROBLEMS = """([centre, distance]) => {
  const problems = [];
  for (const box of document.querySelectorAll('input[type=checkbox]')) {
    const r = box.getBoundingClientRect();
    if (r.width === 0) continue;
    const label = box.labels && box.labels[0];
    if (!label) { problems.push(`${box.name}: no label`); continue; }
    const range = document.createRange();
    const texts = [...label.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!texts.length) { problems.push(`${box.name}: label without text`); continue; }
    range.setStart(texts[0], texts[0].textContent.search(/\\S/));
    range.setEnd(texts[0], texts[0].textContent.search(/\\S/) + 1);
    const t = range.getBoundingClientRect();
    const dy = Math.abs((t.top + t.bottom) / 2 - (r.top + r.bottom) / 2);
    const dx = t.left - r.right;
    if (dy > centre || dx < 0 || dx > distance) {
      const where = `${dx.toFixed(0)} px right, ${dy.toFixed(0)} px off-centre`;
      problems.push(`${box.name}: label starts ${where}`);
    }
  }
  return problems;
}"""

NAV_LINES = """() => {
  const links = [...document.querySelectorAll('header.top nav a')];
  return links.map((a) => [a.innerText, Math.round(a.getBoundingClientRect().top)]);
}"""


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def _station_with_one_of_everything(env: dict[str, str], scratch: Path) -> dict[str, str]:
    """A playlist, a slot this week, a pending voice message, an operator and a token; returns
    the pages that show them."""
    database = Database(env["ALTAVOZ_DATABASE__URL"])
    clip = scratch / "clip.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(clip)],
        check=True,
    )
    try:
        a, b = add_recordings(database, "Alba", "Brisa")
        with database.session() as session:
            playlist = create_playlist(session, name="Mañanas", recording_ids=[a, b]).id
            message = make_message(session, MediaStore(Path(env["ALTAVOZ_MEDIA__DIR"])), clip).id
            admin = accounts.find_user(session, "admin")
            assert admin is not None
            operator = accounts.create_user(
                session, username="lucia", password="rio verde canta 9", role=accounts.Role.OPERATOR
            ).id
            accounts.create_token(session, name="Cabina", owner=admin)
        add_playlist_slot(database, playlist, utcnow() + timedelta(minutes=30), 3600)
    finally:
        database.dispose()
    return {
        "schedule": "/schedule/",
        "playlist": f"/schedule/playlists/{playlist}",
        "playlists": "/schedule/playlists",
        "voice": f"/voice/{message}",
        "accounts": "/admin/users",
        "account": f"/admin/users/{operator}",
        "tokens": "/admin/tokens",
        "alerts": "/alerts/",
        "library": "/library/",
    }


def test_menu_on_one_line_buttons_apart_and_checkboxes_beside_their_labels(
    tmp_path: Path,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_station(tmp_path) as station, chromium() as browser:
        pages = _station_with_one_of_everything(station.env, tmp_path)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="es-ES")
        _log_in(page, station.base_url)
        assert page.locator("html").get_attribute("lang") == "es"
        problems: list[str] = []
        for name, path in pages.items():
            response = page.goto(f"{station.base_url}{path}")
            assert response is not None and response.ok, (name, path)
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"), full_page=True)
            nav = page.evaluate(NAV_LINES)
            assert len(nav) >= 8, nav
            if len({top for _, top in nav}) != 1:
                problems.append(f"{name}: the menu takes more than one line: {nav}")
            problems += [f"{name}: {p}" for p in page.evaluate(BUTTON_PROBLEMS, MIN_GAP_PX)]
            problems += [
                f"{name}: {p}"
                for p in page.evaluate(CHECKBOX_PROBLEMS, [LABEL_CENTRE_PX, LABEL_DISTANCE_PX])
            ]
        assert not problems, "\n".join(problems)
