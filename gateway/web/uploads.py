"""An uploaded audio file, from the request to the library: shared by the panel and the API.

The upload is saved under a fixed name in a private scratch folder; the name the browser sent
(which may hold `../` or bytes that are not UTF-8) is only ever used to suggest a title.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import abort
from werkzeug.datastructures import FileStorage

from audio import library
from audio.metadata import RecordingMetadata
from audio.models import Recording
from audio.storage import MediaStore, StorageError
from gateway.web.access import current_actor, db_session, settings


def media_store() -> MediaStore:
    return MediaStore(settings().media.dir)


def stored_or_404(relative: str) -> Path:
    """A stored file to send; 404 when its path is unsafe or the file is gone."""
    try:
        path = media_store().path(relative)
    except StorageError:
        abort(404)
    if not path.is_file():
        abort(404)
    return path


def import_upload(upload: FileStorage, metadata: RecordingMetadata) -> Recording:
    """Import one uploaded file; raises AudioError (nothing kept) when it is not usable audio."""
    store = media_store()
    work = store.scratch()
    try:
        received = work / "upload"
        upload.save(received)
        return library.import_recording(
            db_session(),
            received,
            metadata,
            media=settings().media,
            store=store,
            actor=current_actor(),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
