"""Even pacing to the carrier's rate, with no one-second window over it, and backoff."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.pacing import AdaptiveRate, Backoff, EvenPacer, SlidingWindowLimit, SmscPacer

QUICK = settings(database=None, deadline=None, max_examples=60)


def drive(pacer: EvenPacer, asks: list[float]) -> list[float]:
    """Ask at each time given (sorted); return the grants."""
    return [now for now in asks if pacer.may_send_at(now) <= now]


def assert_no_window_over(grants: list[float], rate: float) -> None:
    limit = math.ceil(rate)
    for first, later in zip(grants, grants[limit:], strict=False):
        assert later - first >= 1.0, f"{limit + 1} sends within one second"


@QUICK
@given(
    st.floats(0.5, 400),
    st.lists(st.floats(0, 0.05), min_size=50, max_size=600),
    st.lists(st.floats(0, 3), max_size=5),
)
def test_no_one_second_window_holds_more_than_the_rate(
    rate: float, lateness: list[float], pauses: list[float]
) -> None:
    """A caller that asks again when told, late by scheduling noise, sometimes after a pause."""
    pacer = EvenPacer(rate_per_s=rate)
    now, grants = 1000.0, []
    for step, late in enumerate(lateness):
        answer = pacer.may_send_at(now)
        if answer <= now:
            grants.append(now)
        else:
            now = answer
        now += late
        if pauses and step % 97 == 0:
            now += pauses[step % len(pauses)]
    assert_no_window_over(grants, rate)
    for earlier, later in itertools.pairwise(grants):
        assert later - earlier >= 0.5 / (1.03 * rate) - 1e-9, "a burst"  # grid 3% ahead


@QUICK
@given(st.floats(0.5, 200), st.lists(st.floats(0, 10), min_size=1, max_size=400))
def test_arbitrary_asking_times_never_beat_the_limit(rate: float, gaps: list[float]) -> None:
    pacer = EvenPacer(rate_per_s=rate)
    asks = [1.0]
    for gap in gaps:
        asks.append(asks[-1] + gap / rate)
    assert_no_window_over(drive(pacer, asks), rate)


def test_a_grid_finer_than_two_milliseconds_is_granted_in_groups() -> None:
    """At 10,000/s the sends due within 2 ms go together (one write, not twenty loop turns);
    at 400/s (a 2.4 ms grid) none is early."""
    fine = EvenPacer(rate_per_s=10_000)
    assert 20 <= sum(fine.may_send_at(5.0) <= 5.0 for _ in range(50)) <= 21
    coarse = EvenPacer(rate_per_s=400)
    assert coarse.may_send_at(5.0) == 5.0
    assert coarse.may_send_at(5.0) > 5.0


def test_grouped_grants_never_beat_the_limit() -> None:
    """Asked every 0.1 ms for 3 s at 1,000/s: groups of two, the hard window still holds."""
    grants = drive(EvenPacer(rate_per_s=1000), [1.0 + n / 10_000 for n in range(30_000)])
    assert_no_window_over(grants, 1000)
    assert 2900 <= len(grants) <= 3000


def test_a_caller_asking_a_little_late_still_gets_the_full_rate() -> None:
    pacer = EvenPacer(rate_per_s=100)
    rng = random.Random(5)
    now, grants = 0.0, 0
    while now < 30.0:
        answer = pacer.may_send_at(now)
        if answer <= now:
            grants += 1
        else:
            now = answer + rng.uniform(0, 0.004)  # up to 40% of the interval late
    assert 2940 <= grants <= 3001  # the 15 ms guard on the hard window costs 1.5%


def test_after_a_pause_sends_resume_at_the_normal_spacing_without_a_burst() -> None:
    pacer = EvenPacer(rate_per_s=10)
    assert pacer.may_send_at(0.0) == 0.0
    assert pacer.may_send_at(0.0) == pytest.approx(0.1 / 1.03)  # the grid runs 3% ahead
    assert pacer.may_send_at(100.0) == 100.0  # idle: the first goes at once
    retry = pacer.may_send_at(100.0)
    assert retry > 100.0 + 0.04  # and the next is not granted straight away
    assert pacer.may_send_at(retry) == retry


def test_a_rate_must_be_positive() -> None:
    for rate in (0, -1, math.inf, math.nan):
        with pytest.raises(ValueError, match="positive"):
            EvenPacer(rate_per_s=rate)


def test_backoff_doubles_from_the_initial_delay_up_to_the_cap() -> None:
    backoff = Backoff(initial_s=1.0, maximum_s=300.0)
    assert [backoff.delay(n) for n in range(0, 11)] == [
        1.0,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        64.0,
        128.0,
        256.0,
        300.0,
    ]
    assert backoff.delay(10_000) == 300.0


def test_backoff_jitter_is_small_bounded_and_reproducible() -> None:
    delays = [Backoff(2.0, 60.0, rng=random.Random(1)).delay(n) for n in range(1, 9)]
    assert delays == [Backoff(2.0, 60.0, rng=random.Random(1)).delay(n) for n in range(1, 9)]
    plain = Backoff(2.0, 60.0)
    for attempts, delay in enumerate(delays, start=1):
        assert 0.9 * plain.delay(attempts) <= delay <= plain.delay(attempts)


def test_backoff_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=0, maximum_s=1)
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=5, maximum_s=1)


@QUICK
@given(
    st.integers(1, 120),
    st.lists(st.floats(0, 2.5, allow_nan=False), min_size=1, max_size=800),
)
def test_sliding_window_never_holds_more_than_its_limit_whatever_the_timing(
    limit: int, gaps: list[float]
) -> None:
    """Callers ask at arbitrary times (bursts, pauses, exactly at the edge): any window of
    `window_s` holds at most `limit` grants, and a free slot is never refused."""
    window = SlidingWindowLimit(limit)
    now, grants = 0.0, []
    for gap in gaps:
        now += gap / limit
        free_at = window.free_at(now)
        if free_at <= now:
            window.record(now)
            grants.append(now)
        else:
            assert len(grants) >= limit and free_at - grants[-limit] >= window.window_s
    for first, later in zip(grants, grants[limit:], strict=False):
        assert later - first >= window.window_s
    assert grants[0] == gaps[0] / limit


@QUICK
@given(st.floats(1, 300), st.lists(st.floats(0, 0.2), min_size=20, max_size=400))
def test_an_adaptive_rate_change_never_breaks_the_hard_window(
    rate: float, gaps: list[float]
) -> None:
    pacer = SmscPacer(rate)
    now, grants = 0.0, []
    for step, gap in enumerate(gaps):
        answer = pacer.may_send_at(now)
        if answer <= now:
            grants.append(now)
            pacer.answered(now, throttled=step % 3 == 0)
        else:
            now = answer
        now += gap / rate
    assert_no_window_over(grants, rate)


def answers(
    control: AdaptiveRate, *, start: float, seconds: int, per_s: int, refused_every: int
) -> float:
    """Feed `per_s` answers a second for `seconds`, every `refused_every`-th one refused."""
    for n, tick in enumerate(range(seconds * per_s), start=1):
        control.answered(
            start + tick / per_s, throttled=refused_every > 0 and n % refused_every == 0
        )
    return start + seconds


def test_scattered_refusals_leave_the_rate_alone() -> None:
    """5% ESME_RMSGQFUL (a full queue for some destinations) costs only the retries."""
    control = AdaptiveRate(ceiling=100)
    answers(control, start=0.0, seconds=20, per_s=100, refused_every=20)
    assert control.rate == 100


def test_heavy_refusals_halve_the_rate_and_it_climbs_back_step_by_step() -> None:
    control = AdaptiveRate(ceiling=100)
    now = answers(control, start=0.0, seconds=3, per_s=100, refused_every=2)
    assert control.rate <= 50  # halved, once per round, from what was sent
    now = answers(control, start=now, seconds=2, per_s=20, refused_every=0)
    before = control.rate
    now = answers(control, start=now, seconds=1, per_s=20, refused_every=0)
    assert 0 < control.rate - before <= 5  # additive: at most 5% of the old rate a round
    answers(control, start=now, seconds=60, per_s=50, refused_every=0)
    assert control.rate == 100


def test_an_idle_spell_is_not_read_as_a_low_rate() -> None:
    control = AdaptiveRate(ceiling=100)
    control.answered(0.0, throttled=False)
    control.answered(3600.0, throttled=True)  # one refusal an hour later
    assert control.rate == 100
    control.answered(3600.5, throttled=False)
    assert control.rate == 100
