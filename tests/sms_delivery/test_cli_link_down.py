"""`altavoz sms send` with the SMSC unreachable or refusing the bind: it fails in seconds with
one line saying why, and withdraws the message unless a running worker will carry it, so a
retry of the command does not send it twice. smpplib's "disconnecting in the bound state"
(never bound) is silenced in the command and in the worker."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import migrate
from gateway.database import Database
from gateway.settings import Settings
from sms.models import LinkStatus, OutboundSegment
from sms.worker import SmsWorker
from tests.loopback import free_port
from tests.sms_delivery.conftest import RunningWorker, sms_station, wait_until
from tests.smsc_harness import SmscSimulator

ROOT = Path(__file__).resolve().parents[2]
QUICK_S = 5.0
"""Beyond the command's own start: well under the 62 s the command took, and under a retry
backoff or two."""
SILENT_QUICK_S = 3.0
"""From the connection to the command's line: the 2 s bind timeout and the teardown; it was
10 s and more when the bind waited the response timeout of other PDUs."""


def station(tmp_path: Path, smsc: SmscSimulator, **smpp: object) -> tuple[Settings, Database]:
    settings = sms_station(tmp_path, smsc, **smpp)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    return settings, database


def command_env(tmp_path: Path, settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_SMPP__ENABLED": "true",
        "ALTAVOZ_SMPP__HOST": settings.smpp.host,
        "ALTAVOZ_SMPP__PORT": str(settings.smpp.port),
        "ALTAVOZ_SMPP__SYSTEM_ID": settings.smpp.system_id,
        "ALTAVOZ_SMPP__PASSWORD": settings.smpp.password,
        "PYTHONPATH": str(ROOT),
    }


SEND = [sys.executable, "-m", "gateway.cli", "sms", "send", "--to", "55 1234 5678", "--text"]


def startup_s(tmp_path: Path, settings: Settings) -> float:
    """How long the command takes to start and stop doing nothing (`sms --help`), measured
    beside the real run: seconds of imports on a loaded machine are not the link's doing."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "sms", "--help"],
        env=command_env(tmp_path, settings),
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return time.monotonic() - started


def send(tmp_path: Path, settings: Settings, text: str = "Hola") -> tuple[int, list[str], float]:
    """Status, output lines, and the seconds taken beyond the command's own start."""
    startup = startup_s(tmp_path, settings)
    started = time.monotonic()
    result = subprocess.run(
        [*SEND, text],
        env=command_env(tmp_path, settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return result.returncode, lines, time.monotonic() - started - startup


def segments(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        return [
            (row.state, row.error)
            for row in session.execute(select(OutboundSegment.state, OutboundSegment.error))
        ]


def test_an_unreachable_smsc_fails_in_seconds_and_withdraws_the_message(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    port = free_port()
    settings, database = station(tmp_path, smsc, port=port)
    status, lines, took = send(tmp_path, settings)
    assert status != 0
    assert took < QUICK_S, f"took {took:.1f} s"
    assert len(lines) == 1, lines
    assert f"cannot reach the SMSC at 127.0.0.1:{port}" in lines[0]
    assert "withdrawn" in lines[0] and "bound state" not in lines[0]
    ((state, error),) = segments(database)
    assert state == "failed" and error.startswith("withdrawn: cannot reach the SMSC")
    # Pointed at the SMSC again, the queue has nothing left that a retry would duplicate.
    status, lines, _took = send(tmp_path, sms_station(tmp_path, smsc))
    assert status == 0, lines
    assert len(smsc.pdus("submit_sm", "in")) == 1
    database.dispose()


def test_a_refused_bind_fails_at_once_with_the_status_name(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    settings, database = station(tmp_path, smsc, password="wrong")
    status, lines, took = send(tmp_path, settings)
    assert status != 0
    assert took < QUICK_S, f"took {took:.1f} s"
    assert len(lines) == 1, lines
    assert "refused bind_transceiver: ESME_RINVPASWD (Invalid Password)" in lines[0]
    assert "withdrawn" in lines[0]
    assert len(smsc.pdus("bind_transceiver", "in")) == 1, "the refused bind was retried"
    assert smsc.pdus("submit_sm", "in") == []
    assert [state for state, _error in segments(database)] == ["failed"]
    database.dispose()


def test_a_silent_smsc_fails_within_the_bind_timeout(tmp_path: Path, smsc: SmscSimulator) -> None:
    """An SMSC that takes the connection and never answers the bind (a listening socket that
    accepts and never writes) is given `smpp.bind_timeout_s` (2 s), not the 10 s of other
    responses. Timed from the connection, so the command's own start (seconds of imports on
    a loaded machine) does not count."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.settimeout(60)
        port = silent.getsockname()[1]
        settings, database = station(tmp_path, smsc, port=port)
        command = subprocess.Popen(
            [*SEND, "Hola"],
            env=command_env(tmp_path, settings),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        connection, _address = silent.accept()
        connected = time.monotonic()
        with connection:
            assert command.stderr is not None
            first_line = command.stderr.readline()
            took = time.monotonic() - connected
            output, errors = command.communicate(timeout=60)
    assert command.returncode != 0
    assert took < SILENT_QUICK_S, f"the line came {took:.1f} s after the connection"
    lines = (output + first_line + errors).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"no answer from the SMSC at 127.0.0.1:{port} to bind_transceiver" in lines[0]
    assert "withdrawn" in lines[0]
    assert [state for state, _error in segments(database)] == ["failed"]
    database.dispose()


def test_with_a_running_worker_the_message_stays_queued_and_the_line_says_so(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    settings, database = station(tmp_path, smsc, port=free_port())
    worker = RunningWorker(SmsWorker(settings, database))
    worker.thread.start()
    try:
        wait_until(lambda: link_fault(database) != "", timeout=10, what="the worker's link fault")
        status, lines, took = send(tmp_path, settings)
    finally:
        worker.stop()
    assert status != 0
    assert took < QUICK_S + 5, f"took {took:.1f} s"
    assert len(lines) == 1, lines
    assert "stays queued" in lines[0] and "running SMS worker" in lines[0]
    assert "cannot reach the SMSC" in lines[0]
    assert [state for state, _error in segments(database)] == ["queued"]
    database.dispose()


def link_fault(database: Database) -> str:
    with database.session() as session:
        return "".join(session.scalars(select(LinkStatus.detail)))


def test_the_worker_logs_no_misleading_smpplib_warning(
    tmp_path: Path, smsc: SmscSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    settings, database = station(tmp_path, smsc, password="wrong")
    caplog.set_level(logging.INFO)
    worker = RunningWorker(SmsWorker(settings, database))
    worker.thread.start()
    try:
        wait_until(
            lambda: len(smsc.pdus("bind_transceiver", "in")) >= 2,
            timeout=10,
            what="two refused binds",
        )
    finally:
        worker.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert any("ESME_RINVPASWD" in message for message in messages), messages
    assert not any("bound state" in message for message in messages), messages
    database.dispose()


def test_with_a_running_bound_worker_the_command_waits_for_it(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    settings, database = station(tmp_path, smsc)
    worker = RunningWorker(SmsWorker(settings, database))
    worker.thread.start()
    try:
        wait_until(lambda: worker.worker.link_state.value == "bound", timeout=10, what="the bind")
        status, lines, _took = send(tmp_path, settings)
    finally:
        worker.stop()
    assert status == 0, lines
    assert lines == ["message 1 to +525512345678 (gsm7, 1 segment(s)) submitted to the SMSC"]
    assert len(smsc.pdus("submit_sm", "in")) == 1
    database.dispose()
