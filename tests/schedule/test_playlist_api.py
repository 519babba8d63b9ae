"""PUT, PATCH and DELETE /api/v1/playlists/{id}: the order given is the order kept, a
deletion that would leave air empty is refused with the reason, bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.audit import AuditEntry
from gateway.database import Database, utcnow
from gateway.roles import Role
from tests.support import add_playlist_slot, add_recordings


@pytest.fixture
def headers(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}


@pytest.fixture
def recordings(database: Database) -> list[int]:
    return add_recordings(database, "uno", "dos", "tres")


def created(client: FlaskClient, headers: dict[str, str], items: list[int]) -> int:
    response = client.post(
        "/api/v1/playlists", json={"name": "Mañanas", "items": items}, headers=headers
    )
    assert response.status_code == 201
    return int(response.get_json()["id"])


def shown(client: FlaskClient, headers: dict[str, str], playlist_id: int) -> dict[str, object]:
    response = client.get(f"/api/v1/playlists/{playlist_id}", headers=headers)
    assert response.status_code == 200
    return dict(response.get_json())


def test_put_replaces_everything_and_keeps_the_order_given(
    client: FlaskClient, headers: dict[str, str], recordings: list[int], database: Database
) -> None:
    a, b, c = recordings
    playlist_id = created(client, headers, [a, b, c])
    response = client.put(
        f"/api/v1/playlists/{playlist_id}",
        json={"name": "Tardes", "items": [c, a, c], "mode": "shuffle"},
        headers=headers,
    )
    assert response.status_code == 200
    expected = {"id": playlist_id, "name": "Tardes", "mode": "shuffle", "items": [c, a, c]}
    assert response.get_json() == {**expected, "fallback": False}
    assert shown(client, headers, playlist_id) == {**expected, "fallback": False}
    with database.session() as session:
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("playlist.%")))
        )
    assert actions == ["playlist.create", "playlist.edit"]


def test_patch_changes_only_what_is_given(
    client: FlaskClient, headers: dict[str, str], recordings: list[int]
) -> None:
    a, b, c = recordings
    playlist_id = created(client, headers, [a, b, c])
    url = f"/api/v1/playlists/{playlist_id}"
    assert client.patch(url, json={"items": [b, a]}, headers=headers).status_code == 200
    assert client.patch(url, json={"mode": "shuffle"}, headers=headers).status_code == 200
    assert client.patch(url, json={"name": "Noches"}, headers=headers).status_code == 200
    playlist = shown(client, headers, playlist_id)
    assert (playlist["name"], playlist["mode"], playlist["items"]) == ("Noches", "shuffle", [b, a])


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("put", {"items": [1]}),
        ("put", {"name": "x", "items": [1, 999]}),
        ("put", {"name": "\u202ex", "items": [1]}),
        ("patch", {"items": [999]}),
        ("patch", {"mode": "backwards"}),
        ("patch", {"name": ""}),
        ("patch", {"colour": "red"}),
        ("patch", {"items": [1] * 1001}),
    ],
)
def test_bad_changes_get_422_and_change_nothing(
    client: FlaskClient,
    headers: dict[str, str],
    recordings: list[int],
    method: str,
    body: dict[str, object],
) -> None:
    playlist_id = created(client, headers, recordings)
    before = shown(client, headers, playlist_id)
    response = getattr(client, method)(
        f"/api/v1/playlists/{playlist_id}", json=body, headers=headers
    )
    assert response.status_code == 422, response.get_json()
    assert shown(client, headers, playlist_id) == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("playlist_id", ["4242", "0", "9223372036854775808"])
def test_a_missing_playlist_is_404_even_past_the_largest_id(
    client: FlaskClient,
    headers: dict[str, str],
    recordings: list[int],
    method: str,
    playlist_id: str,
) -> None:
    body = {"name": "x", "items": recordings}
    url = f"/api/v1/playlists/{playlist_id}"
    assert getattr(client, method)(url, json=body, headers=headers).status_code == 404


def test_delete_refuses_while_a_slot_or_the_fallback_needs_it_and_then_deletes(
    client: FlaskClient, headers: dict[str, str], recordings: list[int], database: Database
) -> None:
    playlist_id = created(client, headers, recordings)
    slot_id = add_playlist_slot(database, playlist_id, utcnow() + timedelta(days=1), 600)
    url = f"/api/v1/playlists/{playlist_id}"
    refused = client.delete(url, headers=headers)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["slot_ids"] == [slot_id] and str(slot_id) in error["message"]
    assert client.delete(f"/api/v1/schedule/{slot_id}", headers=headers).status_code == 204
    fallback = client.post(
        "/api/v1/playlists",
        json={"name": "Relleno", "items": recordings, "fallback": True},
        headers=headers,
    ).get_json()["id"]
    refused = client.delete(f"/api/v1/playlists/{fallback}", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["fallback"] is True
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_a_moderator_may_not_change_playlists(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    headers: dict[str, str],
    recordings: list[int],
) -> None:
    playlist_id = created(client, headers, recordings)
    moderator = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    url = f"/api/v1/playlists/{playlist_id}"
    assert client.patch(url, json={"name": "x"}, headers=moderator).status_code == 403
    assert client.delete(url, headers=moderator).status_code == 403
