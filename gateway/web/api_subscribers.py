"""/api/v1/subscribers: villages' numbers, validated into E.164 on the way in."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from pydantic import Field

from gateway.roles import STAFF
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from gateway.web.subscribers import add_subscriber
from sms import subscribers

LANGUAGE_CODE = r"^[A-Za-z]{2,3}$"
"""The shape of a code; which codes are served is the station's (station.languages)."""


class NewSubscriber(openapi.RequestModel):
    phone: str = Field(min_length=1, max_length=64, examples=["+502 5555 1234"])
    region: str = Field(
        max_length=subscribers.REGION_MAX, pattern=openapi.NOT_BLANK, examples=["San Marcos"]
    )
    language: str | None = Field(
        default=None,
        pattern=LANGUAGE_CODE,
        examples=["mam"],
        description="an ISO 639 code the station serves (station.languages); default 'es'",
    )


class Subscribed(openapi.ResponseModel):
    id: Id
    phone: str = Field(description="E.164")


@blueprint.post("/subscribers")
@api_requires(STAFF)
@openapi.operation(
    "Subscribe a phone number to a region's alerts (consent recorded as 'api')",
    body=NewSubscriber,
    responses={201: Subscribed},
    errors=(409,),
)
def create_subscriber(body: NewSubscriber) -> ResponseReturnValue:
    db = db_session()
    try:
        subscriber = add_subscriber(
            phone=body.phone,
            region=body.region,
            language=body.language,
            channel=subscribers.ConsentChannel.API,
        )
    except subscribers.OptedOutError as exc:
        db.rollback()
        raise ApiError(409, str(exc), code="opted_out") from None
    except subscribers.SubscriberError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    db.commit()
    return openapi.reply(Subscribed(id=subscriber.id, phone=subscriber.phone), 201)
