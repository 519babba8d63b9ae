"""Pacing submits to the carrier's agreed rate, and slowing down when it pushes back.

Carriers count segments per second and answer a burst with ESME_RTHROTTLED (or
ESME_RMSGQFUL), or cut the bind. Three pieces, all pure (the caller passes monotonic `now`):
- `SlidingWindowLimit`, the hard cap: it keeps the times of the last `limit` grants, so no
  window of a second ever holds more than `limit` sends, whatever the timing of the calls.
- `EvenPacer` spaces sends evenly at 1/rate on a fixed grid, so a caller that asks a little
  late (thread scheduling) does not lose rate over a long send, yet no credit piles up while
  idle: after a pause the first send goes at once and the next follow at the normal spacing.
- `AdaptiveRate` lowers that rate when the SMSC refuses too many submits and raises it again
  step by step (additive increase, multiplicative decrease, as TCP does); a refused submit is
  retried on its own later, so the link never stops.
`SmscPacer` puts them together for the SMPP link.
"""

from __future__ import annotations

import math
import random
from collections import deque
from typing import Protocol

_WINDOW_S = 1.015
"""The hard limit is kept over a window 15 ms longer than a second: what the SMSC counts is
arrival times, and a first submit delayed a few milliseconds on the way (while the next ones
are not) would otherwise let it see one send too many in its first second. Costs 1.5% of
the rate when the limit binds."""
_GRID_HEADROOM = 1.03
"""The even grid runs 3% faster than the rate, so the hard window (not the grid) is what
binds: a caller that asks late then loses nothing, the window absorbs the difference."""
GROUP_S = 0.002
"""Grid slots finer than this (rates above about 500/s) are granted up to this much early, so
the sends due within it leave in one write: the link's loop cannot keep a spacing of 0.1 ms
anyway, and trying cost a loop turn, a system call and a TCP segment per submit. The hard
window still counts every send at its real time."""
_RETRY_MARGIN_S = 1e-6
"""Added to a "try again at" time so that float rounding cannot make it fall just short."""


class Pacing(Protocol):
    """What the SMPP link asks before each submit, and tells after each answer."""

    def may_send_at(self, now: float) -> float:
        """A time <= now grants (and uses up) one submit; a later time says when to ask again."""

    def sent(self, count: int, at: float) -> None:
        """The last `count` grants were written to the socket at `at` (after they were
        granted, if the thread was held up in between)."""

    def answered(self, now: float, *, throttled: bool) -> None:
        """The SMSC answered a submit; `throttled` for ESME_RTHROTTLED or ESME_RMSGQFUL."""


class Unpaced:
    """The pacing of an SMSC with no agreed rate: every submit may go at once."""

    def may_send_at(self, now: float) -> float:
        return now

    def sent(self, count: int, at: float) -> None:
        return None

    def answered(self, now: float, *, throttled: bool) -> None:
        return None


class SlidingWindowLimit:
    """At most `limit` grants in any window of `window_s`: the times of the last `limit`
    grants are kept, and a new one waits until the oldest of them is `window_s` old."""

    def __init__(self, limit: int, *, window_s: float = _WINDOW_S) -> None:
        if limit < 1:
            raise ValueError(f"a sliding window allows at least one send, not {limit}")
        self.limit = limit
        self.window_s = window_s
        self._granted: deque[float] = deque(maxlen=limit)

    def free_at(self, now: float) -> float:
        """The earliest time a grant may be made: `now` or before when one may go at once."""
        if len(self._granted) < self.limit or now - self._granted[0] >= self.window_s:
            return now
        return self._granted[0] + self.window_s + _RETRY_MARGIN_S

    def record(self, now: float) -> None:
        self._granted.append(now)

    def settle(self, count: int, at: float) -> None:
        """Move the last `count` grants to `at` if they actually went later: the window must
        hold over the moments sends left, not the moments they were allowed."""
        for index in range(1, min(count, len(self._granted)) + 1):
            self._granted[-index] = max(self._granted[-index], at)


class EvenPacer:
    """`may_send_at(now)`: a time <= now grants and uses up one send; a later time says when
    to ask again. `now` is any monotonic clock in seconds. The rate may be lowered and raised
    again (`set_rate`); the hard window stays at the rate given at creation."""

    def __init__(self, rate_per_s: float) -> None:
        _check_rate(rate_per_s)
        self._next_at = -math.inf
        self.window = SlidingWindowLimit(math.ceil(rate_per_s))
        self.set_rate(rate_per_s)

    def set_rate(self, rate_per_s: float) -> None:
        """Space the next sends at 1/rate; the grid moves from the next grant on."""
        _check_rate(rate_per_s)
        self.rate_per_s = rate_per_s
        self._interval = 1.0 / (rate_per_s * _GRID_HEADROOM)
        self._slack = self._interval / 2
        self._early = GROUP_S if self._interval < GROUP_S else 0.0

    def may_send_at(self, now: float) -> float:
        allowed_at = max(self._next_at - self._early, self.window.free_at(now))
        if allowed_at > now:
            return allowed_at
        late = now - self._next_at
        if late > self._interval:
            # Idle: a fresh grid, so the pause never turns into a burst.
            self._next_at = now + self._interval
        else:
            # Asked a little late (thread scheduling): the grid keeps its pace and gives way
            # only by what is beyond the slack, so no rate is lost to small delays.
            self._next_at += self._interval + max(0.0, late - self._slack)
        self.window.record(now)
        return now


