"""Moderation actions on the database: each changes the message and writes its audit entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audio import moderation
from audio.models import Moderation, Recording, TranscriptionStatus, VoiceMessage
from audio.storage import MediaStore
from gateway.accounts import Actor, User
from gateway.audit import AuditEntry
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from tests.library.samples import integrated_loudness
from tests.moderation import measure
from tests.moderation.messages import make_message


@pytest.fixture
def store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessionmaker() as opened:
        yield opened


@pytest.fixture
def moderator(make_user: Callable[..., User]) -> Actor:
    user = make_user(Role.MODERATOR, "rosa")
    return Actor(id=user.id, name=user.username, address="10.0.0.7")


def entries(session: Session, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(session.scalars(query))


def test_correction_is_kept_apart_from_what_vosk_heard_and_audited_without_the_words(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(session, store, woman_voice)
    heard = message.transcript
    assert moderation.correct_transcript(
        session, message, "Radio  Altavoz, defensoras\n", actor=moderator
    )
    session.commit()
    assert message.transcript == heard
    assert message.text == "Radio Altavoz, defensoras"
    (entry,) = entries(session, "voice.correct")
    assert entry.target == f"voice message {message.id}"
    assert (entry.actor_id, entry.actor_name, entry.address) == (moderator.id, "rosa", "10.0.0.7")
    assert "Altavoz" not in str(entry.details)
    assert not moderation.correct_transcript(
        session, message, "Radio Altavoz, defensoras", actor=moderator
    )
    assert moderation.correct_transcript(session, message, heard, actor=moderator)
    assert message.corrected_transcript is None
    assert len(entries(session, "voice.correct")) == 2


def test_an_overlong_correction_is_refused_and_changes_nothing(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(session, store, woman_voice)
    with pytest.raises(moderation.ModerationError, match="longer"):
        moderation.correct_transcript(
            session, message, "a" * (moderation.TRANSCRIPT_MAX + 1), actor=moderator
        )
    assert message.corrected_transcript is None
    assert entries(session, "voice.correct") == []


def test_approve_and_reject_record_who_and_when(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(session, store, woman_voice)
    before = utcnow()
    moderation.approve(session, message, actor=moderator)
    assert message.moderation == Moderation.APPROVED
    assert message.moderated_by == moderator.id
    assert message.moderated_at is not None and message.moderated_at >= before
    moderation.reject(session, message, actor=moderator, note="  no es para el aire ")
    session.commit()
    assert message.moderation == Moderation.REJECTED
    (approved,) = entries(session, "voice.approved")
    (rejected,) = entries(session, "voice.rejected")
    assert approved.details == {"previous": "pending"}
    assert rejected.details == {"previous": "approved", "note": "no es para el aire"}


def test_sensitive_flag_is_audited_only_when_it_changes(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(session, store, woman_voice)
    assert moderation.set_sensitive(session, message, True, actor=moderator)
    assert not moderation.set_sensitive(session, message, True, actor=moderator)
    assert moderation.set_sensitive(session, message, False, actor=moderator)
    assert [len(entries(session, a)) for a in ("voice.sensitive", "voice.not_sensitive")] == [1, 1]
    assert message.sensitive is False


def test_protecting_the_voice_stores_a_disguised_copy_apart_from_the_original(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(session, store, woman_voice)
    relative = moderation.protect_voice(session, message, store=store, actor=moderator)
    session.commit()
    assert message.protected_path == relative and relative.startswith("protected/")
    protected = store.path(relative)
    assert protected.is_file() and store.path(message.original_path).is_file()
    original_f0 = measure.fundamental_hz(measure.samples(woman_voice))
    protected_f0 = measure.fundamental_hz(measure.samples(protected))
    assert measure.semitones(protected_f0, original_f0) < -4.5
    (entry,) = entries(session, "voice.protect")
    assert entry.details["sha256"] in relative
    assert entry.details["semitones"] == -5.0


def test_only_approved_messages_go_to_the_library(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor, settings: Settings
) -> None:
    message = make_message(session, store, woman_voice)
    with pytest.raises(moderation.ModerationError, match="approved"):
        moderation.add_to_library(
            session, message, store=store, media=settings.media, actor=moderator
        )
    assert session.scalars(select(Recording)).all() == []


def test_an_approved_message_becomes_a_normalised_testimony_in_one_call(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor, settings: Settings
) -> None:
    message = make_message(session, store, woman_voice, moderation=Moderation.APPROVED)
    recording = moderation.add_to_library(
        session, message, store=store, media=settings.media, actor=moderator, consent=True
    )
    session.commit()
    assert recording.voice_message_id == message.id
    assert recording.title == f"Voice message {message.id}"
    assert (recording.kind, recording.language, recording.consent) == ("testimony", "es", True)
    assert recording.tags == ["voice-message"]
    assert "5555" not in f"{recording.title}{recording.speaker}{recording.tags}"
    assert abs(integrated_loudness(store.path(recording.media_path)) + 16.0) < 0.5
    (entry,) = entries(session, "voice.to_library")
    assert entry.details == {"recording": recording.id, "protected": False}
    assert len(entries(session, "recording.add")) == 1
    with pytest.raises(moderation.ModerationError, match="already in the library"):
        moderation.add_to_library(
            session, message, store=store, media=settings.media, actor=moderator
        )


def test_a_sensitive_message_reaches_the_library_only_with_its_voice_disguised(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor, settings: Settings
) -> None:
    message = make_message(
        session, store, woman_voice, moderation=Moderation.APPROVED, sensitive=True
    )
    recording = moderation.add_to_library(
        session, message, store=store, media=settings.media, actor=moderator, title="Testimonio"
    )
    session.commit()
    assert message.protected_path, "the voice was protected on the way"
    assert "protected-voice" in recording.tags
    original_f0 = measure.fundamental_hz(measure.samples(woman_voice))
    aired_f0 = measure.fundamental_hz(measure.samples(store.path(recording.media_path)))
    assert measure.semitones(aired_f0, original_f0) < -4.5
    assert [len(entries(session, a)) for a in ("voice.protect", "voice.to_library")] == [1, 1]
    assert entries(session, "voice.to_library")[0].details["protected"] is True


def test_a_protected_message_goes_to_the_library_as_its_protected_copy(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor, settings: Settings
) -> None:
    message = make_message(session, store, woman_voice, moderation=Moderation.APPROVED)
    moderation.protect_voice(session, message, store=store, actor=moderator)
    recording = moderation.add_to_library(
        session, message, store=store, media=settings.media, actor=moderator
    )
    aired_f0 = measure.fundamental_hz(measure.samples(store.path(recording.media_path)))
    protected_f0 = measure.fundamental_hz(measure.samples(store.path(message.protected_path)))
    assert abs(measure.semitones(aired_f0, protected_f0)) < 0.25


def test_a_message_whose_audio_was_purged_cannot_be_approved_or_protected(
    session: Session, store: MediaStore, woman_voice: Path, moderator: Actor
) -> None:
    message = make_message(
        session, store, woman_voice, moderation=Moderation.REJECTED, purged_at=utcnow()
    )
    message.original_path = ""
    with pytest.raises(moderation.ModerationError, match="deleted"):
        moderation.approve(session, message, actor=moderator)
    with pytest.raises(moderation.ModerationError, match="deleted"):
        moderation.protect_voice(session, message, store=store, actor=moderator)
    assert message.moderation == Moderation.REJECTED
    assert session.get(VoiceMessage, message.id) is message


def test_search_filters_by_transcription_status_and_moderation(
    session: Session, store: MediaStore, woman_voice: Path
) -> None:
    approved = make_message(session, store, woman_voice, moderation=Moderation.APPROVED)
    queued = make_message(session, store, woman_voice, status="queued", transcript="", words=[])
    assert moderation.search(session, moderation.Filters(moderation=Moderation.APPROVED)) == [
        approved
    ]
    found = moderation.search(session, moderation.Filters(status=TranscriptionStatus.QUEUED))
    assert found == [queued]
    assert len(moderation.search(session, moderation.Filters())) == 2
