"""The smpplib edge of the link: connecting and binding, and PDU fields in and out.

smpplib parses C-octet strings as bytes and leaves absent TLVs as None; this module turns
those into the link's plain dataclasses and back, moving the message octets untouched.
"""

from __future__ import annotations

import socket
import struct
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from smpplib import consts, exceptions, smpp
from smpplib.client import Client

from gateway.codes import coded
from sms.link_events import Delivery, DeliveryTicket, SarSegment, Submission
from sms.link_messages import SMPPLIB_LOGGER, status_name
from sms.link_settings import BindMode, LinkSettings

BOUND_STATES = frozenset(
    {
        consts.SMPP_CLIENT_STATE_BOUND_TX,
        consts.SMPP_CLIENT_STATE_BOUND_RX,
        consts.SMPP_CLIENT_STATE_BOUND_TRX,
    }
)


class LinkFault(StrEnum):
    """What went wrong with the link, stored (with its parameters) for the panel to word in
    the reader's language (gateway/web/labels.py); the log and the CLI keep the English."""

    REFUSED = "link.refused"
    NO_ANSWER = "link.no_answer"
    UNREACHABLE = "link.unreachable"
    CONNECTION_LOST = "link.connection_lost"
    BROKEN_PDU = "link.broken_pdu"
    UNBOUND = "link.unbound"
    NACK = "link.nack"
    SEND_FAILED = "link.send_failed"
    NO_KEEPALIVE = "link.no_keepalive"
    STOPPED = "link.stopped"
    UNBIND_UNANSWERED = "link.unbind_unanswered"


class LinkError(Exception):
    """The SMSC could not be reached, refused the bind or broke the protocol; or the link
    has stopped and takes no more submissions. `str()` is English for the log and the CLI;
    `code` is the same fault as a stored code with parameters, for the panel."""

    def __init__(self, message: str, fault: LinkFault, **params: str | int) -> None:
        super().__init__(message)
        self.code = coded(fault, **params)


class BindCommand(Enum):
    TRANSCEIVER = "bind_transceiver"
    TRANSMITTER = "bind_transmitter"
    RECEIVER = "bind_receiver"


class Command(Enum):
    """The PDUs an ESME acts on when they arrive; anything else is answered generic_nack."""

    SUBMIT_SM_RESP = "submit_sm_resp"
    DELIVER_SM = "deliver_sm"
    ENQUIRE_LINK = "enquire_link"
    ENQUIRE_LINK_RESP = "enquire_link_resp"
    UNBIND = "unbind"
    UNBIND_RESP = "unbind_resp"
    GENERIC_NACK = "generic_nack"
    ALERT_NOTIFICATION = "alert_notification"


def bound_client(settings: LinkSettings, command: BindCommand) -> Client:
    """A connected, bound smpplib client; LinkError says why not (closing what was opened)."""
    client = Client(
        settings.host,
        settings.port,
        timeout=settings.bind_timeout_s,
        logger_name=SMPPLIB_LOGGER,
        allow_unknown_opt_params=True,
    )
    try:
        client.connect()
        no_delay(client._socket)
        getattr(client, command.value)(
            system_id=settings.system_id,
            password=settings.password,
            system_type=settings.system_type,
        )
        # Bound: from now on a blocked write counts as lost after the usual response time.
        client._socket.settimeout(settings.response_timeout_s)
    except exceptions.PDUError as error:
        status = error.args[1] if len(error.args) > 1 else None
        refusal = status_name(status) if isinstance(status, int) else str(error.args[0])
        raise LinkError(
            f"the SMSC at {settings.host}:{settings.port} refused {command.value}: {refusal}",
            LinkFault.REFUSED,
            where=f"{settings.host}:{settings.port}",
            command=command.value,
            refusal=refusal,
        ) from error
    except (exceptions.ConnectionError, OSError) as error:
        # smpplib words every socket error "Connection refused"; the cause says which it was.
        cause = error.__context__ if isinstance(error, exceptions.ConnectionError) else error
        why = getattr(cause, "strerror", None) or str(cause or "") or "connection lost"
        where = f"{settings.host}:{settings.port}"
        if client.state == consts.SMPP_CLIENT_STATE_OPEN:
            raise LinkError(
                f"no answer from the SMSC at {where} to {command.value} ({why})",
                LinkFault.NO_ANSWER,
                where=where,
                command=command.value,
            ) from error
        raise LinkError(
            f"cannot reach the SMSC at {where} ({command.value}: {why})",
            LinkFault.UNREACHABLE,
            where=where,
            command=command.value,
        ) from error
    finally:
        if client.state not in BOUND_STATES:
            client.disconnect()
    return client


