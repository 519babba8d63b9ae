"""Who goes first, seen at the SMSC: a reply to one person overtakes an alert's fan-out, a
submit cut by a dropped connection is sent again before anything else, and a rate limit
holds over every sliding second the SMSC counts."""

from __future__ import annotations

from collections.abc import Callable

from gateway.accounts import SYSTEM
from gateway.alert_models import AlertChannel
from gateway.alerts import AlertRequest, create_alert
from gateway.database import Database, utcnow
from gateway.settings import Settings
from sms import subscribers
from sms.subscribers import ConsentChannel
from tests.sms_delivery.conftest import RunningWorker, queue_text
from tests.smsc_harness import SmscSimulator, busiest_second

Station = Callable[..., tuple[Settings, Database]]
Start = Callable[[Settings, Database], RunningWorker]
PERSON = "525599990000"


def subscribe_many(database: Database, count: int, region: str) -> None:
    with database.session() as session:
        for n in range(count):
            subscribers.subscribe(
                session,
                phone=f"+52551{n:07}",
                region=region,
                language="es",
                channel=ConsentChannel.PANEL,
                default_region="MX",
                now=utcnow(),
            )


def test_a_keyword_reply_overtakes_a_running_alert(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(max_tps=100)
    subscribe_many(database, 300, "Centro")
    with database.session() as session:
        request = AlertRequest(
            text="Alerta: crecida del río", regions=["Centro"], channels=[AlertChannel.SMS]
        )
        create_alert(session, request, settings=settings, actor=SYSTEM, now=utcnow())
    start_worker(settings, database)
    smsc.wait_for_pdus("submit_sm", count=50, timeout=10)
    smsc.send_mo(
        source_addr=PERSON,
        source_addr_ton=1,
        destination_addr="ALTAVOZ",
        data_coding=0,
        short_message_hex=b"AYUDA".hex(),
    )
    smsc.wait_for_pdus("submit_sm", where=lambda p: p["destination_addr"] == PERSON, timeout=10)
    submits = [p["destination_addr"] for p in smsc.wait_for_pdus("submit_sm", count=301)]
    asked_at = smsc.pdus("deliver_sm", "out")[0]["at_ms"]
    before_question = len([p for p in smsc.pdus("submit_sm", "in") if p["at_ms"] <= asked_at])
    overtaken = submits.index(PERSON) - before_question
    assert overtaken <= 40, f"the reply waited behind {overtaken} copies of the alert"
    assert len(submits) - submits.index(PERSON) > 100, "the alert was nearly done already"


def test_a_submit_cut_by_a_dropped_connection_is_sent_again_first(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(response_delay_ms=300)
    settings, database = make_station(window=10)
    numbers = [f"+52551234{n:04}" for n in range(150)]
    for number in numbers:
        queue_text(settings, database, number, "Alerta")
    start_worker(settings, database)
    smsc.wait_for_pdus("submit_sm", count=25, timeout=10)
    assert smsc.drop() == 1
    smsc.configure(response_delay_ms=0)
    submits = smsc.wait_for_pdus("submit_sm", count=len(numbers) + 5, timeout=30)
    first_session = submits[0]["session"]
    answered = {
        p["sequence_number"]
        for p in smsc.pdus("submit_sm_resp", "out")
        if p["session"] == first_session
    }
    cut = {
        p["destination_addr"]
        for p in submits
        if p["session"] == first_session and p["sequence_number"] not in answered
    }
    after = [p["destination_addr"] for p in submits if p["session"] != first_session]
    assert cut, "no submit was in flight when the connection dropped"
    assert set(after[: len(cut)]) == cut, "the interrupted submits were not sent again first"


def test_a_rate_limit_holds_over_every_sliding_second_with_receipts_flowing(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    """Receipts make the gateway write small deliver_sm_resp between submits: with Nagle's
    algorithm on, submits left in bursts and sliding seconds at the SMSC saw 102-103."""
    smsc.configure(receipts=True)
    settings, database = make_station(max_tps=100)
    for n in range(400):
        queue_text(settings, database, f"+5255123{n:05}", "Aviso")
    start_worker(settings, database)
    smsc.wait_for_pdus("submit_sm", count=400, timeout=20)
    arrivals = sorted(p["at_ms"] for p in smsc.pdus("submit_sm", "in"))
    assert busiest_second(arrivals) <= 100
    mean = (len(arrivals) - 1) / ((arrivals[-1] - arrivals[0]) / 1000)
    assert mean >= 100 * 0.97, f"{mean:.1f} submits/s for a limit of 100"
