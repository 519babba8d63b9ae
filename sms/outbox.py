"""Every database access of the outbound queue, in one place.

At-least-once delivery rests on three rules kept here: a segment is claimed (state SUBMITTING,
claimed_by this worker) before it is sent; it becomes SUBMITTED only when the SMSC answered
with a message_id; and on start or reconnect a worker returns everything it had claimed but
not seen answered to QUEUED. So a crash re-sends at most what was in flight (the window), and
nothing acknowledged is sent twice. State writes are batched: one transaction per batch of
answers, not one per message, which is what keeps thousands of messages per second durable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, Update, bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sms.models import (
    OutboundMessage,
    OutboundSegment,
    PendingReceipt,
    SegmentPriority,
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


_SEGMENTS = cast(Table, OutboundSegment.__table__)
_IN_CHUNK = 5000
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


_CLAIM_ORDER = (OutboundSegment.priority, OutboundSegment.next_attempt_at, OutboundSegment.id)
"""Retries first, then messages to one person, then alert fan-outs; oldest first within each."""


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
    for start in range(0, len(ids), _IN_CHUNK):
        result = session.execute(
            update(OutboundSegment)
            .where(
                OutboundSegment.id.in_(ids[start : start + _IN_CHUNK]),
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

    Either way it goes first when due (SegmentPriority.RETRY): its turn had already come."""

    segment_id: int
    not_before: datetime | None
    reason: str


@dataclass(frozen=True)
class Failed:
    segment_id: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class Receipt:
    """A final delivery receipt: the id as the receipt gives it, its other readings (most
    likely first; see `_choose`), the state it reports and the SMSC's words."""

    smsc_message_id: str
    state: SegmentState
    error: str
    candidates: tuple[str, ...] = ()
    quoted_text: str = ""
    """The start of the message as the receipt's `text:` quotes it ("" when it does not)."""
    at: datetime | None = None
    """When it came, if not the batch's time (a receipt kept early, applied later)."""


@functools.cache
def _update_statement() -> Update:
    """Built once: a statement made afresh costs more to prepare (cache key, coercions) than
    the UPDATE itself for a batch of ten rows. The SET clause follows the parameters' keys."""
    return update(_SEGMENTS).where(_SEGMENTS.c.id == bindparam("segment_id"))


def _update_by_id(session: Session, rows: list[dict[str, object]]) -> None:
    """One executemany UPDATE of the columns the rows name (all rows name the same ones),
    keyed by "segment_id"; on the session's connection (Core), not through the ORM, which
    costs far more per statement and per row."""
    if rows:
        session.connection().execute(_update_statement(), rows)


