"""/api/v1/playlists and /api/v1/schedule: build playlists, put them on the weekly grid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from audio.models import Recording
from gateway import audit
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint, json_object
from gateway.web.errors import ApiError
from playlists.ical_feed import schedule_calendar
from playlists.models import Playlist, ScheduleSlot
from playlists.playlist_files import Entry, to_m3u, to_xspf
from playlists.timetable import (
    PlaylistRules,
    SlotClash,
    TimetableError,
    create_playlist,
    create_slot,
    expanded,
)

MAX_WINDOW = timedelta(days=62)

openapi.schema(
    "NewPlaylist",
    {
        "type": "object",
        "required": ["name", "items"],
        "properties": {
            "name": {"type": "string"},
            "items": {"type": "array", "items": {"type": "integer"}},
            "mode": {"enum": ["ordered", "shuffle"], "default": "ordered"},
            "jingle_every_items": {"type": "integer", "minimum": 0},
            "jingle_every_minutes": {"type": "number", "minimum": 0},
            "no_repeat_minutes": {"type": "number", "minimum": 0},
            "fallback": {"type": "boolean"},
        },
    },
)
openapi.schema(
    "NewSlot",
    {
        "type": "object",
        "required": ["start"],
        "properties": {
            "playlist_id": {"type": "integer"},
            "recording_id": {"type": "integer"},
            "start": {
                "type": "string",
                "format": "date-time",
                "example": "2026-11-30T07:00:00-06:00",
            },
            "end": {"type": "string", "format": "date-time"},
            "rrule": {"type": "string", "example": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
            "title": {"type": "string"},
        },
    },
)
_ID = {"type": "object", "properties": {"id": {"type": "integer"}}}
openapi.operation(
    "/playlists",
    "post",
    {
        "summary": "Create a playlist from library recordings",
        "requestBody": openapi.json_body("NewPlaylist"),
        "responses": {
            "201": openapi.json_response("created", _ID),
            **openapi.error_responses(400, 415, 422),
        },
    },
)
openapi.operation(
    "/schedule",
    "post",
    {
        "summary": "Put a playlist or a recording on the schedule, once or with an RRULE",
        "requestBody": openapi.json_body("NewSlot"),
        "responses": {
            "201": openapi.json_response("scheduled", _ID),
            **openapi.error_responses(400, 409, 415, 422),
        },
    },
)
openapi.operation(
    "/schedule",
    "get",
    {
        "summary": "The expanded slots between two times (default: the coming week)",
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string", "format": "date-time"}}
            for name in ("from", "to")
        ],
        "responses": {
            "200": openapi.json_response("slots", {"type": "object"}),
            **openapi.error_responses(422),
        },
    },
)


def _integer(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(422, f"'{key}' must be an integer")
    return value


def _moment(text: object, key: str) -> datetime:
    if not isinstance(text, str):
        raise ApiError(422, f"'{key}' must be an ISO 8601 time with a UTC offset")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, f"'{key}' is not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ApiError(422, f"'{key}' needs a UTC offset, e.g. {text}-06:00")
    return moment


@blueprint.post("/playlists")
@api_requires(STAFF)
def new_playlist() -> ResponseReturnValue:
    body = json_object()
    items = body.get("items")
    if not isinstance(items, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in items
    ):
        raise ApiError(422, "'items' must be a list of recording ids")
    name = body.get("name")
    if not isinstance(name, str):
        raise ApiError(422, "'name' must be a string")
    rules = PlaylistRules(
        mode=str(body.get("mode", "ordered")),
        jingle_every_items=_integer(body, "jingle_every_items") or 0,
        jingle_every_minutes=float(body.get("jingle_every_minutes") or 0),
        no_repeat_minutes=float(body.get("no_repeat_minutes") or 0),
    )
    db = db_session()
    try:
        playlist = create_playlist(
            db, name=name, recording_ids=items, rules=rules, fallback=body.get("fallback") is True
        )
    except (TimetableError, TypeError, ValueError) as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    _audit("playlist.create", f"playlist {playlist.id}")
    db.commit()
    return jsonify(id=playlist.id), 201


@blueprint.get("/playlists/<int:playlist_id>")
@api_requires(ALL_ROLES)
def get_playlist(playlist_id: int) -> ResponseReturnValue:
    playlist = _playlist(playlist_id)
    return jsonify(
        id=playlist.id,
        name=playlist.name,
        mode=playlist.mode,
        items=[item.recording_id for item in playlist.items],
        fallback=playlist.is_fallback,
    )


@blueprint.get("/playlists/<int:playlist_id>.m3u")
@api_requires(ALL_ROLES)
def playlist_m3u(playlist_id: int) -> ResponseReturnValue:
    return Response(to_m3u(_entries(_playlist(playlist_id))), mimetype="audio/x-mpegurl")


@blueprint.get("/playlists/<int:playlist_id>.xspf")
@api_requires(ALL_ROLES)
def playlist_xspf(playlist_id: int) -> ResponseReturnValue:
    playlist = _playlist(playlist_id)
    return Response(to_xspf(playlist.name, _entries(playlist)), mimetype="application/xspf+xml")


def _playlist(playlist_id: int) -> Playlist:
    playlist = db_session().get(Playlist, playlist_id)
    if playlist is None:
        raise ApiError(404, f"there is no playlist {playlist_id}")
    return playlist


def _entries(playlist: Playlist) -> list[Entry]:
    ids = [item.recording_id for item in playlist.items]
    recordings = {
        r.id: r for r in db_session().scalars(select(Recording).where(Recording.id.in_(ids)))
    }
    return [
        Entry(
            title=recordings[i].title,
            location=recordings[i].media_path,
            duration_s=recordings[i].duration_s,
        )
        for i in ids
        if i in recordings
    ]


@blueprint.post("/schedule")
@api_requires(STAFF)
def new_slot() -> ResponseReturnValue:
    body = json_object()
    start = _moment(body.get("start"), "start")
    end = _moment(body["end"], "end") if body.get("end") is not None else None
    rrule = body.get("rrule") or ""
    title = body.get("title") or ""
    if not isinstance(rrule, str) or not isinstance(title, str):
        raise ApiError(422, "'rrule' and 'title' must be strings")
    db = db_session()
    try:
        slot = create_slot(
            db,
            start=start,
            end=end,
            timezone=settings().station.timezone,
            playlist_id=_integer(body, "playlist_id"),
            recording_id=_integer(body, "recording_id"),
            rrule=rrule,
            title=title,
            created_by=current_actor().id,
        )
    except SlotClash as exc:
        db.rollback()
        clash = exc.conflict
        raise ApiError(
            409,
            str(exc),
            conflict={
                "slot_id": clash.slot_id,
                "start": clash.start.isoformat(),
                "end": clash.end.isoformat(),
            },
        ) from None
    except TimetableError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    _audit("schedule.add", f"slot {slot.id}")
    db.commit()
    return jsonify(id=slot.id), 201


@blueprint.get("/schedule")
@api_requires(ALL_ROLES)
def list_schedule() -> ResponseReturnValue:
    now = utcnow()
    start = _moment(request.args["from"], "from") if "from" in request.args else now
    end = _moment(request.args["to"], "to") if "to" in request.args else start + timedelta(days=7)
    if end <= start or end - start > MAX_WINDOW:
        raise ApiError(422, "'to' must come after 'from', at most 62 days later")
    return jsonify(slots=expanded(db_session(), start, end))


@blueprint.delete("/schedule/<int:slot_id>")
@api_requires(STAFF)
def delete_slot(slot_id: int) -> ResponseReturnValue:
    db = db_session()
    slot = db.get(ScheduleSlot, slot_id)
    if slot is None:
        raise ApiError(404, f"there is no slot {slot_id}")
    db.delete(slot)
    _audit("schedule.delete", f"slot {slot_id}")
    db.commit()
    return "", 204


@blueprint.get("/schedule.ics")
@api_requires(ALL_ROLES)
def schedule_ics() -> ResponseReturnValue:
    slots = db_session().scalars(select(ScheduleSlot).order_by(ScheduleSlot.start))
    body = schedule_calendar(slots, station=settings().station.name, now=utcnow())
    return Response(body, mimetype="text/calendar")


def _audit(action: str, target: str) -> None:
    actor = current_actor()
    audit.record(
        db_session(),
        action=action,
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        target=target,
    )
