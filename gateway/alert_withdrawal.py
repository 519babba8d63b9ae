"""Cancel or correct an alert after it was sent.

What has not reached an SMSC yet is withdrawn (`sms.outbox.withdraw_queued`, atomic against
the SMS worker's claim); everyone it may have reached (submitted, delivered, or in a worker's
hands at that moment) gets a short notice in their language; its air command is dropped if it
has not aired yet, or cut if it is on air. A correction also sends its text, as the alert
itself, to those whose copy was withdrawn, and airs it. The cancellation or correction is an
alert of its own (`kind`, `references`), so it is audited, followed and, later, mapped to a
CAP Update or Cancel. A correction is new content: with the two-person rule on it waits for
approval like any alert; a cancellation only stops things, so one person may do it at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.accounts import Actor
from gateway.alert_models import Alert, AlertChannel, AlertKind, AlertStatus
from gateway.alert_repeats import RepeatAsk, RepeatError, plan, remaining
from gateway.alerts import MAX_ALERT_CHARS, AlertError, air_commands, queue_bulk, sms_refusal
from gateway.plain_text import plain_text
from gateway.settings import Settings
from playlists.models import CommandKind, PlayoutCommand
from sms import outbox
from sms.compose import ComposeError, Composition, compose
from sms.models import OutboundMessage, OutboundSegment, SegmentState, Subscriber

REACHED = (
    SegmentState.SUBMITTING,
    SegmentState.SUBMITTED,
    SegmentState.DELIVERED,
    SegmentState.EXPIRED,
)
"""Segment states that mean the person may have the alert: handed to (or held for) an SMSC."""
NOTICE_LANGUAGES = ("es", "en")
"""Languages with built-in notice wording; every other subscriber gets the Spanish one."""
EXCERPT_CHARS = 60


class AlertStateError(AlertError):
    """The alert is not in a state where this can be done (a 409, not bad input)."""


def _withdrawable(original: Alert) -> None:
    if original.kind == AlertKind.CANCEL:
        raise AlertStateError(f"alert {original.id} is a cancellation; it cannot be withdrawn")
    if original.status == AlertStatus.DRAFT:
        raise AlertStateError(f"alert {original.id} is a draft, nothing was sent: reject it")
    if original.status != AlertStatus.SENT:
        raise AlertStateError(f"alert {original.id} was already {original.status}")


def cancel_alert(
    session: Session,
    original: Alert,
    *,
    settings: Settings,
    actor: Actor,
    now: datetime,
    draft: bool = False,
) -> Alert:
    """Cancel at once, or (`draft`: a CAP Cancel from an untrusted sender) hold the
    cancellation for a person's approval."""
    _withdrawable(original)
    record = _record(original, AlertKind.CANCEL, "", actor=actor, now=now, draft=draft)
    record.text = _notice_text(settings, "es", original, record)
    return _file(session, record, original, actor=actor, settings=settings, now=now, draft=draft)


