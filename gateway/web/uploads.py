"""An uploaded audio file, from the request to the library: shared by the panel and the API.

The upload is saved under a fixed name in a private scratch folder; the name the browser sent
(which may hold `../` or bytes that are not UTF-8) is only ever used to suggest a title.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import abort
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from audio import library
from audio.errors import AudioError, Problem
from audio.languages import LanguageError
from audio.metadata import RecordingMetadata
from audio.models import FailureReason, Recording
from audio.storage import MediaStore, StorageError
from gateway.codes import coded
from gateway.web.access import current_actor, db_session, settings
from gateway.web.labels import label

REFUSAL_TEXT: dict[Problem, LazyString] = {
    Problem.EMPTY: _l("the file is empty"),
    Problem.NOT_AUDIO: _l("the file is not audio the station can read"),
    Problem.DAMAGED: _l("the audio is damaged: no sound could be decoded from it"),
    Problem.TOO_LONG: _l(
        "the recording is longer or larger than this station accepts (%(minutes)d min, "
        "%(megabytes)d MB)"
    ),
    Problem.SILENT: _l("the recording is silent"),
}
"""Why an audio file was refused, in the panel's language (the API says it in English)."""


def refusal_text(exc: AudioError | LanguageError, language: str = "") -> str:
    if isinstance(exc, LanguageError):
        return label(coded(FailureReason.BAD_LANGUAGE, language=language))
    media = settings().media
    limits = {"minutes": media.max_duration_s // 60, "megabytes": media.max_upload_mb}
    return str(REFUSAL_TEXT[exc.problem]) % limits


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
