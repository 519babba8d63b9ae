"""Liveness for load balancers and the Prometheus scrape endpoint; neither needs a login."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.metrics import registry_for
from gateway.web.access import database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with database().session(write=False) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok"), 200


@blueprint.get("/metrics")
def metrics() -> Response:
    registry = current_app.extensions.get("altavoz.metrics")
    if registry is None:
        registry = current_app.extensions["altavoz.metrics"] = registry_for(database())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
