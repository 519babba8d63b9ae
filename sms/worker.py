"""The SMS worker: moves the outbound queue through the SMPP link and records what comes back.

The link runs on its own thread and reports every outcome to an `EventInbox`
(`sms.link_outcomes`), which only appends to a queue; this worker's loop drains that queue
and writes the outcomes to the database in batches, then claims more segments for the link.
So the database is touched from one thread, and a slow disk never stalls the SMPP session's
responses or keep-alives.

What the SMSC hands over (receipts, mobile-originated messages) is answered only after the
batch that holds it is committed: the SMSC forgets a deliver_sm once answered, so an answer
before the commit would let a crash lose a STOP or a report of danger. Whatever arrived while
the previous batch was being written is committed together (group commit), which keeps the
rate: one transaction per batch, not per message.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import socket
import threading
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.codes import coded
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.worker import Worker, WorkerHeartbeat, WorkerState
from sms import outbox, receipt_matching
from sms.inbound import InboundHandler
from sms.link import ESME_RX_T_APPN, SmppLink
from sms.link_events import Delivery, DeliveryTicket, LinkState, Submission
from sms.link_outcomes import EventInbox, Kind, OutcomeBatch
from sms.link_settings import link_settings
from sms.models import LinkStatus
from sms.pacing import Backoff, SmscPacer
from sms.phones import smpp_address
from sms.smpp_time import relative_time

log = logging.getLogger(__name__)

CLAIM_BATCH = 500
CLAIM_AHEAD_S = 0.25
"""Claim about this much sending time ahead (at max_tps, at least a window's worth): enough
to keep the link busy between claims, little enough that a reply or a retry queued now is
not stuck behind a long claimed batch."""
EVENT_BATCH = 5000
GATHER_S = 0.002
"""After the first answer, wait this long for the rest of the window's answers: one commit
for the whole window costs a fraction of one commit per answer, and the window (the
submits not yet committed) is what bounds the rate."""
THROTTLE_BACKOFF = (0.25, 300.0)
"""First delay and cap (s) before a throttled segment is tried again, doubling per attempt."""
STALE_CLAIM_CHECK_S = 30.0
RECEIPT_TIMEOUT_CHECK_S = 30.0
LIVE_HEARTBEAT_S = 30.0


def worker_name() -> str:
    return f"sms@{socket.gethostname()}:{os.getpid()}"


class SmsWorker(Worker):
    """At most `window` segments are ever sent without their outcome committed to the database,
    so a crash at any moment re-sends at most `window` messages the SMSC had already accepted."""

    kind = "sms"
    idle_wait_s = 0.5

    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(database)
        self.settings = settings
        self.name = worker_name()
        self.inbox = EventInbox(self.wakeup)
        self.buffer: deque[outbox.ClaimedSegment] = deque()
        self.outstanding = 0
        self.pacer = SmscPacer(settings.smpp.max_tps)
        self.backoff = Backoff(*THROTTLE_BACKOFF)
        self.claim_target = max(
            settings.smpp.window, min(CLAIM_BATCH, round(settings.smpp.max_tps * CLAIM_AHEAD_S))
        )
        self.inbound = InboundHandler(settings=settings.smpp)
        self.link: SmppLink | None = None
        self._thread: threading.Thread | None = None
        self._last_stale_check = 0.0
        self._last_expiry_check = -math.inf
        self.validity_period = relative_time(settings.smpp.receipt_timeout_s)
        """Sent with every segment: the SMSC stops trying when we stop waiting for a receipt."""
        self.link_state = LinkState.DISCONNECTED
        self.answers_due: list[DeliveryTicket] = []
        """deliver_sm whose content is committed, not yet handed to the link to answer."""

    def setup(self) -> None:
        if not self.settings.smpp.enabled:
            self.state = WorkerState.SMPP_DISABLED
            return
        self._release_dead_claims(force=True)
        self.link = SmppLink(
            link_settings(self.settings.smpp),
            self.inbox,
            pacing=self.pacer,
            acknowledge_later=True,
        )
        self._thread = self.link.start()
        self.state = WorkerState.CONNECTING

    def teardown(self) -> None:
        if self.link is not None:
            # Commit and answer what came in while the link can still send the answers; what
            # comes during the unbind is committed below but left unanswered, so an SMSC
            # delivers it again (a duplicate at worst, never a loss).
            self._drain_events()
            self._acknowledge_due()
            self.link.stop()
            if self._thread is not None:
                self._thread.join(timeout=15)
            self._drain_events()
        self.buffer.clear()
        with self.database.session() as session:
            outbox.release_claims(session, worker=self.name)

    def step(self) -> bool:
        if self.link is None:
            return False
        if self._thread is not None and not self._thread.is_alive():
            raise RuntimeError(f"the SMPP link stopped: {self.link.last_error}")
        worked = self._drain_events()
        self._release_dead_claims()
        worked = self._expire_unanswered() or worked
        if self.link_state is LinkState.BOUND:
            worked = self._feed_link() or worked
        self._acknowledge_due()
        return worked

    def busy(self) -> bool:
        """Submissions await their answers, or queued work waits for the bind to come up."""
        if self.link is None:
            return False
        if self.outstanding > 0 or self.buffer:
            return True
        if self.link_state is not LinkState.BOUND:
            with self.database.session() as session:
                return outbox.backlog(session, now=utcnow()) > 0
        return False

    def _feed_link(self) -> bool:
        assert self.link is not None
        window = self.settings.smpp.window
        claimed = False
        if len(self.buffer) < window:
            with self.database.session() as session:
                batch = outbox.claim(
                    session,
                    worker=self.name,
                    limit=self.claim_target - len(self.buffer),
                    now=utcnow(),
                )
            self.buffer.extend(batch)
            claimed = bool(batch)
        submissions = []
        while self.buffer and self.outstanding < window:
            segment = self.buffer.popleft()
            self.outstanding += 1
            submissions.append(
                Submission(
                    key=(segment.id, segment.attempts),
                    destination_addr=smpp_address(segment.destination),
                    short_message=segment.short_message,
                    data_coding=segment.data_coding,
                    esm_class=segment.esm_class,
                    registered_delivery=1,
                    validity_period=self.validity_period,
                )
            )
        if submissions:
            self.link.submit_all(submissions, acknowledge=self.answers_due)
            self.answers_due = []
        return claimed or bool(submissions)

    def _acknowledge_due(self) -> None:
        """Answer the committed deliver_sm that did not go with submits."""
        if self.link is not None and self.answers_due:
            self.link.acknowledge(self.answers_due)
        self.answers_due = []

    def _drain_events(self) -> bool:
        batch = OutcomeBatch()
        now = utcnow()
        count = 0
        gather_until = 0.0
        while count < EVENT_BATCH:
            try:
                if count == 0:
                    event = self.inbox.events.get_nowait()
                    gather_until = time.monotonic() + GATHER_S
                elif batch.finished >= self.outstanding:
                    event = self.inbox.events.get_nowait()
                else:
                    event = self.inbox.events.get(timeout=max(0.0, gather_until - time.monotonic()))
            except queue.Empty:
                break
            count += 1
            if event.kind is Kind.LINK_STATE:
                assert event.state is not None
                self._record_link_state(event.state, now)
            else:
                batch.add(event, now, self.backoff)
        if not count:
            return False
        try:
            with self.database.session() as session:
                outbox.record_outcomes(
                    session,
                    submitted=batch.submitted,
                    retries=batch.retries,
                    failures=batch.failures,
                )
                receipt_matching.apply_receipts(session, batch.receipts, now=now)
                for delivery in batch.inbound:
                    self._receive(session, delivery, now)
        except BaseException:
            self._acknowledge_due()
            if self.link is not None and batch.tickets:
                self.link.acknowledge(batch.tickets, status=ESME_RX_T_APPN)
            raise
        # Committed: answered with the next submits, in one hand-over to the link's thread.
        self.answers_due.extend(batch.tickets)
        self.outstanding -= batch.finished
        self.items_done += batch.sent
        self.items_failed += batch.refused
        return True

    def _receive(self, session: Session, delivery: Delivery, now: datetime) -> None:
        """Store and act on one MO; one the handler fails on is kept as it came, unacted on.

        The SMSC delivers a message again until it is answered, so a message that made the
        handler fail would otherwise fail every batch it is in, for ever, holding up the
        receipts and messages beside it. Kept raw, it is in the panel and the failure counted."""
        try:
            with session.begin_nested():
                self.inbound.handle(session, delivery, settings=self.settings, now=now)
        except Exception:
            log.exception("MO from %s could not be handled; kept as received", delivery.source_addr)
            self.items_failed += 1
            self.inbound.keep_unhandled(session, delivery, now=now)

    def _record_link_state(self, state: LinkState, now: datetime) -> None:
        self.link_state = state
        self.state = coded(WorkerState.SMPP_LINK, link=state.value)
        detail = self.link.last_fault if self.link is not None else ""
        with self.database.session() as session:
            if state is not LinkState.BOUND and self.buffer:
                # Claimed but not handed to the link: back to the queue, so that after the
                # rebind the interrupted submits (requeued as retries) overtake them.
                ids = [segment.id for segment in self.buffer]
                self.buffer.clear()
                outbox.release_segments(session, worker=self.name, ids=ids)
            row = session.scalar(select(LinkStatus).where(LinkStatus.worker == self.name))
            if row is None:
                row = LinkStatus(worker=self.name, state=state.value, since=now)
                session.add(row)
            row.state = state.value
            row.since = now
            row.detail = detail or ""
            row.updated_at = now

    def _expire_unanswered(self) -> bool:
        """Segments whose receipt is overdue become EXPIRED, so an alert does not say "sending"
        forever after an SMSC lost its receipts (a restart, a full store)."""
        timeout = self.settings.smpp.receipt_timeout_s
        monotonic = time.monotonic()
        if monotonic - self._last_expiry_check < min(RECEIPT_TIMEOUT_CHECK_S, timeout / 4):
            return False
        self._last_expiry_check = monotonic
        with self.database.session() as session:
            expired = receipt_matching.expire_unanswered(
                session, older_than=utcnow() - timedelta(seconds=timeout), now=utcnow()
            )
        if expired:
            log.warning(
                "%d segments had no delivery receipt within %d s: expired", expired, timeout
            )
        return expired > 0

    def _release_dead_claims(self, *, force: bool = False) -> None:
        """Free segments claimed by SMS workers that died (SIGKILL, power loss) for re-sending."""
        monotonic = time.monotonic()
        if not force and monotonic - self._last_stale_check < STALE_CLAIM_CHECK_S:
            return
        self._last_stale_check = monotonic
        now = utcnow()
        host = socket.gethostname()
        with self.database.session() as session:
            beats = session.scalars(
                select(WorkerHeartbeat).where(
                    WorkerHeartbeat.kind == self.kind,
                    WorkerHeartbeat.state != "stopped",
                    WorkerHeartbeat.beat_at >= now - timedelta(seconds=LIVE_HEARTBEAT_S),
                )
            )
            alive = {self.name}
            for beat in beats:
                if beat.host != host or _process_exists(beat.pid):
                    alive.add(f"sms@{beat.host}:{beat.pid}")
            released = outbox.release_stale_claims(session, older_than=now, workers_alive=alive)
        if released:
            log.warning("re-queued %d segments claimed by SMS workers that are gone", released)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
