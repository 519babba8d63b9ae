"""/api/v1/recordings: the audio library for integrations (upload, read, list)."""

from __future__ import annotations

from typing import Annotated

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import Field

from audio import library
from audio.errors import AudioError
from audio.metadata import (
    SPEAKER_MAX,
    TITLE_MAX,
    MetadataError,
    parse_consent,
    parse_language,
    parse_metadata,
    title_from_filename,
)
from audio.models import Recording, RecordingKind
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, audio_refused, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from gateway.web.uploads import import_upload

Text = Annotated[str, Field(max_length=TITLE_MAX)]


class NewRecording(openapi.RequestModel):
    title: Text = Field(default="", description="default: the file's name")
    kind: RecordingKind
    language: str = Field(default="", max_length=35, examples=["es"])
    speaker: str = Field(default="", max_length=SPEAKER_MAX)
    consent: str = Field(default="", max_length=5, description="yes or no", examples=["yes"])
    tags: str = Field(default="", max_length=1000, description="comma-separated")


class Imported(openapi.ResponseModel):
    id: Id
    duration_s: float
    loudness_lufs: float


class RecordingAnswer(openapi.ResponseModel):
    id: Id
    title: str
    kind: RecordingKind
    language: str
    speaker: str
    consent: bool
    tags: list[str]
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    sha256: str
    created_at: openapi.Timestamp


class RecordingFilter(openapi.QueryModel):
    q: Text = ""
    kind: Annotated[RecordingKind | None, openapi.Optional] = None
    language: Annotated[str | None, openapi.Optional] = Field(default=None, max_length=35)
    consent: Annotated[str | None, openapi.Optional] = Field(
        default=None, max_length=5, description="yes or no"
    )


class Recordings(openapi.ResponseModel):
    recordings: list[RecordingAnswer]


@blueprint.post("/recordings")
@api_requires(STAFF)
@openapi.operation(
    "Add an audio file to the library (normalised to the station's loudness)",
    form=NewRecording,
    files=["file"],
    responses={201: Imported},
)
def create_recording(form: NewRecording) -> ResponseReturnValue:
    upload = request.files["file"]
    try:
        metadata = parse_metadata(
            title=form.title or title_from_filename(upload.filename),
            kind=form.kind,
            language=form.language,
            speaker=form.speaker,
            consent=form.consent,
            tags=form.tags,
        )
    except MetadataError as exc:
        raise ApiError(422, str(exc)) from None
    try:
        recording = import_upload(upload, metadata)
    except AudioError as exc:
        raise audio_refused(exc) from None
    return openapi.reply(
        Imported(
            id=recording.id,
            duration_s=round(recording.duration_s, 3),
            loudness_lufs=round(recording.loudness_lufs, 2),
        ),
        201,
    )


@blueprint.get("/recordings/<int:recording_id>")
@api_requires(ALL_ROLES)
@openapi.operation("One recording's metadata", responses={200: RecordingAnswer})
def get_recording(recording_id: int) -> ResponseReturnValue:
    recording = db_session().get(Recording, recording_id)
    if recording is None:
        raise ApiError(404, f"there is no recording {recording_id}")
    return openapi.reply(RecordingAnswer.model_validate(recording.as_json()))


@blueprint.get("/recordings")
@api_requires(ALL_ROLES)
@openapi.operation(
    "List recordings, newest first, optionally filtered",
    query=RecordingFilter,
    responses={200: Recordings},
)
def list_recordings(query: RecordingFilter) -> ResponseReturnValue:
    try:
        filters = library.Filters(
            text=query.q,
            kind=query.kind,
            language=parse_language(query.language),
            consent=parse_consent(query.consent) if query.consent else None,
        )
    except MetadataError as exc:
        raise ApiError(422, str(exc)) from None
    found = library.search(db_session(), filters)
    return openapi.reply(Recordings.model_validate({"recordings": [r.as_json() for r in found]}))
