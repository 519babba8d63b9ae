"""The voice messages screen per role: what operators may see and hear, what moderators do."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from audio.models import Moderation, Recording, VoiceMessage
from audio.moderation import purge_expired
from audio.storage import MediaStore
from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from tests.moderation.messages import CALLER, WORDS, make_message
from tests.support import csrf_token

MASKED = "+502 ••••• 1234"


@pytest.fixture
def store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def add_message(database: Database, store: MediaStore, woman_voice: Path) -> Callable[..., int]:
    def add(source: Path = woman_voice, **fields: object) -> int:
        with database.session() as session:
            return make_message(session, store, source, **fields).id  # type: ignore[arg-type]

    return add


def message(database: Database, message_id: int) -> VoiceMessage:
    with database.session() as session:
        found = session.get(VoiceMessage, message_id)
        assert found is not None
        return found


def actions(database: Database) -> list[str]:
    """The voice-message actions in the audit log, oldest first."""
    query = (
        select(AuditEntry.action)
        .where(AuditEntry.action.startswith("voice."))
        .order_by(AuditEntry.id)
    )
    with database.session() as session:
        return list(session.scalars(query))


def test_operators_list_only_approved_messages_with_masked_numbers(
    client: FlaskClient, logged_in: Callable[[Role], User], add_message: Callable[..., int]
) -> None:
    approved = add_message(moderation=Moderation.APPROVED, transcript="mensaje aprobado")
    add_message(transcript="mensaje pendiente")
    logged_in(Role.OPERATOR)
    page = client.get("/voice/").get_data(as_text=True)
    assert "mensaje aprobado" in page and "mensaje pendiente" not in page
    assert MASKED in page and CALLER not in page and "5555" not in page
    assert f'href="/voice/{approved}"' in page


def test_moderators_see_every_message_with_the_number_masked_and_can_filter(
    client: FlaskClient, logged_in: Callable[[Role], User], add_message: Callable[..., int]
) -> None:
    add_message(moderation=Moderation.APPROVED, transcript="mensaje aprobado")
    add_message(transcript="mensaje pendiente")
    logged_in(Role.MODERATOR)
    page = client.get("/voice/").get_data(as_text=True)
    assert "mensaje aprobado" in page and "mensaje pendiente" in page
    assert MASKED in page and CALLER not in page
    pending = client.get("/voice/?moderation=pending").get_data(as_text=True)
    assert "mensaje pendiente" in pending and "mensaje aprobado" not in pending
    queued = client.get("/voice/?status=queued").get_data(as_text=True)
    assert "mensaje pendiente" not in queued
    assert client.get("/voice/?status=bogus").status_code == 200


def test_operators_never_get_the_original_voice(
    client: FlaskClient, logged_in: Callable[[Role], User], add_message: Callable[..., int]
) -> None:
    approved = add_message(moderation=Moderation.APPROVED)
    pending = add_message()
    logged_in(Role.OPERATOR)
    assert client.get(f"/voice/{approved}/original").status_code == 403
    assert client.get(f"/voice/{pending}").status_code == 404
    page = client.get(f"/voice/{approved}").get_data(as_text=True)
    assert f"/voice/{approved}/original" not in page
    assert MASKED in page and CALLER not in page
    assert client.get(f"/voice/{approved}/protected").status_code == 404


def test_moderators_hear_the_original_and_operators_the_protected_copy_once_made(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    database: Database,
    woman_voice: Path,
) -> None:
    message_id = add_message(moderation=Moderation.APPROVED)
    logged_in(Role.MODERATOR)
    with client.get(f"/voice/{message_id}/original") as original:
        assert original.status_code == 200 and original.data == woman_voice.read_bytes()
        assert original.headers["Cache-Control"] == "private, no-store"
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    assert f'src="/voice/{message_id}/original"' in page and CALLER not in page
    token = csrf_token(client, f"/voice/{message_id}")
    response = client.post(f"/voice/{message_id}/protect", data={"csrf_token": token})
    assert response.status_code == 303
    protected_path = message(database, message_id).protected_path
    assert protected_path.startswith("protected/")
    assert "voice.protect" in actions(database)
    client.post("/logout", data={"csrf_token": token})

    logged_in(Role.OPERATOR)
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    assert f'src="/voice/{message_id}/protected"' in page
    assert f"/voice/{message_id}/original" not in page
    with client.get(f"/voice/{message_id}/protected", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and part.mimetype == "audio/flac"
        assert part.data[:4] == b"fLaC" and len(part.data) == 100


def test_an_amr_original_is_played_to_moderators_as_flac(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    woman_voice: Path,
    tmp_path: Path,
) -> None:
    amr = tmp_path / "call.amr"
    subprocess.run(
        ["sox", str(woman_voice), "-r", "8000", "-c", "1", "-t", "amr-nb", str(amr)], check=True
    )
    message_id = add_message(source=amr)
    logged_in(Role.MODERATOR)
    with client.get(f"/voice/{message_id}/original") as response:
        assert response.status_code == 200 and response.mimetype == "audio/flac"
        assert response.data[:4] == b"fLaC"


def test_the_transcript_carries_word_timings_for_the_highlighting_script(
    client: FlaskClient, logged_in: Callable[[Role], User], add_message: Callable[..., int]
) -> None:
    message_id = add_message()
    logged_in(Role.MODERATOR)
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    spans = re.findall(
        r'<span class="word( low)?" data-start="([\d.]+)" data-end="([\d.]+)">([^<]+)</span>', page
    )
    assert [(float(s), float(e), w) for _low, s, e, w in spans] == [
        (item["start"], item["end"], item["word"]) for item in WORDS
    ]
    assert [bool(low) for low, *_rest in spans] == [False, True, False]
    assert 'src="/static/voice.js"' in page
    assert "<script>" not in page and "onclick" not in page
    with client.get("/static/voice.js") as response:
        script = response.get_data(as_text=True)
    assert "timeupdate" in script and "dataset.start" in script
    assert len(page.encode()) < 100_000


def test_moderator_corrects_approves_rejects_and_marks_sensitive_through_the_forms(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    database: Database,
) -> None:
    message_id = add_message()
    logged_in(Role.MODERATOR)
    token = csrf_token(client, f"/voice/{message_id}")
    base = f"/voice/{message_id}"
    ok = client.post(f"{base}/transcript", data={"csrf_token": token, "transcript": "Radio"})
    assert ok.status_code == 303
    assert message(database, message_id).corrected_transcript == "Radio"
    assert client.post(f"{base}/approve", data={"csrf_token": token}).status_code == 303
    assert message(database, message_id).moderation == Moderation.APPROVED
    client.post(f"{base}/sensitive", data={"csrf_token": token, "sensitive": "1"})
    assert message(database, message_id).sensitive is True
    client.post(f"{base}/reject", data={"csrf_token": token, "note": "duplicado"})
    assert message(database, message_id).moderation == Moderation.REJECTED
    assert actions(database) == [
        "voice.correct", "voice.approved", "voice.sensitive", "voice.rejected"
    ]  # fmt: skip
    assert client.post(f"{base}/approve", data={}).status_code == 400
    assert client.post("/voice/999/approve", data={"csrf_token": token}).status_code == 404


def test_operators_cannot_moderate(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    database: Database,
) -> None:
    message_id = add_message(moderation=Moderation.APPROVED)
    logged_in(Role.OPERATOR)
    token = csrf_token(client, f"/voice/{message_id}")
    for action in ("approve", "reject", "sensitive", "protect", "transcript"):
        response = client.post(f"/voice/{message_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, action
    assert actions(database) == []


def test_an_operator_adds_an_approved_sensitive_message_to_the_library_with_its_voice_protected(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    database: Database,
) -> None:
    message_id = add_message(moderation=Moderation.APPROVED, sensitive=True)
    logged_in(Role.OPERATOR)
    token = csrf_token(client, f"/voice/{message_id}")
    response = client.post(
        f"/voice/{message_id}/library",
        data={"csrf_token": token, "title": "Testimonio del agua", "consent": "y"},
    )
    assert response.status_code == 303
    with database.session() as session:
        recording = session.scalars(select(Recording)).one()
        assert response.headers["Location"].endswith(f"/library/{recording.id}")
        assert recording.title == "Testimonio del agua" and recording.consent is True
        assert "protected-voice" in recording.tags
    assert message(database, message_id).protected_path
    again = client.post(f"/voice/{message_id}/library", data={"csrf_token": token})
    assert again.status_code == 303
    assert "ya está en la biblioteca" in client.get(f"/voice/{message_id}").get_data(as_text=True)


def test_the_upload_form_queues_a_message_and_refuses_what_is_not_audio(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    woman_voice: Path,
) -> None:
    logged_in(Role.MODERATOR)
    token = csrf_token(client, "/voice/")
    bad = client.post(
        "/voice/upload",
        data={"csrf_token": token, "language": "es", "file": (io.BytesIO(b"hola" * 200), "a.wav")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    with database.session() as session:
        assert session.scalars(select(VoiceMessage)).all() == []
    good = client.post(
        "/voice/upload",
        data={
            "csrf_token": token,
            "language": "es",
            "caller": "+502 5555 1234",
            "file": (woman_voice.open("rb"), "../../mensaje.wav"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    with database.session() as session:
        stored = session.scalars(select(VoiceMessage)).one()
        assert (stored.channel, stored.status, stored.caller) == ("upload", "queued", CALLER)
        assert good.headers["Location"].endswith(f"/voice/{stored.id}")


def test_a_purged_message_shows_no_player_and_its_original_is_gone(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    add_message: Callable[..., int],
    database: Database,
    settings: Settings,
) -> None:
    long_ago = utcnow() - timedelta(days=settings.media.retention_rejected_days + 1)
    message_id = add_message(moderation=Moderation.REJECTED, moderated_at=long_ago)
    with database.session() as session:
        store = MediaStore(settings.media.dir)
        assert purge_expired(session, store, now=utcnow(), media=settings.media) == 1
    logged_in(Role.MODERATOR)
    page = client.get(f"/voice/{message_id}").get_data(as_text=True)
    assert "<audio" not in page and "audio original borrado" in page
    assert client.get(f"/voice/{message_id}/original").status_code == 404


def test_the_voice_pages_offer_only_what_can_be_done_and_load_no_audio_before_play(
    client: FlaskClient, logged_in: Callable[[Role], User], add_message: Callable[..., int]
) -> None:
    """Issue 13: "Aprobar" was offered for an approved message, the list had two columns
    called "Transcripción", and every player on the page fetched its audio on load."""
    approved = add_message(moderation=Moderation.APPROVED)
    rejected = add_message(moderation=Moderation.REJECTED)
    logged_in(Role.MODERATOR)
    approved_page = client.get(f"/voice/{approved}").get_data(as_text=True)
    assert f"/voice/{approved}/approve" not in approved_page
    assert f"/voice/{approved}/reject" in approved_page
    rejected_page = client.get(f"/voice/{rejected}").get_data(as_text=True)
    assert f"/voice/{rejected}/reject" not in rejected_page
    assert f"/voice/{rejected}/approve" in rejected_page
    players = re.findall(r"<audio[^>]*>", approved_page)
    assert players and all('preload="none"' in player for player in players)
    headers = re.findall(r"<th>([^<]*)</th>", client.get("/voice/").get_data(as_text=True))
    assert "Transcripción" in headers and len(headers) == len(set(headers))
