"""/api/v1/voice-messages: telephony systems and apps hand in callers' messages.

The answer to an upload is 202: the message is stored and queued, and a transcription worker
takes it from there; the integration polls `GET /voice-messages/{id}` for the transcript.
Reading follows the panel's rules exactly (`gateway.visibility`): an operator's token learns
only of approved messages, and no answer carries a caller's number.
"""

from __future__ import annotations

import shutil
from typing import Annotated

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import Field

from audio import moderation, transcription_retry, voice_messages
from audio.errors import AudioError
from audio.languages import LanguageError
from audio.models import Moderation, TranscriptionStatus, VoiceChannel, VoiceMessage
from audio.storage import MediaStore
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, MODERATION
from gateway.visibility import VoiceAccess, voice_access
from gateway.web import openapi
from gateway.web.access import current_actor, current_role, db_session, personal_data, settings
from gateway.web.api import api_requires, audio_refused, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id

PAGE = 50
MAX_PAGE = moderation.PAGE_SIZE
MAX_OFFSET = 1_000_000
"""Deep enough for any station's archive; keeps the number well inside every database's int."""


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
    failure_reason: str | None = Field(
        examples=["no_model?language=es"],
        description="a code (audio.models.FailureReason) with its parameters as a query string",
    )


class VoiceMessageFilter(openapi.QueryModel):
    status: Annotated[TranscriptionStatus | None, openapi.Optional] = None
    moderation: Annotated[Moderation | None, openapi.Optional] = None
    limit: int = Field(default=PAGE, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class VoiceMessagePage(openapi.ResponseModel):
    items: list[VoiceMessageAnswer]
    limit: int
    offset: int
    next_offset: int | None = Field(description="null on the last page")


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
            actor=current_actor(),
        )
        db.commit()
    except LanguageError as exc:
        db.rollback()
        raise ApiError(422, str(exc), code="unknown_language") from None
    except AudioError as exc:
        db.rollback()
        raise audio_refused(exc) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return openapi.reply(Queued(id=message.id, status=TranscriptionStatus(message.status)), 202)


def _access() -> VoiceAccess:
    return voice_access(current_role())


@blueprint.get("/voice-messages")
@api_requires(ALL_ROLES)
@personal_data
@openapi.operation(
    "The voice messages this token's role may see, newest first (the panel's rules: "
    "operators' tokens see approved messages only)",
    query=VoiceMessageFilter,
    responses={200: VoiceMessagePage},
)
def list_voice_messages(query: VoiceMessageFilter) -> ResponseReturnValue:
    filters = moderation.Filters(
        status=query.status, moderation=query.moderation, within=_access().decisions
    )
    # One more than asked tells whether another page follows without counting every row.
    found = moderation.search(db_session(), filters, limit=query.limit + 1, offset=query.offset)
    more = len(found) > query.limit
    page = VoiceMessagePage(
        items=[VoiceMessageAnswer.model_validate(m.as_json()) for m in found[: query.limit]],
        limit=query.limit,
        offset=query.offset,
        next_offset=query.offset + query.limit if more else None,
    )
    return openapi.reply(page)


@blueprint.get("/voice-messages/<int:message_id>")
@api_requires(ALL_ROLES)
@personal_data
@openapi.operation(
    "A voice message's transcription status, transcript and word timings",
    responses={200: VoiceMessageAnswer},
)
def get_voice_message(message_id: int) -> ResponseReturnValue:
    message = db_session().get(VoiceMessage, message_id)
    if message is None or not _access().sees(message):
        raise ApiError(404, f"there is no voice message {message_id}")
    return openapi.reply(VoiceMessageAnswer.model_validate(message.as_json()))


@blueprint.post("/voice-messages/<int:message_id>/retry")
@api_requires(MODERATION)
@openapi.operation(
    "Queue a voice message whose transcription failed again (e.g. once its language's Vosk "
    "model is installed); 409 when it has not failed",
    responses={202: Queued},
    errors=(409,),
)
def retry_voice_message(message_id: int) -> ResponseReturnValue:
    db = db_session()
    message = db.get(VoiceMessage, message_id)
    if message is None or not _access().sees(message):
        raise ApiError(404, f"there is no voice message {message_id}")
    try:
        transcription_retry.retry(db, message, actor=current_actor())
    except transcription_retry.NotFailed as exc:
        raise ApiError(409, str(exc), code="not_failed") from None
    db.commit()
    return openapi.reply(Queued(id=message.id, status=TranscriptionStatus(message.status)), 202)
