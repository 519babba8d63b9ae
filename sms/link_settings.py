"""How the gateway binds to its SMSC: address, credentials, addressing defaults and timings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from gateway.settings import SmppSettings


class BindMode(Enum):
    """One transceiver session, or a transmitter and a receiver side by side.

    Some operators only offer separate transmitter and receiver binds; both kinds of bind use
    the same credentials, and the link treats the pair as one: if either drops, both rebind.
    """

    TRANSCEIVER = "transceiver"
    TRANSMITTER_AND_RECEIVER = "transmitter+receiver"


@dataclass(frozen=True, kw_only=True)
class LinkSettings:
    """Everything the SMPP link needs; keyword-only so call sites read like configuration."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    source_addr: str = ""
    source_addr_ton: int = 5
    """Alphanumeric (5) by default: community stations usually send from a name, not a number."""
    source_addr_npi: int = 0
    dest_addr_ton: int = 1
    """International (1): subscribers are stored in E.164, sent without the leading '+'."""
    dest_addr_npi: int = 1
    bind_mode: BindMode = BindMode.TRANSCEIVER
    window: int = 10
    """Submits in flight at once; SMSCs commonly allow 10 and throttle beyond."""
    enquire_link_interval_s: float = 30.0
    """Idle time before a keep-alive, below the NAT and SMSC idle timeouts seen in the field."""
    response_timeout_s: float = 10.0
    """How long a response may take before the request counts as lost (and the link as dead,
    for bind, enquire_link and unbind)."""
    bind_timeout_s: float = 2.0
    """How long connecting and the bind may take: shorter than other responses, so a silent
    SMSC (it accepts the connection, never answers) is reported, and retried, in seconds."""
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 60.0

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("the submit window must allow at least one message in flight")
        if self.reconnect_initial_s <= 0 or self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect backoff needs 0 < initial <= max")
        if min(self.response_timeout_s, self.bind_timeout_s, self.enquire_link_interval_s) <= 0:
            raise ValueError("timeouts and the enquire_link interval must be positive")

    def reconnect_delay(self, failures: int) -> float:
        """Exponential backoff: an SMSC that is down is not hammered, one that is back is found
        again within `reconnect_max_s`."""
        if failures <= 0:
            return 0.0
        doublings = min(failures - 1, 32)
        return float(min(self.reconnect_max_s, self.reconnect_initial_s * 2**doublings))


def link_settings(smpp: SmppSettings) -> LinkSettings:
    """The link's settings from the `smpp` section of the configuration."""
    return LinkSettings(
        host=smpp.host,
        port=smpp.port,
        system_id=smpp.system_id,
        password=smpp.password,
        system_type=smpp.system_type,
        source_addr=smpp.source_addr,
        source_addr_ton=smpp.source_addr_ton,
        source_addr_npi=smpp.source_addr_npi,
        dest_addr_ton=smpp.dest_addr_ton,
        dest_addr_npi=smpp.dest_addr_npi,
        bind_mode=BindMode.TRANSCEIVER
        if smpp.bind_mode == "transceiver"
        else BindMode.TRANSMITTER_AND_RECEIVER,
        window=smpp.window,
        enquire_link_interval_s=smpp.enquire_link_s,
        bind_timeout_s=smpp.bind_timeout_s,
    )
