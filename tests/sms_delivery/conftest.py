"""Fixtures for the SMS worker end to end: a simulated SMSC, a station using it, a running
worker thread, and helpers to queue messages and read what the SMSC received."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import migrate
from gateway.database import Database, utcnow
from gateway.settings import Settings
from sms import outbox
from sms.compose import compose
from sms.models import SegmentPriority
from sms.worker import SmsWorker
from tests.conftest import station_settings
from tests.smsc_harness import SmscSimulator, running_simulator

SYSTEM_ID = "altavoz"
PASSWORD = "s3cret"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smsc() -> Iterator[SmscSimulator]:
    with running_simulator(system_id=SYSTEM_ID, password=PASSWORD) as simulator:
        yield simulator


def sms_station(root: Path, smsc: SmscSimulator, **smpp: Any) -> Settings:
    return station_settings(
        root,
        smpp={
            "enabled": True,
            "host": "127.0.0.1",
            "port": smsc.smpp_port,
            "system_id": SYSTEM_ID,
            "password": PASSWORD,
            "max_tps": 1000,
            "default_region": "MX",
            **smpp,
        },
    )


@pytest.fixture
def make_station(tmp_path: Path, smsc: SmscSimulator) -> Callable[..., tuple[Settings, Database]]:
    made: list[Database] = []

    def make(**smpp: Any) -> tuple[Settings, Database]:
        settings = sms_station(tmp_path, smsc, **smpp)
        database = Database(settings.database.url)
        migrate.upgrade(database)
        made.append(database)
        return settings, database

    yield make  # type: ignore[misc]
    for database in made:
        database.dispose()


class RunningWorker:
    def __init__(self, worker: SmsWorker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # reported by stop(), so a failing worker fails the test
            self.error = exc

    def stop(self) -> None:
        self.worker.request_stop()
        self.thread.join(20)
        assert not self.thread.is_alive(), "the SMS worker did not stop"
        if self.error is not None:
            raise self.error


@pytest.fixture
def start_worker() -> Iterator[Callable[[Settings, Database], RunningWorker]]:
    running: list[RunningWorker] = []

    def start(settings: Settings, database: Database) -> RunningWorker:
        worker = RunningWorker(SmsWorker(settings, database))
        worker.thread.start()
        running.append(worker)
        return worker

    yield start
    for worker in running:
        if worker.thread.is_alive():
            worker.stop()


def queue_text(
    settings: Settings,
    database: Database,
    destination: str,
    text: str,
    priority: SegmentPriority = SegmentPriority.PERSON,
    **options: Any,
) -> int:
    composed = compose(text, settings=settings.smpp, **options)
    with database.session() as session:
        message = outbox.enqueue(
            session,
            destination=destination,
            text=composed.text,
            encoding=composed.encoding,
            segments=[
                outbox.SegmentPayload(s.short_message, s.data_coding, s.esm_class)
                for s in composed.segments
            ],
            alert_id=None,
            now=utcnow(),
            priority=priority,
        )
        return message.id


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def worker_env(root: Path, settings: Settings, **smpp: str) -> dict[str, str]:
    """The environment of an `altavoz worker sms` process using this station and SMSC."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(root / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(root / "media"),
        "ALTAVOZ_MEDIA__INBOX": str(root / "inbox"),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(root / "models"),
        "ALTAVOZ_SMPP__ENABLED": "true",
        "ALTAVOZ_SMPP__PORT": str(settings.smpp.port),
        "ALTAVOZ_SMPP__SYSTEM_ID": settings.smpp.system_id,
        "ALTAVOZ_SMPP__PASSWORD": settings.smpp.password,
        "ALTAVOZ_SMPP__DEFAULT_REGION": settings.smpp.default_region,
    }
    env.update({f"ALTAVOZ_SMPP__{key.upper()}": value for key, value in smpp.items()})
    return env


def worker_process(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`altavoz worker sms` as a process of its own (so it can be killed), logging to a file."""
    with (root / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "worker", "sms"],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
