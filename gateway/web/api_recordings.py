"""/api/v1/recordings: the audio library for integrations (upload, read, list)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from audio import library
from audio.errors import AudioError, Problem
from audio.metadata import (
    KINDS,
    MetadataError,
    parse_consent,
    parse_kind,
    parse_language,
    parse_metadata,
    title_from_filename,
)
from audio.models import Recording
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.uploads import import_upload

STATUS_FOR = {
    Problem.EMPTY: 415,
    Problem.NOT_AUDIO: 415,
    Problem.DAMAGED: 415,
    Problem.TOO_LONG: 413,
    Problem.SILENT: 422,
}

openapi.schema(
    "Recording",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"enum": list(KINDS)},
            "language": {"type": "string"},
            "speaker": {"type": "string"},
            "consent": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "duration_s": {"type": "number"},
            "loudness_lufs": {"type": "number"},
            "true_peak_dbtp": {"type": "number"},
            "sha256": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
)
openapi.operation(
    "/recordings",
    "post",
    {
        "summary": "Add an audio file to the library (normalised to the station's loudness)",
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "kind"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "title": {"type": "string", "description": "default: file name"},
                            "kind": {"enum": list(KINDS)},
                            "language": {"type": "string", "example": "es"},
                            "speaker": {"type": "string"},
                            "consent": {"type": "string", "enum": ["yes", "no"]},
                            "tags": {"type": "string", "description": "comma-separated"},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": openapi.json_response(
                "imported",
                {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "duration_s": {"type": "number"},
                        "loudness_lufs": {"type": "number"},
                    },
                },
            ),
            **openapi.error_responses(413, 415, 422),
        },
    },
)
openapi.operation(
    "/recordings",
    "get",
    {
        "summary": "List recordings, newest first, optionally filtered",
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in ("q", "kind", "language", "consent")
        ],
        "responses": {
            "200": openapi.json_response(
                "recordings",
                {
                    "type": "object",
                    "properties": {
                        "recordings": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Recording"},
                        }
                    },
                },
            ),
            **openapi.error_responses(422),
        },
    },
)
openapi.operation(
    "/recordings/{recording_id}",
    "get",
    {
        "summary": "One recording's metadata",
        "parameters": [
            {"name": "recording_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": openapi.json_response("the recording", "Recording"),
            **openapi.error_responses(404),
        },
    },
)


@blueprint.post("/recordings")
@api_requires(STAFF)
def create_recording() -> ResponseReturnValue:
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the recording as multipart/form-data with a 'file' part")
    upload = request.files.get("file")
    if upload is None and not request.form and (request.content_length or 0) > 0:
        # Werkzeug drops the whole form when a part header is not UTF-8; say so.
        raise ApiError(
            400,
            "the multipart body could not be read: part headers must be UTF-8 "
            "(send other file names as filename*=UTF-8''...)",
        )
    if upload is None:
        raise ApiError(422, "'file' is required")
    form = request.form
    try:
        metadata = parse_metadata(
            title=form.get("title") or title_from_filename(upload.filename),
            kind=form.get("kind"),
            language=form.get("language"),
            speaker=form.get("speaker"),
            consent=form.get("consent"),
            tags=form.get("tags"),
        )
    except MetadataError as exc:
        raise ApiError(422, str(exc)) from None
    try:
        recording = import_upload(upload, metadata)
    except AudioError as exc:
        raise ApiError(STATUS_FOR[exc.problem], exc.message, code=exc.problem.value) from None
    return jsonify(
        id=recording.id,
        duration_s=round(recording.duration_s, 3),
        loudness_lufs=round(recording.loudness_lufs, 2),
    ), 201


@blueprint.get("/recordings/<int:recording_id>")
@api_requires(ALL_ROLES)
def get_recording(recording_id: int) -> ResponseReturnValue:
    recording = db_session().get(Recording, recording_id)
    if recording is None:
        raise ApiError(404, f"there is no recording {recording_id}")
    return jsonify(recording.as_json())


@blueprint.get("/recordings")
@api_requires(ALL_ROLES)
def list_recordings() -> ResponseReturnValue:
    args = request.args
    try:
        filters = library.Filters(
            text=args.get("q", ""),
            kind=parse_kind(args["kind"]) if args.get("kind") else None,
            language=parse_language(args.get("language")),
            consent=parse_consent(args["consent"]) if args.get("consent") else None,
        )
    except MetadataError as exc:
        raise ApiError(422, str(exc)) from None
    found = library.search(db_session(), filters)
    return jsonify(recordings=[recording.as_json() for recording in found])
