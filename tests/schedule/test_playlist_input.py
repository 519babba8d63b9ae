"""Playlists and slots refuse names and titles no one could read right, and lists no
station plays: the API and the domain alike, before anything is written."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.database import Database
from gateway.roles import Role
from playlists.models import Playlist
from playlists.timetable import MAX_PLAYLIST_ITEMS, TimetableError, create_playlist
from tests.support import add_recordings


@pytest.fixture
def headers(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}


def playlists(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count(Playlist.id))) or 0)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Voces \u202edel campo", "reading direction"),
        ("Voces\x00", "control character"),
        ("\u200b", "invisible"),
        ("x" * 121, "at most 120 characters"),
    ],
)
def test_a_playlist_name_is_checked_like_all_typed_text(
    client: FlaskClient, headers: dict[str, str], database: Database, name: str, reason: str
) -> None:
    items = add_recordings(database, "Voces")
    response = client.post(
        "/api/v1/playlists", json={"name": name, "items": items}, headers=headers
    )
    assert response.status_code == 422
    assert reason in response.json["error"]["message"]  # type: ignore[index]
    assert playlists(database) == 0


def test_a_playlist_of_100000_items_is_refused_at_once(
    client: FlaskClient, headers: dict[str, str], database: Database
) -> None:
    items = add_recordings(database, "Voces")
    started = time.monotonic()
    response = client.post(
        "/api/v1/playlists", json={"name": "Todo", "items": items * 100_000}, headers=headers
    )
    assert response.status_code == 422
    assert f"at most {MAX_PLAYLIST_ITEMS} items" in response.json["error"]["message"]  # type: ignore[index]
    assert time.monotonic() - started < 5
    assert playlists(database) == 0


def test_a_playlist_of_the_limit_is_kept_with_its_name_composed(database: Database) -> None:
    items = add_recordings(database, "Voces")
    with database.session() as session:
        playlist = create_playlist(
            session, name=" Cancio\u0301n ", recording_ids=items * MAX_PLAYLIST_ITEMS
        )
        assert playlist.name == "Canción" and len(playlist.items) == MAX_PLAYLIST_ITEMS
        with pytest.raises(TimetableError, match="at most"):
            create_playlist(session, name="x", recording_ids=items * (MAX_PLAYLIST_ITEMS + 1))
