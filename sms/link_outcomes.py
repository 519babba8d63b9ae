"""What the SMPP link reports, handed from its thread to the SMS worker's and sorted into the
batch of outcomes the worker writes in one transaction.

Split from `sms.worker` along the line between taking the link's reports in (this module:
no database, no sockets) and scheduling what is claimed and submitted (the worker).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple

from sms import outbox, receipt_matching
from sms.link_events import Delivery, DeliveryTicket, LinkState
from sms.models import SegmentState
from sms.pacing import Backoff
from sms.receipts import ReceiptOutcome, normalize_message_id, receipt_outcome


class Kind(Enum):
    SUBMITTED = "submitted"
    THROTTLED = "throttled"
    FAILED = "failed"
    REQUEUE = "requeue"
    RECEIPT = "receipt"
    INBOUND = "inbound"
    LINK_STATE = "link_state"


class LinkReport(NamedTuple):
    """One report of the link; a tuple, as two of these are made per message sent."""

    kind: Kind
    key: tuple[int, int] = (0, 0)
    """(segment id, attempt) for outcomes of a submission."""
    detail: str = ""
    status: int = 0
    delivery: Delivery | None = None
    state: LinkState | None = None


@dataclass
class EventInbox:
    """LinkEvents that never raise: everything is handed to the worker thread, which is woken."""

    wake: threading.Event
    events: queue.SimpleQueue[LinkReport] = field(default_factory=queue.SimpleQueue)

    def _put(self, event: LinkReport) -> None:
        self.events.put(event)
        # The worker clears the flag before it drains, so an event put while the flag is
        # still set will be drained anyway; setting it again would only cost a lock.
        if not self.wake.is_set():
            self.wake.set()

    def submitted(self, key: Hashable, message_id: str) -> None:
        self._put(LinkReport(Kind.SUBMITTED, _segment_key(key), detail=message_id))

    def throttled(self, key: Hashable, status: int) -> None:
        self._put(LinkReport(Kind.THROTTLED, _segment_key(key), status=status))

    def failed(self, key: Hashable, status: int) -> None:
        self._put(LinkReport(Kind.FAILED, _segment_key(key), status=status))

    def unknown(self, key: Hashable) -> None:
        self._put(LinkReport(Kind.REQUEUE, _segment_key(key), detail="no answer from the SMSC"))

    def unsent(self, key: Hashable) -> None:
        detail = "not sent before the link stopped"
        self._put(LinkReport(Kind.REQUEUE, _segment_key(key), detail=detail))

    def receipt(self, delivery: Delivery) -> None:
        self._put(LinkReport(Kind.RECEIPT, delivery=delivery))

    def inbound(self, delivery: Delivery) -> None:
        self._put(LinkReport(Kind.INBOUND, delivery=delivery))

    def link_state(self, state: LinkState) -> None:
        self._put(LinkReport(Kind.LINK_STATE, state=state))


def _segment_key(key: Hashable) -> tuple[int, int]:
    if not isinstance(key, tuple) or len(key) != 2:
        raise TypeError(f"not a (segment id, attempt) key: {key!r}")
    return int(key[0]), int(key[1])


@dataclass
class OutcomeBatch:
    """Outcomes drained from the link in one go, written in one transaction."""

    submitted: list[outbox.Submitted] = field(default_factory=list)
    retries: list[outbox.Retry] = field(default_factory=list)
    failures: list[outbox.Failed] = field(default_factory=list)
    receipts: list[receipt_matching.Receipt] = field(default_factory=list)
    inbound: list[Delivery] = field(default_factory=list)
    tickets: list[DeliveryTicket] = field(default_factory=list)
    """The deliver_sm to answer once this batch is committed: every receipt and MO, including
    receipts that change nothing (an intermediate state, an unknown id)."""
    finished: int = 0
    """Submissions answered (or given back) in this batch: no longer in flight."""
    sent: int = 0
    refused: int = 0

    def add(self, event: LinkReport, now: datetime, backoff: Backoff) -> None:
        """Sort one report (not a link state) into the lists the outbox writes."""
        segment_id, attempts = event.key
        if event.delivery is not None and event.delivery.ticket is not None:
            self.tickets.append(event.delivery.ticket)
        if event.kind is Kind.RECEIPT:
            assert event.delivery is not None
            receipt = _receipt(event.delivery)
            if receipt is not None:
                self.receipts.append(receipt)
            return
        if event.kind is Kind.INBOUND:
            assert event.delivery is not None
            self.inbound.append(event.delivery)
            return
        self.finished += 1
        if event.kind is Kind.SUBMITTED:
            message_id = normalize_message_id(event.detail)
            self.submitted.append(outbox.Submitted(segment_id, message_id, now))
            self.sent += 1
        elif event.kind is Kind.THROTTLED:
            delay = timedelta(seconds=backoff.delay(attempts))
            reason = f"throttled by the SMSC (status 0x{event.status:02X})"
            self.retries.append(outbox.Retry(segment_id, now + delay, reason))
        elif event.kind is Kind.FAILED:
            reason = f"refused by the SMSC (status 0x{event.status:02X})"
            self.failures.append(outbox.Failed(segment_id, reason, now))
            self.refused += 1
        else:
            # Interrupted (no answer, or never sent): it keeps its place and goes first.
            self.retries.append(outbox.Retry(segment_id, None, event.detail))


def _receipt(delivery: Delivery) -> receipt_matching.Receipt | None:
    """The final outcome a receipt reports; None for an intermediate one or no id at all."""
    outcome: ReceiptOutcome | None = receipt_outcome(
        short_message=delivery.message_payload or delivery.short_message,
        receipted_message_id=delivery.receipted_message_id,
        message_state=delivery.message_state,
    )
    if outcome is None or outcome.state is None:
        return None
    return receipt_matching.Receipt(
        outcome.message_id,
        SegmentState(outcome.state),
        outcome.error,
        outcome.candidates,
        outcome.quoted_text,
    )
