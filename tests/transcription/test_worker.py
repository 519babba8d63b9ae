"""The transcription worker: queued -> transcribing -> transcribed/failed, and the inbox folder."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from audio import voice_messages
from audio.models import TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore
from audio.transcribe_worker import TranscribeWorker
from audio.transcriber import Transcriber
from audio.vosk_models import model_path
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.worker import WorkerHeartbeat
from tests.conftest import station_settings
from tests.transcription.conftest import ROOT


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return station_settings(
        tmp_path,
        media={"inbox_settle_s": 1.0},
        transcription={"models_dir": str(models_dir), "default_language": "ko"},
        smpp={"default_region": "GT"},
    )


@pytest.fixture
def make_worker(
    settings: Settings, database: Database, transcriber: Transcriber, models_dir: Path
) -> Callable[[], TranscribeWorker]:
    """Workers sharing the session's loaded model (a worker process loads its own)."""
    shared = {model_path("ko", models_dir).resolve(): transcriber}
    return lambda: TranscribeWorker(settings, database, transcribers=shared)


def queue(database: Database, settings: Settings, source: Path, language: str = "ko") -> int:
    with database.session() as session:
        return voice_messages.receive(
            session,
            MediaStore(settings.media.dir),
            source,
            caller="",
            language=language,
            channel=VoiceChannel.UPLOAD,
            received_at=utcnow(),
            media=settings.media,
        ).id


def all_messages(database: Database) -> list[VoiceMessage]:
    with database.session() as session:
        return list(session.scalars(select(VoiceMessage).order_by(VoiceMessage.id)))


def test_once_turns_every_queued_message_into_a_transcript(
    database: Database,
    settings: Settings,
    make_worker: Callable[[], TranscribeWorker],
    korean_wav: Path,
    korean_mp3: Path,
) -> None:
    queue(database, settings, korean_wav)
    queue(database, settings, korean_mp3)
    worker = make_worker()
    worker.run(once=True)
    done = all_messages(database)
    assert [m.status for m in done] == [TranscriptionStatus.TRANSCRIBED] * 2
    for message in done:
        assert len(message.words) >= 5
        assert message.transcript == " ".join(word["word"] for word in message.words)
        assert message.duration_s == pytest.approx(6.28, abs=0.1)
        assert message.claimed_by == "" and message.attempts == 1
        assert message.transcribed_at is not None
    assert (worker.items_done, worker.items_failed) == (2, 0)


def test_a_language_without_a_model_fails_with_the_reason(
    database: Database,
    settings: Settings,
    make_worker: Callable[[], TranscribeWorker],
    korean_wav: Path,
) -> None:
    queue(database, settings, korean_wav, language="es")
    make_worker().run(once=True)
    [message] = all_messages(database)
    assert message.status == TranscriptionStatus.FAILED
    assert message.failure_reason == "no_model?language=es"
    assert message.as_json()["failure_reason"] == message.failure_reason


def step_until(worker: TranscribeWorker, done: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        worker.step()


def test_a_file_still_being_written_is_taken_only_once_complete(
    database: Database,
    settings: Settings,
    make_worker: Callable[[], TranscribeWorker],
    korean_wav: Path,
) -> None:
    inbox = settings.media.inbox
    inbox.mkdir(parents=True)
    (inbox / "msg0007.json").write_text(
        json.dumps(
            {
                "caller": "+502 5555 1234",
                "language": "ko",
                "received_at": "2025-03-08T10:00:00-06:00",
            }
        ),
        encoding="utf-8",
    )
    data = korean_wav.read_bytes()
    pieces = [data[i : i + len(data) // 6] for i in range(0, len(data), len(data) // 6)]
    worker = make_worker()
    target = inbox / "msg0007.wav"
    for piece in pieces:
        with target.open("ab") as handle:
            handle.write(piece)
        worker.step()
        worker.step()
        assert all_messages(database) == [], "a growing file was taken half-way"
    step_until(worker, lambda: bool(all_messages(database)))
    assert not target.exists() and not (inbox / "msg0007.json").exists()
    worker.run(once=True)
    [message] = all_messages(database)
    assert message.status == TranscriptionStatus.TRANSCRIBED
    assert message.channel == "inbox"
    assert message.caller == "+50255551234"
    assert message.received_at.isoformat() == "2025-03-08T16:00:00+00:00"
    assert message.duration_s == pytest.approx(6.28, abs=0.1)
    assert (settings.media.dir / message.original_path).read_bytes() == data


def test_a_part_file_waits_for_its_rename_and_bad_files_are_set_aside(
    database: Database,
    settings: Settings,
    make_worker: Callable[[], TranscribeWorker],
    korean_mp3: Path,
    text_file: Path,
) -> None:
    inbox = settings.media.inbox
    inbox.mkdir(parents=True)
    partial = inbox / "call-8.mp3.part"
    partial.write_bytes(korean_mp3.read_bytes())
    (inbox / "note.wav").write_bytes(text_file.read_bytes())
    worker = make_worker()
    step_until(worker, lambda: (inbox / "rejected" / "note.wav").exists())
    reason = (inbox / "rejected" / "note.wav.reason.txt").read_text(encoding="utf-8")
    assert "not audio" in reason
    for _ in range(5):
        worker.step()
    assert all_messages(database) == [] and partial.exists()
    os.rename(partial, inbox / "call-8.mp3")
    worker.run(once=True)
    [message] = all_messages(database)
    assert (message.status, message.language, message.caller) == ("transcribed", "ko", "")


def worker_env(settings: Settings, models_dir: Path, **extra: str) -> dict[str, str]:
    """What `altavoz worker transcribe` needs to find this test's database, media and models."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_MEDIA__DIR": str(settings.media.dir),
        "ALTAVOZ_MEDIA__INBOX": str(settings.media.inbox),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(models_dir),
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(settings.web.secret_key_file),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
        **extra,
    }


def test_the_worker_command_runs_once_as_its_own_process(
    database: Database, settings: Settings, models_dir: Path, korean_wav: Path
) -> None:
    message_id = queue(database, settings, korean_wav)
    env = worker_env(settings, models_dir)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "altavoz"), "worker", "transcribe", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [message] = all_messages(database)
    assert (message.id, message.status) == (message_id, TranscriptionStatus.TRANSCRIBED)
    assert len(message.words) >= 5


@pytest.mark.parametrize(("started_at", "setting", "expected"), [(0, 7, 7), (15, 7, 15)])
def test_a_worker_process_lowers_itself_to_the_configured_priority_and_never_raises_it(
    database: Database,
    settings: Settings,
    models_dir: Path,
    started_at: int,
    setting: int,
    expected: int,
) -> None:
    env = worker_env(settings, models_dir, ALTAVOZ_TRANSCRIPTION__NICE=str(setting))
    command = [str(ROOT / ".venv" / "bin" / "altavoz"), "worker", "transcribe"]
    process = subprocess.Popen(
        ["nice", "-n", str(started_at), *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        beat = None
        while beat is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            with database.session() as session:
                beat = session.scalar(
                    select(WorkerHeartbeat).where(WorkerHeartbeat.pid == process.pid)
                )
        assert beat is not None, "the worker never reported in"
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == expected
        assert os.getpriority(os.PRIO_PROCESS, 0) == 0
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
