"""On-air repeats of an alert: every N minutes until a time (e.g. every 15 minutes for 2 hours).

Every airing is a playout command written when the alert is sent, each with the moment it is
due (`PlayoutCommand.due_at`): the database, not a worker's memory, holds the plan, so a
restarted playout worker neither loses a repeat nor airs one twice, and a cancellation drops
every airing still waiting with the one statement that drops the first. Pure logic only here:
the request's fields, the limits, and the airing times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

GRACE = timedelta(minutes=1)
"""'Until in 2 hours', computed a few seconds before the alert is sent, still means the airing
at 2 hours: an airing this close after the end is kept."""
MIN_EVERY_MIN = 1
MAX_EVERY_MIN = 7 * 24 * 60
MAX_AHEAD = timedelta(days=7)
"""The furthest a repeat may be planned: beyond a week an alert is a programme, not an alert."""


NOT_A_TIME = "'repeat_until' must be an ISO 8601 time with an offset"


class RepeatError(ValueError):
    """Repeats asked for in a way that cannot be honoured; nothing was written."""


@dataclass(frozen=True)
class RepeatAsk:
    """What the sender asked: `every_min` None means 'as the configuration says', 0 means no
    repeats; `until` None means `alerts.repeat_until_min` after sending."""

    every_min: int | None = None
    until: datetime | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RepeatAsk:
        every = body.get("repeat_every_min")
        if every is not None and (not isinstance(every, int) or isinstance(every, bool)):
            raise RepeatError("'repeat_every_min' must be a whole number of minutes")
        if every is not None and every != 0 and every < MIN_EVERY_MIN:
            raise RepeatError(
                f"'repeat_every_min' must be at least {MIN_EVERY_MIN} (0: no repeats)"
            )
        until = body.get("repeat_until")
        if isinstance(until, str):
            try:
                until = datetime.fromisoformat(until)
            except ValueError:
                raise RepeatError(
                    "'repeat_until' must be an ISO 8601 time with an offset"
                ) from None
        if until is not None and (not isinstance(until, datetime) or until.tzinfo is None):
            raise RepeatError("'repeat_until' must be an ISO 8601 time with an offset")
        if until is not None and every == 0:
            raise RepeatError("'repeat_until' needs 'repeat_every_min' above 0")
        return cls(every_min=every, until=until)


@dataclass(frozen=True)
class RepeatPlan:
    every: timedelta
    until: datetime

    def airings(self, start: datetime) -> list[datetime]:
        """The first airing at `start`, then one every `every` up to `until` (within GRACE)."""
        times = [start]
        while times[-1] + self.every <= self.until + GRACE:
            times.append(times[-1] + self.every)
        return times


def plan(
    ask: RepeatAsk, *, default_every_min: int, default_for_min: int, now: datetime
) -> RepeatPlan | None:
    """The repeats to air from `now`, or None for a single airing; raises RepeatError when the
    end is not after now or further than MAX_AHEAD."""
    every = default_every_min if ask.every_min is None else ask.every_min
    if every <= 0:
        return None
    until = ask.until if ask.until is not None else now + timedelta(minutes=default_for_min)
    if until <= now:
        raise RepeatError("'repeat_until' must be in the future")
    if until > now + MAX_AHEAD:
        raise RepeatError(f"'repeat_until' may be at most {MAX_AHEAD.days} days ahead")
    return RepeatPlan(every=timedelta(minutes=every), until=until)


def remaining(every_min: int | None, until: datetime | None, *, now: datetime) -> RepeatAsk:
    """A correction with no repeats of its own takes over what is left of the original's."""
    if not every_min or until is None or until <= now:
        return RepeatAsk(every_min=0)
    return RepeatAsk(every_min=every_min, until=until)
