"""On air: what is playing, who is listening, and the as-run log (with its CSV export)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.web.access import db_session, requires, settings
from gateway.web.day_query import day_argument
from playlists import asrun
from playlists.icecast import IcecastError, fetch_mount_status
from playlists.models import Playlist
from playlists.on_air import on_air_now
from playlists.planner import coming_up

blueprint = Blueprint("onair", __name__, url_prefix="/on-air")


def _day_bounds() -> tuple[datetime, datetime, str]:
    """The local day asked for in `?day=` (today by default), as [start, end) instants."""
    zone = settings().station.zone
    day = day_argument("day") or utcnow().astimezone(zone).date()
    start = datetime.combine(day, time(0), zone)
    return start, start + timedelta(days=1), day.isoformat()


@blueprint.get("/")
@requires(ALL_ROLES)
def index() -> ResponseReturnValue:
    db = db_session()
    now = utcnow()
    current = on_air_now(db, now)
    stream = settings().stream
    try:
        listeners: int | None = fetch_mount_status(stream.icecast_url, stream.mount).listeners
    except IcecastError:
        listeners = None
    since, until, day = _day_bounds()
    rows = asrun.entries(db, since=since, until=until)
    fallback = db.scalar(select(Playlist.name).where(Playlist.is_fallback).limit(1))
    return render_template(
        "onair/index.html",
        coming=coming_up(db, now),
        current=current,
        listeners=listeners,
        rows=rows,
        day=day,
        fallback=fallback,
    )


@blueprint.get("/as-run.csv")
@requires(ALL_ROLES)
def as_run_csv() -> ResponseReturnValue:
    since, until, day = _day_bounds()
    rows = asrun.entries(db_session(), since=since, until=until, limit=100_000)
    body = asrun.to_csv(rows, zone=settings().station.zone)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=as-run-{day}.csv"},
    )
