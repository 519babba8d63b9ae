"""POST/GET /api/v1/voice-messages: 202 and queued, then the transcript once a worker ran."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from audio.models import VoiceMessage
from audio.transcribe_worker import TranscribeWorker
from audio.transcriber import Transcriber
from audio.vosk_models import model_path
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.conftest import station_settings
from tests.library.multipart import CONTENT_TYPE, multipart

URL = "/api/v1/voice-messages"


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return station_settings(
        tmp_path,
        media={"max_upload_mb": 2, "max_duration_s": 60},
        transcription={"models_dir": str(models_dir)},
        smpp={"default_region": "GT"},
    )


@pytest.fixture
def headers(api_token: Callable[[Role], str]) -> dict[str, str]:
    """A moderator's token: only moderators may read messages not yet approved."""
    return {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}


def post(
    client: FlaskClient, headers: dict[str, str], content: bytes, **fields: str
) -> TestResponse:
    return client.post(
        URL,
        data=multipart(fields, [("file", "mensaje.wav", content)]),
        content_type=CONTENT_TYPE,
        headers=headers,
    )


def count(database: Database) -> int:
    with database.session() as session:
        return session.query(VoiceMessage).count()


def test_an_upload_is_accepted_queued_and_later_transcribed(
    client: FlaskClient,
    headers: dict[str, str],
    settings: Settings,
    database: Database,
    transcriber: Transcriber,
    models_dir: Path,
    korean_wav: Path,
) -> None:
    response = client.post(
        URL,
        data=multipart(
            {"caller": "5555 1234", "language": "ko"},
            [("file", "../../etc/passwd.wav", korean_wav.read_bytes())],
        ),
        content_type=CONTENT_TYPE,
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body == {"id": body["id"], "status": "queued"}
    got = client.get(f"{URL}/{body['id']}", headers=headers).get_json()
    assert (got["status"], got["transcript"], got["words"], got["language"]) == (
        "queued",
        "",
        [],
        "ko",
    )
    shared = {model_path("ko", models_dir).resolve(): transcriber}
    TranscribeWorker(settings, database, transcribers=shared).run(once=True)
    got = client.get(f"{URL}/{body['id']}", headers=headers).get_json()
    assert got["status"] == "transcribed"
    assert got["transcript"] == " ".join(word["word"] for word in got["words"])
    assert set(got["words"][0]) == {"word", "start", "end", "conf"}
    assert got["duration_s"] == pytest.approx(6.28, abs=0.1)
    with database.session() as session:
        message = session.get(VoiceMessage, body["id"])
        assert message is not None and message.caller == "+50255551234"
        assert message.channel == "api"


def test_without_a_language_the_default_one_is_used(
    client: FlaskClient, headers: dict[str, str], korean_wav: Path
) -> None:
    response = post(client, headers, korean_wav.read_bytes())
    assert response.status_code == 202
    got = client.get(f"{URL}/{response.get_json()['id']}", headers=headers)
    assert got.get_json()["language"] == "es"


def test_bad_uploads_are_refused_with_the_right_status_and_leave_nothing(
    client: FlaskClient,
    headers: dict[str, str],
    database: Database,
    settings: Settings,
    korean_wav: Path,
    text_file: Path,
    tmp_path: Path,
) -> None:
    long_mp3 = tmp_path / "long.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=70",
         "-ac", "1", "-b:a", "16k", str(long_mp3)],
        check=True, timeout=60,
    )  # fmt: skip
    cases = [
        (text_file.read_bytes(), {"language": "ko"}, 415, "not_audio"),
        (b"", {"language": "ko"}, 415, "empty"),
        (long_mp3.read_bytes(), {"language": "ko"}, 413, "too_long"),
        (korean_wav.read_bytes(), {"language": "xx"}, 422, "unknown_language"),
        (korean_wav.read_bytes(), {"language": "castellano"}, 422, "unknown_language"),
    ]
    for content, fields, status, code in cases:
        response = post(client, headers, content, **fields)
        assert response.status_code == status, (fields, response.get_json())
        assert response.get_json()["error"]["code"] == code
    assert client.post(URL, json={"file": "x"}, headers=headers).status_code == 415
    assert count(database) == 0
    assert not [p for p in settings.media.dir.rglob("*") if p.is_file()]


def test_unknown_ids_are_404_and_tokens_are_required(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    missing = client.get(f"{URL}/4242", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert client.get(f"{URL}/1").status_code == 401


def test_the_openapi_document_describes_voice_messages(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/voice-messages"]) == {"get", "post"}
    assert "202" in paths["/voice-messages"]["post"]["responses"]
    assert "200" in paths["/voice-messages/{message_id}"]["get"]["responses"]
