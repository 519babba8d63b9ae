"""A playlist's order on air: ordered and shuffled passes, jingles by count and by time, no
repeats within a window, and what happens when a slot outlasts its playlist."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from playlists.rotation import Rotation, RotationItem, RotationRules, RotationState

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def items(*ids: int, minutes: float = 3) -> list[RotationItem]:
    return [RotationItem(i, timedelta(minutes=minutes)) for i in ids]


JINGLES = [
    RotationItem(900, timedelta(seconds=10), is_jingle=True),
    RotationItem(901, timedelta(seconds=10), is_jingle=True),
]


def play(rotation: Rotation, count: int, start: datetime = T0) -> list[int]:
    """Air `count` items back to back, the clock moving by each item's duration."""
    now, aired = start, []
    for _ in range(count):
        chosen = rotation.next(now)
        if chosen is None:
            break
        aired.append(chosen.recording_id)
        now += chosen.duration
    return aired


def test_an_ordered_playlist_plays_in_order_and_starts_over() -> None:
    rotation = Rotation(items(1, 2, 3), rules=RotationRules(), seed="s")
    assert play(rotation, 7) == [1, 2, 3, 1, 2, 3, 1]


def test_a_slot_longer_than_its_playlist_stops_when_repeat_is_off_so_the_fallback_follows() -> None:
    rotation = Rotation(items(1, 2, 3), rules=RotationRules(repeat=False), seed="s")
    assert play(rotation, 7) == [1, 2, 3]


def test_a_shuffled_playlist_plays_every_item_once_per_pass_in_a_seeded_order() -> None:
    first = play(Rotation(items(*range(1, 11)), rules=RotationRules(shuffle=True), seed="a"), 20)
    again = play(Rotation(items(*range(1, 11)), rules=RotationRules(shuffle=True), seed="a"), 20)
    assert first == again
    assert sorted(first[:10]) == list(range(1, 11)) and sorted(first[10:]) == list(range(1, 11))
    assert first[:10] != list(range(1, 11))


def test_a_jingle_goes_between_every_n_items_alternating_jingles() -> None:
    rotation = Rotation(
        items(1, 2, 3, 4), rules=RotationRules(jingle_every_items=2), seed="s", jingles=JINGLES
    )
    assert play(rotation, 9) == [1, 2, 900, 3, 4, 901, 1, 2, 900]


def test_a_jingle_goes_once_the_set_minutes_have_passed() -> None:
    rotation = Rotation(
        items(1, 2, 3, 4, minutes=4),
        rules=RotationRules(jingle_every=10 * MINUTE),
        seed="s",
        jingles=JINGLES,
    )
    assert play(rotation, 6) == [1, 2, 3, 900, 4, 1]


def test_an_item_played_recently_waits_while_others_can_go() -> None:
    rules = RotationRules(shuffle=True, no_repeat_within=10 * MINUTE)
    rotation = Rotation(items(1, 2, 3, 4, 5, minutes=3), rules=rules, seed="x")
    aired = play(rotation, 40)
    last_seen: dict[int, int] = {}
    for position, recording in enumerate(aired):
        if recording in last_seen:
            assert (position - last_seen[recording]) * 3 >= 10
        last_seen[recording] = position


def test_when_every_item_was_played_recently_the_least_recent_goes() -> None:
    rotation = Rotation(
        items(1, 2, minutes=1), rules=RotationRules(no_repeat_within=60 * MINUTE), seed="s"
    )
    assert play(rotation, 5) == [1, 2, 1, 2, 1]


def test_an_empty_playlist_gives_nothing() -> None:
    assert Rotation([], rules=RotationRules(), seed="s").next(T0) is None


def test_jingles_and_station_ids_in_a_playlist_air_in_the_operators_order() -> None:
    testimony, jingle = RotationItem(1, 3 * MINUTE), RotationItem(7, MINUTE / 6, is_jingle=True)
    rotation = Rotation(
        [testimony, jingle, RotationItem(2, 3 * MINUTE)], rules=RotationRules(), seed="s"
    )
    assert play(rotation, 6) == [1, 7, 2, 1, 7, 2]


def test_a_jingle_in_the_playlist_counts_as_the_one_the_rules_ask_for() -> None:
    playlist = [*items(1, 2), RotationItem(7, MINUTE / 6, is_jingle=True), *items(3, 4)]
    rotation = Rotation(
        playlist, rules=RotationRules(jingle_every_items=2), seed="s", jingles=JINGLES
    )
    assert play(rotation, 8) == [1, 2, 7, 3, 4, 900, 1, 2]


def test_a_rotation_rebuilt_from_its_stored_state_continues_where_it_was() -> None:
    rules = RotationRules(shuffle=True, jingle_every_items=3)
    whole = play(Rotation(items(*range(1, 8)), rules=rules, seed="k", jingles=JINGLES), 30)
    first = Rotation(items(*range(1, 8)), rules=rules, seed="k", jingles=JINGLES)
    aired = play(first, 11)
    stored = RotationState.from_json(json.loads(json.dumps(first.state.to_json())))
    again = Rotation(items(*range(1, 8)), rules=rules, seed="k", jingles=JINGLES, state=stored)
    assert aired + play(again, 19, start=T0 + 11 * 3 * MINUTE) == whole


def test_a_malformed_stored_state_starts_the_rotation_afresh() -> None:
    state = RotationState.from_json({"passes": "x"})
    assert play(Rotation(items(1, 2), rules=RotationRules(), seed="s", state=state), 3) == [1, 2, 1]
