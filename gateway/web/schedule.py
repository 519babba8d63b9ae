"""Schedule screens: the week grid, adding and removing slots, and playlists (with M3U/XSPF)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from audio.models import Recording
from gateway import audit
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web.access import current_actor, db_session, requires, settings
from gateway.web.day_query import DayInRange, day_argument
from gateway.web.forms import TickToConfirmForm
from gateway.web.labels import problem_text
from playlists.models import Playlist, PlaylistMode, ScheduleSlot
from playlists.plain_recurrence import (
    MAX_INTERVAL,
    WEEKDAYS,
    BadInterval,
    NoDayInRange,
    NoWeekday,
    UntilBeforeStart,
    weekday_code,
    weekly_rule,
)
from playlists.planner import slot_rules
from playlists.playlist_files import Known, PlaylistFileError, match, parse_m3u, parse_xspf
from playlists.slots import expand
from playlists.timetable import (
    PlaylistRules,
    SlotClash,
    SlotInThePast,
    TimetableError,
    create_playlist,
    create_slot,
    make_fallback,
)
from playlists.week_grid import ROW, now_mark, week_grid, week_start

blueprint = Blueprint("schedule", __name__, url_prefix="/schedule")


def _repeat_choices() -> list[tuple[str, str]]:
    return [
        ("", _("once")),
        ("weekly", _("on the days ticked below")),
        ("custom", _("by an RRULE (advanced)")),
    ]


def _weekday_choices() -> list[tuple[str, str]]:
    names = get_day_names("wide", locale=get_locale())
    return [(code, names[n]) for n, code in enumerate(WEEKDAYS)]


def _order_choices() -> list[tuple[str, str]]:
    return [("ordered", _("ordered")), ("shuffle", _("shuffle"))]


class SlotForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    content = SelectField(_l("What plays"), choices=[], validate_choice=False)
    day = DateField(_l("Day"), validators=[DataRequired(), DayInRange()])
    start = TimeField(_l("Start"), validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(1, 1440)])
    repeat = SelectField(_l("Repeat"), choices=_repeat_choices)
    weekdays = SelectMultipleField(_l("On these days"), choices=_weekday_choices)
    interval = IntegerField(
        _l("Every how many weeks"), default=1, validators=[Optional(), NumberRange(1, MAX_INTERVAL)]
    )
    until = DateField(_l("Until (last day, optional)"), validators=[Optional(), DayInRange()])
    rrule = StringField(_l("RRULE"), validators=[Optional(), Length(max=500)])


class PlaylistForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    mode = SelectField(_l("Order"), choices=_order_choices)
    jingle_every_items = IntegerField(
        _l("A jingle every N items"), default=0, validators=[Optional(), NumberRange(0, 100)]
    )
    no_repeat_minutes = IntegerField(
        _l("Do not repeat within (minutes)"),
        default=0,
        validators=[Optional(), NumberRange(0, 1440)],
    )
    fallback = BooleanField(_l("Fallback: plays whenever nothing is scheduled"))


class ImportForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    file = FileField(_l("M3U or XSPF file"), validators=[FileRequired()])


def _contents() -> list[tuple[str, str]]:
    db = db_session()
    playlists = [
        (f"p:{p.id}", f"▶ {p.name}") for p in db.scalars(select(Playlist).order_by(Playlist.name))
    ]
    recordings = [
        (f"r:{r.id}", r.title)
        for r in db.scalars(select(Recording).order_by(Recording.title).limit(500))
    ]
    return playlists + recordings


def _today() -> date:
    return utcnow().astimezone(settings().station.zone).date()


def _monday() -> date:
    return week_start(day_argument("week") or _today())


def _chosen_rule(form: SlotForm) -> str | None:
    """The RRULE the form asks for, or None with the reason on the field to blame."""
    if form.repeat.data == "custom":
        if not (form.rrule.data or "").strip():
            form.rrule.errors = [_("Write the RRULE, or choose another way to repeat.")]
            return None
        return form.rrule.data or ""
    if form.repeat.data != "weekly":
        return ""
    assert form.day.data is not None
    try:
        return weekly_rule(
            form.day.data,
            form.weekdays.data or (),
            interval=form.interval.data or 1,
            until=form.until.data,
        )
    except NoWeekday:
        form.weekdays.errors = [_("Tick at least one day of the week.")]
    except UntilBeforeStart:
        form.until.errors = [_("The last day comes before the first day.")]
    except NoDayInRange:
        form.until.errors = [_("None of the ticked days falls between the first and last day.")]
    except BadInterval:
        form.interval.errors = [_("Repeat every 1 to %(n)d weeks.", n=MAX_INTERVAL)]
    return None


def _clash_message(exc: SlotClash) -> str:
    return _(
        "This clashes with “%(title)s”, on air on %(day)s from %(start)s to %(end)s.",
        title=exc.title,
        day=format_date(exc.start, "full"),
        start=format_time(exc.start, "short"),
        end=format_time(exc.end, "short"),
    )


def _past_message(exc: SlotInThePast) -> str:
    if exc.recurring:
        return _("Every day of this series is already past: choose a later last day.")
    return _(
        "%(start)s has already passed: choose a day and time from now on.",
        start=format_datetime(exc.start, "short"),
    )


def _page(form: SlotForm, status: int = 200) -> ResponseReturnValue:
    db = db_session()
    zone = settings().station.zone
    monday = _monday()
    begin = datetime.combine(monday, datetime.min.time(), zone)
    occurrences = expand(slot_rules(db), begin, begin + timedelta(days=7))
    titles = {s.id: s.title for s in db.scalars(select(ScheduleSlot))}
    form.content.choices = _contents()
    grid = week_grid(occurrences, titles, monday=monday, zone=zone)
    mark = now_mark(utcnow(), monday=monday, zone=zone)
    days = [monday + timedelta(days=n) for n in range(7)]
    hours = [(datetime.min + ROW * n).strftime("%H:%M") for n in range(len(grid))]
    return render_template(
        "schedule/index.html",
        grid=grid,
        days=days,
        hours=hours,
        form=form,
        zone=settings().station.timezone,
        now=mark,
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
        fallback=db.scalar(select(Playlist).where(Playlist.is_fallback)),
    ), status


@blueprint.get("/")
@requires(ALL_ROLES)
def index() -> ResponseReturnValue:
    today = _today()
    return _page(SlotForm(day=today, minutes=60, weekdays=[weekday_code(today)], interval=1))


@blueprint.post("/slots")
@requires(STAFF)
def add_slot() -> ResponseReturnValue:
    form = SlotForm()
    form.content.choices = _contents()
    if not form.validate_on_submit():
        return _page(form, 422)
    kind, _sep, raw_id = (form.content.data or "").partition(":")
    if kind not in ("p", "r") or not raw_id.isdigit():
        form.content.errors = [_("Choose what plays.")]
        return _page(form, 422)
    zone = settings().station.zone
    assert form.day.data is not None and form.start.data is not None
    start = datetime.combine(form.day.data, form.start.data, zone)
    rrule = _chosen_rule(form)
    if rrule is None:
        return _page(form, 422)
    db = db_session()
    try:
        slot = create_slot(
            db,
            start=start,
            end=start + timedelta(minutes=form.minutes.data or 0),
            timezone=settings().station.timezone,
            playlist_id=int(raw_id) if kind == "p" else None,
            recording_id=int(raw_id) if kind == "r" else None,
            rrule=rrule,
            title=form.title.data or "",
            created_by=current_actor().id,
            now=utcnow(),
        )
    except SlotClash as exc:
        db.rollback()
        form.start.errors = [_clash_message(exc)]
        return _page(form, 409)
    except SlotInThePast as exc:
        db.rollback()
        form.start.errors = [_past_message(exc)]
        return _page(form, 422)
    except TimetableError as exc:
        db.rollback()
        blamed = form.rrule if form.repeat.data == "custom" else form.start
        blamed.errors = [problem_text(exc)]
        return _page(form, 422)
    _audit("schedule.add", f"slot {slot.id}")
    db.commit()
    flash(_("Slot added."))
    return redirect(url_for("schedule.index", week=start.date().isoformat()))


@blueprint.post("/slots/<int:slot_id>/delete")
@requires(STAFF)
def delete_slot(slot_id: int) -> ResponseReturnValue:
    if not TickToConfirmForm().validate_on_submit():
        abort(400, description=_("Tick the box to confirm."))
    db = db_session()
    slot = db.get(ScheduleSlot, slot_id)
    if slot is None:
        raise NotFound()
    db.delete(slot)
    _audit("schedule.delete", f"slot {slot_id}")
    db.commit()
    flash(_("Slot removed."))
    return redirect(url_for("schedule.index"))


def _playlists_page(
    form: PlaylistForm, import_form: ImportForm, status: int = 200, **extra: object
) -> ResponseReturnValue:
    db = db_session()
    playlists = list(db.scalars(select(Playlist).order_by(Playlist.name)))
    return render_template(
        "schedule/playlists.html", form=form, import_form=import_form, playlists=playlists, **extra
    ), status


@blueprint.get("/playlists")
@requires(ALL_ROLES)
def playlists() -> ResponseReturnValue:
    return _playlists_page(PlaylistForm(), ImportForm())


@blueprint.post("/playlists")
@requires(STAFF)
def add_playlist() -> ResponseReturnValue:
    form = PlaylistForm()
    if not form.validate_on_submit():
        return _playlists_page(form, ImportForm(), 422)
    db = db_session()
    try:
        playlist = create_playlist(
            db,
            name=form.name.data or "",
            recording_ids=[],
            rules=PlaylistRules(
                mode=form.mode.data or PlaylistMode.ORDERED,
                jingle_every_items=form.jingle_every_items.data or 0,
                no_repeat_minutes=float(form.no_repeat_minutes.data or 0),
            ),
            fallback=bool(form.fallback.data),
        )
    except TimetableError as exc:
        db.rollback()
        form.name.errors = [problem_text(exc)]
        return _playlists_page(form, ImportForm(), 422)
    _audit("playlist.create", f"playlist {playlist.id}")
    db.commit()
    flash(_("Playlist %(name)s created.", name=playlist.name))
    return redirect(url_for("playlist_pages.detail", playlist_id=playlist.id), code=303)


@blueprint.post("/playlists/import")
@requires(STAFF)
def import_playlist() -> ResponseReturnValue:
    form = ImportForm()
    if not form.validate_on_submit():
        return _playlists_page(PlaylistForm(), form, 422)
    raw = form.file.data.read(2_000_000)
    text = raw.decode("utf-8", errors="replace")
    try:
        entries = parse_xspf(text) if text.lstrip().startswith("<") else parse_m3u(text)
    except PlaylistFileError as exc:
        form.file.errors = [problem_text(exc)]
        return _playlists_page(PlaylistForm(), form, 422)
    db = db_session()
    library = [Known(r.id, r.sha256, r.title) for r in db.scalars(select(Recording))]
    matched = match(entries, library)
    if not matched.recording_ids:
        form.file.errors = [_("No line of the file matches a recording in the library.")]
        return _playlists_page(PlaylistForm(), form, 422, unmatched=matched.unmatched)
    playlist = create_playlist(db, name=form.name.data or "", recording_ids=matched.recording_ids)
    _audit("playlist.import", f"playlist {playlist.id}")
    db.commit()
    flash(
        _(
            "Playlist %(name)s imported with %(n)d items.",
            name=playlist.name,
            n=len(matched.recording_ids),
        )
    )
    return _playlists_page(PlaylistForm(), ImportForm(), 200, unmatched=matched.unmatched)


@blueprint.post("/playlists/<int:playlist_id>/fallback")
@requires(STAFF)
def set_fallback(playlist_id: int) -> ResponseReturnValue:
    db = db_session()
    if db.get(Playlist, playlist_id) is None:
        raise NotFound()
    make_fallback(db, playlist_id)
    _audit("playlist.fallback", f"playlist {playlist_id}")
    db.commit()
    return redirect(url_for("schedule.playlists"))


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
