"""The submit window: which submissions await a response, and until when.

SMSCs answer submits out of order and at their own pace; matching by sequence_number and
giving each request its own deadline lets several submits be in flight on one connection.
Pure bookkeeping: the caller passes monotonic `now` values.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class _InFlight:
    key: Hashable
    deadline: float


class SubmitWindow:
    """At most `size` submissions in flight, each expiring `timeout_s` after it was sent."""

    def __init__(self, *, size: int, timeout_s: float) -> None:
        if size < 1:
            raise ValueError("a window holds at least one submission")
        self._size = size
        self._timeout_s = timeout_s
        self._in_flight: dict[int, _InFlight] = {}

    def __len__(self) -> int:
        return len(self._in_flight)

    @property
    def free(self) -> int:
        """How many more submissions may be sent before a response must come back."""
        return self._size - len(self._in_flight)

    def open(self, sequence: int, key: Hashable, now: float) -> None:
        """Record a submission sent now under `sequence`."""
        if self.free <= 0:
            raise OverflowError("the submit window is full")
        if sequence in self._in_flight:
            raise KeyError(f"sequence {sequence} is already in flight")
        self._in_flight[sequence] = _InFlight(key=key, deadline=now + self._timeout_s)

    def close(self, sequence: int) -> Hashable | None:
        """The key a response settles, or None when it is not in flight (expired, or unknown)."""
        entry = self._in_flight.pop(sequence, None)
        return None if entry is None else entry.key

    def expire(self, now: float) -> list[Hashable]:
        """Remove and return the keys whose response is overdue."""
        overdue = [seq for seq, entry in self._in_flight.items() if entry.deadline <= now]
        return [self._in_flight.pop(seq).key for seq in overdue]

    def drain(self) -> list[Hashable]:
        """Remove and return every key in flight, oldest first (the connection is gone)."""
        keys = [entry.key for entry in self._in_flight.values()]
        self._in_flight.clear()
        return keys

    def next_deadline(self) -> float | None:
        """When the oldest submission times out; entries share one timeout, so it is the first."""
        for entry in self._in_flight.values():
            return entry.deadline
        return None
