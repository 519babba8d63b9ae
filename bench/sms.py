"""SMS throughput against an independent SMSC (the node-smpp simulator in tests/smsc), each
figure beside a bare synchronous smpplib loop run against that same SMSC in the same run.

(a) submit_sm_resp delayed 50 ms (a carrier's WAN round trip), window 10: messages/s through
    the queue and the worker, against the loop (one submit, wait for its response, next).
    Goal: >= 8x the loop.
(b) no delay, 10,000 messages, receipts on: messages/s from the worker's start until every
    message is durable and its receipt stored (all rows `delivered`). Goal: >= 1,500/s.
(c) max_tps = 100: no sliding 1 s window of arrivals at the SMSC holds more than 100 submits,
    and the mean rate is within 2% of 100.
(d) the SMSC answers 5% of submits ESME_RMSGQFUL: total time within 10% of the same send
    with no rejects (same rate limit, same count).

Everything is written under a temporary directory; nothing in the tree. Run it with
`make bench` (which installs the simulator's npm modules) or `.venv/bin/python bench/sms.py`
[--quick] [a b c d] [--profile DIR] (cProfile of the worker in part b, written to DIR).
"""

from __future__ import annotations

import cProfile
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import smpplib.client  # noqa: E402
import smpplib.consts  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from gateway import migrate  # noqa: E402
from gateway.database import Database, utcnow  # noqa: E402
from gateway.settings import Settings, settings_from_mapping  # noqa: E402
from sms.compose import compose  # noqa: E402
from sms.models import OutboundMessage, OutboundSegment, SegmentPriority, SegmentState  # noqa: E402
from sms.worker import SmsWorker  # noqa: E402
from tests.smsc_harness import SmscSimulator, busiest_second, running_simulator  # noqa: E402

SYSTEM_ID, PASSWORD = "bench", "bench"
TEXT = "Alerta: reunion suspendida, no salgan de casa."
ESME_RMSGQFUL = 0x14


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISSED"


def station(root: Path, smsc: SmscSimulator, **smpp: object) -> tuple[Settings, Database]:
    settings = settings_from_mapping(
        {
            "database": {"url": f"sqlite:///{root / 'altavoz.db'}"},
            "media": {"dir": str(root / "media"), "inbox": str(root / "inbox")},
            "transcription": {"models_dir": str(root / "models")},
            "web": {"secret_key_file": str(root / "secret_key")},
            "smpp": {
                "enabled": True,
                "port": smsc.smpp_port,
                "system_id": SYSTEM_ID,
                "password": PASSWORD,
                **smpp,
            },
        }
    )
    root.mkdir(parents=True, exist_ok=True)
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
                    "priority": SegmentPriority.BULK.value,
                    "next_attempt_at": now,
                    "queued_at": now,
                }
                for n, message_id in enumerate(ids)
            ],
        )


def all_submitted(database: Database, count: int) -> Callable[[], bool]:
    return lambda: in_state(database, SegmentState.SUBMITTED) >= count


def in_state(database: Database, state: SegmentState) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).where(OutboundSegment.state == state)) or 0)


def run_worker(
    settings: Settings,
    database: Database,
    done: Callable[[], bool],
    *,
    limit_s: float = 120.0,
    poll_s: float = 0.05,
    profile: cProfile.Profile | None = None,
) -> float:
    """Run the real worker until `done()` (asked every `poll_s`); returns the wall time from
    its start."""
    worker = SmsWorker(settings, database)

    def work() -> None:
        if profile is None:
            worker.run()
        else:
            profile.runcall(worker.run)

    thread = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    thread.start()
    while not done() and time.monotonic() - started < limit_s:
        time.sleep(poll_s)
    elapsed = time.monotonic() - started
    worker.request_stop()
    thread.join(30)
    return elapsed


