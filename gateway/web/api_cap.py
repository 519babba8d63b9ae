"""/api/v1 CAP 1.2: an alert as a CAP message, and a CAP message from another warning system
taken as an alert (see gateway.cap_alerts for the rules)."""

from __future__ import annotations

from flask import Response, request
from flask.typing import ResponseReturnValue

from gateway.alert_models import Alert
from gateway.alert_withdrawal import AlertStateError
from gateway.alerts import AlertError, alert_status
from gateway.cap_alerts import CapDuplicate, CapUnavailable, export, import_message, profile
from gateway.cap_message import MAX_CAP_BYTES, CapError, read, write
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.api_alerts import AlertCreated
from gateway.web.errors import ApiError

CAP_MEDIA_TYPE = "application/xml"


@blueprint.get("/alerts/<int:alert_id>.cap")
@api_requires(ALL_ROLES)
@openapi.operation(
    "An alert as a CAP 1.2 message: msgType Alert, Update (a correction) or Cancel; "
    "a draft has status Draft; a rejected draft has none (409)",
    responses={200: CAP_MEDIA_TYPE},
    errors=(409,),
)
def alert_cap(alert_id: int) -> ResponseReturnValue:
    db = db_session()
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise ApiError(404, f"there is no alert {alert_id}")
    try:
        message = export(db, alert, settings())
    except CapUnavailable as exc:
        raise ApiError(409, str(exc)) from None
    return Response(write(message, profile(settings())), mimetype=CAP_MEDIA_TYPE)


@blueprint.post("/alerts/cap")
@api_requires(STAFF)
@openapi.operation(
    "Take a CAP 1.2 message from another warning system: validated against the OASIS schema, "
    "areas matched to regions by areaDesc; held as a draft unless its sender is trusted "
    "(alerts.cap_trusted_senders); Update and Cancel correct or cancel the alert referenced",
    text_body=CAP_MEDIA_TYPE,
    responses={201: AlertCreated},
    errors=(409,),
)
def import_cap() -> ResponseReturnValue:
    if (request.content_length or 0) > MAX_CAP_BYTES:
        raise ApiError(413, f"a CAP message may be at most {MAX_CAP_BYTES // 1024} KiB")
    data = request.get_data(cache=False)
    db = db_session()
    try:
        imported = import_message(
            db, read(data), settings=settings(), actor=current_actor(), now=utcnow()
        )
    except (CapDuplicate, AlertStateError) as exc:
        db.rollback()
        raise ApiError(409, str(exc)) from None
    except (CapError, AlertError) as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    db.commit()
    alert = imported.alert
    status = alert_status(db, alert, settings=settings(), now=utcnow())["status"]
    return openapi.reply(AlertCreated(id=alert.id, status=status), 201)
