"""The ESME side of SMPP 3.4 over smpplib: bind, keep alive, windowed submits, receipts, MO.

One thread runs `SmppLink.run()`; it selects over the SMPP socket(s) and a wake-up pipe, so a
new submission or a stop request from another thread is acted on at once, while idle links
still send enquire_link and overdue responses are noticed on time. Everything the SMSC says
is reported to a `LinkEvents` object; nothing here encodes text or touches the database.
Binding a connection and writing to it are `sms.link_session`'s; this is the PDU pump.
"""

from __future__ import annotations

import logging
import math
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import count
from typing import Any

from smpplib import consts, exceptions, smpp

from sms.link_events import DeliveryTicket, LinkCounters, LinkEvents, LinkState, Submission
from sms.link_session import LinkSession, bind_sessions, unbind_sessions
from sms.link_settings import LinkSettings
from sms.link_window import SubmitWindow
from sms.link_wire import (
    Command,
    LinkError,
    LinkFault,
    delivery_from,
    encode_deliver_sm_resp,
    encode_submit_sm,
    probe,
    submit_fields,
    text,
)
from sms.pacing import Pacing, Unpaced
from sms.wakeup import Wakeup

__all__ = ["LinkError", "SmppLink", "probe"]

logger = logging.getLogger(__name__)

THROTTLING_STATUSES = frozenset({consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL})
ESME_RX_T_APPN = 0x64
"""Told to the SMSC when our side failed to take a deliver_sm in: it keeps it and retries."""
UNBIND_DEADLINE_S = 2.0


