"""A live Altavoz web server and Debian's Chromium driven by Playwright, for browser tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from gateway import accounts
from gateway.database import Database

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


ADMIN_PASSWORD = "gallo rojo canta 7"


@dataclass
class LiveStation:
    base_url: str
    admin_password: str
    env: dict[str, str]


def choose_admin_password(database_url: str) -> str:
    """What the first admin does at the first login, for tests that are about something else."""
    database = Database(database_url)
    try:
        with database.session() as session:
            admin = accounts.find_user(session, "admin")
            assert admin is not None and admin.must_change_password
            accounts.set_password(session, admin, ADMIN_PASSWORD)
    finally:
        database.dispose()
    return ADMIN_PASSWORD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_station(
    root: Path, *, first_login_done: bool = True, **extra_env: str
) -> Iterator[LiveStation]:
    """Initialise a station under `root` and serve its panel with waitress until the block ends.

    The admin's password is ADMIN_PASSWORD, already chosen, unless `first_login_done` is False:
    then it is the one-time password `altavoz init` printed, which the panel asks to change.
    """
    env = {
        **os.environ,
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{root / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(root / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(root / "media"),
        "ALTAVOZ_MEDIA__INBOX": str(root / "inbox"),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(root / "models"),
        **extra_env,
    }
    altavoz = str(ROOT / ".venv" / "bin" / "altavoz")
    init = subprocess.run([altavoz, "init"], env=env, capture_output=True, text=True, timeout=120)
    match = re.search(r"One-time password: (\S+)", init.stdout)
    assert match, init.stdout + init.stderr
    admin_password = match.group(1)
    if first_login_done:
        admin_password = choose_admin_password(env["ALTAVOZ_DATABASE__URL"])
    port = free_port()
    log = (root / "web.log").open("w")
    process = subprocess.Popen(
        [altavoz, "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("the web server did not start") from None
                time.sleep(0.2)
        yield LiveStation(base_url=base_url, admin_password=admin_password, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def admin_page(browser: Browser, station: LiveStation) -> Page:
    """A new page logged in as the admin, on the dashboard (the first login already done)."""
    page = browser.new_page()
    page.goto(f"{station.base_url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", station.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{station.base_url}/")
    return page
