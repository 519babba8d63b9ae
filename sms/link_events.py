"""What goes into the SMPP link and what comes out of it, as plain data and one Protocol.

The link moves raw PDU fields only: the octets of short_message, data_coding, esm_class and
the TLVs. Encoding text, splitting it into segments, parsing receipt text and matching keywords
belong to the pure SMS modules and to the worker that wires them to this link.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

MAX_SHORT_MESSAGE_OCTETS = 254
"""SMPP 3.4 caps short_message at 254 octets; anything longer goes in message_payload."""

ESM_MESSAGE_TYPE_MASK = 0x3C
RECEIPT_MESSAGE_TYPES = frozenset({0x04, 0x20})
"""esm_class message types that carry a delivery outcome: the SMSC delivery receipt (0x04) and
the intermediate delivery notification (0x20); everything else is mobile-originated."""


class LinkState(Enum):
    """Where the link is, for the panel, /metrics and `altavoz doctor`."""

    DISCONNECTED = "disconnected"
    BINDING = "binding"
    BOUND = "bound"
    UNBINDING = "unbinding"


@dataclass(frozen=True, kw_only=True)
class SarSegment:
    """The sar_* TLVs: the concatenation scheme that needs no UDH in the payload."""

    reference: int
    total: int
    sequence: int


@dataclass(frozen=True, kw_only=True)
class Submission:
    """One submit_sm to send, identified by the caller's key (an outbox row, typically)."""

    key: Hashable
    destination_addr: str
    short_message: bytes = b""
    data_coding: int = 0
    esm_class: int = 0
    registered_delivery: int = 1
    """Ask for a final receipt (success or failure) by default: it is how alerts are tracked."""
    validity_period: str = ""
    """How long the SMSC may keep trying (SMPP time format); "" leaves it to the SMSC."""
    protocol_id: int = 0
    message_payload: bytes | None = None
    sar: SarSegment | None = None
    source_addr: str | None = None
    """None sends from the link's configured source address."""

    def __post_init__(self) -> None:
        if not self.destination_addr:
            raise ValueError("a submission needs a destination address")
        if len(self.short_message) > MAX_SHORT_MESSAGE_OCTETS:
            raise ValueError(
                f"short_message holds at most {MAX_SHORT_MESSAGE_OCTETS} octets; "
                "split the text or use message_payload"
            )
        if self.short_message and self.message_payload:
            raise ValueError("SMPP forbids short_message and message_payload in one submit_sm")


@dataclass(frozen=True)
class DeliveryTicket:
    """Which deliver_sm to answer: the connection it came on (its serial) and its sequence.

    A ticket outlives nothing: if its connection is gone when the answer is due, the answer is
    dropped and the SMSC, which never heard it, delivers the PDU again."""

    session: int
    sequence: int


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """A deliver_sm exactly as the SMSC sent it: a delivery receipt or a mobile-originated SMS."""

    source_addr: str
    source_addr_ton: int
    source_addr_npi: int
    destination_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    esm_class: int
    data_coding: int
    protocol_id: int
    short_message: bytes
    message_payload: bytes | None
    receipted_message_id: str | None
    message_state: int | None
    network_error_code: bytes | None
    sar: SarSegment | None
    received_at: datetime
    ticket: DeliveryTicket | None = None
    """Set when the link answers only once told to (`SmppLink(acknowledge_later=True)`)."""

    @property
    def is_receipt(self) -> bool:
        """Receipts and MO arrive on the same PDU; only esm_class tells them apart."""
        return (self.esm_class & ESM_MESSAGE_TYPE_MASK) in RECEIPT_MESSAGE_TYPES


class LinkEvents(Protocol):
    """Receives every outcome of the link, on the link's own thread.

    Each submission ends in exactly one of submitted, throttled, failed, unknown or unsent.
    An exception raised here stops the link (after it answers the PDU in hand), because a
    receiver that cannot record outcomes must not let the link go on acknowledging them.

    A deliver_sm (receipt or inbound) is answered when that call returns, so a receiver that
    keeps it only in memory would let the SMSC forget a message a crash then loses. Such a
    receiver creates the link with `acknowledge_later=True` and calls
    `SmppLink.acknowledge(tickets)` once what the deliveries carry is committed.
    """

    def submitted(self, key: Hashable, message_id: str) -> None:
        """The SMSC accepted it and named it `message_id`; a receipt may follow."""

    def throttled(self, key: Hashable, status: int) -> None:
        """ESME_RTHROTTLED or ESME_RMSGQFUL: not accepted, send again later."""

    def failed(self, key: Hashable, status: int) -> None:
        """Refused for good (e.g. ESME_RINVDSTADR): sending again would fail again."""

    def unknown(self, key: Hashable) -> None:
        """Sent, but no answer came (timeout or lost connection): it may or may not have gone."""

    def unsent(self, key: Hashable) -> None:
        """Never sent before the link stopped or lost its connection: safe to queue again."""

    def receipt(self, delivery: Delivery) -> None:
        """A delivery receipt, raw; receipted_message_id and the text identify the message."""

    def inbound(self, delivery: Delivery) -> None:
        """A mobile-originated SMS, raw, possibly one segment of a longer one."""

    def link_state(self, state: LinkState) -> None:
        """The link moved to `state`."""


@dataclass
class LinkCounters:
    """Running totals since the link was created, for /metrics and the panel."""

    submitted: int = 0
    throttled: int = 0
    failed: int = 0
    unknown: int = 0
    receipts: int = 0
    inbound: int = 0
    faults: int = 0
    """Connections lost or binds refused; each one is followed by a reconnect attempt."""
    late_responses: int = 0
    """submit_sm_resp that came after their submission was already reported unknown."""
