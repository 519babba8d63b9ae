"""The alert form's versions: a few rows of language, text and a recording made on a phone.

No script: a fixed number of rows, the empty ones ignored. A recording goes through the
library's import (decoded, normalised to the station's loudness) like any other upload, so a
voice note from a phone airs as loud as the rest. The rows' languages are checked before
anything is imported; if the alert is refused all the same, the recordings imported for it are
deleted again, so a refused alert leaves nothing behind.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from wtforms import Form, SelectField, TextAreaField
from wtforms.validators import Length

from audio import library
from audio.metadata import parse_metadata
from audio.models import Recording, RecordingKind
from gateway.accounts import Actor
from gateway.alert_versions import VersionRequest, check_languages
from gateway.alerts import MAX_ALERT_CHARS, AlertError
from gateway.web.labels import language_choices
from gateway.web.uploads import import_upload, media_store

VERSION_ROWS = 3
"""Rows on the form: more languages than most alerts carry; the API takes more."""


class VersionForm(Form):
    """One version row (a subform: the alert form's CSRF token covers it)."""

    language = SelectField(_l("Language"), choices=[], validate_choice=False)
    text = TextAreaField(
        _l("Text in this language (SMS)"), validators=[Length(max=MAX_ALERT_CHARS)]
    )
    recording = FileField(_l("Recording in this language (from a phone is fine)"))


def set_version_choices(rows: list[VersionForm], languages: list[str], default: str) -> None:
    """Offer the station's languages but the default one (the alert's main text is in it)."""
    choices = [("", "—"), *language_choices([code for code in languages if code != default])]
    for row in rows:
        row.language.choices = choices


def _upload(field: FileField) -> FileStorage | None:
    data = field.data
    return data if isinstance(data, FileStorage) and data.filename else None


def import_recording(upload: FileStorage, *, title: str, language: str) -> Recording:
    """An alert's recording, through the library's import; raises AudioError, MetadataError."""
    metadata = parse_metadata(title=title, kind=RecordingKind.ALERT.value, language=language)
    return import_upload(upload, metadata)


def main_recording(field: FileField, *, title: str, language: str) -> Recording | None:
    upload = _upload(field)
    return import_recording(upload, title=title, language=language) if upload else None


def _filled(row: VersionForm) -> bool:
    return bool(row.language.data or (row.text.data or "").strip() or _upload(row.recording))


def check_rows(rows: list[VersionForm], served: list[str]) -> None:
    """Refuse (AlertError) a row's language before any recording is imported for nothing."""
    requests = [VersionRequest(row.language.data or "") for row in rows if _filled(row)]
    check_languages(requests, served, error=AlertError)


def version_requests(
    rows: list[VersionForm], *, title: str
) -> tuple[list[dict[str, object]], list[Recording]]:
    """The rows as the API's `versions` (empty rows left out), and the recordings imported for
    them; raises AudioError or MetadataError for a recording that is not usable audio."""
    versions: list[dict[str, object]] = []
    imported: list[Recording] = []
    for row in (row for row in rows if _filled(row)):
        language = row.language.data or ""
        version: dict[str, object] = {"language": language, "text": row.text.data or ""}
        upload = _upload(row.recording)
        if upload is not None and language:
            recording = import_recording(upload, title=f"{title} ({language})", language=language)
            imported.append(recording)
            version["recording_id"] = recording.id
        versions.append(version)
    return versions, imported


def forget_imported(session: Session, recordings: list[Recording], *, actor: Actor) -> None:
    """Delete the recordings imported for an alert that was then refused (the library's import
    commits each one), so a refused alert leaves no recording behind; audited as deletions."""
    unused: list[str] = []
    for recording in recordings:
        unused += library.delete_recording(session, recording, actor=actor)
    session.commit()
    library.remove_files(media_store(), unused)
