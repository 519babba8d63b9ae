"""What the SMSC handed over and saw acknowledged is in the database, whenever the worker dies.

The SMS worker runs as a process of its own while the SMSC pushes a burst of mobile-originated
messages and delivery receipts for an alert being sent; it is killed with SIGKILL mid-flow,
several times over. After each kill, every deliver_sm the SMSC got a deliver_sm_resp for must
be stored: the SMSC forgets what it was told was taken, so nothing else would bring it back.
What was not answered the SMSC delivers again, so after a last restart everything is stored.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from gateway import migrate
from gateway.database import Database, utcnow
from sms import outbox
from sms.models import FINAL_STATES, InboundMessage, OutboundSegment, PendingReceipt
from sms.receipts import normalize_message_id
from tests.sms_delivery.conftest import sms_station, wait_until, worker_env, worker_process
from tests.smsc_harness import SmscSimulator

RUNS = 5
MO_PER_RUN = 1000
RECEIPTS_FIRST = 50
"""deliver_sm_resp (receipts, and MO delivered again) to see in a run before the MO burst."""
OUTBOUND = 1500
RECEIPT_ESM_CLASS = 0x04


def acknowledged(smsc: SmscSimulator) -> tuple[set[str], set[str]]:
    """(MO texts, receipted message ids) of every deliver_sm the SMSC got ESME_ROK for."""
    answered = {
        (pdu["session"], pdu["sequence_number"])
        for pdu in smsc.pdus("deliver_sm_resp", "in")
        if pdu["command_status"] == 0
    }
    texts: set[str] = set()
    receipts: set[str] = set()
    for pdu in smsc.pdus("deliver_sm", "out"):
        if (pdu["session"], pdu["sequence_number"]) not in answered:
            continue
        if pdu["esm_class"] & RECEIPT_ESM_CLASS:
            receipts.add(normalize_message_id(pdu["receipted_message_id"]))
        else:
            texts.add(bytes.fromhex(pdu["short_message_hex"]).decode("ascii"))
    return texts, receipts


def stored(database: Database) -> tuple[set[str], set[str]]:
    """(MO texts, message ids whose receipt was recorded: on its segment, or kept pending)."""
    with database.session() as session:
        texts = set(session.scalars(select(InboundMessage.text)))
        final = [state.value for state in FINAL_STATES]
        marked = session.scalars(
            select(OutboundSegment.smsc_message_id).where(OutboundSegment.state.in_(final))
        )
        pending = session.scalars(select(PendingReceipt.smsc_message_id))
        return texts, {*marked, *pending} - {None}


def finished(database: Database) -> int:
    """Segments whose receipt came."""
    with database.session() as session:
        final = [state.value for state in FINAL_STATES]
        return int(
            session.scalar(select(func.count()).where(OutboundSegment.state.in_(final))) or 0
        )


def answers_seen(smsc: SmscSimulator) -> int:
    return len(smsc.pdus("deliver_sm_resp", "in"))


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_every_delivery_the_smsc_saw_answered_is_stored_after_each_sigkill(
    tmp_path: Path, smsc: SmscSimulator
) -> None:
    smsc.configure(receipts=True, redeliver_unanswered=True)
    settings = sms_station(tmp_path, smsc, window=10, max_tps=500)
    database = Database(settings.database.url)
    migrate.upgrade(database)
    with database.session() as session:
        for number in range(OUTBOUND):
            outbox.enqueue(
                session,
                destination=f"+5255{number:08}",
                text="Alerta",
                encoding="gsm7",
                segments=[outbox.SegmentPayload(b"Alerta", 0, 0)],
                alert_id=None,
                now=utcnow(),
            )
    env = worker_env(tmp_path, settings, window="10", max_tps="500")
    # Runs whose kill left part of the MO burst unanswered, for the SMSC to deliver again. A
    # worker that answers a whole burst in one commit may finish before the kill lands; that
    # run still checks that nothing answered is lost, and at least one run must cut a burst.
    killed_mid_burst = 0
    try:
        for run in range(RUNS):
            before = answers_seen(smsc)
            process = worker_process(tmp_path, env)
            try:
                wait_until(
                    lambda: answers_seen(smsc) - before >= RECEIPTS_FIRST,  # noqa: B023
                    timeout=20,
                    what="receipts answered while the alert goes out",
                )
                burst_from = answers_seen(smsc)
                smsc.send_mo_batch(
                    [f"informe {run}-{n}" for n in range(MO_PER_RUN)],
                    source_addr="5215550100",
                    destination_addr="ALTAVOZ",
                )
                wait_until(
                    lambda: answers_seen(smsc) > burst_from,  # noqa: B023
                    timeout=20,
                    what="the worker to answer deliveries of the burst",
                )
            finally:
                kill(process)
            texts, receipts = acknowledged(smsc)
            stored_texts, stored_receipts = stored(database)
            assert texts - stored_texts == set(), f"run {run}: MO answered but lost"
            assert receipts - stored_receipts == set(), f"run {run}: receipts answered but lost"
            mo_this_run = {t for t in texts if t.startswith(f"informe {run}-")}
            killed_mid_burst += len(mo_this_run) < MO_PER_RUN
        assert killed_mid_burst >= 1, "no kill landed before a whole MO burst was answered"
        last = worker_process(tmp_path, env)
        try:
            injected = {f"informe {run}-{n}" for run in range(RUNS) for n in range(MO_PER_RUN)}
            wait_until(
                lambda: stored(database)[0] == injected and finished(database) == OUTBOUND,
                timeout=30,
                what="every MO and every receipt after the last restart",
            )
        finally:
            kill(last)
    finally:
        database.dispose()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()
