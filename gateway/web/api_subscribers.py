"""/api/v1/subscribers: villages' numbers, validated into E.164 on the way in."""

from __future__ import annotations

from typing import Literal

from flask.typing import ResponseReturnValue
from pydantic import Field

from gateway import audit
from gateway.database import utcnow
from gateway.roles import STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from sms import subscribers
from sms.phones import PhoneError, mask


class NewSubscriber(openapi.RequestModel):
    phone: str = Field(min_length=1, max_length=64, examples=["+502 5555 1234"])
    region: str = Field(max_length=80, pattern=openapi.NOT_BLANK, examples=["San Marcos"])
    language: Literal["es", "en"] | None = None  # sms.subscribers.LANGUAGES


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
        subscriber = subscribers.subscribe(
            db,
            phone=body.phone,
            region=body.region,
            language=body.language,
            channel=subscribers.ConsentChannel.API,
            default_region=settings().smpp.default_region,
            now=utcnow(),
        )
    except (PhoneError, subscribers.SubscriberError) as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    actor = current_actor()
    audit.record(
        db,
        action="subscriber.add",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=mask(subscriber.phone),
        details={"region": subscriber.region},
    )
    db.commit()
    return openapi.reply(Subscribed(id=subscriber.id, phone=subscriber.phone), 201)