def no_delay(sock: socket.socket | None) -> None:
    """Turn Nagle's algorithm off, which smpplib leaves on: with it, a small submit_sm written
    after a deliver_sm_resp waits for the SMSC's delayed ACK (about 40 ms), so submits go out
    in bursts 40 ms apart, which caps the rate and bunches them at the SMSC's rate counter."""
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PduReader:
    """Frames PDUs out of whatever one recv() brought, for a bound session.

    smpplib's read_pdu() makes two recv() calls per PDU and the loop a select() to learn
    whether another one waits: three system calls per PDU, each letting the worker's thread
    take the interpreter lock. One recv() per burst, framed here, costs a fraction of that."""

    RECV_BYTES = 65536

    def __init__(self, client: Client) -> None:
        self._client = client
        self._buffer = bytearray()

    def read(self) -> list[Any]:
        """Receive once (the socket is known to be readable) and parse every complete PDU;
        raises ConnectionError when the peer closed, PDUError for a PDU that does not parse."""
        sock = self._client._socket
        if sock is None:
            raise exceptions.ConnectionError("not connected")
        data = sock.recv(self.RECV_BYTES)
        if not data:
            raise exceptions.ConnectionError("the SMSC closed the connection")
        self._buffer += data
        pdus = []
        while len(self._buffer) >= 4:
            length = int.from_bytes(self._buffer[:4], "big")
            if length < 16:
                raise exceptions.PDUError(f"broken PDU: command_length {length}")
            if len(self._buffer) < length:
                break
            raw = bytes(self._buffer[:length])
            del self._buffer[:length]
            pdus.append(self._parse(raw))
        return pdus

    def _parse(self, raw: bytes) -> Any:
        try:
            pdu = smpp.parse_pdu(raw, client=self._client, allow_unknown_opt_params=True)
        except exceptions.UnknownCommandError as error:
            return error
        if not pdu.is_error() and pdu.command in consts.STATE_SETTERS:
            self._client.state = consts.STATE_SETTERS[pdu.command]
        return pdu


_SUBMIT_SM = 0x00000004
_SUBMIT_FIELDS: tuple[tuple[str, int], ...] = (
    ("service_type", 6),
    ("source_addr_ton", 0),
    ("source_addr_npi", 0),
    ("source_addr", 21),
    ("dest_addr_ton", 0),
    ("dest_addr_npi", 0),
    ("destination_addr", 21),
    ("esm_class", 0),
    ("protocol_id", 0),
    ("priority_flag", 0),
    ("schedule_delivery_time", 17),
    ("validity_period", 17),
    ("registered_delivery", 0),
    ("replace_if_present_flag", 0),
    ("data_coding", 0),
    ("sm_default_msg_id", 0),
)
"""submit_sm's mandatory fields in wire order, with the size limit of C-octet strings (0 for
one-octet integers), as SMPP 3.4 section 4.4.1 lists them."""


def encode_submit_sm(fields: dict[str, Any], sequence: int) -> bytes | None:
    """The wire form of a submit_sm with only mandatory fields, octet for octet what smpplib
    would write, built with a few joins instead of its per-field objects (a fifth of the
    link's time at a thousand submits a second). None when a TLV or an unusual value is
    asked for: smpplib then does it."""
    if not fields.keys() <= _KNOWN_SUBMIT_KEYS:
        return None
    parts = []
    for name, limit in _SUBMIT_FIELDS:
        value = fields.get(name)
        if limit:
            if value is None:
                value = ""
            if not isinstance(value, str):
                return None
            parts.append(value[: limit - 1].encode("latin-1") + b"\0")
        else:
            if value is None:
                value = 0
            if not isinstance(value, int) or not 0 <= value <= 255:
                return None
            parts.append(bytes((value,)))
    message = fields.get("short_message") or b""
    if not isinstance(message, bytes) or len(message) > 254:
        return None
    body = b"".join(parts) + bytes((len(message),)) + message
    return struct.pack(">LLLL", len(body) + 16, _SUBMIT_SM, 0, sequence) + body


