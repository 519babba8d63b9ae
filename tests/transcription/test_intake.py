"""Voice messages in (checked, stored under a hash, queued) and the claim rules workers share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from audio import voice_messages
from audio.errors import AudioError, Problem
from audio.languages import LanguageError
from audio.models import TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore, file_sha256
from gateway import audit
from gateway.accounts import Actor
from gateway.database import Database
from gateway.settings import Settings
from tests.conftest import station_settings

NOW = datetime(2025, 3, 8, 15, 30, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(tmp_path, media={"max_duration_s": 30})


def receive(database: Database, settings: Settings, source: Path, **given: object) -> int:
    options: dict[str, object] = {
        "caller": "+502 5555 1234",
        "language": "ko",
        "channel": VoiceChannel.API,
        "received_at": NOW,
        **given,
    }
    with database.session() as session:
        message = voice_messages.receive(
            session,
            MediaStore(settings.media.dir),
            source,
            media=settings.media,
            default_region="GT",
            **options,  # type: ignore[arg-type]
        )
        return message.id


def messages(database: Database) -> list[VoiceMessage]:
    with database.session() as session:
        return list(session.scalars(select(VoiceMessage).order_by(VoiceMessage.id)))


def stored(settings: Settings) -> list[Path]:
    root = settings.media.dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_message_is_stored_under_its_hash_and_queued(
    database: Database, settings: Settings, korean_mp3: Path
) -> None:
    receive(database, settings, korean_mp3, caller="5555 1234", language="KO")
    [message] = messages(database)
    assert message.status == TranscriptionStatus.QUEUED
    assert (message.caller, message.language, message.channel) == ("+50255551234", "ko", "api")
    assert message.received_at == NOW
    assert message.duration_s == pytest.approx(5.0, abs=2.0)
    sha = file_sha256(korean_mp3)
    assert message.original_path == f"originals/{sha[:2]}/{sha}.mp3"
    assert (settings.media.dir / message.original_path).read_bytes() == korean_mp3.read_bytes()


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("+52 55 1234 5678", "+525512345678"), ("anonymous", ""), ("+999 12", "+99912")],
)
def test_caller_numbers_are_e164_when_possible_and_raw_digits_otherwise(
    raw: str, kept: str
) -> None:
    assert voice_messages.normalise_caller(raw, default_region="GT") == kept


def test_refused_files_leave_no_row_and_no_file(
    database: Database,
    settings: Settings,
    text_file: Path,
    tmp_path: Path,
    korean_wav: Path,
    korean_mp3: Path,
) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.mp3"
    data = korean_mp3.read_bytes()
    truncated.write_bytes(data[: int(len(data) * 0.4) + 77])
    for bad, problem in ((text_file, Problem.NOT_AUDIO), (empty, Problem.EMPTY)):
        with pytest.raises(AudioError) as raised:
            receive(database, settings, bad)
        assert raised.value.problem is problem
    with pytest.raises(AudioError) as raised:
        receive(database, settings, truncated)
    assert raised.value.problem is Problem.DAMAGED
    with pytest.raises(LanguageError, match="not a known language code"):
        receive(database, settings, korean_wav, language="xx")
    assert messages(database) == []
    assert stored(settings) == []


def test_a_recording_over_the_length_limit_is_refused(
    database: Database, tmp_path: Path, korean_wav: Path
) -> None:
    short_limit = station_settings(tmp_path, media={"max_duration_s": 2})
    with pytest.raises(AudioError) as raised:
        receive(database, short_limit, korean_wav)
    assert raised.value.problem is Problem.TOO_LONG
    assert messages(database) == []


def test_a_language_without_a_model_is_still_accepted(
    database: Database, settings: Settings, korean_wav: Path
) -> None:
    receive(database, settings, korean_wav, language="mam")
    assert [m.language for m in messages(database)] == ["mam"]


def test_workers_claim_the_oldest_message_once_each(
    database: Database, settings: Settings, korean_wav: Path, korean_mp3: Path
) -> None:
    later = receive(database, settings, korean_wav, received_at=NOW + timedelta(minutes=5))
    earlier = receive(database, settings, korean_mp3)
    with database.session() as session:
        first = voice_messages.claim_next(session, "transcribe@a:1", NOW)
        second = voice_messages.claim_next(session, "transcribe@b:2", NOW)
        third = voice_messages.claim_next(session, "transcribe@c:3", NOW)
    assert first is not None and second is not None and third is None
    assert (first.id, first.claimed_by) == (earlier, "transcribe@a:1")
    assert (second.id, second.claimed_by) == (later, "transcribe@b:2")
    assert {m.status for m in messages(database)} == {TranscriptionStatus.TRANSCRIBING}
    with database.session() as session:
        assert not voice_messages.mark_failed(
            session, earlier, "late", worker_name="transcribe@b:2", now=NOW
        )
        assert voice_messages.mark_transcribed(
            session,
            earlier,
            worker_name="transcribe@a:1",
            text="안녕",
            words=[{"word": "안녕", "start": 0.1, "end": 0.5, "conf": 0.9}],
            duration_s=5.0,
            now=NOW,
        )
    done = messages(database)[1]
    assert (done.status, done.transcript, done.claimed_by) == ("transcribed", "안녕", "")


def test_claims_of_dead_workers_go_back_to_the_queue_until_the_attempts_run_out(
    database: Database, settings: Settings, korean_wav: Path
) -> None:
    message_id = receive(database, settings, korean_wav)
    for attempt in range(1, voice_messages.MAX_ATTEMPTS + 1):
        with database.session() as session:
            claimed = voice_messages.claim_next(session, f"transcribe@h:{attempt}", NOW)
            assert claimed is not None and claimed.id == message_id
        with database.session() as session:
            assert voice_messages.release_claims(session, alive={"transcribe@h:99"}, now=NOW) == 1
        [message] = messages(database)
        if attempt < voice_messages.MAX_ATTEMPTS:
            assert message.status == TranscriptionStatus.QUEUED
    assert message.status == TranscriptionStatus.FAILED
    assert message.failure_reason == "interrupted_times?times=3"


def test_a_live_workers_claim_is_left_alone(
    database: Database, settings: Settings, korean_wav: Path
) -> None:
    receive(database, settings, korean_wav)
    with database.session() as session:
        voice_messages.claim_next(session, "transcribe@h:1", NOW)
    with database.session() as session:
        assert voice_messages.release_claims(session, alive={"transcribe@h:1"}, now=NOW) == 0
    assert messages(database)[0].status == TranscriptionStatus.TRANSCRIBING


def test_each_message_taken_in_is_audited_with_its_way_in_and_the_caller_masked(
    database: Database, settings: Settings, korean_mp3: Path
) -> None:
    message_id = receive(database, settings, korean_mp3, channel=VoiceChannel.INBOX)
    uploader = Actor(id=None, name="token:radio", address="127.0.0.1")
    receive(
        database,
        settings,
        korean_mp3,
        caller="",
        channel=VoiceChannel.UPLOAD,
        actor=uploader,
    )
    with database.session() as session:
        entries = audit.recent(session, action="voice.receive")
    by_target = {entry.target: entry for entry in entries}
    inbox = by_target[f"voice message {message_id}"]
    assert (inbox.actor_name, inbox.details["channel"]) == ("system", "inbox")
    assert inbox.details["caller"] == "+502 ••••• 1234"
    assert "+50255551234" not in str(inbox.details)
    [upload] = [entry for entry in entries if entry is not inbox]
    assert (upload.actor_name, upload.address) == ("token:radio", "127.0.0.1")
    assert upload.details["channel"] == "upload" and upload.details["caller"] == ""


def test_a_refused_message_leaves_no_audit_entry(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioError):
        receive(database, settings, empty)
    with database.session() as session:
        assert audit.recent(session, action="voice.receive") == []
