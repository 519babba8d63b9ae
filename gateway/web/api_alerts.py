"""/api/v1/alerts: send an urgent alert by SMS and on air, follow its delivery, approve or
reject a draft (two-person rule), and cancel or correct one that was sent."""

from __future__ import annotations

from typing import Annotated, Literal

from flask.typing import ResponseReturnValue
from pydantic import Field

from gateway.alert_approval import MAX_REASON_CHARS, ApprovalRefused, Refusal, approve, reject
from gateway.alert_models import Alert
from gateway.alert_repeats import MAX_EVERY_MIN, RepeatAsk
from gateway.alert_versions import MAX_VERSIONS
from gateway.alert_withdrawal import AlertStateError, cancel_alert, correct_alert
from gateway.alerts import (
    MAX_ALERT_CHARS,
    AlertError,
    AlertRequest,
    alert_status,
    create_alert,
    reach_warnings,
    unreached_regions,
)
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, current_role, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.api_subscribers import LANGUAGE_CODE
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from sms.outbox import counts_by_state

RegionName = Annotated[str, Field(max_length=80, pattern=openapi.NOT_BLANK)]


class Version(openapi.RequestModel):
    language: str = Field(
        pattern=LANGUAGE_CODE,
        examples=["mam"],
        description="an ISO 639 code the station serves (station.languages), other than 'es'",
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_ALERT_CHARS,
        description="the SMS to subscribers in this language (and read on air if it has a voice)",
    )
    recording_id: Id | None = Field(default=None, description="aired after the main version")


class VersionShown(openapi.ResponseModel):
    language: str
    text: str | None = None
    recording_id: Id | None = None


class NewAlert(openapi.RequestModel):
    text: str = Field(
        max_length=MAX_ALERT_CHARS,
        pattern=openapi.NOT_BLANK,
        description="the main (Spanish) version, for every subscriber whose language has none",
    )
    regions: list[RegionName] = Field(
        default=[],
        max_length=1000,
        description="regions whose subscribers get the SMS; '*' for all",
    )
    channels: list[Literal["sms", "air"]] = Field(default=["sms", "air"], min_length=1)
    audio_recording_id: Id | None = Field(
        default=None, description="a recording to air instead of reading the text"
    )
    repeat_every_min: int | None = Field(
        default=None,
        ge=0,
        le=MAX_EVERY_MIN,
        description="on air again every so many minutes (0: once; default alerts.repeat_every_min)",
    )
    repeat_until: openapi.Moment | None = Field(
        default=None,
        description="the last repeat airs by then (at most 7 days ahead; "
        "default alerts.repeat_until_min after sending)",
    )
    versions: list[Version] = Field(
        default=[],
        max_length=MAX_VERSIONS,
        description="the alert in other languages: SMS text and/or a recording aired in turn",
    )


class AlertCreated(openapi.Created):
    status: str = Field(
        examples=["sending", "draft"],
        description="'draft' when it awaits a second person's approval (alerts.approvals_required)",
    )
    warnings: list[str] = Field(
        default=[],
        description="what the sender should know, e.g. regions where nobody is subscribed",
        examples=[["no subscribers in 'Sololá': nobody there gets this alert by SMS"]],
    )


class SmsDelivery(openapi.ResponseModel):
    recipients: int = Field(ge=0)
    queued: int = Field(ge=0)
    submitted: int = Field(ge=0)
    delivered: int = Field(ge=0)
    failed: int = Field(ge=0)
    expired: int = Field(
        default=0, ge=0, description="sent, but no delivery receipt came within the receipt timeout"
    )
    withdrawn: int = Field(
        default=0, ge=0, description="never sent: the alert was cancelled or corrected first"
    )


class AirDelivery(openapi.ResponseModel):
    played_at: list[openapi.Timestamp]
    aired: int = Field(default=0, ge=0, description="how many times it went on air")
    repeat_every_min: int | None = Field(default=None, description="None: aired once")
    repeat_until: openapi.Timestamp | None = None
    next_repeat_at: openapi.Timestamp | None = Field(
        default=None, description="the next airing planned; None when no more are"
    )


class AlertStatus(openapi.ResponseModel):
    id: Id
    status: str = Field(
        examples=["sending", "completed"],
        description="draft, rejected, sending, completed, cancelled or corrected",
    )
    kind: Literal["alert", "cancel", "correction"] = "alert"
    references: Id | None = Field(
        default=None, description="the alert this one cancels or corrects"
    )
    followed_by: list[Id] = Field(default=[], description="its cancellations and corrections")
    created_by: str = ""
    decided_by: str | None = Field(default=None, description="who approved or rejected the draft")
    decided_at: openapi.Timestamp | None = None
    reject_reason: str | None = None
    text: str
    regions: list[str]
    channels: list[str]
    created_at: openapi.Timestamp
    sms: SmsDelivery
    sms_blocked: Literal["sms_off", "no_sms_worker"] | None = Field(
        default=None,
        description="why queued SMS cannot go out now: SMPP disabled, or no SMS worker running",
    )
    air: AirDelivery
    versions: list[VersionShown] = []


@blueprint.post("/alerts")
@api_requires(STAFF)
@openapi.operation(
    "Send an urgent alert (a draft awaiting approval when two-person approval is on)",
    body=NewAlert,
    responses={201: AlertCreated},
)
def send_alert(body: NewAlert) -> ResponseReturnValue:
    db = db_session()
    try:
        request = AlertRequest.from_json(body.model_dump())
        alert = create_alert(db, request, settings=settings(), actor=current_actor(), now=utcnow())
    except AlertError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    warnings = reach_warnings(unreached_regions(db, alert))
    db.commit()
    status = alert_status(db, alert, settings=settings(), now=utcnow())["status"]
    return openapi.reply(AlertCreated(id=alert.id, status=status, warnings=warnings), 201)


