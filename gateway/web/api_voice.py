"""/api/v1/voice-messages: telephony systems and apps hand in callers' messages.

The answer to an upload is 202: the message is stored and queued, and a transcription worker
takes it from there; the integration polls `GET /voice-messages/{id}` for the transcript.
"""

from __future__ import annotations

import shutil

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from audio import voice_messages
from audio.errors import AudioError, Problem
from audio.languages import LanguageError
from audio.models import TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore
from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError

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
    "/voice-messages/{message_id}",
    "get",
    {
        "summary": "A voice message's transcription status, transcript and word timings",
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
            actor=current_actor(),
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


@blueprint.get("/voice-messages/<int:message_id>")
@api_requires(ALL_ROLES)
def get_voice_message(message_id: int) -> ResponseReturnValue:
    message = db_session().get(VoiceMessage, message_id)
    if message is None:
        raise ApiError(404, f"there is no voice message {message_id}")
    return jsonify(message.as_json())