def correct_alert(
    session: Session,
    original: Alert,
    text: str,
    *,
    settings: Settings,
    actor: Actor,
    now: datetime,
    draft: bool | None = None,
    repeat: RepeatAsk | None = None,
) -> Alert:
    """`draft` None: held for approval as `alerts.approvals_required` says. `repeat`: the
    correction's own on-air repeats; without them it takes over what is left of the original's
    (the corrected text is repeated where the wrong one would have been)."""
    _withdrawable(original)
    text = plain_text(
        text, what="'text'", max_chars=MAX_ALERT_CHARS, multiline=True, error=AlertError
    )
    if repeat is None or (repeat.every_min is None and repeat.until is None):
        repeat = remaining(original.repeat_every_min, original.repeat_until, now=now)
    try:
        repeats = plan(
            repeat,
            default_every_min=original.repeat_every_min or 0,
            default_for_min=settings.alerts.repeat_until_min,
            now=now,
        )
    except RepeatError as exc:
        raise AlertError(str(exc)) from None
    if draft is None:
        draft = settings.alerts.approvals_required > 0
    record = _record(original, AlertKind.CORRECTION, text, actor=actor, now=now, draft=draft)
    if repeats is not None:
        record.repeat_every_min = int(repeats.every.total_seconds() // 60)
        record.repeat_until = repeats.until
    for language in NOTICE_LANGUAGES:
        _compose_notice(settings, language, original, record)
    return _file(session, record, original, actor=actor, settings=settings, now=now, draft=draft)


def _file(
    session: Session,
    record: Alert,
    original: Alert,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime,
    draft: bool,
) -> Alert:
    """Store a cancellation or correction, then hold it for approval or carry it out now."""
    session.add(record)
    session.flush()
    if draft:
        _drafted(session, actor, record, original)
        return record
    details = carry_out(session, record, settings=settings, now=now)
    action = "alert.correct" if record.kind == AlertKind.CORRECTION else "alert.cancel"
    audit.record_by(session, actor, action=action, target=f"alert {original.id}", details=details)
    return record


def _drafted(session: Session, actor: Actor, record: Alert, original: Alert) -> None:
    key = "corrects" if record.kind == AlertKind.CORRECTION else "cancels"
    audit.record_by(
        session,
        actor,
        action="alert.draft",
        target=f"alert {record.id}",
        details={key: original.id},
    )


def _record(
    original: Alert, kind: AlertKind, text: str, *, actor: Actor, now: datetime, draft: bool
) -> Alert:
    return Alert(
        text=text,
        regions=list(original.regions),
        channels=list(original.channels),
        created_at=now,
        created_by=actor.name,
        created_by_id=actor.id,
        status=AlertStatus.DRAFT if draft else AlertStatus.SENT,
        kind=kind,
        references_id=original.id,
    )


def carry_out(
    session: Session, record: Alert, *, settings: Settings, now: datetime
) -> dict[str, Any]:
    """Withdraw, notify and stop the air for a cancellation or correction that goes out now."""
    original = session.get(Alert, record.references_id) if record.references_id else None
    if original is None:
        raise AlertStateError(f"the alert that {record.kind} {record.id} refers to is gone")
    _withdrawable(original)
    message_ids = list(
        session.scalars(select(OutboundMessage.id).where(OutboundMessage.alert_id == original.id))
    )
    withdrawn = outbox.withdraw_queued(session, message_ids=message_ids, now=now)
    reached = _reached(session, original)
    notified = _notify(session, record, original, reached, settings=settings, now=now)
    resent = 0
    if record.kind == AlertKind.CORRECTION:
        resent = _send_corrected(session, record, original, reached, settings=settings, now=now)
    record.recipients = notified + resent
    air = _stop_air(session, original, now=now)
    if record.kind == AlertKind.CORRECTION and AlertChannel.AIR.value in record.channels:
        session.add_all(air_commands(record, settings=settings, now=now))
    original.status = (
        AlertStatus.CORRECTED if record.kind == AlertKind.CORRECTION else AlertStatus.CANCELLED
    )
    return {
        "record": record.id,
        "withdrawn": withdrawn,
        "notified": notified,
        "resent": resent,
        "air": air,
    }


def _reached(session: Session, original: Alert) -> set[str]:
    """Numbers the original may have reached: a segment handed to (or held for) an SMSC."""
    return set(
        session.scalars(
            select(OutboundMessage.destination)
            .join(OutboundSegment, OutboundSegment.message_id == OutboundMessage.id)
            .where(
                OutboundMessage.alert_id == original.id,
                OutboundSegment.state.in_([state.value for state in REACHED]),
            )
        )
    )


def _wanting_sms(session: Session, phones: set[str]) -> dict[str, str]:
    """Of these numbers, those that have not opted out since, with their language."""
    known = {
        phone: (language, opted_in)
        for phone, language, opted_in in session.execute(
            select(Subscriber.phone, Subscriber.language, Subscriber.opted_in).where(
                Subscriber.phone.in_(phones)
            )
        )
    }
    wanting = {}
    for phone in sorted(phones):
        language, opted_in = known.get(phone, ("es", True))
        if opted_in:
            wanting[phone] = language
    return wanting


def _notify(
    session: Session,
    record: Alert,
    original: Alert,
    reached: set[str],
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """Queue the notice, in their language, to everyone the original may have reached."""
    by_language: dict[str, list[str]] = {}
    for phone, language in _wanting_sms(session, reached).items():
        notice = language if language in NOTICE_LANGUAGES else "es"
        by_language.setdefault(notice, []).append(phone)
    for language, phones in by_language.items():
        queue_bulk(
            session, record, phones, _compose_notice(settings, language, original, record), now
        )
    return sum(len(phones) for phones in by_language.values())


def _send_corrected(
    session: Session,
    record: Alert,
    original: Alert,
    reached: set[str],
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """Those whose copy was withdrawn still need the alert: they get the corrected text."""
    addressed = set(
        session.scalars(
            select(OutboundMessage.destination).where(OutboundMessage.alert_id == original.id)
        )
    )
    phones = list(_wanting_sms(session, addressed - reached))
    if phones:
        try:
            composed = compose(record.text, settings=settings.smpp, smart=original.smart)
        except ComposeError as exc:
            raise sms_refusal(exc) from None
        queue_bulk(session, record, phones, composed, now)
    return len(phones)


def _notice_text(settings: Settings, language: str, original: Alert, record: Alert) -> str:
    wording = getattr(
        settings.alerts,
        f"{'correct' if record.kind == AlertKind.CORRECTION else 'cancel'}_text_{language}",
    )
    excerpt = (
        original.text
        if len(original.text) <= EXCERPT_CHARS
        else (original.text[: EXCERPT_CHARS - 1].rstrip() + "…")
    )
    return str(wording).format(station=settings.station.name, original=excerpt, text=record.text)


def _compose_notice(
    settings: Settings, language: str, original: Alert, record: Alert
) -> Composition:
    try:
        return compose(_notice_text(settings, language, original, record), settings=settings.smpp)
    except ComposeError as exc:
        raise AlertError(f"the {language} notice cannot be sent: {exc}") from None


def _stop_air(session: Session, original: Alert, *, now: datetime) -> str:
    """Drop the alert's airings not taken yet (its first, or every repeat still to come) in one
    statement; ask the playout worker to cut one on air."""
    mine = (
        PlayoutCommand.kind == CommandKind.PREEMPT.value,
        PlayoutCommand.payload["alert_id"].as_integer() == original.id,
    )
    dropped = session.execute(
        update(PlayoutCommand)
        .where(*mine, PlayoutCommand.taken_at.is_(None))
        .values(taken_at=now, done_at=now, result="withdrawn: the alert was cancelled")
        .execution_options(synchronize_session=False)
    )
    on_air = session.scalars(
        select(PlayoutCommand.id).where(
            *mine, PlayoutCommand.taken_at.is_not(None), PlayoutCommand.done_at.is_(None)
        )
    ).all()
    for _command in on_air:
        session.add(
            PlayoutCommand(
                kind=CommandKind.SKIP.value,
                payload={"alert_id": original.id, "detail": "alert cancelled"},
                created_at=now,
            )
        )
    if on_air:
        return "cut on air"
    if not getattr(dropped, "rowcount", 0):
        return "nothing on air"
    aired = session.scalar(
        select(PlayoutCommand.id).where(*mine, PlayoutCommand.result == "aired").limit(1)
    )
    return "repeats stopped" if aired is not None else "withdrawn before airing"
