"""Pacing submits to the carrier's agreed rate, and backing off when it pushes back.

Carriers count segments per second and answer a burst with ESME_RTHROTTLED, or cut the bind.
`EvenPacer` spaces sends evenly at 1/rate on a fixed grid, so a caller that asks a little late
(thread scheduling) does not lose rate over a long send, yet no credit piles up while idle:
after a pause the first send goes at once and the next follow at the normal spacing. A
sliding one-second record of grants makes the limit a hard one: no window of one second ever
holds more than ceil(rate) sends, whatever the timing of the calls.
"""

from __future__ import annotations

import math
import random
from collections import deque

_WINDOW_S = 1.02
"""The hard limit is kept over a window 20 ms longer than a second: what the SMSC counts is
arrival times, and a first submit delayed a few milliseconds on the way (while the next ones
are not) would otherwise let it see one send too many in its first second. Costs at most 2%
of the rate when the limit binds."""
_RETRY_MARGIN_S = 1e-6
"""Added to a "try again at" time so that float rounding cannot make it fall just short."""


class EvenPacer:
    """`may_send_at(now)`: a time <= now grants and uses up one send; a later time says when
    to ask again. `now` is any monotonic clock in seconds."""

    def __init__(self, rate_per_s: float) -> None:
        if not rate_per_s > 0 or math.isinf(rate_per_s):
            raise ValueError(f"the rate must be a positive number per second, not {rate_per_s}")
        self.rate_per_s = rate_per_s
        self._interval = 1.0 / rate_per_s
        self._slack = self._interval / 2
        self._per_window = math.ceil(rate_per_s)
        self._next_at = -math.inf
        self._granted: deque[float] = deque(maxlen=self._per_window)

    def may_send_at(self, now: float) -> float:
        window_free_at = (
            self._granted[0] + _WINDOW_S + _RETRY_MARGIN_S
            if len(self._granted) == self._per_window and now - self._granted[0] < _WINDOW_S
            else -math.inf
        )
        allowed_at = max(self._next_at, window_free_at)
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
        self._granted.append(now)
        return now


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
