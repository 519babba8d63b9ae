"""The durable outbound queue: claims, batched outcomes, receipts that come early or late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.database import Database
from sms import outbox, subscribers
from sms.models import OutboundSegment, SegmentPriority, SegmentState

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ONE = [outbox.SegmentPayload(short_message=b"hola", data_coding=0, esm_class=0)]
TWO = [
    outbox.SegmentPayload(
        short_message=b"\x05\x00\x03\x01\x02\x01uno", data_coding=0, esm_class=64
    ),
    outbox.SegmentPayload(
        short_message=b"\x05\x00\x03\x01\x02\x02dos", data_coding=0, esm_class=64
    ),
]


def queue(database: Database, destination: str, segments=ONE, alert_id=None) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        message = outbox.enqueue(
            session,
            destination=destination,
            text="x",
            encoding="gsm7",
            segments=segments,
            alert_id=alert_id,
            now=NOW,
        )
        return message.id


def test_two_workers_never_claim_the_same_segment(database: Database) -> None:
    for n in range(10):
        queue(database, f"+5025555{n:04d}")
    with database.session() as session:
        first = outbox.claim(session, worker="a", limit=6, now=NOW)
    with database.session() as session:
        second = outbox.claim(session, worker="b", limit=6, now=NOW)
    assert len(first) == 6 and len(second) == 4
    assert not {s.id for s in first} & {s.id for s in second}


def test_claims_of_a_crashed_worker_go_back_to_the_queue(database: Database) -> None:
    queue(database, "+50255550001")
    with database.session() as session:
        (claimed,) = outbox.claim(session, worker="dead", limit=5, now=NOW)
    with database.session() as session:
        assert outbox.claim(session, worker="other", limit=5, now=NOW) == []
        assert outbox.release_stale_claims(session, older_than=NOW, workers_alive={"other"}) == 1
    with database.session() as session:
        again = outbox.claim(session, worker="other", limit=5, now=NOW)
    assert [s.id for s in again] == [claimed.id] and again[0].attempts == 2


def test_outcomes_are_written_in_one_batch(database: Database) -> None:
    for n in range(3):
        queue(database, f"+5025555{n:04d}")
    with database.session() as session:
        a, b, c = outbox.claim(session, worker="w", limit=5, now=NOW)
        outbox.record_outcomes(
            session,
            submitted=[outbox.Submitted(a.id, "0A1B", NOW)],
            retries=[outbox.Retry(b.id, NOW + timedelta(seconds=5), "throttled")],
            failures=[outbox.Failed(c.id, "ESME_RINVDSTADR", NOW)],
        )
    with database.session() as session:
        states = dict(session.execute(select(OutboundSegment.id, OutboundSegment.state)).all())
        assert states == {a.id: "submitted", b.id: "queued", c.id: "failed"}
        assert outbox.claim(session, worker="w", limit=5, now=NOW) == []
        later = outbox.claim(session, worker="w", limit=5, now=NOW + timedelta(seconds=6))
        assert [s.id for s in later] == [b.id]


def test_a_receipt_before_the_submit_response_is_kept_and_applied(database: Database) -> None:
    queue(database, "+50255550001")
    with database.session() as session:
        assert not outbox.apply_receipt(
            session, smsc_message_id="77", state=SegmentState.DELIVERED, error="", now=NOW
        )
    with database.session() as session:
        (segment,) = outbox.claim(session, worker="w", limit=1, now=NOW)
        outbox.record_outcomes(session, submitted=[outbox.Submitted(segment.id, "77", NOW)])
    with database.session() as session:
        assert session.get(OutboundSegment, segment.id).state == "delivered"  # type: ignore[union-attr]


def test_a_failure_receipt_is_never_turned_into_a_delivery(database: Database) -> None:
    queue(database, "+50255550001")
    with database.session() as session:
        (segment,) = outbox.claim(session, worker="w", limit=1, now=NOW)
        outbox.record_outcomes(session, submitted=[outbox.Submitted(segment.id, "9", NOW)])
        outbox.apply_receipt(
            session, smsc_message_id="9", state=SegmentState.FAILED, error="UNDELIV", now=NOW
        )
        outbox.apply_receipt(
            session, smsc_message_id="9", state=SegmentState.DELIVERED, error="", now=NOW
        )
    with database.session() as session:
        assert session.get(OutboundSegment, segment.id).state == "failed"  # type: ignore[union-attr]


def test_counts_take_a_message_as_its_least_advanced_segment(database: Database) -> None:
    queue(database, "+50255550001", TWO, alert_id=7)
    queue(database, "+50255550002", TWO, alert_id=7)
    queue(database, "+50255550003", ONE, alert_id=8)
    with database.session() as session:
        claimed = outbox.claim(session, worker="w", limit=10, now=NOW)
        by_dest = {}
        for s in claimed:
            by_dest.setdefault(s.destination, []).append(s)
        first, second = by_dest["+50255550001"], by_dest["+50255550002"]
        outbox.record_outcomes(
            session,
            submitted=[outbox.Submitted(s.id, f"id{s.id}", NOW) for s in first + second[:1]],
            failures=[outbox.Failed(second[1].id, "x", NOW)],
        )
        outbox.apply_receipt(
            session,
            smsc_message_id=f"id{first[0].id}",
            state=SegmentState.DELIVERED,
            error="",
            now=NOW,
        )
        counts = outbox.counts_by_state(session, alert_id=7)
    assert counts == {"queued": 0, "submitted": 1, "delivered": 0, "failed": 1}


def test_opted_out_numbers_are_never_queued(database: Database) -> None:
    with database.session() as session:
        s = subscribers.subscribe(
            session,
            phone="+50255550001",
            region="x",
            language="es",
            channel=subscribers.ConsentChannel.SMS,
            default_region="GT",
            now=NOW,
        )
        subscribers.unsubscribe(session, phone_e164=s.phone, now=NOW)
    with pytest.raises(outbox.OptedOutError):
        queue(database, "+50255550001")


def test_one_batch_of_receipts_marks_awaiting_segments_newest_first_one_each(
    database: Database,
) -> None:
    """An SMSC that restarted reuses ids: "5" names an old final segment and two awaiting
    ones. Two receipts for "5" in one batch mark the two awaiting ones, newest first; a third
    changes nothing and is not kept as pending."""
    for n in range(3):
        queue(database, f"+5025555{n:04d}")
    with database.session() as session:
        old, older, newest = outbox.claim(session, worker="w", limit=3, now=NOW)
        outbox.record_outcomes(
            session,
            submitted=[
                outbox.Submitted(old.id, "5", NOW),
                outbox.Submitted(older.id, "5", NOW + timedelta(seconds=1)),
                outbox.Submitted(newest.id, "5", NOW + timedelta(seconds=2)),
            ],
        )
        outbox.apply_receipt(
            session, smsc_message_id="5", state=SegmentState.FAILED, error="UNDELIV", now=NOW
        )
    delivered = outbox.Receipt("5", SegmentState.DELIVERED, "")
    with database.session() as session:
        assert outbox.apply_receipts(session, [delivered, delivered, delivered], now=NOW) == 3
    with database.session() as session:
        states = dict(session.execute(select(OutboundSegment.id, OutboundSegment.state)).all())
        pending = session.scalars(select(outbox.PendingReceipt)).all()
    assert states == {old.id: "delivered", older.id: "delivered", newest.id: "failed"}
    assert pending == []


def test_claims_take_retries_then_one_person_then_alert_fan_outs(database: Database) -> None:
    with database.session() as session:
        for n in range(3):
            outbox.enqueue(
                session,
                destination=f"+5025555{n:04d}",
                text="x",
                encoding="gsm7",
                segments=ONE,
                alert_id=1,
                now=NOW,
                priority=SegmentPriority.BULK,
            )
    queue(database, "+50255559999")
    with database.session() as session:
        (cut,) = outbox.claim(session, worker="w", limit=1, now=NOW)
        assert cut.destination == "+50255559999"
        (bulk,) = outbox.claim(session, worker="w", limit=1, now=NOW)
        outbox.record_outcomes(session, retries=[outbox.Retry(bulk.id, None, "dropped")])
    queue(database, "+50255558888")
    with database.session() as session:
        order = [s.destination for s in outbox.claim(session, worker="w", limit=5, now=NOW)]
    assert order == [bulk.destination, "+50255558888", "+50255550001", "+50255550002"]
