"""Urgent alerts: one text, fanned out as SMS to the regions' subscribers and put on air.

Composition lives here because an alert spans packages: the SMS queue (`sms/`), the playout
worker's preempt command (`playlists/`), and the library (`audio/`). Everything an alert needs
is written in one transaction, so an alert either exists with all its messages queued and its
air command waiting, or does not exist at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from audio.models import Recording
from gateway import audit
from gateway.accounts import Actor
from gateway.alert_models import Alert, AlertChannel, AlertKind, AlertStatus, SmsBlocked
from gateway.alert_repeats import RepeatAsk, RepeatError, RepeatPlan, plan
from gateway.alert_versions import (
    VersionRequest,
    air_versions,
    check_versions,
    parse_versions,
    store_versions,
    texts_by_language,
    version_summaries,
)
from gateway.codes import Refused
from gateway.plain_text import plain_text
from gateway.settings import Settings
from gateway.worker import WorkerHeartbeat
from playlists.models import AsRunEntry, CommandKind, PlayoutCommand
from sms import subscribers
from sms.compose import ComposeError, Composition, compose
from sms.models import OutboundMessage, OutboundSegment, SegmentPriority, SegmentState
from sms.outbox import alert_turn_base, counts_by_state

SMS_OFF = "SMS is off: smpp.enabled is false in the configuration; send the alert on air only"
SMS_WORKER_STALE = timedelta(seconds=30)
"""An SMS worker whose heartbeat is older than this is not sending anything."""

MAX_ALERT_CHARS = 1000
MAX_ALERT_REGIONS = 100
"""More regions than a network names in one alert; '*' reaches every region."""


class AlertProblem(StrEnum):
    """Why an alert was refused: the panel words it (gateway/web/labels.py), `str(error)`
    stays the English of the API and the command line."""

    TEXT = "alert.text"
    REGIONS = "alert.regions"
    TOO_MANY_REGIONS = "alert.too_many_regions"
    CHANNELS = "alert.channels"
    AUDIO = "alert.audio"
    SMS_OFF = "alert.sms_off"
    NO_REGION = "alert.no_region"
    NO_RECORDING = "alert.no_recording"
    SMS_TEXT = "alert.sms_text"
    TOO_LONG_FOR_SMS = "alert.too_long_for_sms"
    REASON = "alert.reason"
    NOT_A_DRAFT = "alert.not_a_draft"
    ROLE = "alert.role"
    NO_ACCOUNT = "alert.no_account"
    OWN_DRAFT = "alert.own_draft"


class AlertError(Refused):
    """An alert that cannot be sent as asked; nothing was queued. `problem` and `params` let
    the panel say why in the operator's language.
    Text refused by plain_text gets a TextProblem instead of None."""


def sms_refusal(exc: ComposeError) -> AlertError:
    """The alert error for a text SMS cannot carry, keeping the segment count when too long."""
    if exc.segments:
        return AlertError(
            str(exc), AlertProblem.TOO_LONG_FOR_SMS, segments=exc.segments, limit=exc.limit
        )
    return AlertError(str(exc), AlertProblem.SMS_TEXT)


@dataclass(frozen=True)
class AlertRequest:
    text: str
    regions: list[str]
    channels: list[AlertChannel]
    audio_recording_id: int | None = None
    repeat: RepeatAsk = field(default_factory=RepeatAsk)
    versions: list[VersionRequest] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> AlertRequest:
        text = body.get("text")
        if not isinstance(text, str):
            raise AlertError("'text' must be a non-empty string", AlertProblem.TEXT)
        text = plain_text(
            text, what="'text'", max_chars=MAX_ALERT_CHARS, multiline=True, error=AlertError
        )
        regions = body.get("regions", [])
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise AlertError("'regions' must be a list of strings", AlertProblem.REGIONS)
        if len(regions) > MAX_ALERT_REGIONS:
            raise AlertError(
                f"an alert goes to at most {MAX_ALERT_REGIONS} regions ('*' for every region)",
                AlertProblem.TOO_MANY_REGIONS,
                limit=MAX_ALERT_REGIONS,
            )
        regions = [
            subscribers.clean_region(region, error=AlertError)
            for region in regions
            if region.strip()
        ]
        channels = body.get("channels", ["sms", "air"])
        if not isinstance(channels, list) or not channels:
            raise AlertError(
                "'channels' must be a non-empty list of 'sms' and/or 'air'", AlertProblem.CHANNELS
            )
        try:
            parsed = [AlertChannel(str(channel)) for channel in channels]
        except ValueError:
            raise AlertError(
                "'channels' may only contain 'sms' and 'air'", AlertProblem.CHANNELS
            ) from None
        recording = body.get("audio_recording_id")
        if recording is not None and (
            not isinstance(recording, int) or isinstance(recording, bool)
        ):
            raise AlertError("'audio_recording_id' must be an integer", AlertProblem.AUDIO)
        try:
            repeat = RepeatAsk.from_json(body)
        except RepeatError as exc:
            raise AlertError(str(exc)) from None
        return cls(
            text=text,
            regions=list(dict.fromkeys(regions)),
            channels=sorted(set(parsed)),
            audio_recording_id=recording,
            repeat=repeat,
            versions=parse_versions(
                body.get("versions"), max_chars=MAX_ALERT_CHARS, error=AlertError
            ),
        )


def create_alert(
    session: Session,
    request: AlertRequest,
    *,
    settings: Settings,
    actor: Actor,
    now: datetime,
    smart: bool | None = None,
    draft: bool | None = None,
) -> Alert:
    """Validate, then queue every SMS and the air command; raises AlertError on bad input.

    SMS is refused while SMPP is off: messages queued then would wait for a link nobody will
    open, and an alert reported as sent must have been able to go. `draft` holds it for
    approval (True) or sends it at once (False) whatever `alerts.approvals_required` says:
    a CAP import decides by its sender."""
    if AlertChannel.SMS in request.channels and not settings.smpp.enabled:
        raise AlertError(SMS_OFF, AlertProblem.SMS_OFF)
    if AlertChannel.SMS in request.channels and not request.regions:
        raise AlertError(
            "an SMS alert needs at least one region ('*' for every region)", AlertProblem.NO_REGION
        )
    if request.audio_recording_id is not None and (
        session.get(Recording, request.audio_recording_id) is None
    ):
        raise AlertError(
            f"there is no recording {request.audio_recording_id}",
            AlertProblem.NO_RECORDING,
            id=request.audio_recording_id,
        )
    segments = None
    if AlertChannel.SMS in request.channels:
        try:
            segments = compose(request.text, settings=settings.smpp, smart=smart)
        except ComposeError as exc:
            raise sms_refusal(exc) from None
    repeats = repeat_plan(request, settings=settings, now=now)
    check_versions(session, request.versions, settings=settings, smart=smart, error=AlertError)

    if draft is None:
        draft = settings.alerts.approvals_required > 0
    alert = Alert(
        text=request.text,
        regions=request.regions,
        channels=[c.value for c in request.channels],
        audio_recording_id=request.audio_recording_id,
        created_at=now,
        created_by=actor.name,
        created_by_id=actor.id,
        smart=smart,
        status=AlertStatus.DRAFT if draft else AlertStatus.SENT,
        kind=AlertKind.ALERT,
        repeat_every_min=int(repeats.every.total_seconds() // 60) if repeats else None,
        repeat_until=repeats.until if repeats else None,
    )
    session.add(alert)
    session.flush()
    store_versions(session, alert, request.versions)
    if draft:
        audit.record_by(
            session,
            actor,
            action="alert.draft",
            target=f"alert {alert.id}",
            details={"regions": request.regions, "channels": alert.channels},
        )
        return alert
    dispatch(session, alert, settings=settings, now=now, segments=segments)
    audit.record_by(
        session,
        actor,
        action="alert.send",
        target=f"alert {alert.id}",
        details={
            "regions": request.regions,
            "channels": alert.channels,
            "recipients": alert.recipients,
        },
    )
    return alert


def repeat_plan(request: AlertRequest, *, settings: Settings, now: datetime) -> RepeatPlan | None:
    """The on-air repeats asked for (or configured by `alerts.repeat_every_min`), validated
    before anything is written."""
    if AlertChannel.AIR not in request.channels:
        if request.repeat.every_min or request.repeat.until:
            raise AlertError("repeats are on air: add the 'air' channel")
        return None
    try:
        return plan(
            request.repeat,
            default_every_min=settings.alerts.repeat_every_min,
            default_for_min=settings.alerts.repeat_until_min,
            now=now,
        )
    except RepeatError as exc:
        raise AlertError(str(exc)) from None


def dispatch(
    session: Session,
    alert: Alert,
    *,
    settings: Settings,
    now: datetime,
    segments: Composition | None = None,
) -> None:
    """Queue the alert's SMS to the regions' subscribers as they are now, and its air command.

    Called when the alert is made (one-person station) or when its draft is approved."""
    if AlertChannel.SMS.value in alert.channels:
        if segments is None:
            try:
                segments = compose(alert.text, settings=settings.smpp, smart=alert.smart)
            except ComposeError as exc:
                raise sms_refusal(exc) from None
        people = subscribers.recipients(session, alert.regions)
        texts = texts_by_language(session, alert)
        by_text: dict[str, list[str]] = {}
        for person in people:
            by_text.setdefault(person.language if person.language in texts else "", []).append(
                person.phone
            )
        for language, phones in by_text.items():
            composed = segments
            if language:
                composed = compose(texts[language], settings=settings.smpp, smart=alert.smart)
            queue_bulk(session, alert, phones, composed, now)
        alert.recipients = len(people)
    if AlertChannel.AIR.value in alert.channels:
        session.add_all(air_commands(alert, settings=settings, now=now, session=session))


def air_commands(
    alert: Alert, *, settings: Settings, now: datetime, session: Session | None = None
) -> list[PlayoutCommand]:
    """The playout worker's orders to interrupt the stream with this alert (and, given the
    session, its versions in other languages after it): now, then at each repeat (an end
    already past when a draft is approved late leaves the one airing)."""
    times = [now]
    if alert.repeat_every_min and alert.repeat_until is not None and alert.repeat_until > now:
        every = timedelta(minutes=alert.repeat_every_min)
        times = RepeatPlan(every=every, until=alert.repeat_until).airings(now)
    versions = air_versions(session, alert) if session is not None else []
    return [
        PlayoutCommand(
            kind=CommandKind.PREEMPT.value,
            payload={
                "alert_id": alert.id,
                "recording_id": alert.audio_recording_id,
                "text": alert.text,
                "voice": settings.alerts.tts_voice,
                "repeats": settings.alerts.repeats,
                "versions": versions,
                "airing": number,
            },
            created_at=now,
            due_at=at,
        )
        for number, at in enumerate(times, start=1)
    ]


def queue_bulk(
    session: Session,
    alert: Alert,
    phones: list[str],
    composed: Composition,
    now: datetime,
) -> None:
    """Insert thousands of messages and segments with a few statements, not one per row; an
    alert's fan-out, or the notices of its cancellation, in claim order ALERT, taking turns
    with any alert still sending (`sms.outbox.alert_turn_base`)."""
    if not phones:
        return
    base = alert_turn_base(session)
    message_ids = session.scalars(
        insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True),
        [
            {
                "destination": phone,
                "text": composed.text,
                "encoding": composed.encoding,
                "segment_count": len(composed.segments),
                "alert_id": alert.id,
                "created_at": now,
            }
            for phone in phones
        ],
    ).all()
    session.execute(
        insert(OutboundSegment),
        [
            {
                "message_id": message_id,
                "seq": seq,
                "destination": phone,
                "short_message": segment.short_message,
                "data_coding": segment.data_coding,
                "esm_class": segment.esm_class,
                "state": SegmentState.QUEUED.value,
                "priority": SegmentPriority.ALERT.value,
                "turn": base + number,
                "next_attempt_at": now,
                "queued_at": now,
            }
            for number, (message_id, phone) in enumerate(zip(message_ids, phones, strict=True))
            for seq, segment in enumerate(composed.segments, start=1)
        ],
    )


def unreached_regions(session: Session, alert: Alert) -> list[str]:
    """Regions of an SMS alert where nobody is subscribed: the alert is accepted (the operator
    may know better, or subscribers may come), but someone must be told that nobody there
    gets it, or a 201 with 0 recipients passes for a sent alert."""
    if AlertChannel.SMS.value not in alert.channels:
        return []
    return subscribers.regions_without_subscribers(session, alert.regions)


def reach_warnings(unreached: list[str]) -> list[str]:
    """The API's and the command line's words for `unreached_regions` (the panel has its own,
    translated)."""
    if not unreached:
        return []
    return [
        f"no subscribers in {', '.join(repr(region) for region in unreached)}: "
        "nobody there gets this alert by SMS"
    ]


def sms_blocked(session: Session, settings: Settings, *, now: datetime) -> str | None:
    """Why queued SMS cannot go out now ('sms_off', 'no_sms_worker'), or None when they can:
    shown on an alert so 'sending' is not said of messages that nothing will send."""
    if not settings.smpp.enabled:
        return SmsBlocked.SMS_OFF
    live = session.scalar(
        select(func.count(WorkerHeartbeat.id)).where(
            WorkerHeartbeat.kind == "sms",
            WorkerHeartbeat.state != "stopped",
            WorkerHeartbeat.beat_at >= now - SMS_WORKER_STALE,
        )
    )
    return None if live else SmsBlocked.NO_SMS_WORKER


def alert_status(
    session: Session, alert: Alert, *, settings: Settings, now: datetime
) -> dict[str, Any]:
    sms = {"recipients": alert.recipients, **counts_by_state(session, alert_id=alert.id)}
    played = session.scalars(
        select(AsRunEntry.started_at)
        .where(AsRunEntry.alert_id == alert.id)
        .order_by(AsRunEntry.started_at)
    ).all()
    air = air_plan(session, alert, now=now)
    air_pending = air["pending"]
    sms_pending = sms["queued"] + sms["submitted"] > 0
    if alert.status == AlertStatus.SENT:
        status = AlertStatus.SENDING if (sms_pending or air_pending) else AlertStatus.COMPLETED
    else:
        status = AlertStatus(alert.status)
    blocked = sms_blocked(session, settings, now=now) if sms["queued"] > 0 else None
    followed_by = session.scalars(
        select(Alert.id).where(Alert.references_id == alert.id).order_by(Alert.id)
    ).all()
    return {
        "id": alert.id,
        "status": status,
        "kind": alert.kind,
        "references": alert.references_id,
        "followed_by": list(followed_by),
        "text": alert.text,
        "regions": alert.regions,
        "channels": alert.channels,
        "created_at": alert.created_at.isoformat(),
        "created_by": alert.created_by,
        "decided_by": alert.decided_by or None,
        "decided_at": alert.decided_at.isoformat() if alert.decided_at else None,
        "reject_reason": alert.reject_reason or None,
        "sms": sms,
        "sms_blocked": blocked,
        "air": {
            "played_at": [moment.isoformat() for moment in played],
            "aired": len(played),
            "repeat_every_min": alert.repeat_every_min or None,
            "repeat_until": alert.repeat_until.isoformat() if alert.repeat_until else None,
            "next_repeat_at": air["next"].isoformat() if air["next"] else None,
        },
        "versions": version_summaries(session, alert),
    }


def air_plan(session: Session, alert: Alert, *, now: datetime) -> dict[str, Any]:
    """Whether an airing of the alert is still to come or on air (`pending`), and when the
    next repeat is due (`next`, None when none is planned)."""
    if AlertChannel.AIR.value not in alert.channels:
        return {"pending": False, "next": None}
    mine = (
        PlayoutCommand.kind == CommandKind.PREEMPT.value,
        PlayoutCommand.payload["alert_id"].as_integer() == alert.id,
        PlayoutCommand.done_at.is_(None),
    )
    pending = session.scalar(select(PlayoutCommand.id).where(*mine).limit(1)) is not None
    upcoming = session.scalar(
        select(func.min(PlayoutCommand.due_at)).where(*mine, PlayoutCommand.due_at > now)
    )
    return {"pending": pending, "next": upcoming}
