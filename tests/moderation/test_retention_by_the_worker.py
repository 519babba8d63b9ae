"""The transcription worker applies the retention policy by itself: no cron job to forget."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from audio.models import Moderation, VoiceMessage
from audio.storage import MediaStore
from audio.transcribe_worker import TranscribeWorker
from gateway.database import Database, utcnow
from gateway.settings import Settings
from tests.moderation.messages import make_message


def test_the_worker_deletes_long_rejected_originals_on_its_rounds(
    settings: Settings, database: Database, woman_voice: Path
) -> None:
    store = MediaStore(settings.media.dir)
    days = settings.media.retention_rejected_days
    with database.sessionmaker() as session:
        message = make_message(
            session,
            store,
            woman_voice,
            moderation=Moderation.REJECTED,
            moderated_at=utcnow() - timedelta(days=days + 1),
        )
        session.commit()
        original, message_id = store.path(message.original_path), message.id
    assert original.exists()
    TranscribeWorker(settings, database).run(once=True)
    assert not original.exists()
    with database.session() as session:
        purged = session.get(VoiceMessage, message_id)
        assert purged is not None and purged.purged_at is not None
