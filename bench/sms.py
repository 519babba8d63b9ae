"""SMS throughput against a running SMSC simulator, each figure beside a baseline from the same
run against the same SMSC.

(a) submit_sm_resp delayed 50 ms (a carrier's WAN round trip): messages/s through the queue
    and worker for 2,000 recipients, against a plain synchronous smpplib loop (one submit,
    wait for its response, next). Target: >= 0.8 x the window.
(b) no delay, 10,000 recipients: messages/s from queued to submitted as recorded in the
    database, against a bare synchronous smpplib loop with no database. Target: >= 1,500/s.
(c) a configured limit of 100 segments/s over 30 s: the achieved rate (target within 5%)
    and the busiest second (never above the limit).

Run: .venv/bin/python bench/sms.py   (add --quick for a shorter run while developing)
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import smpplib.client  # noqa: E402
import smpplib.consts  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from gateway import migrate  # noqa: E402
from gateway.database import Database, utcnow  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from sms.compose import compose  # noqa: E402
from sms.models import OutboundMessage, OutboundSegment, SegmentState  # noqa: E402
from sms.worker import SmsWorker  # noqa: E402
from tests.conftest import station_settings  # noqa: E402
from tests.smsc_harness import SmscSimulator, running_simulator  # noqa: E402

SYSTEM_ID, PASSWORD = "bench", "bench"
TEXT = "Alerta: reunion suspendida, no salgan de casa."


def station(root: Path, smsc: SmscSimulator, **smpp: object) -> tuple[Settings, Database]:
    settings = station_settings(
        root,
        smpp={
            "enabled": True,
            "port": smsc.smpp_port,
            "system_id": SYSTEM_ID,
            "password": PASSWORD,
            **smpp,
        },
    )
    database = Database(settings.database.url)
    migrate.upgrade(database)
    return settings, database


def queue(settings: Settings, database: Database, count: int) -> None:
    """Queue `count` one-segment messages the way an alert does: a few bulk statements."""
    composed = compose(TEXT, settings=settings.smpp)
    (segment,) = composed.segments
    now = utcnow()
    with database.session() as session:
        ids = session.scalars(
            insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True),
            [
                {
                    "destination": f"+52551{n:07}",
                    "text": composed.text,
                    "encoding": composed.encoding,
                    "segment_count": 1,
                    "created_at": now,
                }
                for n in range(count)
            ],
        ).all()
        session.execute(
            insert(OutboundSegment),
            [
                {
                    "message_id": message_id,
                    "seq": 1,
                    "destination": f"+52551{n:07}",
                    "short_message": segment.short_message,
                    "data_coding": segment.data_coding,
                    "esm_class": segment.esm_class,
                    "state": SegmentState.QUEUED.value,
                    "next_attempt_at": now,
                    "queued_at": now,
                }
                for n, message_id in enumerate(ids)
            ],
        )


def submitted(database: Database) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(OutboundSegment.state == SegmentState.SUBMITTED)
            )
            or 0
        )


def run_worker(settings: Settings, database: Database, count: int, limit_s: float) -> float:
    """Run the real worker until `count` segments are submitted; returns the wall time."""
    worker = SmsWorker(settings, database)
    thread = threading.Thread(target=worker.run, daemon=True)
    started = time.monotonic()
    thread.start()
    while submitted(database) < count and time.monotonic() - started < limit_s:
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    worker.request_stop()
    thread.join(30)
    return elapsed


def queued_to_submitted_rate(database: Database) -> float:
    with database.session() as session:
        first, last, count = session.execute(
            select(
                func.min(OutboundSegment.queued_at),
                func.max(OutboundSegment.submitted_at),
                func.count(),
            ).where(OutboundSegment.state == SegmentState.SUBMITTED)
        ).one()
    assert first is not None and last is not None, "no segment was submitted"
    return float(count) / max((last - first).total_seconds(), 1e-6)


def synchronous_loop(smsc: SmscSimulator, count: int) -> float:
    """The baseline: one submit_sm, wait for its response, the next; no database."""
    client = smpplib.client.Client("127.0.0.1", smsc.smpp_port, allow_unknown_opt_params=True)
    client.set_message_sent_handler(lambda pdu: None)
    client.connect()
    client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD)
    started = time.monotonic()
    for n in range(count):
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="ALTAVOZ",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            destination_addr=f"52552{n:07}",
            short_message=TEXT.encode("ascii"),
            registered_delivery=0,
        )
        client.read_once()
    elapsed = time.monotonic() - started
    client.unbind()
    client.disconnect()
    return count / elapsed


def part_a(smsc: SmscSimulator, root: Path, quick: bool) -> None:
    count, baseline_count, window = (400, 40, 10) if quick else (2000, 200, 10)
    smsc.reset()
    smsc.configure(response_delay_ms=50)
    settings, database = station(root / "a", smsc, window=window, max_tps=10000)
    queue(settings, database, count)
    elapsed = run_worker(settings, database, count, 300)
    project = submitted(database) / elapsed
    baseline = synchronous_loop(smsc, baseline_count)
    print(f"(a) 50 ms SMSC delay, window {window}, {count} recipients")
    print(f"    project queue + worker : {project:8.1f} msg/s")
    print(f"    synchronous smpplib    : {baseline:8.1f} msg/s  ({baseline_count} messages)")
    print(
        f"    ratio                  : {project / baseline:8.2f}x  (target >= {0.8 * window:.0f}x)"
    )
    database.dispose()


def part_b(smsc: SmscSimulator, root: Path, quick: bool) -> None:
    count = 2000 if quick else 10000
    smsc.reset()
    settings, database = station(root / "b", smsc, window=10, max_tps=10000)
    queue(settings, database, count)
    run_worker(settings, database, count, 300)
    project = queued_to_submitted_rate(database)
    baseline = synchronous_loop(smsc, count)
    print(f"(b) no delay, {count} recipients")
    print(f"    queued -> submitted (DB): {project:8.1f} msg/s  (target >= 1500)")
    print(f"    bare synchronous smpplib: {baseline:8.1f} msg/s")
    print(f"    ratio                   : {project / baseline:8.2f}")
    database.dispose()


def part_c(smsc: SmscSimulator, root: Path, quick: bool) -> None:
    seconds, limit = (10, 100) if quick else (30, 100)
    smsc.reset()
    settings, database = station(root / "c", smsc, window=10, max_tps=limit)
    queue(settings, database, limit * seconds + limit * 5)
    worker = SmsWorker(settings, database)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    smsc.wait_for_pdus("submit_sm", timeout=30)
    time.sleep(seconds + 1)
    worker.request_stop()
    thread.join(30)
    times = sorted(p["at_ms"] for p in smsc.pdus("submit_sm", "in"))
    start = times[0]
    window_times = [t for t in times if t < start + seconds * 1000]
    per_second = Counter(int((t - start) // 1000) for t in window_times)
    achieved = len(window_times) / seconds
    print(f"(c) limit {limit} segments/s over {seconds} s")
    print(
        f"    achieved               : {achieved:8.1f} /s  ({achieved / limit - 1:+.1%} vs limit)"
    )
    print(f"    busiest second         : {max(per_second.values()):8d}    (limit {limit})")
    database.dispose()


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory(prefix="altavoz-bench-") as scratch:
        root = Path(scratch)
        with running_simulator(system_id=SYSTEM_ID, password=PASSWORD) as smsc:
            part_a(smsc, root, quick)
            part_b(smsc, root, quick)
            part_c(smsc, root, quick)


if __name__ == "__main__":
    main()
