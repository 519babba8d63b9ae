"""/api/v1 for the air: what is playing now (playlists and the schedule join it later)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from gateway.roles import ALL_ROLES
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, blueprint
from gateway.web.identifiers import Id
from playlists import asrun
from playlists.models import AirReason


class NowPlaying(openapi.ResponseModel):
    """All null when nothing is playing."""

    recording_id: Id | None
    title: str | None
    started_at: openapi.Timestamp | None
    source: AirReason | None


@blueprint.get("/now-playing")
@api_requires(ALL_ROLES)
@openapi.operation(
    "What is on air now (all null when nothing is playing)", responses={200: NowPlaying}
)
def now_playing() -> ResponseReturnValue:
    entry = asrun.now_playing(db_session())
    if entry is None:
        return openapi.reply(
            NowPlaying(recording_id=None, title=None, started_at=None, source=None)
        )
    return openapi.reply(
        NowPlaying(
            recording_id=entry.recording_id,
            title=entry.title,
            started_at=entry.started_at.isoformat(),
            source=AirReason(entry.reason),
        )
    )
