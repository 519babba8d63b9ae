"""/api/v1/voice-messages: telephony systems and apps hand in callers' messages.

The answer to an upload is 202: the message is stored and queued, and a transcription worker
takes it from there; the integration polls `GET /voice-messages/{id}` for the transcript.
"""

from __future__ import annotations

import shutil

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import Field

from audio import voice_messages
from audio.errors import AudioError, Problem
from audio.languages import LanguageError
from audio.models import TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore
from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.web import openapi
from gateway.web.access import db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id

STATUS_FOR = {
    Problem.EMPTY: 415,
    Problem.NOT_AUDIO: 415,
    Problem.DAMAGED: 415,
    Problem.TOO_LONG: 413,
    Problem.SILENT: 422,
}


class NewVoiceMessage(openapi.RequestModel):
    caller: str = Field(default="", max_length=64, examples=["+502 5555 1234"])
    language: str = Field(
        default="", max_length=35, examples=["es"], description="default: the station's"
    )


class Queued(openapi.ResponseModel):
    id: Id
    status: TranscriptionStatus


class Word(openapi.ResponseModel):
    word: str
    start: float
    end: float
    conf: float


class VoiceMessageAnswer(openapi.ResponseModel):
    id: Id
    status: TranscriptionStatus
    transcript: str
    words: list[Word]
    language: str
    duration_s: float | None
    received_at: openapi.Timestamp
    moderation: str
    failure_reason: str | None


@blueprint.post("/voice-messages")
@api_requires(ALL_ROLES)
@openapi.operation(
    "Hand in a caller's voice message; it is queued for offline transcription",
    form=NewVoiceMessage,
    files=["file"],
    responses={202: Queued},
)
def create_voice_message(form: NewVoiceMessage) -> ResponseReturnValue:
    upload = request.files["file"]
    config = settings()
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
            caller=form.caller,
            language=form.language or config.transcription.default_language,
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
    return openapi.reply(Queued(id=message.id, status=TranscriptionStatus(message.status)), 202)


@blueprint.get("/voice-messages/<int:message_id>")
@api_requires(ALL_ROLES)
@openapi.operation(
    "A voice message's transcription status, transcript and word timings",
    responses={200: VoiceMessageAnswer},
)
def get_voice_message(message_id: int) -> ResponseReturnValue:
    message = db_session().get(VoiceMessage, message_id)
    if message is None:
        raise ApiError(404, f"there is no voice message {message_id}")
    return openapi.reply(VoiceMessageAnswer.model_validate(message.as_json()))
