"""Liveness for load balancers and the Prometheus scrape endpoint; neither needs a login.

The metrics name alerts, queues and failures: they are read from the addresses in
`metrics.allow_from` (loopback by default) or with any valid API token, by no one else.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.metrics import registry_for
from gateway.web.access import bearer_token, client_address, database, public, settings

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    try:
        with database().session(write=False) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok"), 200


@blueprint.get("/metrics")
@public
def metrics() -> Response:
    if not settings().metrics.allows(client_address()):
        bearer_token()
    registry = current_app.extensions.get("altavoz.metrics")
    if registry is None:
        registry = current_app.extensions["altavoz.metrics"] = registry_for(database())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
