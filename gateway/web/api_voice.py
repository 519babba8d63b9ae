"""/api/v1/voice-messages: telephony systems and apps hand in callers' messages.

The answer to an upload is 202: the message is stored and queued, and a transcription worker
takes it from there; the integration polls `GET /voice-messages/{id}` for the transcript.
Reading follows the panel's rules exactly (`gateway.visibility`): an operator's token learns
only of approved messages, and no answer carries a caller's number.
"""

from __future__ import annotations

import shutil
from enum import StrEnum
from typing import TypeVar

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from audio import moderation, voice_messages
from audio.errors import AudioError, Problem
from audio.languages import LanguageError
from audio.models import Moderation, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore
from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.visibility import VoiceAccess, voice_access
from gateway.web import openapi
from gateway.web.access import current_role, db_session, personal_data, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError

E = TypeVar("E", bound=StrEnum)
PAGE = 50
MAX_PAGE = moderation.PAGE_SIZE
MAX_OFFSET = 1_000_000
"""Deep enough for any station's archive; keeps the number well inside every database's int."""
STATUS_FOR = {
    Problem.EMPTY: 415,
    Problem.NOT_AUDIO: 415,
    Problem.DAMAGED: 415,
    Problem.TOO_LONG: 413,
    Problem.SILENT: 422,
}

openapi.schema(
    "VoiceMessage",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"enum": [status.value for status in TranscriptionStatus]},
            "transcript": {"type": "string"},
            "words": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "word": {"type": "string"},
                        "start": {"type": "number"},
                        "end": {"type": "number"},
                        "conf": {"type": "number"},
                    },
                },
            },
            "language": {"type": "string"},
            "duration_s": {"type": ["number", "null"]},
            "received_at": {"type": "string", "format": "date-time"},
            "moderation": {"type": "string"},
            "failure_reason": {"type": ["string", "null"]},
        },
    },
)
openapi.operation(
    "/voice-messages",
    "post",
    {
        "summary": "Hand in a caller's voice message; it is queued for offline transcription",
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "caller": {"type": "string", "example": "+502 5555 1234"},
                            "language": {
                                "type": "string",
                                "example": "es",
                                "description": "default: transcription.default_language",
                            },
                        },
                    }
                }
            },
        },
        "responses": {
            "202": openapi.json_response(
                "queued for transcription",
                {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
                },
            ),
            **openapi.error_responses(400, 413, 415, 422),
        },
    },
)
openapi.operation(
    "/voice-messages",
    "get",
    {
        "summary": "The voice messages this token's role may see, newest first (as in the panel)",
        "description": "Operators' tokens see approved messages only; moderators' and admins' "
        "see every message. Page with `limit` and `offset`; `next_offset` is null on the last "
        "page.",
        "parameters": [
            {
                "name": "status",
                "in": "query",
                "schema": {"enum": [status.value for status in TranscriptionStatus]},
            },
            {
                "name": "moderation",
                "in": "query",
                "schema": {"enum": [decision.value for decision in Moderation]},
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": PAGE},
            },
            {
                "name": "offset",
                "in": "query",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            },
        ],
        "responses": {
            "200": openapi.json_response(
                "one page of voice messages",
                {
                    "type": "object",
                    "required": ["items", "limit", "offset", "next_offset"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/VoiceMessage"},
                        },
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "next_offset": {"type": ["integer", "null"]},
                    },
                },
            ),
            **openapi.error_responses(422),
        },
    },
)
openapi.operation(
    "/voice-messages/{message_id}",
    "get",
    {
        "summary": "A voice message's transcription status, transcript and word timings",
        "description": "Operators' tokens only see approved messages (404 for the rest), as in "
        "the panel; read transcripts awaiting moderation with a moderator's token.",
        "parameters": [
            {"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": openapi.json_response("the voice message", "VoiceMessage"),
            **openapi.error_responses(404),
        },
    },
)


@blueprint.post("/voice-messages")
@api_requires(ALL_ROLES)
def create_voice_message() -> ResponseReturnValue:
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the message as multipart/form-data with a 'file' part")
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "'file' is required")
    config = settings()
    caller = request.form.get("caller", "")
    if len(caller) > 64:
        raise ApiError(422, "'caller' is too long for a phone number")
    store = MediaStore(config.media.dir)
    work = store.scratch()
    db = db_session()
    try:
        received = work / "upload"
        upload.save(received)
        message = voice_messages.receive(
            db,
            store,
            received,
            caller=caller,
            language=request.form.get("language") or config.transcription.default_language,
            channel=VoiceChannel.API,
            received_at=utcnow(),
            media=config.media,
            default_region=config.smpp.default_region,
        )
        db.commit()
    except LanguageError as exc:
        db.rollback()
        raise ApiError(422, str(exc), code="unknown_language") from None
    except AudioError as exc:
        db.rollback()
        raise ApiError(STATUS_FOR[exc.problem], exc.message, code=exc.problem.value) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return jsonify(id=message.id, status=message.status), 202


def _access() -> VoiceAccess:
    return voice_access(current_role())


def _choice(name: str, kind: type[E]) -> E | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ApiError(422, f"'{name}' must be one of: {choices}") from None


def _count(name: str, default: int, highest: int, lowest: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or not (
        lowest <= int(value) <= highest
    ):
        raise ApiError(422, f"'{name}' must be a whole number from {lowest} to {highest}")
    return int(value)


@blueprint.get("/voice-messages")
@api_requires(ALL_ROLES)
@personal_data
def list_voice_messages() -> ResponseReturnValue:
    filters = moderation.Filters(
        status=_choice("status", TranscriptionStatus),
        moderation=_choice("moderation", Moderation),
        within=_access().decisions,
    )
    limit = _count("limit", PAGE, MAX_PAGE, 1)
    offset = _count("offset", 0, MAX_OFFSET, 0)
    # One more than asked tells whether another page follows without counting every row.
    found = moderation.search(db_session(), filters, limit=limit + 1, offset=offset)
    more = len(found) > limit
    return jsonify(
        items=[message.as_json() for message in found[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


@blueprint.get("/voice-messages/<int:message_id>")
@api_requires(ALL_ROLES)
@personal_data
def get_voice_message(message_id: int) -> ResponseReturnValue:
    message = db_session().get(VoiceMessage, message_id)
    if message is None or not _access().sees(message):
        raise ApiError(404, f"there is no voice message {message_id}")
    return jsonify(message.as_json())
