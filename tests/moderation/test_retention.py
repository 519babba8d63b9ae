"""Retention: originals of rejected messages are deleted after `media.retention_rejected_days`,
the rows stay (with `purged_at`), the system writes one audit entry per purge, and running
the purge again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audio import moderation
from audio.models import Moderation, VoiceMessage
from audio.storage import MediaStore
from gateway.audit import AuditEntry
from gateway.database import Database, utcnow
from gateway.settings import MediaSettings, Settings
from tests.moderation.messages import make_message

DAYS = 30


@pytest.fixture
def store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def media(settings: Settings) -> MediaSettings:
    return settings.media.model_copy(update={"retention_rejected_days": DAYS})


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessionmaker() as opened:
        yield opened


def purges(session: Session) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "voice.purge").order_by(AuditEntry.id)
    return list(session.scalars(query))


def test_old_rejected_originals_are_deleted_and_the_rows_kept(
    session: Session, store: MediaStore, media: MediaSettings, woman_voice: Path, man_voice: Path
) -> None:
    now = utcnow()
    old = now - timedelta(days=DAYS, hours=1)
    expired = make_message(
        session, store, woman_voice, moderation=Moderation.REJECTED, moderated_at=old
    )
    recent = make_message(
        session, store, man_voice, moderation=Moderation.REJECTED,
        moderated_at=now - timedelta(days=DAYS - 1),
    )  # fmt: skip
    session.commit()
    expired_file = store.path(expired.original_path)
    recent_file = store.path(recent.original_path)

    assert moderation.purge_expired(session, store, now=now, media=media) == 1

    assert not expired_file.exists() and recent_file.exists()
    session.expire_all()
    kept = session.get(VoiceMessage, expired.id)
    assert kept is not None
    assert kept.purged_at == now and kept.original_path == ""
    assert kept.transcript, "the transcript stays for the record"
    assert session.get(VoiceMessage, recent.id).purged_at is None  # type: ignore[union-attr]
    (entry,) = purges(session)
    assert (entry.actor_id, entry.actor_name) == (None, "system")
    assert entry.target == f"voice message {expired.id}"
    assert entry.details["retention_days"] == DAYS and entry.details["file_removed"] is True


def test_the_purge_is_idempotent(
    session: Session, store: MediaStore, media: MediaSettings, woman_voice: Path
) -> None:
    now = utcnow()
    make_message(
        session, store, woman_voice, moderation=Moderation.REJECTED,
        moderated_at=now - timedelta(days=DAYS + 5),
    )  # fmt: skip
    session.commit()
    assert moderation.purge_expired(session, store, now=now, media=media) == 1
    assert moderation.purge_expired(session, store, now=now + timedelta(days=1), media=media) == 0
    assert len(purges(session)) == 1


def test_approved_pending_and_recently_rejected_messages_are_kept(
    session: Session, store: MediaStore, media: MediaSettings, woman_voice: Path, man_voice: Path
) -> None:
    long_ago = utcnow() - timedelta(days=400)
    approved = make_message(
        session, store, woman_voice, moderation=Moderation.APPROVED,
        moderated_at=long_ago, received_at=long_ago,
    )  # fmt: skip
    pending = make_message(session, store, man_voice, received_at=long_ago)
    rejected_today = make_message(
        session, store, man_voice, moderation=Moderation.REJECTED,
        received_at=long_ago, moderated_at=utcnow(),
    )  # fmt: skip
    session.commit()
    assert moderation.purge_expired(session, store, now=utcnow(), media=media) == 0
    for message in (approved, pending, rejected_today):
        assert store.path(message.original_path).is_file()
    assert purges(session) == []


def test_audio_shared_with_a_kept_message_stays_on_disk(
    session: Session, store: MediaStore, media: MediaSettings, woman_voice: Path
) -> None:
    """The store is content-addressed: the same audio sent twice is one file."""
    now = utcnow()
    rejected = make_message(
        session, store, woman_voice, moderation=Moderation.REJECTED,
        moderated_at=now - timedelta(days=DAYS * 2),
    )  # fmt: skip
    approved = make_message(session, store, woman_voice, moderation=Moderation.APPROVED)
    session.commit()
    assert rejected.original_path == approved.original_path
    assert moderation.purge_expired(session, store, now=now, media=media) == 1
    assert store.path(approved.original_path).is_file()
    assert rejected.original_path == "" and rejected.purged_at == now
    assert purges(session)[0].details["shared_with_kept_message"] is True


def test_zero_days_keeps_everything(
    session: Session, store: MediaStore, settings: Settings, woman_voice: Path
) -> None:
    now = utcnow()
    message = make_message(
        session, store, woman_voice, moderation=Moderation.REJECTED,
        moderated_at=now - timedelta(days=3650),
    )  # fmt: skip
    session.commit()
    keep = settings.media.model_copy(update={"retention_rejected_days": 0})
    assert moderation.purge_expired(session, store, now=now, media=keep) == 0
    assert store.path(message.original_path).is_file() and message.purged_at is None
