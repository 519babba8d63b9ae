"""Retrying a voice message whose transcription failed, one or all at once.

A message fails for reasons an operator can often fix afterwards: no Vosk model for its
language yet, a model damaged and replaced since. Retrying puts it back in the queue with its
attempts reset (so `MAX_ATTEMPTS` counts from zero again) and a transcription worker takes it
as if it had just arrived. The panel, the API and the CLI all come through here, so each
retry is audited the same way whoever asked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio import voice_messages
from audio.models import TranscriptionStatus, VoiceMessage
from gateway import audit
from gateway.accounts import Actor

ACTION = "voice.retry_transcription"


class NotFailed(ValueError):
    """Only a failed transcription can be retried; a queued or finished one is left alone."""


def retry(session: Session, message: VoiceMessage, *, actor: Actor) -> None:
    """Queue `message` again; NotFailed if its transcription has not failed (any more)."""
    reason = message.failure_reason
    if not voice_messages.requeue(session, message.id):
        raise NotFailed(f"voice message {message.id} is {message.status}, not failed")
    session.refresh(message)
    audit.record_by(
        session,
        actor,
        action=ACTION,
        target=f"voice message {message.id}",
        details={"failure_reason": reason},
    )


def retry_failed(session: Session, *, actor: Actor) -> list[int]:
    """Queue every failed message again (after `altavoz models add`, say); their ids, oldest
    first, in the order the workers will take them."""
    failed = session.scalars(
        select(VoiceMessage)
        .where(VoiceMessage.status == TranscriptionStatus.FAILED)
        .order_by(VoiceMessage.received_at, VoiceMessage.id)
    )
    queued = []
    for message in list(failed):
        try:
            retry(session, message, actor=actor)
        except NotFailed:
            continue
        queued.append(message.id)
    return queued