class SmppLink:
    """An ESME bound to one SMSC, reconnecting on its own until stopped."""

    def __init__(
        self,
        settings: LinkSettings,
        events: LinkEvents,
        *,
        pacing: Pacing | None = None,
        acknowledge_later: bool = False,
    ) -> None:
        self._settings = settings
        self._events = events
        self._pacing: Pacing = Unpaced() if pacing is None else pacing
        self._acknowledge_later = acknowledge_later
        self._answers: deque[tuple[DeliveryTicket, int]] = deque()
        self._serials = count(1)
        self._queue: deque[Submission] = deque()
        self._window = SubmitWindow(size=settings.window, timeout_s=settings.response_timeout_s)
        self._sessions: list[LinkSession] = []
        self._wakeup = Wakeup()
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()
        self._finished = False
        self._state = LinkState.DISCONNECTED
        self.counters = LinkCounters()
        self.last_error: str | None = None
        self.last_fault: str | None = None  # the same as a stored code, for the panel
        """The latest fault, kept after a successful rebind so the panel can show it."""

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def queued(self) -> int:
        """Submissions waiting for a free slot in the window (readable from any thread)."""
        return len(self._queue)

    @property
    def in_flight(self) -> int:
        return len(self._window)

    def submit(self, submission: Submission) -> None:
        """Queue a submission; thread-safe, and sent as soon as the window and pacing allow."""
        self.submit_all((submission,))

    def submit_all(
        self, submissions: Iterable[Submission], *, acknowledge: Iterable[DeliveryTicket] = ()
    ) -> None:
        """Queue several submissions, in order, and answer these deliver_sm with ESME_ROK (see
        `acknowledge`), with one wake-up of the link's thread: each wake-up hands the
        interpreter lock over, twice per window at a thousand messages a second."""
        with self._lifecycle:
            if self._finished:
                raise LinkError("the link has stopped; create a new one", LinkFault.STOPPED)
            self._queue.extend(submissions)
            self._answers.extend((ticket, consts.SMPP_ESME_ROK) for ticket in acknowledge)
            self._wakeup.wake()

    def acknowledge(
        self, tickets: Iterable[DeliveryTicket], *, status: int = consts.SMPP_ESME_ROK
    ) -> None:
        """Answer these deliver_sm (with `status`) from the link's thread; thread-safe.

        For a link made with `acknowledge_later=True`: call it once what the deliveries carry
        is committed, or with ESME_RX_T_APPN when it could not be, so the SMSC keeps them."""
        with self._lifecycle:
            if self._finished:
                return
            self._answers.extend((ticket, status) for ticket in tickets)
            self._wakeup.wake()

    def stop(self) -> None:
        """Ask `run()` to unbind cleanly and return; thread-safe."""
        self._stopping.set()
        with self._lifecycle:
            if not self._finished:
                self._wakeup.wake()

    def start(self) -> threading.Thread:
        """Run the link on a daemon thread of its own."""
        thread = threading.Thread(target=self.run, name="smpp-link", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        """Bind, serve, and rebind after faults, until `stop()`; then report what never went.

        A link runs once: after `run()` returns, `submit()` raises LinkError. If an events
        call raises, `run()` closes the connection and re-raises at once, reporting nothing
        more: what was queued or in flight is left to the caller's own recovery.
        """
        try:
            self._serve_until_stopped()
        finally:
            with self._lifecycle:
                self._finished = True
                self._wakeup.close()
        self._hand_back_queue()

    def _hand_back_queue(self) -> None:
        while self._queue:
            self._events.unsent(self._queue.popleft().key)

    def _serve_until_stopped(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            if failures and self._sleep(self._settings.reconnect_delay(failures)):
                break
            try:
                self._bind_all()
                failures = 0
                self._serve()
                self._unbind_all()
            except LinkError as fault:
                failures += 1
                self.counters.faults += 1
                self.last_error = str(fault)
                self.last_fault = fault.code
                logger.warning("SMPP link fault (%d in a row): %s", failures, fault)
            finally:
                self._close_all()
            for key in self._window.drain():
                self.counters.unknown += 1
                self._events.unknown(key)
            # What waited for the window goes back too, so that the caller can send the
            # interrupted submits first after the rebind instead of behind these.
            self._hand_back_queue()

    def _set_state(self, state: LinkState) -> None:
        if state is not self._state:
            self._state = state
            self._events.link_state(state)

    def _sleep(self, seconds: float) -> bool:
        """Wait out a backoff; True if a stop request came meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._wakeup.wait(remaining)
        return True

    def _bind_all(self) -> None:
        self._set_state(LinkState.BINDING)
        self._sessions.extend(bind_sessions(self._settings, self._serials))
        self._set_state(LinkState.BOUND)

    def _close_all(self) -> None:
        for session in self._sessions:
            session.client.disconnect()
        self._sessions.clear()
        self._set_state(LinkState.DISCONNECTED)

    def _serve(self) -> None:
        """The bound loop: send what may go, read what came, keep alive; until stop."""
        while not self._stopping.is_set():
            out = self._answers_due()
            now = time.monotonic()
            for key in self._window.expire(now):
                self.counters.unknown += 1
                self._probe_soon()
                self._events.unknown(key)
            retry_at = self._send_due(now, out)
            interval = self._settings.enquire_link_interval_s
            for session in self._sessions:
                if session.next_timer(interval) <= now:
                    session.keep_alive(now, self._settings.response_timeout_s)
            timers = [session.next_timer(interval) for session in self._sessions]
            candidates = (*timers, retry_at, self._window.next_deadline())
            wake_at = min(t for t in candidates if t is not None)
            self._wait_and_read(max(0.0, wake_at - now))

    def _wait_and_read(self, timeout: float) -> None:
        by_socket = {session.socket: session for session in self._sessions}
        readable, _, _ = select.select([self._wakeup.read_fd, *by_socket], [], [], timeout)
        for ready in readable:
            if ready == self._wakeup.read_fd:
                self._wakeup.drain()
            else:
                self._read_available(by_socket[ready])

    def _read_available(self, session: LinkSession) -> None:
        """Act on every PDU already received, so a burst of responses frees the window at once."""
        try:
            pdus = session.reader.read()
        except (exceptions.ConnectionError, OSError) as error:
            raise LinkError(f"connection lost: {error!r}", LinkFault.CONNECTION_LOST) from error
        except exceptions.PDUError as error:
            raise LinkError(f"broken PDU from the SMSC: {error}", LinkFault.BROKEN_PDU) from error
        if pdus:
            session.last_heard = time.monotonic()
        for pdu in pdus:
            if isinstance(pdu, exceptions.UnknownCommandError):
                logger.warning("ignored a PDU smpplib cannot parse: %s", pdu)
            else:
                self._act_on(session, pdu)
            if session.unbound:
                return

    def _act_on(self, session: LinkSession, pdu: Any) -> None:
        try:
            command = Command(pdu.command)
        except ValueError:
            logger.warning("unexpected %s from the SMSC, answered generic_nack", pdu.command)
            if pdu.is_request():
                session.send("generic_nack", pdu.sequence, consts.SMPP_ESME_RINVCMDID)
            return
        _HANDLERS[command](self, session, pdu)

    def _answers_due(self) -> dict[int, list[bytes]]:
        """The deliver_sm_resp the receiver released since the last turn, in its order, by
        connection, to be written in one go with the submits due: one segment per turn."""
        out: dict[int, list[bytes]] = {}
        while self._answers:
            ticket, status = self._answers.popleft()
            if any(s.serial == ticket.session for s in self._sessions):
                raw = encode_deliver_sm_resp(ticket.sequence, status)
                out.setdefault(ticket.session, []).append(raw)
        return out

    def _write_out(self, out: dict[int, list[bytes]]) -> None:
        for session in self._sessions:
            if session.serial in out:
                pdus = out[session.serial]
                session.write(b"".join(pdus), what=f"{len(pdus)} PDUs")

    def _send_due(self, now: float, out: dict[int, list[bytes]]) -> float | None:
        """Send queued submissions while window and pacing allow, after the answers in `out`.

        Returns when to try again if only time (not a response) can open the way.
        """
        transmitter = next(s for s in self._sessions if s.can_submit)
        pdus = []
        retry_at = None
        while self._queue and self._window.free > 0:
            # The time of this very grant, not of the loop's turn: the pacing's sliding window
            # must hold over the moments the submits actually leave.
            now = time.monotonic()
            allowed_at = self._pacing.may_send_at(now)
            if allowed_at > now:
                retry_at = allowed_at
                break
            submission = self._queue.popleft()
            fields = submit_fields(self._settings, submission)
            sequence = transmitter.client.next_sequence()
            raw = encode_submit_sm(fields, sequence)
            if raw is None:
                pdu = smpp.make_pdu("submit_sm", client=transmitter.client, **fields)
                sequence, raw = pdu.sequence, pdu.generate()
            self._window.open(sequence, submission.key, now)
            pdus.append(raw)
        # One write for every answer and submit due now: fewer system calls, and the SMSC gets
        # them in one segment instead of one by one.
        if pdus:
            out.setdefault(transmitter.serial, []).extend(pdus)
        self._write_out(out)
        if pdus:
            self._pacing.sent(len(pdus), time.monotonic())
        return retry_at

    def _probe_soon(self) -> None:
        """A missing response may mean a dead link: check with enquire_link on the next turn."""
        for session in self._sessions:
            session.last_heard = -math.inf

    def _unbind_all(self) -> None:
        self._write_out(self._answers_due())
        self._set_state(LinkState.UNBINDING)
        timeout = min(self._settings.response_timeout_s, UNBIND_DEADLINE_S)
        unbind_sessions(self._sessions, timeout, self._read_available)

    def _on_submit_sm_resp(self, session: LinkSession, pdu: Any) -> None:
        key = self._window.close(pdu.sequence)
        if key is None:
            self.counters.late_responses += 1
            logger.warning("submit_sm_resp %d came after its submission timed out", pdu.sequence)
            return
        throttled = pdu.status in THROTTLING_STATUSES
        self._pacing.answered(time.monotonic(), throttled=throttled)
        if pdu.status == consts.SMPP_ESME_ROK:
            self.counters.submitted += 1
            self._events.submitted(key, text(pdu.message_id))
        elif throttled:
            # Only this submission waits (the caller retries it later); the pacing slows the
            # link down if refusals keep coming, but the link never stops for them.
            self.counters.throttled += 1
            self._events.throttled(key, pdu.status)
        else:
            self.counters.failed += 1
            self._events.failed(key, pdu.status)

    def _on_deliver_sm(self, session: LinkSession, pdu: Any) -> None:
        ticket = DeliveryTicket(session.serial, pdu.sequence) if self._acknowledge_later else None
        delivery = delivery_from(pdu, datetime.now(tz=UTC), ticket=ticket)
        try:
            if delivery.is_receipt:
                self.counters.receipts += 1
                self._events.receipt(delivery)
            else:
                self.counters.inbound += 1
                self._events.inbound(delivery)
        except BaseException:
            session.send("deliver_sm_resp", pdu.sequence, ESME_RX_T_APPN)
            raise
        if ticket is None:
            session.send("deliver_sm_resp", pdu.sequence, consts.SMPP_ESME_ROK)

    def _on_enquire_link(self, session: LinkSession, pdu: Any) -> None:
        session.send("enquire_link_resp", pdu.sequence, consts.SMPP_ESME_ROK)

    def _on_enquire_link_resp(self, session: LinkSession, pdu: Any) -> None:
        if pdu.sequence == session.enquire_sequence:
            session.enquire_sequence = None

    def _on_unbind(self, session: LinkSession, pdu: Any) -> None:
        session.send("unbind_resp", pdu.sequence, consts.SMPP_ESME_ROK)
        raise LinkError("the SMSC unbound us", LinkFault.UNBOUND)

    def _on_unbind_resp(self, session: LinkSession, pdu: Any) -> None:
        session.unbound = True

    def _on_generic_nack(self, session: LinkSession, pdu: Any) -> None:
        key = self._window.close(pdu.sequence)
        if key is not None:
            self.counters.failed += 1
            self._events.failed(key, pdu.status)
            return
        raise LinkError(
            f"generic_nack (status {pdu.status:#x}) for sequence {pdu.sequence}",
            LinkFault.NACK,
            status=f"{pdu.status:#x}",
        )

    def _on_alert_notification(self, session: LinkSession, pdu: Any) -> None:
        logger.info("alert_notification for %s ignored", text(pdu.source_addr))


_HANDLERS: dict[Command, Callable[[SmppLink, LinkSession, Any], None]] = {
    Command.SUBMIT_SM_RESP: SmppLink._on_submit_sm_resp,
    Command.DELIVER_SM: SmppLink._on_deliver_sm,
    Command.ENQUIRE_LINK: SmppLink._on_enquire_link,
    Command.ENQUIRE_LINK_RESP: SmppLink._on_enquire_link_resp,
    Command.UNBIND: SmppLink._on_unbind,
    Command.UNBIND_RESP: SmppLink._on_unbind_resp,
    Command.GENERIC_NACK: SmppLink._on_generic_nack,
    Command.ALERT_NOTIFICATION: SmppLink._on_alert_notification,
}
