"""The playlist page without JavaScript: create, add in the order chosen, move up and down,
remove, rename, and delete only after ticking the box and only when nothing needs it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from gateway.database import Database, utcnow
from gateway.roles import Role
from playlists.models import Playlist
from playlists.timetable import create_playlist
from tests.support import add_playlist_slot, add_recordings, csrf_token


def order(database: Database, playlist_id: int) -> list[int]:
    with database.session() as session:
        playlist = session.get(Playlist, playlist_id)
        assert playlist is not None
        return [item.recording_id for item in playlist.items]


def titles_on_page(page: str) -> list[str]:
    return re.findall(r'<a href="/library/\d+">([^<]+)</a>', page)


def test_an_operator_builds_and_reorders_a_playlist_in_the_order_chosen(
    client: FlaskClient, logged_in: Callable[[Role], object], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    a, b, c = add_recordings(database, "Alba", "Brisa", "Cerro")
    token = csrf_token(client, "/schedule/playlists")
    created = client.post(
        "/schedule/playlists", data={"csrf_token": token, "name": "Mañanas", "mode": "ordered"}
    )
    assert created.status_code == 303
    url = created.headers["Location"]
    playlist_id = int(url.rsplit("/", 1)[1])
    for recording in (c, a, b):
        added = client.post(
            f"{url}/items", data={"csrf_token": token, "action": "add", "recording": recording}
        )
        assert added.status_code == 303
    assert order(database, playlist_id) == [c, a, b]
    moves = [("down", 0, c, ""), ("up", 2, b, ""), ("remove", 0, a, ""), ("move", 0, b, "1")]
    for action, index, recording, to in moves:
        response = client.post(
            f"{url}/items",
            data={
                "csrf_token": token,
                "action": action,
                "index": index,
                "recording": recording,
                "to": to,
            },
        )
        assert response.status_code == 303
    assert order(database, playlist_id) == [c, b]
    page = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert titles_on_page(page) == ["Cerro", "Brisa"]
    assert "Subir" in page and "Se reproducen en este orden." in page


def test_a_stale_click_moves_nothing(
    client: FlaskClient, logged_in: Callable[[Role], object], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    a, b = add_recordings(database, "Alba", "Brisa")
    with database.session() as session:
        playlist = Playlist(name="x")
        session.add(playlist)
        session.flush()
        playlist_id = playlist.id
    token = csrf_token(client, f"/schedule/playlists/{playlist_id}")
    url = f"/schedule/playlists/{playlist_id}/items"
    for recording in (a, b):
        client.post(url, data={"csrf_token": token, "action": "add", "recording": recording})
    client.post(url, data={"csrf_token": token, "action": "up", "index": 1, "recording": a})
    client.post(url, data={"csrf_token": token, "action": "remove", "index": 99, "recording": a})
    assert order(database, playlist_id) == [a, b]


def test_rename_and_delete_with_confirmation_refused_while_a_slot_airs_it(
    client: FlaskClient, logged_in: Callable[[Role], object], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    with database.session() as session:
        playlist = Playlist(name="Mañanas")
        session.add(playlist)
        session.flush()
        playlist_id = playlist.id
    url = f"/schedule/playlists/{playlist_id}"
    token = csrf_token(client, url)
    renamed = client.post(url, data={"csrf_token": token, "name": "Tardes", "mode": "shuffle"})
    assert renamed.status_code == 303
    with database.session() as session:
        saved = session.get(Playlist, playlist_id)
        assert saved is not None and (saved.name, saved.mode) == ("Tardes", "shuffle")
    unconfirmed = client.post(f"{url}/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    slot_id = add_playlist_slot(database, playlist_id, utcnow() + timedelta(hours=3), 600)
    refused = client.post(
        f"{url}/delete",
        data={"csrf_token": token, "confirm": "y"},
        headers={"Accept-Language": "es"},
    )
    assert refused.status_code == 409
    assert "Franja" in refused.get_data(as_text=True)
    client.post(f"/schedule/slots/{slot_id}/delete", data={"csrf_token": token, "confirm": "y"})
    deleted = client.post(f"{url}/delete", data={"csrf_token": token, "confirm": "y"})
    assert deleted.status_code == 303
    assert client.get(url).status_code == 404


def test_a_moderator_sees_the_order_but_no_buttons(
    client: FlaskClient, logged_in: Callable[[Role], object], database: Database
) -> None:
    a, b = add_recordings(database, "Alba", "Brisa")
    with database.session() as session:
        playlist_id = create_playlist(session, name="x", recording_ids=[b, a]).id
    logged_in(Role.MODERATOR)
    page = client.get(f"/schedule/playlists/{playlist_id}").get_data(as_text=True)
    assert titles_on_page(page) == ["Brisa", "Alba"]
    assert 'value="up"' not in page and "Delete" not in page
