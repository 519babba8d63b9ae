"""A failed transcription retried from the panel, the API and the CLI, then transcribed for real.

Each message first fails the honest way: its language ('ko') has no model in the worker's
models folder. Once the model is there, a retry queues it again and a real worker with the
real Korean Vosk model turns it into a transcript.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from audio.models import TranscriptionStatus
from audio.transcribe_worker import TranscribeWorker
from audio.transcriber import Transcriber
from audio.transcription_retry import ACTION
from audio.vosk_models import model_path
from gateway.audit import AuditEntry
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.conftest import station_settings
from tests.support import csrf_token
from tests.transcription.conftest import KO_MODEL_SOURCE, ROOT
from tests.transcription.test_worker import all_messages, queue, worker_env

ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return station_settings(
        tmp_path,
        transcription={"models_dir": str(models_dir), "default_language": "ko"},
    )


def failed_message(database: Database, settings: Settings, tmp_path: Path, wav: Path) -> int:
    """A Korean message a worker without any model could not transcribe."""
    message_id = queue(database, settings, wav)
    bare = settings.model_copy(
        update={
            "transcription": settings.transcription.model_copy(
                update={"models_dir": tmp_path / "no-models"}
            )
        }
    )
    TranscribeWorker(bare, database).run(once=True)
    [message] = all_messages(database)
    assert message.status == TranscriptionStatus.FAILED
    assert message.failure_reason == "no_model?language=ko"
    return message_id


@pytest.fixture
def real_worker(
    settings: Settings, database: Database, transcriber: Transcriber, models_dir: Path
) -> Callable[[], None]:
    shared = {model_path("ko", models_dir).resolve(): transcriber}
    return lambda: TranscribeWorker(settings, database, transcribers=shared).run(once=True)


def audited(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == ACTION))
        return [(entry.actor_name, entry.target) for entry in entries]


def test_the_api_retries_a_failed_message_and_the_worker_transcribes_it(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    settings: Settings,
    tmp_path: Path,
    korean_wav: Path,
    real_worker: Callable[[], None],
) -> None:
    message_id = failed_message(database, settings, tmp_path, korean_wav)
    moderator = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    operator = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    url = f"/api/v1/voice-messages/{message_id}/retry"
    assert client.post(url, headers=operator).status_code == 403
    assert client.post("/api/v1/voice-messages/999/retry", headers=moderator).status_code == 404
    answer = client.post(url, headers=moderator)
    assert (answer.status_code, answer.get_json()) == (202, {"id": message_id, "status": "queued"})
    [message] = all_messages(database)
    assert (message.attempts, message.failure_reason) == (0, "")
    again = client.post(url, headers=moderator)
    assert again.status_code == 409, again.get_json()
    assert "not failed" in again.get_json()["error"]["message"]
    real_worker()
    [message] = all_messages(database)
    assert message.status == TranscriptionStatus.TRANSCRIBED
    assert len(message.words) >= 5 and message.attempts == 1
    assert [target for _, target in audited(database)] == [f"voice message {message_id}"]


def test_the_panel_offers_retry_to_moderators_on_a_failed_message(
    client: FlaskClient,
    logged_in: Callable[[Role], object],
    database: Database,
    settings: Settings,
    tmp_path: Path,
    korean_wav: Path,
    real_worker: Callable[[], None],
) -> None:
    message_id = failed_message(database, settings, tmp_path, korean_wav)
    page = f"/voice/{message_id}"
    logged_in(Role.MODERATOR)
    assert f"/voice/{message_id}/retry" in client.get(page).get_data(as_text=True)
    done = client.post(
        f"{page}/retry", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True
    )
    assert done.status_code == 200
    assert (
        f"El mensaje de voz {message_id} está otra vez en cola para transcribirse."
        in done.get_data(as_text=True)
    )
    assert f"/voice/{message_id}/retry" not in done.get_data(as_text=True)
    real_worker()
    [message] = all_messages(database)
    assert message.status == TranscriptionStatus.TRANSCRIBED
    assert len(audited(database)) == 1


def test_the_cli_retries_one_or_every_failed_message_after_models_add(
    database: Database, settings: Settings, tmp_path: Path, korean_wav: Path
) -> None:
    """Real processes end to end: the model is installed with `altavoz models add` into the
    folder the failing worker looked in, then `--retry-failed` and `altavoz worker --once`."""
    first = failed_message(database, settings, tmp_path, korean_wav)
    env = worker_env(settings, tmp_path / "no-models")

    def altavoz(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=180, check=False
        )

    refused = altavoz("transcribe", "--retry", "999")
    assert (refused.returncode, refused.stderr) == (2, "altavoz: there is no voice message 999\n")
    assert altavoz("transcribe").stderr.startswith("altavoz: give one of: FILE")
    one = altavoz("transcribe", "--retry", str(first))
    assert (one.returncode, one.stdout) == (
        0,
        f"voice message {first} queued for transcription again\n",
    )
    twice = altavoz("transcribe", "--retry", str(first))
    assert twice.returncode == 1 and "is queued, not failed" in twice.stderr
    second = queue(database, settings, korean_wav)
    assert altavoz("worker", "transcribe", "--once").returncode == 0
    assert [m.status for m in all_messages(database)] == [TranscriptionStatus.FAILED] * 2
    added = altavoz("models", "add", str(KO_MODEL_SOURCE), "--lang", "ko")
    assert added.returncode == 0, added.stderr
    retried = altavoz("transcribe", "--retry-failed")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == (
        f"voice message {first} queued for transcription again\n"
        f"voice message {second} queued for transcription again\n"
    )
    assert altavoz("transcribe", "--retry-failed").stdout == "no failed voice messages to retry\n"
    worked = altavoz("worker", "transcribe", "--once")
    assert worked.returncode == 0, worked.stderr
    done = all_messages(database)
    assert [m.status for m in done] == [TranscriptionStatus.TRANSCRIBED] * 2
    assert all(len(m.words) >= 5 for m in done)
    assert [actor.startswith("cli:") for actor, _ in audited(database)] == [True] * 3
