"""/api/v1/playlists and /api/v1/schedule: build playlists, put them on the weekly grid."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from flask import Response
from flask.typing import ResponseReturnValue
from pydantic import Field, model_validator
from sqlalchemy import select

from audio.models import Recording
from gateway import audit
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session, settings
from gateway.web.api import api_requires, blueprint
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from playlists.ical_feed import schedule_calendar
from playlists.models import Playlist, PlaylistMode, ScheduleSlot
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
Minutes = Annotated[int, Field(ge=0, le=1440)]


class PlaylistContent(openapi.RequestModel):
    """A playlist's name, items and rules: the body of POST, and of PUT, which replaces all."""

    name: str = Field(max_length=120, pattern=openapi.NOT_BLANK)
    items: list[Id] = Field(
        max_length=1000, description="recording ids, in playing order; repeats allowed"
    )
    mode: PlaylistMode = PlaylistMode.ORDERED
    jingle_every_items: int = Field(default=0, ge=0, le=100)
    jingle_every_minutes: Minutes = 0
    no_repeat_minutes: Minutes = 0


class NewPlaylist(PlaylistContent):
    fallback: bool = False


class PlaylistAnswer(openapi.ResponseModel):
    id: Id
    name: str
    mode: PlaylistMode
    items: list[Id]
    fallback: bool


class NewSlot(openapi.RequestModel):
    """A slot plays either a playlist or a recording, once or by an RRULE."""

    playlist_id: Id | None = None
    recording_id: Id | None = None
    start: openapi.Moment
    end: openapi.Moment | None = None
    rrule: str = Field(default="", max_length=500, examples=["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"])
    title: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_content_and_order(self) -> NewSlot:
        if (self.playlist_id is None) == (self.recording_id is None):
            raise ValueError("give either playlist_id or recording_id")
        if self.end is not None and self.end <= self.start:
            raise ValueError("'end' must come after 'start'")
        return self


class Window(openapi.QueryModel):
    """Default: the coming week from now."""

    start: openapi.Moment | None = Field(default=None, alias="from")
    end: openapi.Moment | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> Window:
        start = self.start or utcnow()
        end = self.end or start + timedelta(days=7)
        if end <= start or end - start > MAX_WINDOW:
            raise ValueError("'to' must come after 'from', at most 62 days later")
        self.start, self.end = start, end
        return self


class Occurrence(openapi.ResponseModel):
    slot_id: Id
    title: str
    start: openapi.Timestamp
    end: openapi.Timestamp
    playlist_id: Id | None
    recording_id: Id | None
    recurring: bool


class Slots(openapi.ResponseModel):
    slots: list[Occurrence]


@blueprint.post("/playlists")
@api_requires(STAFF)
@openapi.operation(
    "Create a playlist from library recordings",
    body=NewPlaylist,
    responses={201: openapi.Created},
)
def new_playlist(body: NewPlaylist) -> ResponseReturnValue:
    rules = PlaylistRules(
        mode=body.mode,
        jingle_every_items=body.jingle_every_items,
        jingle_every_minutes=body.jingle_every_minutes,
        no_repeat_minutes=body.no_repeat_minutes,
    )
    db = db_session()
    try:
        playlist = create_playlist(
            db, name=body.name, recording_ids=body.items, rules=rules, fallback=body.fallback
        )
    except TimetableError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    _audit("playlist.create", f"playlist {playlist.id}")
    db.commit()
    return openapi.reply(openapi.Created(id=playlist.id), 201)


@blueprint.get("/playlists/<int:playlist_id>")
@api_requires(ALL_ROLES)
@openapi.operation("A playlist and its recordings in order", responses={200: PlaylistAnswer})
def get_playlist(playlist_id: int) -> ResponseReturnValue:
    return openapi.reply(playlist_answer(_playlist(playlist_id)))


def playlist_answer(playlist: Playlist) -> PlaylistAnswer:
    return PlaylistAnswer(
        id=playlist.id,
        name=playlist.name,
        mode=PlaylistMode(playlist.mode),
        items=[item.recording_id for item in playlist.items],
        fallback=playlist.is_fallback,
    )


@blueprint.get("/playlists/<int:playlist_id>.m3u")
@api_requires(ALL_ROLES)
@openapi.operation("A playlist as M3U", responses={200: "audio/x-mpegurl"})
def playlist_m3u(playlist_id: int) -> ResponseReturnValue:
    return Response(to_m3u(_entries(_playlist(playlist_id))), mimetype="audio/x-mpegurl")


@blueprint.get("/playlists/<int:playlist_id>.xspf")
@api_requires(ALL_ROLES)
@openapi.operation("A playlist as XSPF", responses={200: "application/xspf+xml"})
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
@openapi.operation(
    "Put a playlist or a recording on the schedule, once or with an RRULE",
    body=NewSlot,
    responses={201: openapi.Created},
    errors=(409,),
)
def new_slot(body: NewSlot) -> ResponseReturnValue:
    db = db_session()
    try:
        slot = create_slot(
            db,
            start=body.start,
            end=body.end,
            timezone=settings().station.timezone,
            playlist_id=body.playlist_id,
            recording_id=body.recording_id,
            rrule=body.rrule,
            title=body.title,
            created_by=current_actor().id,
            now=utcnow(),
        )
    except SlotClash as exc:
        db.rollback()
        clash = exc.conflict
        raise ApiError(
            409,
            str(exc),
            conflict={
                "slot_id": clash.slot_id,
                "title": exc.title,
                "start": exc.start.isoformat(),
                "end": exc.end.isoformat(),
            },
        ) from None
    except TimetableError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    _audit("schedule.add", f"slot {slot.id}")
    db.commit()
    return openapi.reply(openapi.Created(id=slot.id), 201)


@blueprint.get("/schedule")
@api_requires(ALL_ROLES)
@openapi.operation(
    "The expanded slots between two times (default: the coming week)",
    query=Window,
    responses={200: Slots},
)
def list_schedule(query: Window) -> ResponseReturnValue:
    assert query.start is not None and query.end is not None
    return openapi.reply(
        Slots.model_validate({"slots": expanded(db_session(), query.start, query.end)})
    )


@blueprint.delete("/schedule/<int:slot_id>")
@api_requires(STAFF)
@openapi.operation("Take a slot off the schedule", responses={204: None})
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
@openapi.operation("The schedule as iCalendar", responses={200: "text/calendar"})
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
