"""SMPP 3.4 time fields (section 7.1.1): how long an SMSC may keep trying a message.

A relative time is written "YYMMDDhhmmsstnnR". Only days, hours, minutes and seconds are
used: months and years have no fixed length, and an SMSC counting them its own way would
give up at another moment than the gateway, which then waits for a receipt that never comes.
"""

from __future__ import annotations

MAX_RELATIVE_S = 99 * 86_400 + 86_399
"""The longest time the DD field can say: 99 days, 23:59:59."""


def relative_time(seconds: int) -> str:
    """`seconds` as an SMPP relative time, e.g. 172800 -> "000002000000000R" (two days)."""
    if not 0 < seconds <= MAX_RELATIVE_S:
        raise ValueError(f"a relative SMPP time runs from 1 to {MAX_RELATIVE_S} seconds")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02}{hours:02}{minutes:02}{secs:02}000R"
