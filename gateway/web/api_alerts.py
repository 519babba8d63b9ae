"""/api/v1/alerts: send an urgent alert by SMS and on air, and follow its delivery."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from gateway.alert_models import Alert
from gateway.alerts import AlertError, AlertRequest, alert_status, create_alert
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint, json_object
from gateway.web.errors import ApiError

openapi.schema(
    "NewAlert",
    {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "maxLength": 1000},
            "regions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "regions whose subscribers get the SMS; '*' for all",
            },
            "channels": {
                "type": "array",
                "items": {"enum": ["sms", "air"]},
                "default": ["sms", "air"],
            },
            "audio_recording_id": {
                "type": "integer",
                "description": "a recording to air instead of reading the text",
            },
        },
    },
)
openapi.schema(
    "AlertStatus",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"enum": ["sending", "completed"]},
            "sms": {
                "type": "object",
                "properties": {
                    k: {"type": "integer"}
                    for k in ("recipients", "queued", "submitted", "delivered", "failed")
                },
            },
            "air": {
                "type": "object",
                "properties": {
                    "played_at": {
                        "type": "array",
                        "items": {"type": "string", "format": "date-time"},
                    }
                },
            },
        },
    },
)
openapi.operation(
    "/alerts",
    "post",
    {
        "summary": "Send an urgent alert",
        "requestBody": openapi.json_body("NewAlert"),
        "responses": {
            "201": openapi.json_response(
                "queued", {"type": "object", "properties": {"id": {"type": "integer"}}}
            ),
            **openapi.error_responses(400, 415, 422),
        },
    },
)
openapi.operation(
    "/alerts/{id}",
    "get",
    {
        "summary": "Delivery of an alert: SMS per state, and when it went on air",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": openapi.json_response("the alert", "AlertStatus"),
            **openapi.error_responses(404),
        },
    },
)


@blueprint.post("/alerts")
@api_requires(STAFF)
def send_alert() -> ResponseReturnValue:
    db = db_session()
    try:
        request = AlertRequest.from_json(json_object())
        alert = create_alert(db, request, settings=settings(), actor=current_actor(), now=utcnow())
    except AlertError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    db.commit()
    return jsonify(id=alert.id), 201


@blueprint.get("/alerts/<int:alert_id>")
@api_requires(ALL_ROLES)
def get_alert(alert_id: int) -> ResponseReturnValue:
    db = db_session()
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise ApiError(404, f"there is no alert {alert_id}")
    return jsonify(alert_status(db, alert))