@blueprint.get("/alerts/<int:alert_id>")
@api_requires(ALL_ROLES)
@openapi.operation(
    "Delivery of an alert: SMS per state, and when it went on air", responses={200: AlertStatus}
)
def get_alert(alert_id: int) -> ResponseReturnValue:
    db = db_session()
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise ApiError(404, f"there is no alert {alert_id}")
    status = alert_status(db, alert, settings=settings(), now=utcnow())
    return openapi.reply(AlertStatus.model_validate(status))


class Rejection(openapi.RequestModel):
    reason: str = Field(max_length=MAX_REASON_CHARS, pattern=openapi.NOT_BLANK)


class Correction(openapi.RequestModel):
    text: str = Field(max_length=MAX_ALERT_CHARS, pattern=openapi.NOT_BLANK)
    repeat_every_min: int | None = Field(
        default=None,
        ge=0,
        le=MAX_EVERY_MIN,
        description="the correction's own repeats; without them it takes over the original's",
    )
    repeat_until: openapi.Moment | None = None


class Withdrawal(openapi.ResponseModel):
    id: Id = Field(description="the cancellation or correction, an alert record of its own")
    status: str = Field(examples=["sending", "draft"])
    references: Id
    withdrawn: int = Field(ge=0, description="SMS of the original withdrawn before any SMSC had it")
    notified: int = Field(ge=0, description="people who may have had it, sent a notice")


def _alert(alert_id: int) -> Alert:
    alert = db_session().get(Alert, alert_id)
    if alert is None:
        raise ApiError(404, f"there is no alert {alert_id}")
    return alert


def _refused(exc: AlertError) -> ApiError:
    db_session().rollback()
    if isinstance(exc, ApprovalRefused):
        return ApiError(409 if exc.refusal is Refusal.NOT_A_DRAFT else 403, str(exc))
    if isinstance(exc, AlertStateError):
        return ApiError(409, str(exc))
    return ApiError(422, str(exc))


def _status_reply(alert: Alert) -> ResponseReturnValue:
    db = db_session()
    db.commit()
    status = alert_status(db, alert, settings=settings(), now=utcnow())
    return openapi.reply(AlertStatus.model_validate(status))


@blueprint.post("/alerts/<int:alert_id>/approve")
@api_requires(STAFF)
@openapi.operation(
    "Approve a draft alert: the second person's yes sends it (never the drafter's own)",
    responses={200: AlertStatus},
    errors=(409, 422),
)
def approve_alert(alert_id: int) -> ResponseReturnValue:
    alert = _alert(alert_id)
    try:
        approve(
            db_session(),
            alert,
            actor=current_actor(),
            role=current_role(),
            settings=settings(),
            now=utcnow(),
        )
    except AlertError as exc:
        raise _refused(exc) from None
    return _status_reply(alert)


@blueprint.post("/alerts/<int:alert_id>/reject")
@api_requires(STAFF)
@openapi.operation(
    "Reject a draft alert, saying why: nothing of it is sent",
    body=Rejection,
    responses={200: AlertStatus},
    errors=(409,),
)
def reject_alert(alert_id: int, body: Rejection) -> ResponseReturnValue:
    alert = _alert(alert_id)
    try:
        reject(
            db_session(),
            alert,
            actor=current_actor(),
            role=current_role(),
            reason=body.reason,
            now=utcnow(),
        )
    except AlertError as exc:
        raise _refused(exc) from None
    return _status_reply(alert)


def _withdrawal(record: Alert) -> ResponseReturnValue:
    db = db_session()
    db.commit()
    original = record.references_id or 0
    return openapi.reply(
        Withdrawal(
            id=record.id,
            status=alert_status(db, record, settings=settings(), now=utcnow())["status"],
            references=original,
            withdrawn=counts_by_state(db, alert_id=original)["withdrawn"],
            notified=record.recipients,
        )
    )


@blueprint.post("/alerts/<int:alert_id>/cancel")
@api_requires(STAFF)
@openapi.operation(
    "Cancel a sent alert: withdraw its SMS not yet sent, notify those who got it, stop its air",
    responses={200: Withdrawal},
    errors=(409,),
)
def cancel(alert_id: int) -> ResponseReturnValue:
    original = _alert(alert_id)
    try:
        record = cancel_alert(
            db_session(), original, settings=settings(), actor=current_actor(), now=utcnow()
        )
    except AlertError as exc:
        raise _refused(exc) from None
    return _withdrawal(record)


@blueprint.post("/alerts/<int:alert_id>/correct")
@api_requires(STAFF)
@openapi.operation(
    "Correct a sent alert: as a cancellation, with the corrected text in the notice and on air",
    body=Correction,
    responses={200: Withdrawal},
    errors=(409,),
)
def correct(alert_id: int, body: Correction) -> ResponseReturnValue:
    original = _alert(alert_id)
    try:
        record = correct_alert(
            db_session(),
            original,
            body.text,
            settings=settings(),
            actor=current_actor(),
            now=utcnow(),
            repeat=RepeatAsk(every_min=body.repeat_every_min, until=body.repeat_until),
        )
    except AlertError as exc:
        raise _refused(exc) from None
    return _withdrawal(record)