_BY_MESSAGE_IDS = (
    select(
        _SEGMENTS.c.id,
        _SEGMENTS.c.smsc_message_id,
        _SEGMENTS.c.state,
        _SEGMENTS.c.error,
        _SEGMENTS.c.short_message,
    )
    .where(_SEGMENTS.c.smsc_message_id.in_(bindparam("spellings", expanding=True)))
    .order_by(_SEGMENTS.c.submitted_at.desc(), _SEGMENTS.c.id.desc())
)
"""Every segment under any reading of a batch's receipt ids, newest first."""
_ANY_PENDING = select(PendingReceipt.__table__.c.id).limit(1)


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
    _update_by_id(session, submitted_rows)
    retry_rows: list[dict[str, object]] = []
    keep_place: list[dict[str, object]] = []
    for r in retries:
        row: dict[str, object] = {
            "segment_id": r.segment_id,
            "state": SegmentState.QUEUED.value,
            "priority": SegmentPriority.RETRY.value,
            "error": r.reason[:200],
            "claimed_by": "",
        }
        if r.not_before is None:
            keep_place.append(row)
        else:
            retry_rows.append({**row, "next_attempt_at": r.not_before})
    _update_by_id(session, retry_rows)
    _update_by_id(session, keep_place)
    _update_by_id(
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
    """Mark the one segment a delivery receipt speaks of (see `apply_receipts`)."""
    receipt = Receipt(smsc_message_id, state, error, tuple(candidates), quoted_text)
    return apply_receipts(session, [receipt], now=now) == 1


@dataclass(frozen=True)
class _Awaiting:
    """A segment still awaiting a receipt, as `_choose` weighs it."""

    id: int
    submitted: bool
    """False for a segment our receipt timeout expired: a late receipt still marks it, but a
    SUBMITTED one under the same id goes first."""
    short_message: bytes


def apply_receipts(session: Session, receipts: Sequence[Receipt], *, now: datetime) -> int:
    """Mark the segments a batch of receipts speak of, with one query and one UPDATE; keep a
    receipt that matches nothing at all (it came before its submit_sm_resp was stored).
    Returns how many were settled (matched, or spoke of a segment already final).

    Only segments still awaiting a receipt are matched, newest first: an SMSC that restarted
    and reuses ids speaks of the message it accepted last, never of an old one that is already
    final. A segment expired by our receipt timeout still counts as awaiting (after those that
    are SUBMITTED): a late receipt is the truth the timeout had to guess. One receipt marks
    one segment and one segment takes one receipt (see `_choose`); a receipt for a segment
    already final changes nothing."""
    if not receipts:
        return 0
    spellings = list({s for r in receipts for s in (r.smsc_message_id, *r.candidates)})
    awaiting: dict[str, list[_Awaiting]] = {}
    known: set[str] = set()
    connection = session.connection()
    for chunk_start in range(0, len(spellings), _IN_CHUNK):
        chunk = spellings[chunk_start : chunk_start + _IN_CHUNK]
        for segment_id, message_id, state, error, short_message in connection.execute(
            _BY_MESSAGE_IDS, {"spellings": chunk}
        ):
            known.add(message_id)
            submitted = state == SegmentState.SUBMITTED
            if submitted or (state == SegmentState.EXPIRED and error == RECEIPT_TIMED_OUT):
                awaiting.setdefault(message_id, []).append(
                    _Awaiting(segment_id, submitted, short_message)
                )
    updates: list[dict[str, object]] = []
    unmatched: list[dict[str, object]] = []
    for receipt in receipts:
        readings = list(dict.fromkeys((receipt.smsc_message_id, *receipt.candidates)))
        segment_id = _choose(readings, receipt.quoted_text, awaiting)
        if segment_id is not None:
            updates.append(
                {
                    "segment_id": segment_id,
                    "state": receipt.state.value,
                    "error": receipt.error[:200],
                    "done_at": receipt.at or now,
                }
            )
        elif not known.intersection(readings):
            unmatched.append(
                {
                    "smsc_message_id": receipt.smsc_message_id,
                    "state": receipt.state.value,
                    "error": receipt.error,
                    "received_at": receipt.at or now,
                }
            )
    _update_by_id(session, updates)
    if unmatched:
        session.execute(insert(PendingReceipt), unmatched)
    return len(receipts) - len(unmatched)


def _choose(
    readings: list[str], quoted_text: str, awaiting: dict[str, list[_Awaiting]]
) -> int | None:
    """The segment a receipt marks, taken out of `awaiting` so no other receipt of the batch
    marks it too.

    `readings` are the id's readings, most likely first (as written, then decimal for hex and
    back). A SUBMITTED segment goes before one our timeout expired; then, when several readings
    each name an awaiting segment, the one whose text the receipt quotes; failing that, the
    earliest reading (the id as written is what SMPP says the receipt carries, another reading
    is a guess about a non-conforming SMSC); under one reading, the newest segment."""
    best: tuple[tuple[bool, bool, int, int], list[_Awaiting]] | None = None
    for index, reading in enumerate(readings):
        for position, segment in enumerate(awaiting.get(reading, ())):
            rank = (
                not segment.submitted,
                not quotes(segment.short_message, quoted_text),
                index,
                position,
            )
            if best is None or rank < best[0]:
                best = (rank, awaiting[reading])
    if best is None:
        return None
    return best[1].pop(best[0][3]).id


def _apply_pending_receipts(session: Session, submitted: list[Submitted]) -> None:
    """Apply the receipts kept because they came before these submissions were recorded."""
    if session.connection().execute(_ANY_PENDING).first() is None:
        return
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
    early: list[Receipt] = []
    for receipt in pending:
        item = spellings[receipt.smsc_message_id]
        if receipt.received_at < item.at - timedelta(seconds=EARLY_RECEIPT_S):
            continue
        early.append(
            Receipt(
                item.smsc_message_id,
                SegmentState(receipt.state),
                receipt.error,
                at=receipt.received_at,
            )
        )
        session.delete(receipt)
    if early:
        # Each kept receipt carries the time it came, which becomes its segment's done_at.
        apply_receipts(session, early, now=submitted[-1].at)


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
