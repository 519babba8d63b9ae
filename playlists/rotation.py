"""Which item of a playlist airs next: order or shuffle, jingles between items, and no repeat
of the same item within a set time when the playlist allows it.

Pure: it is given `now` and the items (with durations) and keeps only its own position, so
the planner can keep one rotation per slot occurrence and the tests can run a day in a loop.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RotationItem:
    recording_id: int
    duration: timedelta
    is_jingle: bool = False


@dataclass(frozen=True)
class RotationRules:
    shuffle: bool = False
    jingle_every_items: int = 0
    """A jingle or station ID after this many items (0: not by count)."""
    jingle_every: timedelta = timedelta(0)
    """A jingle or station ID once this much time has passed since the last one (0: not by time)."""
    no_repeat_within: timedelta = timedelta(0)
    """Avoid an item played this recently, as long as another item can go instead."""
    repeat: bool = True
    """When the playlist is used up before the slot ends: start over (True) or stop, so the
    fallback follows (False)."""


class Rotation:
    def __init__(
        self,
        items: Sequence[RotationItem],
        *,
        rules: RotationRules,
        seed: str,
        jingles: Sequence[RotationItem] = (),
        expires_at: datetime | None = None,
    ) -> None:
        self.items = [item for item in items if not item.is_jingle] or list(items)
        self.jingles = list(jingles)
        self.rules = rules
        self.expires_at = expires_at
        self.source_version: tuple[object, ...] = ()
        self._random = random.Random(seed)
        self._order: list[RotationItem] = []
        self._passes = 0
        self._since_jingle = 0
        self._last_jingle_at: datetime | None = None
        self._jingle_index = 0
        self._played_at: dict[int, datetime] = {}

    def next(self, now: datetime) -> RotationItem | None:
        """The next item to air at `now`, or None when the playlist has nothing more."""
        if not self.items:
            return None
        if self._jingle_due(now):
            return self._jingle(now)
        if not self._order:
            if self._passes > 0 and not self.rules.repeat:
                return None
            self._order = list(self.items)
            if self.rules.shuffle:
                self._random.shuffle(self._order)
            self._passes += 1
        chosen = self._pick(now)
        self._since_jingle += 1
        if self._last_jingle_at is None:
            self._last_jingle_at = now
        self._played_at[chosen.recording_id] = now
        return chosen

    def _pick(self, now: datetime) -> RotationItem:
        """The first item in order not played recently; the least recent if all were."""
        window = self.rules.no_repeat_within
        if window > timedelta(0):
            for index, candidate in enumerate(self._order):
                played = self._played_at.get(candidate.recording_id)
                if played is None or now - played >= window:
                    return self._order.pop(index)
            oldest = min(
                range(len(self._order)),
                key=lambda i: self._played_at.get(self._order[i].recording_id, NEVER),
            )
            return self._order.pop(oldest)
        return self._order.pop(0)

    def _jingle_due(self, now: datetime) -> bool:
        if not self.jingles or self._since_jingle == 0:
            return False
        by_count = 0 < self.rules.jingle_every_items <= self._since_jingle
        by_time = (
            self.rules.jingle_every > timedelta(0)
            and self._last_jingle_at is not None
            and now - self._last_jingle_at >= self.rules.jingle_every
        )
        return by_count or by_time

    def _jingle(self, now: datetime) -> RotationItem:
        jingle = self.jingles[self._jingle_index % len(self.jingles)]
        self._jingle_index += 1
        self._since_jingle = 0
        self._last_jingle_at = now
        return jingle
