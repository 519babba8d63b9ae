"""The durable outbound queue: claims, batched outcomes, receipts that come early or late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from gateway.database import Database
from sms import outbox, receipt_matching, subscribers
from sms.models import OutboundSegment, PendingReceipt, SegmentPriority, SegmentState

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
        assert not receipt_matching.apply_receipt(
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
        receipt_matching.apply_receipt(
            session, smsc_message_id="9", state=SegmentState.FAILED, error="UNDELIV", now=NOW
        )
        receipt_matching.apply_receipt(
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
        receipt_matching.apply_receipt(
            session,
            smsc_message_id=f"id{first[0].id}",
            state=SegmentState.DELIVERED,
            error="",
            now=NOW,
        )
        counts = outbox.counts_by_state(session, alert_id=7)
    assert counts == {
        "queued": 0,
        "submitted": 1,
        "delivered": 0,
        "failed": 1,
        "expired": 0,
        "withdrawn": 0,
    }


def test_withdrawing_takes_only_what_no_worker_has_claimed(database: Database) -> None:
    ids = [queue(database, f"+5025555000{n}", TWO, alert_id=7) for n in range(3)]
    with database.session() as session:
        claimed = outbox.claim(session, worker="w", limit=3, now=NOW)
        withdrawn = outbox.withdraw_queued(session, message_ids=ids, now=NOW)
        rows = session.execute(select(OutboundSegment.id, OutboundSegment.state))
        states = {segment_id: state for segment_id, state in rows}
        counts = outbox.counts_by_state(session, alert_id=7)
    assert withdrawn == 3 and all(states[s.id] == "submitting" for s in claimed)
    assert sorted(states.values()).count("withdrawn") == 3
    # the message whose first segment was claimed still counts as on its way, not withdrawn
    assert counts["queued"] == 2 and counts["withdrawn"] == 1


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


def submit_each(database: Database, ids: dict[str, str]) -> dict[str, int]:
    """Queue and submit one message per destination, the SMSC naming each as `ids` says;
    returns segment ids by destination."""
    for destination in ids:
        queue(database, destination)
    with database.session() as session:
        claimed = outbox.claim(session, worker="w", limit=len(ids), now=NOW)
        outbox.record_outcomes(
            session,
            submitted=[outbox.Submitted(s.id, ids[s.destination], NOW) for s in claimed],
        )
        return {s.destination: s.id for s in claimed}


def segment_states(database: Database) -> dict[int, str]:
    with database.session() as session:
        return dict(session.execute(select(OutboundSegment.id, OutboundSegment.state)).all())


def test_a_receipt_takes_the_reading_of_its_id_that_is_still_awaiting_one(
    database: Database,
) -> None:
    segments = submit_each(database, {"+50255550016": "16", "+50255550022": "22"})
    with database.session() as session:
        assert receipt_matching.apply_receipt(
            session, smsc_message_id="16", state=SegmentState.DELIVERED, error="", now=NOW
        )
        assert receipt_matching.apply_receipt(
            session,
            smsc_message_id="16",
            candidates=("10", "22"),
            state=SegmentState.FAILED,
            error="UNDELIV",
            now=NOW,
        )
    assert segment_states(database) == {
        segments["+50255550016"]: "delivered",
        segments["+50255550022"]: "failed",
    }


def test_when_two_readings_await_a_receipt_the_id_as_written_wins_and_only_it(
    database: Database,
) -> None:
    """Nothing in the receipt tells them apart (no quoted text): the literal id is SMPP's."""
    segments = submit_each(database, {"+50255550016": "16", "+50255550022": "22"})
    with database.session() as session:
        receipt_matching.apply_receipt(
            session,
            smsc_message_id="16",
            candidates=("10", "22"),
            state=SegmentState.DELIVERED,
            error="",
            now=NOW,
        )
    assert segment_states(database) == {
        segments["+50255550016"]: "delivered",
        segments["+50255550022"]: "submitted",
    }


def test_a_receipt_kept_long_before_a_reused_id_was_submitted_is_not_applied_to_it(
    database: Database,
) -> None:
    with database.session() as session:
        receipt_matching.apply_receipt(
            session,
            smsc_message_id="5",
            state=SegmentState.DELIVERED,
            error="",
            now=NOW - timedelta(hours=3),
        )
    segments = submit_each(database, {"+50255550005": "5"})
    assert segment_states(database) == {segments["+50255550005"]: "submitted"}


def test_a_receipt_kept_early_goes_to_the_id_as_written_not_to_a_lookalike(
    database: Database,
) -> None:
    with database.session() as session:
        receipt_matching.apply_receipt(
            session, smsc_message_id="16", state=SegmentState.FAILED, error="x", now=NOW
        )
    segments = submit_each(database, {"+50255550016": "16", "+50255550022": "22"})
    assert segment_states(database) == {
        segments["+50255550016"]: "failed",
        segments["+50255550022"]: "submitted",
    }


