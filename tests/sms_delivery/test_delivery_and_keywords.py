"""The worker against a real SMSC: receipts matched to messages, keywords from villages,
throttling and pacing respected, and nothing lost when the connection drops."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.database import Database
from gateway.settings import Settings
from sms import gsm7, outbox
from sms.inbound import InboundHandler, Received
from sms.link_events import Delivery
from sms.models import InboundMessage, OutboundSegment, SegmentState, Subscriber
from tests.sms_delivery.conftest import RunningWorker, queue_text, wait_until
from tests.smsc_harness import SmscSimulator

Station = Callable[..., tuple[Settings, Database]]
Start = Callable[[Settings, Database], RunningWorker]


def states(database: Database) -> Counter[str]:
    with database.session() as session:
        rows = session.execute(
            select(OutboundSegment.state, func.count()).group_by(OutboundSegment.state)
        ).all()
    return Counter({state: count for state, count in rows})


def accepted_destinations(smsc: SmscSimulator) -> Counter[str]:
    """Destinations of every submit_sm the SMSC accepted (status 0), with repeats."""
    sequences = {
        (pdu["session"], pdu["sequence_number"])
        for pdu in smsc.pdus("submit_sm_resp", "out")
        if pdu["command_status"] == 0
    }
    return Counter(
        pdu["destination_addr"]
        for pdu in smsc.pdus("submit_sm", "in")
        if (pdu["session"], pdu["sequence_number"]) in sequences
    )


def wait_bound(smsc: SmscSimulator) -> None:
    smsc.wait_for_sessions(lambda sessions: any(s["mode"] for s in sessions), timeout=10)


def test_receipts_match_by_id_across_hex_and_decimal_and_undeliv_is_a_failure(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(
        receipts=True,
        receipt_tlv=False,
        message_id_format="hex",
        receipt_text_id_format="decimal",
        receipt_stat_by_destination={"525512345679": "UNDELIV", "525512345670": "EXPIRED"},
    )
    settings, database = make_station()
    for number in ("+525512345678", "+525512345679", "+525512345670"):
        queue_text(settings, database, number, "Hola")
    start_worker(settings, database)
    final = {SegmentState.DELIVERED, SegmentState.FAILED, SegmentState.EXPIRED}
    wait_until(
        lambda: sum(n for state, n in states(database).items() if state in final) == 3,
        timeout=30,
        what="three receipts",
    )
    assert states(database) == Counter(
        {SegmentState.DELIVERED: 1, SegmentState.FAILED: 1, SegmentState.EXPIRED: 1}
    )


def test_keywords_from_a_village_subscribe_and_unsubscribe_with_a_reply_each_time(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station()
    start_worker(settings, database)
    wait_bound(smsc)
    smsc.send_mo(
        source_addr="525512345678",
        source_addr_ton=1,
        destination_addr="ALTAVOZ",
        data_coding=8,
        short_message_hex="ÁLTA San Andrés".encode("utf-16-be").hex(),
    )

    def subscriber() -> Subscriber | None:
        with database.session() as session:
            return session.scalar(select(Subscriber).where(Subscriber.phone == "+525512345678"))

    wait_until(lambda: subscriber() is not None, timeout=10, what="the subscription")
    joined = subscriber()
    assert joined is not None and joined.opted_in and joined.region == "San Andrés"
    assert joined.consent_channel == "sms"
    smsc.wait_for_pdus(
        "submit_sm", where=lambda p: p["destination_addr"] == "525512345678", timeout=10
    )

    smsc.send_mo(
        source_addr="525512345678",
        source_addr_ton=1,
        destination_addr="ALTAVOZ",
        data_coding=0,
        short_message_hex=b"baja".hex(),
    )
    wait_until(lambda: not subscriber().opted_in, timeout=10, what="the opt-out")  # type: ignore[union-attr]
    smsc.wait_for_pdus(
        "submit_sm", count=2, where=lambda p: p["destination_addr"] == "525512345678", timeout=10
    )
    with database.session() as session:
        try:
            outbox.enqueue(
                session,
                destination="+525512345678",
                text="x",
                encoding="gsm7",
                segments=[outbox.SegmentPayload(b"x", 0, 0)],
                alert_id=None,
                now=joined.consent_at,  # type: ignore[arg-type]
            )
        except outbox.OptedOutError:
            pass
        else:
            raise AssertionError("an opted-out number was queued")


def test_a_long_inbound_message_is_reassembled_whatever_order_its_parts_arrive_in(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station()
    start_worker(settings, database)
    wait_bound(smsc)
    first, second = b"Hay hombres armados en el camino a ", b"la comunidad, no vengan hoy"
    for seq, body in ((2, second), (1, first)):
        smsc.send_mo(
            source_addr="50221234567",
            source_addr_ton=1,
            destination_addr="ALTAVOZ",
            esm_class=0x40,
            data_coding=0,
            short_message_hex=(bytes([5, 0, 3, 0x2A, 2, seq]) + body).hex(),
        )

    def texts() -> list[str]:
        with database.session() as session:
            return list(session.scalars(select(InboundMessage.text)))

    wait_until(lambda: bool(texts()), timeout=10, what="the reassembled message")
    assert texts() == [(first + second).decode("ascii")]


def test_throttled_submits_are_retried_until_every_message_is_accepted(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(throttle_first_n=4)
    settings, database = make_station()
    numbers = [f"+5255123456{n:02}" for n in range(10)]
    for number in numbers:
        queue_text(settings, database, number, "Aviso")
    start_worker(settings, database)
    wait_until(
        lambda: states(database)[SegmentState.SUBMITTED] == 10, timeout=30, what="all accepted"
    )
    assert set(accepted_destinations(smsc)) == {n.lstrip("+") for n in numbers}
    throttled = [p for p in smsc.pdus("submit_sm_resp", "out") if p["command_status"] == 0x58]
    assert len(throttled) == 4


def test_sending_is_paced_evenly_without_any_second_over_the_limit(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(max_tps=20)
    for n in range(60):
        queue_text(settings, database, f"+5255123456{n:02}", "Aviso")
    start_worker(settings, database)
    wait_until(
        lambda: states(database)[SegmentState.SUBMITTED] == 60, timeout=30, what="all accepted"
    )
    times = sorted(p["at_ms"] for p in smsc.pdus("submit_sm", "in"))
    per_second = Counter(int((t - times[0]) // 1000) for t in times)
    assert max(per_second.values()) <= 20
    assert 2.5 <= (times[-1] - times[0]) / 1000 <= 3.5


def test_after_the_smsc_drops_the_connection_every_message_still_goes_out(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(response_delay_ms=5)
    settings, database = make_station(window=10)
    numbers = [f"+52551234{n:04}" for n in range(300)]
    for number in numbers:
        queue_text(settings, database, number, "Alerta")
    start_worker(settings, database)
    wait_until(lambda: sum(accepted_destinations(smsc).values()) >= 80, timeout=20, what="80")
    assert smsc.drop() >= 1
    wait_until(lambda: states(database)[SegmentState.SUBMITTED] == 300, timeout=60, what="all 300")
    accepted = accepted_destinations(smsc)
    assert set(accepted) == {n.lstrip("+") for n in numbers}
    assert sum(count - 1 for count in accepted.values()) <= 10


def test_keywords_packed_by_the_network_work_though_we_send_unpacked(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station(gsm7_packed=False)
    start_worker(settings, database)
    wait_bound(smsc)
    for text in ("ALTA Norte", "STOP"):
        smsc.send_mo(
            source_addr="525512340000",
            source_addr_ton=1,
            destination_addr="ALTAVOZ",
            data_coding=0,
            short_message_hex=gsm7.pack(gsm7.encode(text)).hex(),
        )
        smsc.wait_for_pdus(
            "submit_sm", where=lambda p: p["destination_addr"] == "525512340000", timeout=10
        )
        smsc.reset()
    with database.session() as session:
        stored = session.scalars(select(InboundMessage.text).order_by(InboundMessage.id)).all()
        subscriber = session.scalar(select(Subscriber).where(Subscriber.phone == "+525512340000"))
    assert stored == ["ALTA Norte", "STOP"]
    assert subscriber is not None and subscriber.region == "Norte" and not subscriber.opted_in


class BrokenOnBoom(InboundHandler):
    """The handler with a bug that one message triggers (as a real bug would, on some input)."""

    def handle(
        self, session: Session, delivery: Delivery, *, settings: Settings, now: datetime
    ) -> Received:
        if b"boom" in delivery.short_message:
            raise RuntimeError("a bug in keyword handling")
        return super().handle(session, delivery, settings=settings, now=now)


def test_a_message_the_handler_fails_on_is_kept_raw_and_holds_up_nothing(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    settings, database = make_station()
    running = start_worker(settings, database)
    running.worker.inbound = BrokenOnBoom(settings=settings.smpp)
    wait_bound(smsc)
    smsc.configure(redeliver_unanswered=True)
    smsc.send_mo_batch(["boom en el puente", "BAJA"], source_addr="525512340001")
    answers = smsc.wait_for_pdus("deliver_sm_resp", count=2, timeout=10)
    assert [a["command_status"] for a in answers] == [0, 0]
    with database.session() as session:
        stored = set(session.scalars(select(InboundMessage.text)))
    assert stored == {"boom en el puente", "BAJA"}
    assert running.thread.is_alive() and running.worker.items_failed == 1
