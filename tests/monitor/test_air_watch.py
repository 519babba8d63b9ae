"""The air monitor's decisions, from levels and what is on air: skip a silent item once,
restart the source when skipping is not the answer (with a growing pause between restarts),
and tell the staff once when the air has been dead long enough, and once when it is over."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from playlists.air_watch import (
    RECOVERED_S,
    RESTART_MAX_S,
    Action,
    ActionKind,
    AirWatch,
    Heard,
    WatchRules,
)

RULES = WatchRules(
    silence_s=5.0, alert_after_s=60.0, silence_db=-50.0, restart_every_s=30.0, settle_s=1.0
)
SOUND = -20.0
QUIET = -70.0
STEP = 0.25


class Timeline:
    """Feeds a watch window by window and keeps every action with the time it came."""

    def __init__(self, rules: WatchRules = RULES) -> None:
        self.watch = AirWatch(rules)
        self.at = 0.0
        self.actions: list[tuple[float, Action]] = []

    def run(
        self, seconds: float, level: float | None, on_air: int | None, *, filler: bool = False
    ) -> float:
        """Observe for `seconds`; return the time of the first observation."""
        first = round(self.at + STEP, 6)
        end = self.at + seconds
        while self.at < end - 1e-9:
            self.at = round(self.at + STEP, 6)
            for action in self.watch.observe(self.at, level, on_air, filler=filler):
                self.actions.append((self.at, action))
        return first

    def of(self, kind: ActionKind) -> list[tuple[float, Action]]:
        return [(at, action) for at, action in self.actions if action.kind is kind]


def test_sound_needs_nothing_done() -> None:
    line = Timeline()
    line.run(120, SOUND, on_air=1)
    assert line.actions == []
    assert line.watch.heard is Heard.OK
    assert line.watch.dead_for(line.at) == 0.0


def test_silence_in_an_item_skips_it_once_after_silence_s() -> None:
    line = Timeline()
    line.run(10, SOUND, on_air=1)
    quiet = line.run(8, QUIET, on_air=1)
    skips = line.of(ActionKind.SKIP_ITEM)
    assert len(skips) == 1
    at, action = skips[0]
    assert action.entry_id == 1
    assert at == quiet + 5.0
    assert action.dead_for_s == 5.0
    assert line.watch.heard is Heard.SILENT
    assert line.watch.dead_for(line.at) == line.at - quiet


def test_silence_is_not_charged_to_the_next_item_while_the_previous_tail_may_be_heard() -> None:
    line = Timeline()
    line.run(10, SOUND, on_air=1)
    line.run(4, QUIET, on_air=1)
    changed = line.run(3, QUIET, on_air=2)
    assert line.of(ActionKind.SKIP_ITEM) == []
    line.run(4, QUIET, on_air=2)
    [(at, action)] = line.of(ActionKind.SKIP_ITEM)
    assert action.entry_id == 2
    assert at == changed + RULES.settle_s + RULES.silence_s


def test_silence_that_goes_on_after_a_skip_restarts_the_source() -> None:
    line = Timeline()
    line.run(2, SOUND, on_air=1)
    line.run(5, QUIET, on_air=1)
    line.run(0.5, QUIET, on_air=1)
    changed = line.run(10, QUIET, on_air=2)
    assert line.of(ActionKind.SKIP_ITEM)
    restarts = line.of(ActionKind.RESTART_SOURCE)
    assert len(restarts) == 1
    assert restarts[0][0] == changed + RULES.settle_s + RULES.silence_s
    assert restarts[0][1].heard is Heard.SILENT


def test_silence_with_nothing_on_air_restarts_the_source_with_growing_pauses() -> None:
    line = Timeline()
    quiet = line.run(400, QUIET, on_air=None)
    times = [at for at, _ in line.of(ActionKind.RESTART_SOURCE)]
    assert times[0] == quiet + RULES.silence_s
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == [30.0, 60.0, 120.0]
    assert line.of(ActionKind.SKIP_ITEM) == []


def test_the_pause_between_restarts_stops_growing_at_the_maximum() -> None:
    line = Timeline(WatchRules(silence_s=1.0, restart_every_s=200.0, alert_after_s=60.0))
    line.run(2500, None, on_air=None)
    times = [at for at, _ in line.of(ActionKind.RESTART_SOURCE)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps[:3] == [200.0, 400.0, RESTART_MAX_S]
    assert set(gaps[3:]) == {RESTART_MAX_S}


def test_a_stream_that_cannot_be_heard_restarts_the_source_rather_than_skipping() -> None:
    line = Timeline()
    line.run(3, SOUND, on_air=1)
    gone = line.run(6, None, on_air=1)
    assert line.of(ActionKind.SKIP_ITEM) == []
    [(at, action)] = line.of(ActionKind.RESTART_SOURCE)
    assert at == gone + RULES.silence_s and action.heard is Heard.UNREACHABLE
    assert line.watch.heard is Heard.UNREACHABLE


def test_restarts_stay_apart_across_short_returns_of_sound() -> None:
    line = Timeline()
    for _ in range(4):
        line.run(6, None, on_air=None)
        line.run(0.5, SOUND, on_air=None)
    times = [at for at, _ in line.of(ActionKind.RESTART_SOURCE)]
    assert times == [STEP + RULES.silence_s]


def test_an_item_already_skipped_is_not_skipped_again() -> None:
    line = Timeline()
    line.run(6, QUIET, on_air=7)
    line.run(2, SOUND, on_air=7)
    line.run(40, QUIET, on_air=7)
    assert [action.entry_id for _, action in line.of(ActionKind.SKIP_ITEM)] == [7]
    assert len(line.of(ActionKind.RESTART_SOURCE)) == 1


def test_the_staff_are_told_once_when_the_air_has_been_dead_long_enough_and_once_after() -> None:
    line = Timeline()
    line.run(10, SOUND, on_air=1)
    dead = line.run(30, QUIET, on_air=1)
    line.run(45, None, on_air=None)
    [(started_at, started)] = line.of(ActionKind.INCIDENT_STARTED)
    assert started_at == dead + RULES.alert_after_s
    assert started.heard is Heard.UNREACHABLE and started.dead_for_s == RULES.alert_after_s
    assert line.watch.incident_since == dead
    line.run(0.5, SOUND, on_air=2)
    line.run(10, None, on_air=None)
    assert line.of(ActionKind.INCIDENT_ENDED) == []
    back = line.run(5, SOUND, on_air=2)
    [(ended_at, ended)] = line.of(ActionKind.INCIDENT_ENDED)
    assert ended_at == back + RECOVERED_S
    assert ended.dead_for_s == back - dead
    assert line.watch.incident_since is None
    assert len(line.of(ActionKind.INCIDENT_STARTED)) == 1


def test_pauses_between_words_do_not_hold_back_the_end_of_an_incident() -> None:
    line = Timeline()
    line.run(70, None, on_air=None)
    back = line.run(0.5, SOUND, on_air=1)
    line.run(0.25, QUIET, on_air=1)
    line.run(0.5, SOUND, on_air=1)
    [(ended_at, _)] = line.of(ActionKind.INCIDENT_ENDED)
    assert ended_at == back + RECOVERED_S


def test_the_station_id_aired_into_dead_air_does_not_end_it() -> None:
    line = Timeline()
    dead = line.run(40, QUIET, on_air=None)
    for _ in range(4):
        line.run(3, SOUND, on_air=9, filler=True)
        assert line.watch.heard is Heard.OK
        line.run(60, QUIET, on_air=None)
    assert [at for at, _ in line.of(ActionKind.INCIDENT_STARTED)] == [dead + 60]
    assert line.of(ActionKind.INCIDENT_ENDED) == []
    assert line.of(ActionKind.SKIP_ITEM) == []
    times = [at for at, _ in line.of(ActionKind.RESTART_SOURCE)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == [30.0, 60.0, 120.0]
    assert line.watch.dead_for(line.at) == line.at - dead


def test_an_incident_left_open_by_an_earlier_monitor_is_closed_when_sound_returns() -> None:
    line = Timeline()
    line.watch.incident_since = -100.0
    line.run(2, SOUND, on_air=1)
    [(_, ended)] = line.of(ActionKind.INCIDENT_ENDED)
    assert ended.dead_for_s == 100.0 + STEP


observation = st.tuples(
    st.floats(min_value=0.01, max_value=20.0),
    st.one_of(st.none(), st.floats(min_value=-120.0, max_value=0.0)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(observation, min_size=1, max_size=200),
    silence_s=st.floats(min_value=0.5, max_value=30.0),
    alert_after_s=st.floats(min_value=0.5, max_value=120.0),
    restart_every_s=st.floats(min_value=1.0, max_value=900.0),
)
def test_whatever_is_heard_the_decisions_keep_their_promises(
    steps: list[tuple[float, float | None, int | None, bool]],
    silence_s: float,
    alert_after_s: float,
    restart_every_s: float,
) -> None:
    rules = WatchRules(
        silence_s=silence_s, alert_after_s=alert_after_s, restart_every_s=restart_every_s
    )
    watch = AirWatch(rules)
    at = 0.0
    skipped: list[int] = []
    restarts: list[float] = []
    incidents: list[ActionKind] = []
    for gap, level, on_air, filler in steps:
        at += gap
        actions = watch.observe(at, level, on_air, filler=filler)
        heard_ok = level is not None and level >= rules.silence_db
        programme = heard_ok and not filler
        for action in actions:
            if action.kind is ActionKind.SKIP_ITEM:
                assert level is not None and not heard_ok and action.entry_id == on_air
                assert action.dead_for_s >= silence_s
                skipped.append(on_air)
            elif action.kind is ActionKind.RESTART_SOURCE:
                assert not heard_ok and action.dead_for_s >= silence_s
                restarts.append(at)
            elif action.kind is ActionKind.INCIDENT_STARTED:
                assert not programme and action.dead_for_s >= alert_after_s
                incidents.append(action.kind)
            else:
                assert programme
                incidents.append(action.kind)
        assert (watch.heard is Heard.OK) == heard_ok
        assert watch.dead_for(at) == 0.0 or not programme
        assert (watch.incident_since is not None) == (
            bool(incidents) and incidents[-1] is ActionKind.INCIDENT_STARTED
        )
    assert len(skipped) == len(set(skipped))
    assert all(b - a >= restart_every_s - 1e-9 for a, b in itertools.pairwise(restarts))
    assert incidents == [
        ActionKind.INCIDENT_STARTED if n % 2 == 0 else ActionKind.INCIDENT_ENDED
        for n in range(len(incidents))
    ]