def process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def smsc_cpu_s(smsc: SmscSimulator) -> float:
    """The simulator's CPU time so far (Linux /proc), to tell whose CPU a run was bound by."""
    try:
        fields = Path(f"/proc/{smsc.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def part_a(smsc: SmscSimulator, root: Path, quick: bool) -> bool:
    count, baseline_count, window = (600, 40, 10) if quick else (2000, 100, 10)
    smsc.reset()
    smsc.configure(response_delay_ms=50)
    settings, database = station(root / "a", smsc, window=window, max_tps=10000)
    queue(settings, database, count)
    elapsed = run_worker(
        settings, database, lambda: in_state(database, SegmentState.SUBMITTED) >= count
    )
    project = count / elapsed
    baseline = synchronous_loop(smsc, baseline_count)
    ratio = project / baseline
    print(f"(a) 50 ms SMSC delay, window {window}, {count} messages")
    print(f"    queue + worker          : {project:8.1f} msg/s")
    print(f"    synchronous smpplib loop: {baseline:8.1f} msg/s  ({baseline_count} messages)")
    print(f"    ratio {ratio:.2f}x, goal >= 8x: {verdict(ratio >= 8)}")
    database.dispose()
    return ratio >= 8


def part_b(smsc: SmscSimulator, root: Path, quick: bool, profile_dir: Path | None) -> bool:
    count = 2000 if quick else 10000
    smsc.reset()
    smsc.configure(receipts=True)
    settings, database = station(root / "b", smsc, window=10, max_tps=10000)
    queue(settings, database, count)
    profile = cProfile.Profile() if profile_dir is not None else None
    cpu_before = process_cpu_s(), smsc_cpu_s(smsc)
    started_at = utcnow()
    elapsed = run_worker(
        settings,
        database,
        lambda: in_state(database, SegmentState.DELIVERED) >= count,
        poll_s=0.25,
        profile=profile,
    )
    own_cpu, smsc_cpu = process_cpu_s() - cpu_before[0], smsc_cpu_s(smsc) - cpu_before[1]
    with database.session() as session:
        delivered, last_stored = session.execute(
            select(func.count(), func.max(OutboundSegment.done_at)).where(
                OutboundSegment.state == SegmentState.DELIVERED
            )
        ).one()
    # Timed to the last receipt's commit (its done_at is taken in that transaction), so a
    # coarse, cheap poll of the database adds neither load nor rounding to the figure.
    project = delivered / (last_stored - started_at).total_seconds()
    baseline = synchronous_loop(smsc, min(count, 3000))
    print(f"(b) no delay, {count} messages, receipts on")
    print(f"    queued -> receipt stored: {project:8.1f} msg/s  ({delivered} delivered)")
    print(
        f"    CPU during the run      : {own_cpu:8.2f} s gateway, {smsc_cpu:.2f} s SMSC "
        f"({elapsed:.2f} s wall)"
    )
    print(f"    synchronous smpplib loop: {baseline:8.1f} msg/s  (no database, no receipts)")
    print(
        f"    ratio to the loop {project / baseline:.2f}; "
        f"goal >= 1500 msg/s: {verdict(project >= 1500)}"
    )
    if profile is not None and profile_dir is not None:
        profile.dump_stats(profile_dir / "worker-b.prof")
    database.dispose()
    return project >= 1500


def part_c(smsc: SmscSimulator, root: Path, quick: bool) -> bool:
    limit = 100
    count = limit * (8 if quick else 20)
    smsc.reset()
    settings, database = station(root / "c", smsc, window=10, max_tps=limit)
    queue(settings, database, count)
    run_worker(settings, database, lambda: in_state(database, SegmentState.SUBMITTED) >= count)
    arrivals = sorted(p["at_ms"] for p in smsc.pdus("submit_sm", "in"))
    busiest = busiest_second(arrivals)
    mean = (len(arrivals) - 1) / ((arrivals[-1] - arrivals[0]) / 1000)
    ok = busiest <= limit and abs(mean / limit - 1) <= 0.02
    print(f"(c) max_tps = {limit}, {count} messages, arrivals at the SMSC")
    print(f"    busiest sliding 1 s     : {busiest:8d}    (goal <= {limit})")
    print(
        f"    mean rate               : {mean:8.1f} /s  ({mean / limit - 1:+.1%}, goal within 2%)"
    )
    print(f"    {verdict(ok)}")
    database.dispose()
    return ok


def part_d(smsc: SmscSimulator, root: Path, quick: bool) -> bool:
    limit = 100
    count = limit * (8 if quick else 20)
    times = []
    for every_n in (0, 20):
        smsc.reset()
        smsc.configure(throttle_every_n=every_n, throttle_status=ESME_RMSGQFUL)
        settings, database = station(root / f"d{every_n}", smsc, window=10, max_tps=limit)
        queue(settings, database, count)
        times.append(run_worker(settings, database, all_submitted(database, count)))
        database.dispose()
    rejected = len([p for p in smsc.pdus("submit_sm_resp", "out") if p["command_status"]])
    clean, with_rejects = times
    ok = with_rejects <= clean * 1.10
    print(f"(d) max_tps = {limit}, {count} messages, every 20th submit answered ESME_RMSGQFUL")
    print(f"    no rejects              : {clean:8.2f} s")
    print(f"    5% rejects ({rejected:4d} refused): {with_rejects:8.2f} s")
    print(f"    {with_rejects / clean - 1:+.1%}, goal within 10%: {verdict(ok)}")
    return ok


def main() -> None:
    args = sys.argv[1:]
    quick = "--quick" in args
    profile_dir = None
    if "--profile" in args:
        profile_dir = Path(args[args.index("--profile") + 1]).resolve()
    parts = [a for a in args if a in ("a", "b", "c", "d")] or ["a", "b", "c", "d"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="altavoz-bench-") as scratch:
        root = Path(scratch)
        with running_simulator(system_id=SYSTEM_ID, password=PASSWORD) as smsc:
            if "a" in parts:
                results["a"] = part_a(smsc, root, quick)
            if "b" in parts:
                results["b"] = part_b(smsc, root, quick, profile_dir)
            if "c" in parts:
                results["c"] = part_c(smsc, root, quick)
            if "d" in parts:
                results["d"] = part_d(smsc, root, quick)
    print("SMS bench: " + ", ".join(f"({k}) {verdict(v)}" for k, v in results.items()))


if __name__ == "__main__":
    main()
