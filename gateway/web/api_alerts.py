"""/api/v1/alerts: send an urgent alert by SMS and on air, and follow its delivery."""

from __future__ import annotations

from typing import Annotated, Literal

from flask.typing import ResponseReturnValue
from pydantic import Field

from gateway.alert_models import Alert
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
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id

RegionName = Annotated[str, Field(max_length=80, pattern=openapi.NOT_BLANK)]


class NewAlert(openapi.RequestModel):
    text: str = Field(max_length=MAX_ALERT_CHARS, pattern=openapi.NOT_BLANK)
    regions: list[RegionName] = Field(
        default=[],
        max_length=1000,
        description="regions whose subscribers get the SMS; '*' for all",
    )
    channels: list[Literal["sms", "air"]] = Field(default=["sms", "air"], min_length=1)
    audio_recording_id: Id | None = Field(
        default=None, description="a recording to air instead of reading the text"
    )


class AlertCreated(openapi.Created):
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


class AirDelivery(openapi.ResponseModel):
    played_at: list[openapi.Timestamp]


class AlertStatus(openapi.ResponseModel):
    id: Id
    status: str = Field(examples=["sending", "completed"])
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


@blueprint.post("/alerts")
@api_requires(STAFF)
@openapi.operation("Send an urgent alert", body=NewAlert, responses={201: AlertCreated})
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
    return openapi.reply(AlertCreated(id=alert.id, warnings=warnings), 201)


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
