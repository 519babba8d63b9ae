"""What smpplib logs and how an SMSC's refusals are worded for the people reading them.

smpplib warns "... is disconnecting in the bound state" whenever a client that is not merely
*open* is closed, including one that never connected or whose bind was just refused: an
operator reading it after "connection refused" is told the opposite of what happened. The
link closes its clients on purpose and reports every fault itself, so that warning (and the
"was not closed" one from the garbage collector) is dropped at smpplib's logger; everything
else smpplib says goes through.
"""

from __future__ import annotations

import logging

from smpplib import consts

SMPPLIB_LOGGER = "sms.link_wire.smpplib"
"""The logger every smpplib client of the link is created with."""

_MISLEADING = ("is disconnecting in the bound state", "was not closed")

_STATUS_NAMES = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(consts).items()
    if name.startswith("SMPP_ESME_") and isinstance(value, int)
}


class MisleadingWarnings(logging.Filter):
    """Drops smpplib's warnings that describe a state the link is not in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not isinstance(record.msg, str):
            return True
        return not any(phrase in record.msg for phrase in _MISLEADING)


logging.getLogger(SMPPLIB_LOGGER).addFilter(MisleadingWarnings())


def status_name(status: int) -> str:
    """`ESME_RINVPASWD (Invalid Password)` for 0x0E: the name an SMSC's documentation and
    support desk use, and the words for everyone else."""
    name = _STATUS_NAMES.get(status, f"status 0x{status:08X}")
    description = consts.DESCRIPTIONS.get(status)
    return f"{name} ({description})" if description else name
