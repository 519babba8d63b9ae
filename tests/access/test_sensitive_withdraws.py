"""Marking a message sensitive withdraws its undisguised voice from library, playlists and air."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from audio.models import Moderation, Recording
from audio.storage import Area, MediaStore
from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import Playlist, PlaylistItem, ScheduleSlot
from tests.moderation.messages import make_message
from tests.support import csrf_token


@pytest.fixture
def store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def aired(database: Database, store: MediaStore, tmp_path: Path) -> dict[str, int]:
    """An approved message in the library with its own voice, in two playlists and on air."""
    source = tmp_path / "voice.wav"
    source.write_bytes(b"RIFF stand-in for a caller's voice")
    stored = store.put(source, area=Area.LIBRARY, suffix=".flac")
    with database.session() as session:
        message = make_message(session, store, source, moderation=Moderation.APPROVED)
        recording = Recording(
            title="Testimonio de Rosa",
            kind="testimony",
            duration_s=30,
            loudness_lufs=-16,
            true_peak_dbtp=-1.5,
            media_path=stored.relative,
            sha256=stored.sha256,
            tags=["voice-message"],
            voice_message_id=message.id,
        )
        other = Recording(
            title="Jingle",
            kind="jingle",
            duration_s=5,
            loudness_lufs=-16,
            true_peak_dbtp=-1.5,
            media_path="library/00/other.flac",
            sha256="0" * 64,
        )
        session.add_all([recording, other])
        session.flush()
        mixed = Playlist(name="Mañanas", items=[PlaylistItem(position=0, recording_id=other.id)])
        mixed.items.append(PlaylistItem(position=1, recording_id=recording.id))
        alone = Playlist(name="Voces", items=[PlaylistItem(position=0, recording_id=recording.id)])
        session.add_all([mixed, alone])
        session.flush()
        tomorrow = utcnow().replace(microsecond=0) + timedelta(days=1)
        slot = ScheduleSlot(
            title="Testimonio del día",
            recording_id=recording.id,
            start=tomorrow,
            timezone="UTC",
            duration_s=60,
        )
        playlist_slot = ScheduleSlot(
            title="Mañanas", playlist_id=mixed.id, start=tomorrow, timezone="UTC", duration_s=600
        )
        session.add_all([slot, playlist_slot])
        session.flush()
        return {
            "message": message.id,
            "recording": recording.id,
            "slot": slot.id,
            "playlist_slot": playlist_slot.id,
            "mixed": mixed.id,
        }


def test_library_audio_of_a_voice_message_is_never_cached(
    client: FlaskClient, logged_in: Callable[[Role], User], aired: dict[str, int]
) -> None:
    logged_in(Role.OPERATOR)
    with client.get(f"/library/{aired['recording']}/audio") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"


def test_marking_sensitive_withdraws_the_undisguised_copy_and_says_from_where(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    store: MediaStore,
    aired: dict[str, int],
) -> None:
    with database.session() as session:
        media = session.get(Recording, aired["recording"]).media_path  # type: ignore[union-attr]
    logged_in(Role.MODERATOR)
    message_id = aired["message"]
    token = csrf_token(client, f"/voice/{message_id}")
    response = client.post(
        f"/voice/{message_id}/sensitive", data={"csrf_token": token, "sensitive": "1"}
    )
    assert response.status_code == 303
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    assert "Testimonio de Rosa" in page and "Mañanas, Voces" in page
    assert "Testimonio del día" in page, "the removed slot is named"
    assert page.count("Voces") == 2, "named as left and as emptied"

    with database.session() as session:
        assert session.get(Recording, aired["recording"]) is None
        assert session.get(ScheduleSlot, aired["slot"]) is None
        assert session.get(ScheduleSlot, aired["playlist_slot"]) is not None
        left = session.scalars(
            select(PlaylistItem.recording_id).where(PlaylistItem.playlist_id == aired["mixed"])
        ).all()
        assert aired["recording"] not in left and len(left) == 1
        withdrawn = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "voice.withdraw_from_library")
        ).one()
        assert withdrawn.details["recording"] == aired["recording"]
    assert not store.path(media).exists()
    assert client.get(f"/library/{aired['recording']}/audio").status_code == 404


def test_a_disguised_library_copy_stays_when_the_message_is_marked_sensitive(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    aired: dict[str, int],
) -> None:
    with database.session() as session:
        recording = session.get(Recording, aired["recording"])
        assert recording is not None
        recording.tags = ["voice-message", "protected-voice"]
    logged_in(Role.MODERATOR)
    message_id = aired["message"]
    token = csrf_token(client, f"/voice/{message_id}")
    client.post(f"/voice/{message_id}/sensitive", data={"csrf_token": token, "sensitive": "1"})
    with database.session() as session:
        assert session.get(Recording, aired["recording"]) is not None
        assert session.get(ScheduleSlot, aired["slot"]) is not None
