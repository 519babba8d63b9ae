"""Delivery receipts matched to the segments they speak of, a batch at a time.

Split from the outbox because the rules are their own concern: which of an id's readings a
receipt means, which segment still awaits one, what an early or late receipt does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from sms.models import OutboundSegment, PendingReceipt, SegmentState
from sms.receipts import message_id_candidates, quotes
from sms.segment_updates import SEGMENTS, update_by_id

IN_CHUNK = 5000
"""Ids per IN (...) query: well under every database's limit on bound parameters."""


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


_BY_MESSAGE_IDS = (
    select(
        SEGMENTS.c.id,
        SEGMENTS.c.smsc_message_id,
        SEGMENTS.c.state,
        SEGMENTS.c.error,
        SEGMENTS.c.short_message,
    )
    .where(SEGMENTS.c.smsc_message_id.in_(bindparam("spellings", expanding=True)))
    .order_by(SEGMENTS.c.submitted_at.desc(), SEGMENTS.c.id.desc())
)
"""Every segment under any reading of a batch's receipt ids, newest first."""
_ANY_PENDING = select(PendingReceipt.__table__.c.id).limit(1)


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
    for chunk_start in range(0, len(spellings), IN_CHUNK):
        chunk = spellings[chunk_start : chunk_start + IN_CHUNK]
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
    update_by_id(session, updates)
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


def apply_pending_receipts(session: Session, submitted: list[tuple[str, datetime]]) -> None:
    """Apply the receipts kept because they came before these submissions (SMSC message id,
    time recorded) were recorded."""
    if session.connection().execute(_ANY_PENDING).first() is None:
        return
    # An id as written before other readings of ids: "16" kept is message 16's receipt even
    # when message 22 (0x16) was submitted in the same batch.
    spellings = {message_id: (message_id, at) for message_id, at in submitted}
    for message_id, at in submitted:
        for spelling in message_id_candidates(message_id):
            spellings.setdefault(spelling, (message_id, at))
    pending = list(
        session.scalars(
            select(PendingReceipt).where(PendingReceipt.smsc_message_id.in_(list(spellings)))
        )
    )
    early: list[Receipt] = []
    for receipt in pending:
        message_id, at = spellings[receipt.smsc_message_id]
        if receipt.received_at < at - timedelta(seconds=EARLY_RECEIPT_S):
            continue
        early.append(
            Receipt(
                message_id,
                SegmentState(receipt.state),
                receipt.error,
                at=receipt.received_at,
            )
        )
        session.delete(receipt)
    if early:
        # Each kept receipt carries the time it came, which becomes its segment's done_at.
        apply_receipts(session, early, now=submitted[-1][1])


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
