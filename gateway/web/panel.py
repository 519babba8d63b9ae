"""The panel's home: the station at a glance."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from gateway.database import utcnow
from gateway.metrics import stream_heard
from gateway.roles import ALL_ROLES
from gateway.web.access import current_role, database, requires, settings
from gateway.web.labels import TROUBLE, label
from gateway.web.navigation import visible_items
from gateway.worker import live_heartbeats
from playlists import asrun

blueprint = Blueprint("panel", __name__)

SKIPPED_SHOWN_FOR = timedelta(days=1)
"""Items that could not be played stay on the dashboard this long."""

WORKER_KINDS = ("playout", "monitor", "transcribe", "sms")


@blueprint.app_context_processor
def _navigation() -> dict[str, object]:
    return {
        "nav_items": visible_items(current_role()),
        "station_name": settings().station.name,
        "label": label,
    }


@blueprint.get("/")
@requires(ALL_ROLES)
def dashboard() -> ResponseReturnValue:
    beats = live_heartbeats(database(), now=utcnow())
    workers = {kind: [beat for beat in beats if beat.kind == kind] for kind in WORKER_KINDS}
    now = utcnow()
    with database().session(write=False) as session:
        heard = stream_heard(session, now=now)
        skipped = asrun.skipped_since(session, now - SKIPPED_SHOWN_FOR)
        session.expunge_all()
    return render_template(
        "dashboard.html",
        workers=workers,
        heard=heard,
        trouble=TROUBLE,
        skipped=skipped,
    )
