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

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from sms.models import (
    OutboundMessage,
    OutboundSegment,
    SegmentPriority,
    SegmentState,
    Subscriber,
)
from sms.receipt_matching import IN_CHUNK, apply_pending_receipts
from sms.segment_updates import update_by_id


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


"""Ids per IN (...) list: well under SQLite's limit of bound parameters."""


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
    priority: SegmentPriority = SegmentPriority.PERSON,
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
            priority=priority,
            next_attempt_at=now,
            queued_at=now,
        )
        for index, segment in enumerate(segments, start=1)
    )
    return message


_CLAIM_ORDER = (
    OutboundSegment.priority,
    OutboundSegment.turn,
    OutboundSegment.next_attempt_at,
    OutboundSegment.id,
)
"""Alerts, then messages to one person, then other bulk; by turn, then oldest, within each."""


def alert_turn_base(session: Session) -> int:
    """The turn an alert queued now starts at: the turn of the earliest alert message still
    queued (0 when none is). Its k-th message takes `base + k`, so it alternates message by
    message with every alert still sending, instead of queueing behind them (start-time fair
    queueing, with a message as the unit)."""
    base = session.scalar(
        select(func.min(OutboundSegment.turn)).where(
            OutboundSegment.state == SegmentState.QUEUED,
            OutboundSegment.priority == SegmentPriority.ALERT,
        )
    )
    return int(base or 0)


def claim(session: Session, *, worker: str, limit: int, now: datetime) -> list[ClaimedSegment]:
    """Take up to `limit` due segments for this worker, in claim order (see SegmentPriority);
    SKIP LOCKED keeps workers apart."""
    query = (
        select(OutboundSegment.id)
        .where(OutboundSegment.state == SegmentState.QUEUED, OutboundSegment.next_attempt_at <= now)
        .order_by(*_CLAIM_ORDER)
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
        .order_by(*_CLAIM_ORDER)
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


def withdraw_queued(session: Session, *, message_ids: Sequence[int], now: datetime) -> int:
    """Withdraw every segment of these messages still waiting in the queue (their alert was
    cancelled). Only QUEUED rows change, and a claim changes only QUEUED rows, in one
    statement each: whichever commits first wins a row, so no segment is both withdrawn and
    handed to an SMSC. What a worker already holds (SUBMITTING) goes out as sent."""
    withdrawn = 0
    for start in range(0, len(message_ids), IN_CHUNK):
        result = session.execute(
            update(OutboundSegment)
            .where(
                OutboundSegment.message_id.in_(message_ids[start : start + IN_CHUNK]),
                OutboundSegment.state == SegmentState.QUEUED,
            )
            .values(
                state=SegmentState.WITHDRAWN,
                error="withdrawn: the alert was cancelled",
                done_at=now,
                claimed_by="",
            )
            .execution_options(synchronize_session=False)
        )
        withdrawn += int(getattr(result, "rowcount", 0) or 0)
    return withdrawn


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


def release_segments(session: Session, *, worker: str, ids: Sequence[int]) -> int:
    """Give back segments this worker claimed but never sent, so the next claim takes them
    in claim order again (after a dropped connection, retries must overtake them)."""
    released = 0
    for start in range(0, len(ids), IN_CHUNK):
        result = session.execute(
            update(OutboundSegment)
            .where(
                OutboundSegment.id.in_(ids[start : start + IN_CHUNK]),
                OutboundSegment.claimed_by == worker,
                OutboundSegment.state == SegmentState.SUBMITTING,
            )
            .values(state=SegmentState.QUEUED, claimed_by="")
            .execution_options(synchronize_session=False)
        )
        released += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return released


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
    """Send again: after `not_before`, or (None) as soon as possible, keeping its place.

    Either way it keeps its priority and turn, which had already come: it goes first among its
    kind when due."""

    segment_id: int
    not_before: datetime | None
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
    """Write a batch of SMSC answers in one go (executemany UPDATE by primary key)."""
    submitted = list(submitted)
    submitted_rows: list[dict[str, object]] = [
        {
            "segment_id": s.segment_id,
            "state": SegmentState.SUBMITTED.value,
            "smsc_message_id": s.smsc_message_id,
            "submitted_at": s.at,
            "claimed_by": "",
        }
        for s in submitted
    ]
    update_by_id(session, submitted_rows)
    retry_rows: list[dict[str, object]] = []
    keep_place: list[dict[str, object]] = []
    for r in retries:
        row: dict[str, object] = {
            "segment_id": r.segment_id,
            "state": SegmentState.QUEUED.value,
            "error": r.reason[:200],
            "claimed_by": "",
        }
        if r.not_before is None:
            keep_place.append(row)
        else:
            retry_rows.append({**row, "next_attempt_at": r.not_before})
    update_by_id(session, retry_rows)
    update_by_id(session, keep_place)
    update_by_id(
        session,
        [
            {
                "segment_id": f.segment_id,
                "state": SegmentState.FAILED.value,
                "error": f.reason[:200],
                "done_at": f.at,
                "claimed_by": "",
            }
            for f in failures
        ],
    )
    if submitted_rows:
        apply_pending_receipts(session, [(s.smsc_message_id, s.at) for s in submitted])


def counts_by_state(session: Session, *, alert_id: int | None = None) -> dict[str, int]:
    """Messages per state: a message counts as failed if a segment failed, else as expired if
    one expired (no receipt in time), else as its least advanced segment that was not
    withdrawn; as withdrawn only when every segment was (nothing of it left)."""
    rank = case(
        (OutboundSegment.state == SegmentState.WITHDRAWN, 7),
        (OutboundSegment.state == SegmentState.FAILED, 6),
        (OutboundSegment.state == SegmentState.EXPIRED, 5),
        (OutboundSegment.state == SegmentState.QUEUED, 1),
        (OutboundSegment.state == SegmentState.SUBMITTING, 2),
        (OutboundSegment.state == SegmentState.SUBMITTED, 3),
        else_=4,
    )
    per_message = select(
        OutboundSegment.message_id.label("message_id"),
        func.max(case(((rank >= 5) & (rank <= 6), rank), else_=0)).label("bad"),
        func.min(rank).label("worst"),
    ).group_by(OutboundSegment.message_id)
    if alert_id is not None:
        per_message = per_message.join(
            OutboundMessage, OutboundMessage.id == OutboundSegment.message_id
        ).where(OutboundMessage.alert_id == alert_id)
    sub = per_message.subquery()
    names = {
        1: "queued",
        2: "queued",
        3: "submitted",
        4: "delivered",
        5: "expired",
        6: "failed",
        7: "withdrawn",
    }
    counts = {"queued": 0, "submitted": 0, "delivered": 0, "failed": 0, "expired": 0}
    counts["withdrawn"] = 0
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
