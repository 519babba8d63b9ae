"""One playlist's page: its items in playing order, moved up and down, removed, added from the
library at the end, renamed, deleted. Plain forms, so it all works without JavaScript.

Each item button names the position and the recording it expects there: if another operator
changed the list in between, the click is refused instead of moving the wrong item.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from audio.models import Recording
from gateway import audit
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web.access import current_actor, current_role, db_session, requires
from gateway.web.labels import problem_text
from playlists.models import Playlist, ScheduleSlot
from playlists.planner import slot_rule
from playlists.playlist_edit import (
    PlaylistInUse,
    PlaylistMissing,
    delete_playlist,
    get_playlist,
    moved,
    replace_playlist,
    rules_of,
)
from playlists.slots import CONFLICT_HORIZON, occurrences
from playlists.timetable import TimetableError

blueprint = Blueprint("playlist_pages", __name__, url_prefix="/schedule/playlists")

STEPS = {"up": -1, "down": +1}


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    mode = SelectField(
        _l("Order"), choices=lambda: [("ordered", _("ordered")), ("shuffle", _("shuffle"))]
    )


class ItemsForm(FlaskForm):
    """Only the CSRF token: the buttons carry action, position and recording."""


class DeletePlaylistForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete this playlist"), validators=[DataRequired(_l("Tick the box to confirm."))]
    )


def _playlist(playlist_id: int) -> Playlist:
    try:
        return get_playlist(db_session(), playlist_id)
    except PlaylistMissing:
        raise NotFound() from None


def _page(
    playlist: Playlist,
    *,
    rename: RenameForm | None = None,
    delete_form: DeletePlaylistForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = db_session()
    ids = [item.recording_id for item in playlist.items]
    recordings = {r.id: r for r in db.scalars(select(Recording).where(Recording.id.in_(ids)))}
    library = list(db.scalars(select(Recording).order_by(Recording.title).limit(500)))
    return render_template(
        "schedule/playlist.html",
        playlist=playlist,
        items=[(n, rid, recordings.get(rid)) for n, rid in enumerate(ids)],
        library=library,
        rename=rename or RenameForm(formdata=None, name=playlist.name, mode=playlist.mode),
        items_form=ItemsForm(),
        delete_form=delete_form or DeletePlaylistForm(formdata=None),
        can_edit=current_role() in STAFF,
    ), status


@blueprint.get("/<int:playlist_id>")
@requires(ALL_ROLES)
def detail(playlist_id: int) -> ResponseReturnValue:
    return _page(_playlist(playlist_id))


@blueprint.post("/<int:playlist_id>")
@requires(STAFF)
def rename(playlist_id: int) -> ResponseReturnValue:
    playlist = _playlist(playlist_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return _page(playlist, rename=form, status=422)
    db = db_session()
    rules = replace(rules_of(playlist), mode=form.mode.data or playlist.mode)
    try:
        replace_playlist(db, playlist_id, name=form.name.data or "", rules=rules)
    except TimetableError as exc:
        db.rollback()
        form.name.errors = [problem_text(exc)]
        return _page(_playlist(playlist_id), rename=form, status=422)
    _audit("playlist.edit", playlist_id)
    db.commit()
    flash(_("Saved."))
    return _back(playlist_id)


@blueprint.post("/<int:playlist_id>/items")
@requires(STAFF)
def change_items(playlist_id: int) -> ResponseReturnValue:
    playlist = _playlist(playlist_id)
    if not ItemsForm().validate_on_submit():
        return _page(playlist, status=400)
    ids = [item.recording_id for item in playlist.items]
    action = request.form.get("action", "")
    if action == "add":
        chosen = [int(v) for v in request.form.getlist("recording") if v.isdigit()]
        if not chosen:
            flash(_("Choose a recording to add."))
            return _back(playlist_id)
        new_ids = ids + chosen
    else:
        position = request.form.get("index", "")
        index = int(position) if position.isdigit() and len(position) < 6 else -1
        expected = request.form.get("recording", "")
        if not 0 <= index < len(ids) or str(ids[index]) != expected:
            flash(_("The playlist changed meanwhile; nothing was moved. Look again."))
            return _back(playlist_id)
        target = request.form.get("to", "")
        if action in STEPS:
            new_ids = moved(ids, index, STEPS[action])
        elif action == "move" and target.isdigit() and int(target) < len(ids):
            new_ids = ids[:index] + ids[index + 1 :]
            new_ids.insert(int(target), ids[index])
        elif action == "remove":
            new_ids = ids[:index] + ids[index + 1 :]
        else:
            return _back(playlist_id)
    db = db_session()
    try:
        replace_playlist(db, playlist_id, recording_ids=new_ids)
    except TimetableError as exc:
        db.rollback()
        flash(problem_text(exc))
        return _back(playlist_id)
    _audit("playlist.edit", playlist_id)
    db.commit()
    return _back(playlist_id)


@blueprint.post("/<int:playlist_id>/delete")
@requires(STAFF)
def delete(playlist_id: int) -> ResponseReturnValue:
    playlist = _playlist(playlist_id)
    form = DeletePlaylistForm()
    if not form.validate_on_submit():
        return _page(playlist, delete_form=form, status=400)
    db = db_session()
    try:
        removed = delete_playlist(db, playlist_id, now=utcnow())
    except PlaylistInUse as exc:
        db.rollback()
        form.confirm.errors = [*form.confirm.errors, *_refusals(exc)]
        return _page(_playlist(playlist_id), delete_form=form, status=409)
    _audit("playlist.delete", playlist_id)
    db.commit()
    flash(_("Playlist %(name)s deleted.", name=removed.name))
    return redirect(url_for("schedule.playlists"), code=303)


def _refusals(refusal: PlaylistInUse) -> list[str]:
    """Why the playlist may not go yet, in the panel's language and the station's time."""
    reasons = []
    if refusal.fallback:
        reasons.append(_("It is the fallback playlist: make another playlist the fallback first."))
    now = utcnow()
    for slot in db_session().scalars(
        select(ScheduleSlot).where(ScheduleSlot.id.in_(refusal.slot_ids))
    ):
        following = next(occurrences(slot_rule(slot), now, now + CONFLICT_HORIZON), None)
        reasons.append(
            _(
                "The slot “%(title)s” (next on %(start)s) airs this playlist: remove it from "
                "the schedule first.",
                title=slot.title,
                start=format_datetime(following.start, "short") if following else "",
            )
        )
    return reasons


def _back(playlist_id: int) -> ResponseReturnValue:
    return redirect(url_for("playlist_pages.detail", playlist_id=playlist_id), code=303)


def _audit(action: str, playlist_id: int) -> None:
    audit.record_by(db_session(), current_actor(), action=action, target=f"playlist {playlist_id}")