def _check_rate(rate_per_s: float) -> None:
    if not rate_per_s > 0 or math.isinf(rate_per_s):
        raise ValueError(f"the rate must be a positive number per second, not {rate_per_s}")


class AdaptiveRate:
    """The send rate, lowered when the SMSC refuses too many submits and raised step by step.

    Answers are counted in rounds of `round_s`. A round in which more than `tolerated` of
    the answers were throttling refusals halves the rate, taken from what was actually sent in
    that round (a ceiling far above the real rate must not hide the cut). Any other round
    raises it by a step, 5% of the rate sent before the first cut of the latest series (at
    least 1/s), up to the ceiling. A few scattered refusals (a full queue for one
    destination) therefore cost only their own retries, while an SMSC that counts a lower
    rate than agreed is met at about its rate."""

    DECREASE = 0.5
    STEP = 0.05

    def __init__(
        self, ceiling: float, *, round_s: float = 1.0, tolerated: float = 0.1, floor: float = 1.0
    ) -> None:
        _check_rate(ceiling)
        self.ceiling = ceiling
        self.rate = ceiling
        self._round_s = round_s
        self._tolerated = tolerated
        self._floor = min(floor, ceiling)
        self._step = max(1.0, self.STEP * ceiling)
        self._round_start: float | None = None
        self._cutting = False
        self._answers = 0
        self._refused = 0

    def answered(self, now: float, *, throttled: bool) -> bool:
        """Count one answer; True when the rate changed (a round ended)."""
        if self._round_start is None or now - self._round_start >= 2 * self._round_s:
            # First answer, or the first after an idle spell: counts of long ago say nothing
            # about the rate now, and an idle round would read as a very low sent rate.
            self._round_start, self._answers, self._refused = now, 0, 0
        self._answers += 1
        self._refused += throttled
        elapsed = now - self._round_start
        if elapsed < self._round_s:
            return False
        before = self.rate
        if self._refused > self._tolerated * self._answers:
            sent_rate = min(self.rate, self._answers / elapsed)
            if not self._cutting:
                # The first cut of a series sets the step from the rate that was working.
                self._step = max(1.0, self.STEP * sent_rate)
            self._cutting = True
            self.rate = max(self._floor, self.DECREASE * sent_rate)
        else:
            self._cutting = False
            self.rate = min(self.ceiling, self.rate + self._step)
        self._round_start, self._answers, self._refused = now, 0, 0
        return self.rate != before


class SmscPacer:
    """Pacing for one SMSC: even spacing at an adaptive rate under a hard sliding window at
    the agreed `max_tps`."""

    def __init__(self, max_tps: float) -> None:
        self._pacer = EvenPacer(rate_per_s=max_tps)
        self.rate = AdaptiveRate(ceiling=max_tps)

    def may_send_at(self, now: float) -> float:
        return self._pacer.may_send_at(now)

    def sent(self, count: int, at: float) -> None:
        self._pacer.window.settle(count, at)

    def answered(self, now: float, *, throttled: bool) -> None:
        if self.rate.answered(now, throttled=throttled):
            self._pacer.set_rate(self.rate.rate)


class Backoff:
    """Delays before retrying a throttled submit: initial_s, doubling per attempt, capped at
    maximum_s. With a `random.Random`, each delay is shortened by up to 10% so that many
    throttled segments do not all come back at the same instant."""

    JITTER = 0.1

    def __init__(
        self, initial_s: float, maximum_s: float, *, rng: random.Random | None = None
    ) -> None:
        if not 0 < initial_s <= maximum_s:
            raise ValueError(
                f"backoff needs 0 < initial_s <= maximum_s, not {initial_s} and {maximum_s}"
            )
        self.initial_s = initial_s
        self.maximum_s = maximum_s
        self._rng = rng

    def delay(self, attempts: int) -> float:
        """The wait after the `attempts`-th failure (1 for the first; less counts as 1)."""
        exponent = max(0, attempts - 1)
        if exponent > math.log2(self.maximum_s / self.initial_s):
            base = self.maximum_s
        else:
            base = min(self.maximum_s, self.initial_s * 2.0**exponent)
        if self._rng is None:
            return base
        return base * (1.0 - self.JITTER * self._rng.random())
