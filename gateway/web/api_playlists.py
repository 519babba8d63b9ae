"""PUT, PATCH and DELETE /api/v1/playlists/{id}: change a playlist or take it away.

Items play in the order given. A deletion that would leave a coming slot or the fallback
without its playlist is refused with 409 and the reason, and nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

from flask.typing import ResponseReturnValue
from pydantic import Field

from gateway import audit
from gateway.database import utcnow
from gateway.roles import STAFF
from gateway.web import openapi
from gateway.web.access import current_actor, db_session
from gateway.web.api import api_requires, blueprint
from gateway.web.api_schedule import Minutes, PlaylistAnswer, PlaylistContent, playlist_answer
from gateway.web.errors import ApiError
from gateway.web.identifiers import Id
from playlists.models import Playlist, PlaylistMode
from playlists.playlist_edit import (
    PlaylistInUse,
    PlaylistMissing,
    delete_playlist,
    get_playlist,
    replace_playlist,
    rules_of,
)
from playlists.timetable import PlaylistRules, TimetableError


class PlaylistPatch(openapi.RequestModel):
    """Only the fields given change; `items` replaces the whole list, in the order given."""

    name: str | None = Field(default=None, max_length=120, pattern=openapi.NOT_BLANK)
    items: list[Id] | None = Field(
        default=None, max_length=1000, description="recording ids, in playing order"
    )
    mode: PlaylistMode | None = None
    jingle_every_items: int | None = Field(default=None, ge=0, le=100)
    jingle_every_minutes: Minutes | None = None
    no_repeat_minutes: Minutes | None = None


@blueprint.put("/playlists/<int:playlist_id>")
@api_requires(STAFF)
@openapi.operation(
    "Replace a playlist's name, items (in playing order) and rules",
    body=PlaylistContent,
    responses={200: PlaylistAnswer},
)
def put_playlist(playlist_id: int, body: PlaylistContent) -> ResponseReturnValue:
    rules = PlaylistRules(
        mode=body.mode,
        jingle_every_items=body.jingle_every_items,
        jingle_every_minutes=body.jingle_every_minutes,
        no_repeat_minutes=body.no_repeat_minutes,
    )
    return _change(playlist_id, name=body.name, items=body.items, rules=rules)


@blueprint.patch("/playlists/<int:playlist_id>")
@api_requires(STAFF)
@openapi.operation(
    "Change some of a playlist: its name, its items (in playing order) or its rules",
    body=PlaylistPatch,
    responses={200: PlaylistAnswer},
)
def patch_playlist(playlist_id: int, body: PlaylistPatch) -> ResponseReturnValue:
    given = {
        field: value
        for field, value in body.model_dump(exclude={"name", "items"}).items()
        if value is not None
    }
    rules = replace(rules_of(_existing(playlist_id)), **given) if given else None
    return _change(playlist_id, name=body.name, items=body.items, rules=rules)


@blueprint.delete("/playlists/<int:playlist_id>")
@api_requires(STAFF)
@openapi.operation(
    "Delete a playlist no coming slot airs and that is not the fallback",
    responses={204: None},
    errors=(409,),
)
def remove_playlist(playlist_id: int) -> ResponseReturnValue:
    db = db_session()
    try:
        removed = delete_playlist(db, playlist_id, now=utcnow())
    except PlaylistMissing as exc:
        raise ApiError(404, str(exc)) from None
    except PlaylistInUse as exc:
        db.rollback()
        raise ApiError(409, str(exc), slot_ids=exc.slot_ids, fallback=exc.fallback) from None
    audit.record_by(
        db,
        current_actor(),
        action="playlist.delete",
        target=f"playlist {playlist_id}",
        details={
            "name": removed.name,
            "items": removed.items,
            "past_slots": removed.past_slot_ids,
        },
    )
    db.commit()
    return "", 204


def _change(
    playlist_id: int, *, name: str | None, items: list[int] | None, rules: PlaylistRules | None
) -> ResponseReturnValue:
    db = db_session()
    try:
        playlist = replace_playlist(db, playlist_id, name=name, recording_ids=items, rules=rules)
    except PlaylistMissing as exc:
        db.rollback()
        raise ApiError(404, str(exc)) from None
    except TimetableError as exc:
        db.rollback()
        raise ApiError(422, str(exc)) from None
    audit.record_by(
        db,
        current_actor(),
        action="playlist.edit",
        target=f"playlist {playlist_id}",
        details={"items": [item.recording_id for item in playlist.items][:100]},
    )
    db.commit()
    return openapi.reply(playlist_answer(playlist))


def _existing(playlist_id: int) -> Playlist:
    try:
        return get_playlist(db_session(), playlist_id)
    except PlaylistMissing as exc:
        raise ApiError(404, str(exc)) from None
