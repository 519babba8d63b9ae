"""At-least-once across a crash: an SMS worker killed with SIGKILL in the middle of a large
send is restarted, every message goes out, and only the window in flight is sent twice."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from gateway import migrate
from gateway.database import Database
from sms.models import OutboundSegment, SegmentState
from tests.sms_delivery.conftest import (
    queue_text,
    sms_station,
    wait_until,
    worker_env,
    worker_process,
)
from tests.smsc_harness import SmscSimulator

WINDOW = 10


def accepted(smsc: SmscSimulator) -> Counter[str]:
    ok = {
        (p["session"], p["sequence_number"])
        for p in smsc.pdus("submit_sm_resp", "out")
        if p["command_status"] == 0
    }
    return Counter(
        p["destination_addr"]
        for p in smsc.pdus("submit_sm", "in")
        if (p["session"], p["sequence_number"]) in ok
    )


def test_a_worker_killed_mid_send_resends_only_what_was_in_flight(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    smsc.configure(response_delay_ms=10)
    settings = sms_station(tmp_path, smsc, window=WINDOW, max_tps=400)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    numbers = [f"+52551234{n:04}" for n in range(600)]
    for number in numbers:
        queue_text(settings, database, number, "Alerta: no salgan de casa")
    env = worker_env(tmp_path, settings, window=str(WINDOW), max_tps="400")
    first = worker_process(tmp_path, env)
    try:
        wait_until(lambda: sum(accepted(smsc).values()) >= 200, timeout=60, what="200 accepted")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    sent_before = sum(accepted(smsc).values())
    assert sent_before < len(numbers), "the kill came too late to test anything"

    second = worker_process(tmp_path, env)
    try:

        def submitted() -> int:
            with database.session() as session:
                return int(
                    session.scalar(
                        select(func.count()).where(OutboundSegment.state == SegmentState.SUBMITTED)
                    )
                    or 0
                )

        wait_until(lambda: submitted() == len(numbers), timeout=90, what="every message")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait(timeout=10)
    database.dispose()
    counts = accepted(smsc)
    assert set(counts) == {n.lstrip("+") for n in numbers}
    assert sum(c - 1 for c in counts.values()) <= WINDOW
    assert "Traceback" not in (tmp_path / "worker.log").read_text()
