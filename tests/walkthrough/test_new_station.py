"""A new station walked through in Debian's Chromium, in Spanish, as its people click it.

The admin's first login forces a new password; the admin makes an operator and a moderator.
The operator uploads three recordings, makes a playlist and reorders it with the arrows,
schedules a weekly slot for it a minute ahead, and sees it on air on the dashboard. The
moderator uploads a voice message that fails (no Vosk model yet), the model is installed with
`altavoz models add`, and a retry from the panel transcribes it. The operator adds a
subscriber; with SMS off the alert form does not offer SMS and says why; after `serve` is
restarted with SMS on, an SMS alert reaches the SMSC simulator as a submit_sm.

Everything is real: `altavoz serve` with its own Icecast and workers, ffmpeg-made tones, the
Korean Vosk model, the SMSC simulator. Each step is a function, so a failure names the step.
"""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser import ARTIFACTS
from tests.smsc_harness import SmscSimulator
from tests.transcription.conftest import KO_MODEL_SOURCE
from tests.walkthrough.conftest import SMSC_PASSWORD, SMSC_SYSTEM_ID, ZONE, Stations, altavoz

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "cafetal lluvioso 84 norte"
OPERATOR = ("operadora", "una clave bastante larga")
MODERATOR = ("moderador", "otra clave también larga")
TITLES = ("Alba", "Brisa", "Cerro")
REORDERED = ["Brisa", "Cerro", "Alba"]
PLAYLIST = "Mañanas del valle"
SLOT_TITLE = "Programa de la mañana"
PHONE, PHONE_ON_THE_WIRE = "+52 55 1234 5678", "525512345678"
REGION = "Centro"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WAIT_S = 60.0
"""The longest any step waits for the station (a worker, a page) on a loaded machine."""
SLOW = WAIT_S * 1000
"""The same in milliseconds, for Playwright's waits."""


