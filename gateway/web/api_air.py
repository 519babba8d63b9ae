"""/api/v1 for the air: what is playing now (playlists and the schedule join it later)."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from gateway.roles import ALL_ROLES
from gateway.web import openapi
from gateway.web.access import db_session
from gateway.web.api import api_requires, blueprint
from playlists import asrun

openapi.schema(
    "NowPlaying",
    {
        "type": "object",
        "properties": {
            "recording_id": {"type": ["integer", "null"]},
            "title": {"type": ["string", "null"]},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "source": {"enum": ["schedule", "fallback", "alert", None]},
        },
    },
)
openapi.operation(
    "/now-playing",
    "get",
    {
        "summary": "What is on air now (all null when nothing is playing)",
        "responses": {"200": openapi.json_response("now playing", "NowPlaying")},
    },
)


@blueprint.get("/now-playing")
@api_requires(ALL_ROLES)
def now_playing() -> ResponseReturnValue:
    entry = asrun.now_playing(db_session())
    if entry is None:
        return jsonify(recording_id=None, title=None, started_at=None, source=None)
    return jsonify(
        recording_id=entry.recording_id,
        title=entry.title,
        started_at=entry.started_at.isoformat(),
        source=entry.reason,
    )
