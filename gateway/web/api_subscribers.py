"""/api/v1/subscribers: villages' numbers, validated into E.164 on the way in."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from gateway.roles import STAFF
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, blueprint, json_object
from gateway.web.errors import ApiError
from gateway.web.subscribers import add_subscriber
from sms import subscribers

openapi.schema(
    "NewSubscriber",
    {
        "type": "object",
        "required": ["phone", "region"],
        "properties": {
            "phone": {"type": "string", "example": "+502 5555 1234"},
            "region": {"type": "string", "example": "San Marcos"},
            "language": {"type": "string", "enum": list(subscribers.LANGUAGES)},
        },
    },
)
openapi.operation(
    "/subscribers",
    "post",
    {
        "summary": "Subscribe a phone number to a region's alerts (consent recorded as 'api')",
        "requestBody": openapi.json_body("NewSubscriber"),
        "responses": {
            "201": openapi.json_response(
                "subscribed",
                {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "phone": {"type": "string"}},
                },
            ),
            **openapi.error_responses(400, 409, 415, 422),
        },
    },
)


@blueprint.post("/subscribers")
@api_requires(STAFF)
def create_subscriber() -> ResponseReturnValue:
    body = json_object()
    phone, region, language = body.get("phone"), body.get("region"), body.get("language")
    if not isinstance(phone, str) or not isinstance(region, str):
        raise ApiError(422, "'phone' and 'region' are required strings")
    if language is not None and not isinstance(language, str):
        raise ApiError(422, "'language' must be a string")
    db = db_session()
    try:
        subscriber = add_subscriber(
            phone=phone, region=region, language=language, channel=subscribers.ConsentChannel.API
        )
    except subscribers.OptedOutError as exc:
        db.rollback()
        raise ApiError(409, str(exc), code="opted_out") from None
    except subscribers.SubscriberError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    db.commit()
    return jsonify(id=subscriber.id, phone=subscriber.phone), 201