@dataclass
class Walk:
    stations: Stations
    browser: Browser
    tmp: Path
    pages: dict[str, Page] = field(default_factory=dict)
    slot_start: datetime | None = None
    shots: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.stations.station.web_port}{path}"

    def person(self, name: str) -> Page:
        """A browser window of one's own (own cookies), in Spanish, made on first use."""
        if name not in self.pages:
            context = self.browser.new_context(
                locale="es-MX", viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(WAIT_S * 1000)
            self.pages[name] = context.new_page()
        return self.pages[name]

    def shot(self, page: Page, step: str) -> None:
        """A screenshot per step under tests/artifacts (ignored by git), as other browser
        tests keep them, to see what a failing step showed."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"walk-{next(self.shots):02d}-{step}.png"))


def reload_until(page: Page, condition: Callable[[], bool], *, what: str) -> None:
    """Reload the page until `condition` holds (pages that a worker's progress changes)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_S} s waiting for {what} on {page.url}")
        page.wait_for_timeout(500)
        page.reload()


def flash(page: Page, text: str) -> None:
    expect(page.locator("p.flash", has_text=text)).to_be_visible(timeout=SLOW)


def form_on(page: Page, url: str, field: str) -> Locator:
    """The form on the page at `url` that has the field named `field`."""
    page.goto(url)
    return page.locator("form", has=page.locator(f"[name={field}]"))


def log_in(walk: Walk, person: str, username: str, password: str) -> Page:
    page = walk.person(person)
    form = form_on(page, walk.url("/login"), "password")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(walk.url("/"))
    return page


def tone(directory: Path, title: str, frequency: int) -> Path:
    """Two minutes of a steady tone, as a small MP3 named after its title."""
    path = directory / f"{title}.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency={frequency}:duration=120", "-ac", "1", "-c:a", "libmp3lame",
         "-b:a", "32k", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return path


def playlist_titles(page: Page) -> Locator:
    return page.locator("table.playlist-items tbody tr td:nth-child(2)")


# The steps, in the order a new station takes them.


def first_login_forces_a_new_password(walk: Walk) -> None:
    page = walk.person("admin")
    page.goto(walk.url("/"))
    assert "/login" in page.url
    assert page.locator("html").get_attribute("lang") == "es"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", walk.stations.one_time_password)
    page.click("button[type=submit]")
    page.wait_for_url(walk.url("/account/password"))
    page.goto(walk.url("/schedule/"))
    assert page.url == walk.url("/account/password"), "the panel waits for the new password"
    walk.shot(page, "password-change")
    page.fill("input[name=current]", walk.stations.one_time_password)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.fill("input[name=confirm]", ADMIN_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(walk.url("/"))
    flash(page, "Su contraseña se cambió.")


def admin_creates_an_operator_and_a_moderator(walk: Walk) -> None:
    page = walk.person("admin")
    for (username, password), role in ((OPERATOR, "operator"), (MODERATOR, "moderator")):
        form = form_on(page, walk.url("/admin/users"), "confirm")
        form.locator("input[name=username]").fill(username)
        form.locator("select[name=role]").select_option(role)
        form.locator("input[name=password]").fill(password)
        form.locator("input[name=confirm]").fill(password)
        form.locator("button[type=submit]").click()
        flash(page, f"Cuenta {username} creada.")
    users = page.locator("table tbody td:first-child")
    expect(users).to_have_text(
        sorted(["admin", OPERATOR[0], MODERATOR[0]]), use_inner_text=True, timeout=SLOW
    )
    walk.shot(page, "accounts")


def operator_uploads_three_recordings(walk: Walk) -> None:
    page = log_in(walk, "operator", *OPERATOR)
    files = [tone(walk.tmp, title, 300 + 100 * n) for n, title in enumerate(TITLES)]
    form = form_on(page, walk.url("/library/"), "files")
    form.locator("input[name=files]").set_input_files([str(path) for path in files])
    form.locator("select[name=kind]").select_option("testimony")
    form.locator("button[type=submit]").click()
    for title in TITLES:
        flash(page, f"{title}.mp3 importado")
    listed = page.locator("table tbody td:first-child a").all_inner_texts()
    assert sorted(listed) == sorted(TITLES), "the library lists the newest first"
    walk.shot(page, "library")


def operator_makes_a_playlist_and_reorders_it(walk: Walk) -> None:
    page = walk.person("operator")
    form = form_on(page, walk.url("/schedule/playlists"), "jingle_every_items")
    form.locator("input[name=name]").fill(PLAYLIST)
    form.locator("select[name=mode]").select_option("ordered")
    form.locator("button[type=submit]").click()
    flash(page, f"Lista {PLAYLIST} creada.")
    for count, title in enumerate(TITLES, start=1):
        page.locator("select[name=recording]").select_option(label=title)
        page.locator("button[name=action][value=add]").click()
        expect(playlist_titles(page)).to_have_count(count, timeout=SLOW)
    expect(playlist_titles(page)).to_have_text(list(TITLES), timeout=SLOW)
    page.locator("tr[data-index='0'] button[value=down]").click()
    expect(playlist_titles(page)).to_have_text(["Brisa", "Alba", "Cerro"], timeout=SLOW)
    page.locator("tr[data-index='2'] button[value=up]").click()
    expect(playlist_titles(page)).to_have_text(REORDERED, timeout=SLOW)
    page.reload()
    expect(playlist_titles(page)).to_have_text(REORDERED, timeout=SLOW)
    walk.shot(page, "playlist")


def operator_schedules_a_weekly_slot_a_minute_ahead(walk: Walk) -> None:
    """Minutes are what the form takes: the slot starts at the first whole minute at least
    20 s away (so it is not already past when the form is sent)."""
    page = walk.person("operator")
    now = datetime.now(ZoneInfo(ZONE))
    start = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    walk.slot_start = start
    form = form_on(page, walk.url("/schedule/"), "repeat")
    form.locator("[name=title]").fill(SLOT_TITLE)
    form.locator("[name=content]").select_option(label=f"▶ {PLAYLIST}")
    form.locator("[name=day]").fill(start.date().isoformat())
    form.locator("[name=start]").fill(start.strftime("%H:%M"))
    form.locator("[name=minutes]").fill("10")
    form.locator("[name=repeat]").select_option("weekly")
    weekday = form.locator(f"input[name=weekdays][value={WEEKDAYS[start.weekday()]}]")
    expect(weekday).to_be_checked()  # the chosen day's weekday is ticked for the operator
    form.locator("[name=interval]").fill("1")
    walk.shot(page, "slot-form")
    form.locator("button[type=submit]").click()
    flash(page, "Espacio añadido.")
    expect(page.locator("table.week td.slot.today", has_text=SLOT_TITLE)).to_have_count(
        1, timeout=SLOW
    )
    walk.shot(page, "week")


def moderator_retries_a_voice_message_after_the_model_is_installed(
    walk: Walk, korean_wav: Path
) -> None:
    """Korean speech with no Korean model yet fails; `altavoz models add` installs it; the
    retry button on the message queues it again and the transcribe worker writes the words."""
    page = log_in(walk, "moderator", *MODERATOR)
    form = form_on(page, walk.url("/voice/"), "file")
    form.locator("input[name=file]").set_input_files(str(korean_wav))
    form.locator("input[name=language]").fill("ko")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/voice/*")
    flash(page, "recibido; está en cola para transcribir")
    retry = page.get_by_role("button", name="Reintentar la transcripción")
    reload_until(page, lambda: retry.count() == 1, what="the transcription to fail")
    walk.shot(page, "voice-failed")
    added = altavoz(walk.stations.station, "models", "add", str(KO_MODEL_SOURCE), "--lang", "ko")
    assert added.returncode == 0, added.stderr
    retry.click()
    flash(page, "está otra vez en cola para transcribirse")
    words = page.locator("#transcript-words .word")
    reload_until(page, lambda: words.count() >= 5, what="the transcript")
    walk.shot(page, "voice-transcribed")


def on_air_title(walk: Walk, page: Page) -> Locator:
    """What the dashboard, the page an operator keeps open, shows on air."""
    page.goto(walk.url("/"))
    return page.locator("#on-air")


def dashboard_shows_the_slot_on_air(walk: Walk) -> None:
    """The first item as reordered (not the alphabetical first) is what goes on air."""
    assert walk.slot_start is not None
    page = walk.person("operator")
    seconds_to_start = (walk.slot_start - datetime.now(ZoneInfo(ZONE))).total_seconds()
    deadline = time.monotonic() + max(0.0, seconds_to_start) + WAIT_S
    while REORDERED[0] not in (on_air := on_air_title(walk, page)).inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{REORDERED[0]} never showed on air: {on_air.inner_text()!r}")
        page.wait_for_timeout(1000)
    walk.shot(page, "on-air")


def operator_adds_a_subscriber(walk: Walk) -> None:
    page = walk.person("operator")
    form = form_on(page, walk.url("/subscribers/"), "phone")
    form.locator("input[name=phone]").fill(PHONE)
    form.locator("input[name=region]").fill(REGION)
    form.locator("button[type=submit]").click()
    flash(page, "suscrito.")


def with_sms_off_the_alert_form_does_not_offer_sms_and_says_why(walk: Walk) -> None:
    page = walk.person("operator")
    page.goto(walk.url("/alerts/"))
    sms = page.locator("#alert-form input[name=sms]")
    expect(sms).to_be_disabled(timeout=SLOW)
    expect(sms).not_to_be_checked(timeout=SLOW)
    expect(page.locator("#sms-off")).to_contain_text("Los SMS están desactivados", timeout=SLOW)
    walk.shot(page, "alert-sms-off")


def with_sms_on_an_alert_reaches_the_smsc(walk: Walk, smsc: SmscSimulator) -> None:
    """`serve` restarted with SMPP on, against the simulator: the same operator's alert is
    offered by SMS (ticked), the SMSC receives it for the subscriber's number, and the
    alert's page stops counting it as queued."""
    walk.stations.restart(
        ALTAVOZ_SMPP__ENABLED="true",
        ALTAVOZ_SMPP__HOST="127.0.0.1",
        ALTAVOZ_SMPP__PORT=str(smsc.smpp_port),
        ALTAVOZ_SMPP__SYSTEM_ID=SMSC_SYSTEM_ID,
        ALTAVOZ_SMPP__PASSWORD=SMSC_PASSWORD,
    )
    page = walk.person("operator")
    page.goto(walk.url("/alerts/"))
    assert page.url == walk.url("/alerts/"), "a restart keeps the operator logged in"
    form = page.locator("#alert-form")
    expect(form.locator("input[name=sms]")).to_be_enabled(timeout=SLOW)
    expect(form.locator("input[name=sms]")).to_be_checked(timeout=SLOW)
    form.locator("#alert-text").fill("Crecida del río: suban a la escuela.")
    form.locator("select[name=regions]").select_option(REGION)
    form.locator("input[name=air]").uncheck()
    form.locator("input[name=confirm]").check()
    walk.shot(page, "alert-sms-on")
    form.locator("button[type=submit]").click()
    flash(page, "enviada a 1 destinatarios")
    [submitted] = smsc.wait_for_pdus(
        "submit_sm", where=lambda pdu: pdu["destination_addr"] == PHONE_ON_THE_WIRE, timeout=WAIT_S
    )
    assert submitted["destination_addr"] == PHONE_ON_THE_WIRE
    assert page.locator("#sms-blocked").count() == 0
    queued = page.locator("table tbody tr td:nth-child(2)")
    reload_until(
        page, lambda: queued.inner_text() == "0", what="the alert page to show none queued"
    )
    walk.shot(page, "alert-sent")


@pytest.mark.timeout(600)  # two starts and a stop of `serve`: minutes on a loaded 2-core machine
def test_a_new_station_is_walked_through_in_the_panel(
    stations: Stations,
    browser: Browser,
    smsc: SmscSimulator,
    korean_wav: Path,
    tmp_path: Path,
) -> None:
    walk = Walk(stations, browser, tmp_path)
    first_login_forces_a_new_password(walk)
    admin_creates_an_operator_and_a_moderator(walk)
    operator_uploads_three_recordings(walk)
    operator_makes_a_playlist_and_reorders_it(walk)
    operator_schedules_a_weekly_slot_a_minute_ahead(walk)
    # While the slot is still to come, the moderator's part (the transcribe worker's wait).
    moderator_retries_a_voice_message_after_the_model_is_installed(walk, korean_wav)
    dashboard_shows_the_slot_on_air(walk)
    operator_adds_a_subscriber(walk)
    with_sms_off_the_alert_form_does_not_offer_sms_and_says_why(walk)
    with_sms_on_an_alert_reaches_the_smsc(walk, smsc)
