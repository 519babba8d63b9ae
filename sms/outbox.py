"""Every database access of the outbound queue, in one place.

At-least-once delivery rests on three rules kept here: a segment is claimed (state SUBMITTING,
claimed_by this worker) before it is sent; it becomes SUBMITTED only when the SMSC answered
with a message_id; and on start or reconnect a worker returns everything it had claimed but
not seen answered to QUEUED. So a crash re-sends at most what was in flight (the window), and
nothing acknowledged is sent twice. State writes are batched: one transaction per batch of
answers, not one per message, which is what keeps thousands of messages per second durable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from sms.models import (
    OutboundMessage,
    OutboundSegment,
    PendingReceipt,
    SegmentState,
    Subscriber,
)
from sms.receipts import message_id_candidates, quotes


@dataclass(frozen=True)
class SegmentPayload:
    """What one submit_sm carries, as the encoder produced it."""

    short_message: bytes
    data_coding: int
    esm_class: int


@dataclass(frozen=True)
class ClaimedSegment:
    id: int
    destination: str
    short_message: bytes
    data_coding: int
    esm_class: int
    attempts: int


class OptedOutError(ValueError):
    """The number asked not to receive messages; we never send to it."""


def enqueue(
    session: Session,
    *,
    destination: str,
    text: str,
    encoding: str,
    segments: Sequence[SegmentPayload],
    alert_id: int | None,
    now: datetime,
    confirm_opt_out: bool = False,
) -> OutboundMessage:
    """Queue one message (already encoded) for one E.164 destination.

    `confirm_opt_out` lets through the one reply that confirms a STOP, which carriers expect;
    nothing else ever goes to an opted-out number."""
    opted_out = session.scalar(
        select(Subscriber.id).where(Subscriber.phone == destination, Subscriber.opted_in.is_(False))
    )
    if opted_out is not None and not confirm_opt_out:
        raise OptedOutError(f"{destination} has opted out")
    message = OutboundMessage(
        destination=destination,
        text=text,
        encoding=encoding,
        segment_count=len(segments),
        alert_id=alert_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add_all(
        OutboundSegment(
            message_id=message.id,
            seq=index,
            destination=destination,
            short_message=segment.short_message,
            data_coding=segment.data_coding,
            esm_class=segment.esm_class,
            state=SegmentState.QUEUED,
            next_attempt_at=now,
            queued_at=now,
        )
        for index, segment in enumerate(segments, start=1)
    )
    return message


def claim(session: Session, *, worker: str, limit: int, now: datetime) -> list[ClaimedSegment]:
    """Take up to `limit` due segments for this worker; SKIP LOCKED keeps workers apart."""
    query = (
        select(OutboundSegment.id)
        .where(OutboundSegment.state == SegmentState.QUEUED, OutboundSegment.next_attempt_at <= now)
        .order_by(OutboundSegment.next_attempt_at, OutboundSegment.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(OutboundSegment)
        .where(OutboundSegment.id.in_(ids), OutboundSegment.state == SegmentState.QUEUED)
        .values(
            state=SegmentState.SUBMITTING,
            claimed_by=worker,
            attempts=OutboundSegment.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(
            OutboundSegment.id,
            OutboundSegment.destination,
            OutboundSegment.short_message,
            OutboundSegment.data_coding,
            OutboundSegment.esm_class,
            OutboundSegment.attempts,
        )
        .where(OutboundSegment.id.in_(ids), OutboundSegment.claimed_by == worker)
        .where(OutboundSegment.state == SegmentState.SUBMITTING)
        .order_by(OutboundSegment.next_attempt_at, OutboundSegment.id)
    )
    return [ClaimedSegment(*row) for row in rows]


def cancel_queued(session: Session, *, destination: str, reason: str, now: datetime) -> int:
    """Withdraw what is still queued for a number (it opted out): those segments fail."""
    result = session.execute(
        update(OutboundSegment)
        .where(
            OutboundSegment.destination == destination,
            OutboundSegment.state == SegmentState.QUEUED,
        )
        .values(state=SegmentState.FAILED, error=reason[:200], done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def withdraw_unsent(session: Session, *, message_id: int, reason: str, now: datetime) -> int:
    """Fail a message none of whose segments was ever handed to an SMSC, so a command that
    gave up on it does not leave it for a later worker to send behind the operator's back
    (and a retry of the command to send it twice). Returns the segments withdrawn: 0 when any
    was attempted, since the SMSC may then hold part of it and the queue must finish it."""
    attempted = session.scalar(
        select(func.count(OutboundSegment.id)).where(
            OutboundSegment.message_id == message_id,
            (OutboundSegment.attempts > 0) | (OutboundSegment.state != SegmentState.QUEUED),
        )
    )
    if attempted:
        return 0
    result = session.execute(
        update(OutboundSegment)
        .where(
            OutboundSegment.message_id == message_id, OutboundSegment.state == SegmentState.QUEUED
        )
        .values(state=SegmentState.FAILED, error=reason[:200], done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release_claims(session: Session, *, worker: str) -> int:
    """Return everything this worker claimed but never saw answered (crash, drop) to the queue."""
    result = session.execute(
        update(OutboundSegment)
        .where(
            OutboundSegment.claimed_by == worker,
            OutboundSegment.state == SegmentState.SUBMITTING,
        )
        .values(state=SegmentState.QUEUED, claimed_by="")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_stale_claims(session: Session, *, older_than: datetime, workers_alive: set[str]) -> int:
    """Free claims of workers that are gone (no heartbeat), so another worker can send them."""
    query = update(OutboundSegment).where(OutboundSegment.state == SegmentState.SUBMITTING)
    if workers_alive:
        query = query.where(OutboundSegment.claimed_by.not_in(workers_alive))
    result = session.execute(
        query.values(state=SegmentState.QUEUED, claimed_by="").execution_options(
            synchronize_session=False
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Submitted:
    segment_id: int
    smsc_message_id: str
    at: datetime


@dataclass(frozen=True)
class Retry:
    segment_id: int
    not_before: datetime
    reason: str


@dataclass(frozen=True)
class Failed:
    segment_id: int
    reason: str
    at: datetime


def record_outcomes(
    session: Session,
    *,
    submitted: Iterable[Submitted] = (),
    retries: Iterable[Retry] = (),
    failures: Iterable[Failed] = (),
) -> None:
    """Write a batch of SMSC answers in one go (bulk UPDATE by primary key)."""
    submitted = list(submitted)
    submitted_rows: list[dict[str, object]] = [
        {
            "id": s.segment_id,
            "state": SegmentState.SUBMITTED.value,
            "smsc_message_id": s.smsc_message_id,
            "submitted_at": s.at,
            "claimed_by": "",
        }
        for s in submitted
    ]
    if submitted_rows:
        session.execute(update(OutboundSegment), submitted_rows)
    retry_rows = [
        {
            "id": r.segment_id,
            "state": SegmentState.QUEUED.value,
            "next_attempt_at": r.not_before,
            "error": r.reason[:200],
            "claimed_by": "",
        }
        for r in retries
    ]
    if retry_rows:
        session.execute(update(OutboundSegment), retry_rows)
    failure_rows = [
        {
            "id": f.segment_id,
            "state": SegmentState.FAILED.value,
            "error": f.reason[:200],
            "done_at": f.at,
            "claimed_by": "",
        }
        for f in failures
    ]
    if failure_rows:
        session.execute(update(OutboundSegment), failure_rows)
    if submitted_rows:
        _apply_pending_receipts(session, list(submitted))


RECEIPT_TIMED_OUT = "no delivery receipt in time"
"""The error of a segment the receipt timeout expired (not a receipt saying EXPIRED)."""
EARLY_RECEIPT_S = 600.0
"""How long before its submission is recorded a receipt may arrive and still be applied to it.
SMSCs that send the receipt before submit_sm_resp do so within seconds; a kept receipt older
than this belongs to an earlier message with the same id (an SMSC restarted, ids reused)."""


def apply_receipt(
    session: Session,
    *,
    smsc_message_id: str,
    state: SegmentState,
    error: str,
    now: datetime,
    candidates: Sequence[str] = (),
    quoted_text: str = "",
) -> bool:
    """Mark the one segment a delivery receipt speaks of; keep the receipt if it came too early.

    Only segments still awaiting a receipt are matched, newest first: an SMSC that restarted
    and reuses ids speaks of the message it accepted last, never of an old one that is already
    final. A segment expired by our receipt timeout still counts as awaiting (after those that
    are SUBMITTED): a late receipt is the truth the timeout had to guess.

    `candidates` are readings of the id, most likely first (as written, then decimal for hex
    and back). When several readings each name an awaiting segment, the one whose text the
    receipt quotes wins; failing that, the earliest reading: the id as written is what SMPP
    says the receipt carries, another reading is a guess about a non-conforming SMSC. Either
    way one receipt marks one segment, never two."""
    readings = list(dict.fromkeys((smsc_message_id, *candidates)))
    awaiting = list(
        session.scalars(
            select(OutboundSegment)
            .where(
                OutboundSegment.smsc_message_id.in_(readings),
                or_(
                    OutboundSegment.state == SegmentState.SUBMITTED,
                    and_(
                        OutboundSegment.state == SegmentState.EXPIRED,
                        OutboundSegment.error == RECEIPT_TIMED_OUT,
                    ),
                ),
            )
            .order_by(OutboundSegment.submitted_at.desc(), OutboundSegment.id.desc())
        )
    )
    if awaiting:
        segment = min(
            awaiting,
            key=lambda row: (
                row.state != SegmentState.SUBMITTED,
                not quotes(row.short_message, quoted_text),
                readings.index(row.smsc_message_id or ""),
            ),
        )
        segment.state = state.value
        segment.error = error[:200]
        segment.done_at = now
        return True
    final = session.scalar(
        select(OutboundSegment.id).where(OutboundSegment.smsc_message_id.in_(readings)).limit(1)
    )
    if final is not None:
        return True
    session.add(
        PendingReceipt(
            smsc_message_id=smsc_message_id, state=state.value, error=error, received_at=now
        )
    )
    return False


def _apply_pending_receipts(session: Session, submitted: list[Submitted]) -> None:
    # An id as written before other readings of ids: "16" kept is message 16's receipt even
    # when message 22 (0x16) was submitted in the same batch.
    spellings = {item.smsc_message_id: item for item in submitted}
    for item in submitted:
        for spelling in message_id_candidates(item.smsc_message_id):
            spellings.setdefault(spelling, item)
    pending = list(
        session.scalars(
            select(PendingReceipt).where(PendingReceipt.smsc_message_id.in_(list(spellings)))
        )
    )
    for receipt in pending:
        item = spellings[receipt.smsc_message_id]
        if receipt.received_at < item.at - timedelta(seconds=EARLY_RECEIPT_S):
            continue
        apply_receipt(
            session,
            smsc_message_id=item.smsc_message_id,
            state=SegmentState(receipt.state),
            error=receipt.error,
            now=receipt.received_at,
        )
        session.delete(receipt)


def expire_unanswered(session: Session, *, older_than: datetime, now: datetime) -> int:
    """Segments submitted before `older_than` and still without a receipt become EXPIRED (the
    receipt timeout); receipts kept that long without their submission are dropped."""
    result = session.execute(
        update(OutboundSegment)
        .where(
            OutboundSegment.state == SegmentState.SUBMITTED,
            OutboundSegment.submitted_at < older_than,
        )
        .values(state=SegmentState.EXPIRED, error=RECEIPT_TIMED_OUT, done_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(PendingReceipt).where(PendingReceipt.received_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def counts_by_state(session: Session, *, alert_id: int | None = None) -> dict[str, int]:
    """Messages per state: a message counts as failed if a segment failed, else as expired if
    one expired (no receipt in time), else as its least advanced segment."""
    rank = case(
        (OutboundSegment.state == SegmentState.FAILED, 6),
        (OutboundSegment.state == SegmentState.EXPIRED, 5),
        (OutboundSegment.state == SegmentState.QUEUED, 1),
        (OutboundSegment.state == SegmentState.SUBMITTING, 2),
        (OutboundSegment.state == SegmentState.SUBMITTED, 3),
        else_=4,
    )
    per_message = select(
        OutboundSegment.message_id.label("message_id"),
        func.max(case((rank >= 5, rank), else_=0)).label("bad"),
        func.min(rank).label("worst"),
    ).group_by(OutboundSegment.message_id)
    if alert_id is not None:
        per_message = per_message.join(
            OutboundMessage, OutboundMessage.id == OutboundSegment.message_id
        ).where(OutboundMessage.alert_id == alert_id)
    sub = per_message.subquery()
    names = {1: "queued", 2: "queued", 3: "submitted", 4: "delivered", 5: "expired", 6: "failed"}
    counts = {"queued": 0, "submitted": 0, "delivered": 0, "failed": 0, "expired": 0}
    for bad, worst, number in session.execute(
        select(sub.c.bad, sub.c.worst, func.count()).group_by(sub.c.bad, sub.c.worst)
    ):
        counts[names[bad or worst]] += number
    return counts


def backlog(session: Session, *, now: datetime, horizon: timedelta = timedelta(0)) -> int:
    return int(
        session.scalar(
            select(func.count(OutboundSegment.id)).where(
                OutboundSegment.state == SegmentState.QUEUED,
                OutboundSegment.next_attempt_at <= now + horizon,
            )
        )
        or 0
    )
