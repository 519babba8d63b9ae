"""Listening to a caller's original voice and revealing their number leave an audit entry."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from audio.models import Moderation
from audio.storage import MediaStore
from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.moderation.messages import CALLER, make_message
from tests.support import csrf_token

MASKED = "+502 ••••• 1234"


@pytest.fixture
def message_id(database: Database, settings: Settings, tmp_path: Path) -> int:
    source = tmp_path / "voice.wav"
    with wave.open(str(source), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10" * 8000)
    with database.session() as session:
        store = MediaStore(settings.media.dir)
        return make_message(session, store, source, moderation=Moderation.APPROVED).id


def entries(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_starting_to_listen_to_an_original_is_audited_once_not_at_every_seek(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    message_id: int,
) -> None:
    moderator = logged_in(Role.MODERATOR)
    path = f"/voice/{message_id}/original"
    with client.get(path) as whole:
        assert whole.status_code == 200
    with client.get(path, headers={"Range": "bytes=4000-"}) as seek:
        assert seek.status_code == 206
    with client.get(path, headers={"Range": "bytes=0-"}) as again:
        assert again.status_code == 206
    listened = entries(database, "voice.listen_original")
    assert len(listened) == 2
    first = listened[0]
    assert (first.actor_id, first.target) == (moderator.id, f"voice message {message_id}")
    assert first.details == {"caller": MASKED}


def test_a_moderator_reveals_a_number_on_purpose_and_the_audit_keeps_it_masked(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    message_id: int,
) -> None:
    moderator = logged_in(Role.MODERATOR)
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    assert MASKED in page and CALLER not in page
    assert f'action="/voice/{message_id}/caller"' in page
    token = csrf_token(client, f"/voice/{message_id}")
    revealed = client.post(f"/voice/{message_id}/caller", data={"csrf_token": token})
    assert revealed.status_code == 200
    assert CALLER in revealed.get_data(as_text=True)
    assert revealed.headers["Cache-Control"] == "private, no-store"
    [entry] = entries(database, "voice.reveal_caller")
    assert (entry.actor_id, entry.details) == (moderator.id, {"caller": MASKED})
    assert CALLER not in f"{entry.target} {entry.details}"
    assert client.post(f"/voice/{message_id}/caller").status_code == 400, "needs the form token"
    assert len(entries(database, "voice.reveal_caller")) == 1


def test_operators_can_neither_reveal_nor_listen(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    message_id: int,
) -> None:
    logged_in(Role.OPERATOR)
    token = csrf_token(client, f"/voice/{message_id}")
    assert client.post(f"/voice/{message_id}/caller", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/voice/{message_id}/original").status_code == 403
    assert entries(database, "voice.reveal_caller") == []
    assert entries(database, "voice.listen_original") == []
