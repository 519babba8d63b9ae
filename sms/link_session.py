"""One bound SMPP connection of the link: binding it (one session, or two by bind mode),
writing PDUs to it, and its keep-alive bookkeeping.

Split from `sms.link` along the line between a connection's own lifecycle and the loop that
pumps PDUs through it: nothing here decides what to send or what an answer means.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from smpplib import exceptions, smpp
from smpplib.client import Client

from sms.link_settings import BindMode, LinkSettings
from sms.link_wire import BindCommand, LinkError, LinkFault, PduReader, bound_client

logger = logging.getLogger(__name__)


@dataclass
class LinkSession:
    """One bound connection and its keep-alive bookkeeping."""

    client: Client
    reader: PduReader
    can_submit: bool
    last_heard: float
    serial: int
    """Tells this connection from the ones before it, for answers given later (tickets)."""
    enquire_sequence: int | None = None
    enquire_deadline: float = 0.0
    unbound: bool = False

    @property
    def socket(self) -> Any:
        return self.client._socket

    def next_timer(self, interval: float) -> float:
        if self.enquire_sequence is not None:
            return self.enquire_deadline
        return self.last_heard + interval

    def send(self, command: str, sequence: int | None, status: int) -> Any:
        """Make and send a PDU (a response when `sequence` is the request's)."""
        pdu = smpp.make_pdu(command, client=self.client, status=status)
        if sequence is not None:
            pdu.sequence = sequence
        self.send_pdu(pdu)
        return pdu

    def send_pdu(self, pdu: Any) -> None:
        try:
            self.client.send_pdu(pdu)
        except (exceptions.ConnectionError, exceptions.PDUError, OSError) as error:
            raise LinkError(
                f"sending {pdu.command} failed: {error!r}", LinkFault.SEND_FAILED, what=pdu.command
            ) from error

    def write(self, data: bytes, *, what: str) -> None:
        """Write PDUs already encoded, in one system call."""
        sock = self.client._socket
        try:
            if sock is None:
                raise exceptions.ConnectionError("not connected")
            sock.sendall(data)
        except (exceptions.ConnectionError, OSError) as error:
            raise LinkError(
                f"sending {what} failed: {error!r}", LinkFault.SEND_FAILED, what=what
            ) from error

    def keep_alive(self, now: float, response_timeout_s: float) -> None:
        """Send enquire_link; LinkError if the previous one is still unanswered."""
        if self.enquire_sequence is not None:
            raise LinkError(
                "no enquire_link_resp in time: the SMSC or the network is gone",
                LinkFault.NO_KEEPALIVE,
            )
        pdu = smpp.make_pdu("enquire_link", client=self.client)
        self.send_pdu(pdu)
        self.enquire_sequence = pdu.sequence
        self.enquire_deadline = now + response_timeout_s


def bind_sessions(settings: LinkSettings, serials: Iterator[int]) -> list[LinkSession]:
    """The bound sessions the bind mode asks for; if one fails, those already bound are
    closed and the LinkError raised."""
    if settings.bind_mode is BindMode.TRANSCEIVER:
        roles = [(BindCommand.TRANSCEIVER, True)]
    else:
        roles = [(BindCommand.TRANSMITTER, True), (BindCommand.RECEIVER, False)]
    sessions: list[LinkSession] = []
    try:
        for command, can_submit in roles:
            client = bound_client(settings, command)
            sessions.append(
                LinkSession(
                    client=client,
                    reader=PduReader(client),
                    can_submit=can_submit,
                    last_heard=time.monotonic(),
                    serial=next(serials),
                )
            )
    except BaseException:
        for session in sessions:
            session.client.disconnect()
        raise
    return sessions


def unbind_sessions(
    sessions: list[LinkSession], timeout_s: float, read: Callable[[LinkSession], None]
) -> None:
    """Send unbind on every session and `read` what comes until each has its unbind_resp
    (`read` marks it `unbound`), or the time is up: then it is closed anyway."""
    deadline = time.monotonic() + timeout_s
    for session in sessions:
        session.send_pdu(smpp.make_pdu("unbind", client=session.client))
    while not all(session.unbound for session in sessions):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            logger.warning("no unbind_resp before the deadline; closing anyway")
            return
        waiting = {s.socket: s for s in sessions if not s.unbound}
        readable, _, _ = select.select(list(waiting), [], [], remaining)
        for ready in readable:
            read(waiting[ready])
