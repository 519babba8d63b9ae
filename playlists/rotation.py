"""Which item of a playlist airs next: order or shuffle, jingles between items, and no repeat
of the same item within a set time when the playlist allows it.

Pure: it is given `now` and the items (with durations) and keeps only its own position, so
the planner can keep one rotation per slot occurrence and the tests can run a day in a loop.
The position is a plain `RotationState` that the planner stores in the database each time an
item starts, so a playout worker that is restarted continues the playlist where it was.

Every item the operator put in a playlist plays in the operator's order, jingles and station
IDs included; the jingle rules only insert further ones from the station's jingle pool, and
a jingle from the playlist itself counts as the one the rules asked for.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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


@dataclass
class RotationState:
    """Where a rotation is: what is left of the current pass and the jingle counters."""

    passes: int = 0
    order: list[int] = field(default_factory=list)
    """Positions (into the playlist's items) still to air in this pass, in airing order."""
    since_jingle: int = 0
    last_jingle_at: datetime | None = None
    jingle_index: int = 0
    played_at: dict[int, datetime] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "passes": self.passes,
            "order": list(self.order),
            "since_jingle": self.since_jingle,
            "last_jingle_at": _iso(self.last_jingle_at),
            "jingle_index": self.jingle_index,
            "played_at": {str(k): v.isoformat() for k, v in self.played_at.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RotationState:
        """Rebuild a stored state; anything malformed starts the rotation afresh."""
        try:
            return cls(
                passes=int(data["passes"]),
                order=[int(i) for i in data["order"]],
                since_jingle=int(data["since_jingle"]),
                last_jingle_at=_parse(data.get("last_jingle_at")),
                jingle_index=int(data["jingle_index"]),
                played_at={
                    int(k): datetime.fromisoformat(v) for k, v in dict(data["played_at"]).items()
                },
            )
        except (KeyError, TypeError, ValueError):
            return cls()


class Rotation:
    def __init__(
        self,
        items: Sequence[RotationItem],
        *,
        rules: RotationRules,
        seed: str,
        jingles: Sequence[RotationItem] = (),
        expires_at: datetime | None = None,
        state: RotationState | None = None,
    ) -> None:
        self.items = list(items)
        self.jingles = list(jingles)
        self.rules = rules
        self.expires_at = expires_at
        self.source_version: tuple[object, ...] = ()
        self.seed = seed
        self.state = state or RotationState()
        self.state.order = [i for i in self.state.order if 0 <= i < len(self.items)]

    def next(self, now: datetime) -> RotationItem | None:
        """The next item to air at `now`, or None when the playlist has nothing more."""
        if not self.items:
            return None
        state = self.state
        if not state.order:
            if state.passes > 0 and not self.rules.repeat:
                return None
            state.order = list(range(len(self.items)))
            if self.rules.shuffle:
                random.Random(f"{self.seed}#{state.passes}").shuffle(state.order)
            state.passes += 1
        if self._jingle_due(now) and not self.items[state.order[0]].is_jingle:
            return self._jingle(now)
        chosen = self.items[self._pick(now)]
        if chosen.is_jingle:
            state.since_jingle = 0
            state.last_jingle_at = now
        else:
            state.since_jingle += 1
            if state.last_jingle_at is None:
                state.last_jingle_at = now
        state.played_at[chosen.recording_id] = now
        return chosen

    def _pick(self, now: datetime) -> int:
        """The first item in order not played recently; the least recent if all were."""
        order = self.state.order
        window = self.rules.no_repeat_within
        if window > timedelta(0):
            played_at = self.state.played_at
            for index, position in enumerate(order):
                played = played_at.get(self.items[position].recording_id)
                if played is None or now - played >= window:
                    return order.pop(index)
            oldest = min(
                range(len(order)),
                key=lambda i: played_at.get(self.items[order[i]].recording_id, NEVER),
            )
            return order.pop(oldest)
        return order.pop(0)

    def _jingle_due(self, now: datetime) -> bool:
        state = self.state
        if not self.jingles or state.since_jingle == 0:
            return False
        by_count = 0 < self.rules.jingle_every_items <= state.since_jingle
        by_time = (
            self.rules.jingle_every > timedelta(0)
            and state.last_jingle_at is not None
            and now - state.last_jingle_at >= self.rules.jingle_every
        )
        return by_count or by_time

    def _jingle(self, now: datetime) -> RotationItem:
        state = self.state
        jingle = self.jingles[state.jingle_index % len(self.jingles)]
        state.jingle_index += 1
        state.since_jingle = 0
        state.last_jingle_at = now
        return jingle


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
