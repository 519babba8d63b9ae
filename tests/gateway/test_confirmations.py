"""Issue 13: removing a slot from the week grid and revoking a token happened on one click."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from gateway import accounts
from gateway.accounts import ApiToken, User
from gateway.database import Database, utcnow
from gateway.roles import Role
from playlists.models import ScheduleSlot
from playlists.timetable import create_playlist
from tests.support import add_playlist_slot, add_recordings, csrf_token


def test_removing_a_slot_needs_the_tick_beside_the_button(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    items = add_recordings(database, "Voces")
    with database.session() as session:
        playlist_id = create_playlist(session, name="Mañanas", recording_ids=items).id
    slot_id = add_playlist_slot(database, playlist_id, utcnow() + timedelta(hours=3), 600)
    logged_in(Role.OPERATOR)
    grid = client.get("/schedule/").get_data(as_text=True)
    assert 'name="confirm" value="y" required' in grid
    token = csrf_token(client, "/schedule/")
    one_click = client.post(f"/schedule/slots/{slot_id}/delete", data={"csrf_token": token})
    assert one_click.status_code == 400
    assert "Marca la casilla" in one_click.get_data(as_text=True)
    with database.session() as session:
        assert session.get(ScheduleSlot, slot_id) is not None
    confirmed = client.post(
        f"/schedule/slots/{slot_id}/delete", data={"csrf_token": token, "confirm": "y"}
    )
    assert confirmed.status_code in (302, 303)
    with database.session() as session:
        assert session.get(ScheduleSlot, slot_id) is None


def test_revoking_a_token_needs_the_tick_beside_the_button(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    admin = logged_in(Role.ADMIN)
    with database.session() as session:
        owner = session.get(User, admin.id)
        assert owner is not None
        token, _clear = accounts.create_token(session, name="asterisk", owner=owner)
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="confirm"[^>]*required', page.split("/revoke")[1])
    form_token = csrf_token(client, "/admin/tokens")
    url = f"/admin/tokens/{token.id}/revoke"
    assert client.post(url, data={"csrf_token": form_token}).status_code == 400
    with database.session() as session:
        kept = session.get(ApiToken, token.id)
        assert kept is not None and kept.revoked_at is None
    assert client.post(url, data={"csrf_token": form_token, "confirm": "y"}).status_code in (
        302,
        303,
    )
    with database.session() as session:
        revoked = session.get(ApiToken, token.id)
        assert revoked is not None and revoked.revoked_at is not None
