"""The panel's home: the station at a glance, gathered by gateway.station_overview."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.station_overview import gather
from gateway.web.access import current_role, database, requires, settings
from gateway.web.labels import TROUBLE, label
from gateway.web.navigation import visible_items
from sms.phones import mask

blueprint = Blueprint("panel", __name__)

REFRESH_S = 15
"""The dashboard reloads itself this often (a script swaps the content every 10 s instead)."""


@blueprint.app_context_processor
def _navigation() -> dict[str, object]:
    return {
        "nav_items": visible_items(current_role()),
        "station_name": settings().station.name,
        "label": label,
    }


@blueprint.app_template_filter("minutes")
def minutes(seconds: float) -> str:
    """A duration as m:ss, the way a studio clock counts down."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@blueprint.get("/")
@requires(ALL_ROLES)
def dashboard() -> ResponseReturnValue:
    overview = gather(
        database(),
        settings(),
        current_role(),
        now=utcnow(),
        actor_id=getattr(current_user, "id", None),
    )
    return render_template(
        "dashboard.html",
        overview=overview,
        workers=overview.workers,
        heard=overview.heard,
        skipped=overview.skipped,
        trouble=TROUBLE,
        zone=settings().station.zone,
        mask=mask,
        refresh_s=REFRESH_S,
    )