def test_a_late_receipt_corrects_what_the_receipt_timeout_guessed(database: Database) -> None:
    segments = submit_each(database, {"+50255550007": "7", "+50255550008": "8"})
    with database.session() as session:
        later = NOW + timedelta(hours=49)
        assert receipt_matching.expire_unanswered(
            session, older_than=NOW + timedelta(hours=1), now=later
        )
        receipt_matching.apply_receipt(
            session, smsc_message_id="7", state=SegmentState.DELIVERED, error="", now=later
        )
        receipt_matching.apply_receipt(
            session, smsc_message_id="8", state=SegmentState.EXPIRED, error="EXPIRED", now=later
        )
        receipt_matching.apply_receipt(
            session, smsc_message_id="8", state=SegmentState.DELIVERED, error="", now=later
        )
    assert segment_states(database) == {
        segments["+50255550007"]: "delivered",
        segments["+50255550008"]: "expired",
    }


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
        receipt_matching.apply_receipt(
            session, smsc_message_id="5", state=SegmentState.FAILED, error="UNDELIV", now=NOW
        )
    delivered = receipt_matching.Receipt("5", SegmentState.DELIVERED, "")
    with database.session() as session:
        assert (
            receipt_matching.apply_receipts(session, [delivered, delivered, delivered], now=NOW)
            == 3
        )
    with database.session() as session:
        states = dict(session.execute(select(OutboundSegment.id, OutboundSegment.state)).all())
        pending = session.scalars(select(PendingReceipt)).all()
    assert states == {old.id: "delivered", older.id: "delivered", newest.id: "failed"}
    assert pending == []


def test_claims_take_alerts_then_one_person_then_other_bulk_and_a_retry_keeps_its_turn(
    database: Database,
) -> None:
    for n, priority in ((0, SegmentPriority.BULK), (1, SegmentPriority.PERSON)):
        with database.session() as session:
            outbox.enqueue(
                session,
                destination=f"+5025555{n:04d}",
                text="x",
                encoding="gsm7",
                segments=ONE,
                alert_id=None,
                now=NOW,
                priority=priority,
            )
    with database.session() as session:
        for n in range(3):
            outbox.enqueue(
                session,
                destination=f"+5025556{n:04d}",
                text="x",
                encoding="gsm7",
                segments=ONE,
                alert_id=1,
                now=NOW + timedelta(seconds=1),
                priority=SegmentPriority.ALERT,
            )
    with database.session() as session:
        (first,) = outbox.claim(session, worker="w", limit=1, now=NOW + timedelta(seconds=1))
        assert first.destination == "+50255560000"
        outbox.record_outcomes(session, retries=[outbox.Retry(first.id, None, "dropped")])
    with database.session() as session:
        order = [
            s.destination
            for s in outbox.claim(session, worker="w", limit=9, now=NOW + timedelta(seconds=1))
        ]
    assert order == [
        "+50255560000",
        "+50255560001",
        "+50255560002",
        "+50255550001",
        "+50255550000",
    ]


def test_one_batch_keeps_every_matching_rule_with_one_query(database: Database) -> None:
    """In one apply_receipts: the quoted text picks between two readings, the next receipt for
    the id takes what is left, a late receipt corrects the receipt timeout, a repeat of it
    changes nothing and is not kept; the segments are read with one SELECT."""
    for destination, text in (("+50255550007", b"siete"), ("+50255550016", b"uno")):
        queue(database, destination, segments=[outbox.SegmentPayload(text, 0, 0)])
    with database.session() as session:
        seven, sixteen = outbox.claim(session, worker="w", limit=2, now=NOW)
        outbox.record_outcomes(
            session,
            submitted=[
                outbox.Submitted(seven.id, "7", NOW - timedelta(hours=49)),
                outbox.Submitted(sixteen.id, "16", NOW),
            ],
        )
        assert receipt_matching.expire_unanswered(
            session, older_than=NOW - timedelta(hours=48), now=NOW
        )
    queue(database, "+50255550022", segments=[outbox.SegmentPayload(b"veintidos", 0, 0)])
    with database.session() as session:
        (twenty_two,) = outbox.claim(session, worker="w", limit=1, now=NOW)
        outbox.record_outcomes(session, submitted=[outbox.Submitted(twenty_two.id, "22", NOW)])
    quoting = receipt_matching.Receipt(
        "16", SegmentState.FAILED, "UNDELIV", ("10", "22"), "veintid"
    )
    plain = receipt_matching.Receipt("16", SegmentState.DELIVERED, "", ("10", "22"))
    late = receipt_matching.Receipt("7", SegmentState.DELIVERED, "")
    selects: list[str] = []

    def count_selects(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "sms_segments" in statement:
            selects.append(statement)

    event.listen(database.engine, "before_cursor_execute", count_selects)
    try:
        with database.session() as session:
            settled = receipt_matching.apply_receipts(
                session, [quoting, plain, late, late], now=NOW
            )
    finally:
        event.remove(database.engine, "before_cursor_execute", count_selects)
    assert settled == 4
    assert len(selects) == 1
    assert segment_states(database) == {
        seven.id: "delivered",
        sixteen.id: "delivered",
        twenty_two.id: "failed",
    }
    with database.session() as session:
        assert session.scalars(select(PendingReceipt)).all() == []