_KNOWN_SUBMIT_KEYS = frozenset(name for name, _ in _SUBMIT_FIELDS) | {"short_message"}

_DELIVER_SM_RESP = 0x80000005


def encode_deliver_sm_resp(sequence: int, status: int) -> bytes:
    """The wire form of a deliver_sm_resp (header and an empty message_id), what smpplib
    writes, without its per-field objects: one is written per receipt a batch commits."""
    return struct.pack(">LLLL", 17, _DELIVER_SM_RESP, status, sequence) + b"\0"


def text(value: bytes | str | None) -> str:
    """smpplib's C-octet strings as text; never fails, so odd bytes stay visible in logs."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", errors="backslashreplace")
    return value


def submit_fields(settings: LinkSettings, submission: Submission) -> dict[str, Any]:
    """submit_sm parameters for smpplib.make_pdu; the message octets go as given."""
    fields: dict[str, Any] = {
        "source_addr_ton": settings.source_addr_ton,
        "source_addr_npi": settings.source_addr_npi,
        "source_addr": submission.source_addr or settings.source_addr,
        "dest_addr_ton": settings.dest_addr_ton,
        "dest_addr_npi": settings.dest_addr_npi,
        "destination_addr": submission.destination_addr,
        "esm_class": submission.esm_class,
        "protocol_id": submission.protocol_id,
        "registered_delivery": submission.registered_delivery,
        "data_coding": submission.data_coding,
        "short_message": submission.short_message,
    }
    if submission.validity_period:
        fields["validity_period"] = submission.validity_period
    if submission.message_payload:
        fields["message_payload"] = submission.message_payload
    if submission.sar is not None:
        fields["sar_msg_ref_num"] = submission.sar.reference
        fields["sar_total_segments"] = submission.sar.total
        fields["sar_segment_seqnum"] = submission.sar.sequence
    return fields


def delivery_from(
    pdu: Any, received_at: datetime, *, ticket: DeliveryTicket | None = None
) -> Delivery:
    """A parsed deliver_sm as plain data, octets and TLVs untouched."""
    sar = None
    if pdu.sar_msg_ref_num is not None:
        sar = SarSegment(
            reference=pdu.sar_msg_ref_num,
            total=pdu.sar_total_segments or 0,
            sequence=pdu.sar_segment_seqnum or 0,
        )
    receipted = pdu.receipted_message_id
    return Delivery(
        source_addr=text(pdu.source_addr),
        source_addr_ton=pdu.source_addr_ton or 0,
        source_addr_npi=pdu.source_addr_npi or 0,
        destination_addr=text(pdu.destination_addr),
        dest_addr_ton=pdu.dest_addr_ton or 0,
        dest_addr_npi=pdu.dest_addr_npi or 0,
        esm_class=pdu.esm_class or 0,
        data_coding=pdu.data_coding or 0,
        protocol_id=pdu.protocol_id or 0,
        short_message=bytes(pdu.short_message or b""),
        message_payload=pdu.message_payload,
        receipted_message_id=None if receipted is None else text(receipted),
        message_state=pdu.message_state,
        network_error_code=pdu.network_error_code,
        sar=sar,
        received_at=received_at,
        ticket=ticket,
    )


def probe(settings: LinkSettings) -> None:
    """Bind once and unbind, for `altavoz doctor`; raises LinkError saying what went wrong."""
    command = (
        BindCommand.TRANSCEIVER
        if settings.bind_mode is BindMode.TRANSCEIVER
        else BindCommand.TRANSMITTER
    )
    client = bound_client(settings, command)
    try:
        client.unbind()
    except (exceptions.PDUError, exceptions.ConnectionError, OSError) as error:
        raise LinkError(
            f"the SMSC did not answer unbind: {error!r}", LinkFault.UNBIND_UNANSWERED
        ) from error
    finally:
        client.disconnect()
