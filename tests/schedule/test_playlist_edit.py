"""Editing and deleting playlists in the domain, and the planner airing the operator's order:
after a reorder the slot (even one already on air) and the fallback hand out the new order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from audio.storage import MediaStore
from gateway.database import Database, utcnow
from gateway.settings import Settings
from playlists.models import Playlist, ScheduleSlot
from playlists.planner import Planner
from playlists.playlist_edit import (
    PlaylistInUse,
    PlaylistMissing,
    delete_playlist,
    moved,
    replace_playlist,
)
from playlists.timetable import PlaylistRules, TimetableError, create_playlist
from tests.support import add_playlist_slot, add_recordings


def items_of(database: Database, playlist_id: int) -> list[int]:
    with database.session() as session:
        playlist = session.get(Playlist, playlist_id)
        assert playlist is not None
        return [item.recording_id for item in playlist.items]


def new_playlist(database: Database, items: list[int], *, fallback: bool = False) -> int:
    with database.session() as session:
        return create_playlist(session, name="Mañanas", recording_ids=items, fallback=fallback).id


def test_a_replace_keeps_the_order_given_duplicates_included(database: Database) -> None:
    a, b, c = add_recordings(database, "a", "b", "c")
    playlist_id = new_playlist(database, [a, b, c])
    with database.session() as session:
        replace_playlist(
            session,
            playlist_id,
            name=" Tardes ",
            recording_ids=[c, a, c, b],
            rules=PlaylistRules(mode="shuffle"),
        )
    with database.session() as session:
        playlist = session.get(Playlist, playlist_id)
        assert playlist is not None
        assert (playlist.name, playlist.mode) == ("Tardes", "shuffle")
        assert [i.position for i in playlist.items] == [0, 1, 2, 3]
    assert items_of(database, playlist_id) == [c, a, c, b]


def test_a_partial_change_keeps_the_rest_and_a_bad_one_changes_nothing(
    database: Database,
) -> None:
    a, b = add_recordings(database, "a", "b")
    playlist_id = new_playlist(database, [a, b])
    with database.session() as session:
        replace_playlist(session, playlist_id, name="Noches")
    assert items_of(database, playlist_id) == [a, b]
    for change in ({"recording_ids": [a, 9999]}, {"name": "\u202e"}):
        with pytest.raises(TimetableError), database.session() as session:
            replace_playlist(session, playlist_id, **change)  # type: ignore[arg-type]
    assert items_of(database, playlist_id) == [a, b]
    with pytest.raises(PlaylistMissing), database.session() as session:
        replace_playlist(session, 424242, name="x")


def test_moving_an_item_swaps_it_with_its_neighbour_and_stops_at_the_ends() -> None:
    assert moved([1, 2, 3], 2, -1) == [1, 3, 2]
    assert moved([1, 2, 3], 0, +1) == [2, 1, 3]
    assert moved([1, 2, 3], 0, -1) == [1, 2, 3]
    assert moved([1, 2, 3], 2, +1) == [1, 2, 3]
    assert moved([1, 2, 3], 7, -1) == [1, 2, 3]


def test_a_playlist_in_use_is_not_deleted_and_says_why(database: Database) -> None:
    (a,) = add_recordings(database, "a")
    fallback_id = new_playlist(database, [a], fallback=True)
    used_id = new_playlist(database, [a])
    now = utcnow()
    slot_id = add_playlist_slot(database, used_id, now + timedelta(hours=2), 600)
    with pytest.raises(PlaylistInUse, match="fallback") as fallback, database.session() as s:
        delete_playlist(s, fallback_id, now=now)
    assert fallback.value.fallback
    with pytest.raises(PlaylistInUse, match=str(slot_id)) as used, database.session() as s:
        delete_playlist(s, used_id, now=now)
    assert used.value.slot_ids == [slot_id]
    with database.session() as session:
        assert session.get(Playlist, used_id) is not None


def test_deleting_says_what_went_with_it(database: Database) -> None:
    a, b = add_recordings(database, "a", "b")
    playlist_id = new_playlist(database, [a, b, a])
    now = utcnow()
    slot_id = add_playlist_slot(database, playlist_id, now - timedelta(days=1), 600)
    with database.session() as session:
        removed = delete_playlist(session, playlist_id, now=now)
    assert (removed.name, removed.items, removed.past_slot_ids) == ("Mañanas", 3, [slot_id])
    with database.session() as session:
        assert session.get(Playlist, playlist_id) is None
        assert session.get(ScheduleSlot, slot_id) is None


def aired(planner: Planner, start: datetime, count: int) -> list[int | None]:
    out = []
    for n in range(count):
        planned = planner.next_item(start + timedelta(seconds=n))
        assert planned is not None
        out.append(planned.recording_id)
    return out


def test_the_order_the_operator_sets_is_the_order_that_airs(
    settings: Settings, database: Database
) -> None:
    a, b, c = add_recordings(database, "a", "b", "c")
    slot_playlist = new_playlist(database, [a, b, c])
    fallback = new_playlist(database, [a, b, c], fallback=True)
    now = utcnow()
    slot_id = add_playlist_slot(database, slot_playlist, now - timedelta(minutes=1), 3600)
    planner = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    assert aired(planner, now, 2) == [a, b]
    with database.session() as session:
        replace_playlist(session, slot_playlist, recording_ids=[c, b, a, b])
    assert aired(planner, now + timedelta(minutes=1), 5) == [c, b, a, b, c]
    fresh = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    with database.session() as session:
        session.delete(session.get(ScheduleSlot, slot_id))
    assert aired(fresh, now, 1) == [a]
    with database.session() as session:
        replace_playlist(session, fallback, recording_ids=[b, c, a])
    assert aired(fresh, now + timedelta(minutes=2), 3) == [b, c, a]
