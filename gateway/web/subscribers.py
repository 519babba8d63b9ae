"""Subscribers screen: the list by region, one-by-one additions, CSV import and export."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, or_, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from gateway import audit
from gateway.codes import Refused
from gateway.database import utcnow
from gateway.roles import STAFF
from gateway.web.access import current_actor, db_session, personal_data, requires, settings
from gateway.web.labels import language_choices
from gateway.web.labels import problem_text as labels_problem_text
from sms import subscriber_csv, subscribers
from sms.models import Subscriber
from sms.subscribers import Problem

blueprint = Blueprint("subscribers", __name__, url_prefix="/subscribers")
PAGE_SIZE = 200
ISSUES_SHOWN = 200
"""Bad or skipped rows listed on the page after an import; the rest are counted."""

PROBLEM_TEXT: dict[Problem, LazyString] = {
    Problem.INVALID: _l("This request cannot be carried out."),
    Problem.PHONE: _l("%(value)s is not a usable phone number."),
    Problem.REGION_MISSING: _l("A region or community is required."),
    Problem.REGION_TOO_LONG: _l("The region name is longer than %(limit)d characters."),
    Problem.LANGUAGE: _l("The language must be one of: %(choices)s."),
    Problem.OPTED_OUT: _l(
        "The owner of this number opted out by SMS; only their own keyword (ALTA/JOIN) "
        "subscribes it again."
    ),
    Problem.GROUP_TOO_LONG: _l("A group name is longer than %(limit)d characters."),
    Problem.OPTED_IN_VALUE: _l("opted_in must be yes or no."),
    Problem.MARKED_OPTED_OUT: _l("The file marks this number as opted out; it was left alone."),
    Problem.DUPLICATE: _l("The number is already on line %(first)d."),
    Problem.HEADER: _l("The CSV needs a header row with at least 'phone' and 'region'."),
    Problem.FIELD_TOO_LONG: _l("Line %(line)d: a field is longer than %(limit)d characters."),
    Problem.MALFORMED: _l("Line %(line)d cannot be read as CSV."),
}


def problem_text(problem: StrEnum | None, params: Mapping[str, str | int], english: str) -> str:
    """The reason in the operator's language: subscriber problems are worded here, typed-text
    problems (gateway.plain_text) by the labels; English only for problems without words."""
    text = PROBLEM_TEXT.get(problem) if isinstance(problem, Problem) else None
    if text is not None:
        return str(text) % dict(params)
    return labels_problem_text(Refused(english, problem, **params))


def _error_text(exc: subscribers.SubscriberError) -> str:
    return problem_text(exc.problem, exc.params, str(exc))


class SubscriberForm(FlaskForm):
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=32)])
    region = StringField(_l("Region or community"), validators=[DataRequired(), Length(max=80)])
    language = SelectField(_l("Language"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(settings().station.languages)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


def add_subscriber(
    *, phone: str, region: str, language: str | None, channel: subscribers.ConsentChannel
) -> Subscriber:
    """Subscribe a number for whoever is asking (panel user or API token) and audit it, the
    number masked; raises SubscriberError (OptedOutError for a number that opted out)."""
    db = db_session()
    subscriber = subscribers.subscribe(
        db,
        phone=phone,
        region=region,
        language=language,
        channel=channel,
        default_region=settings().smpp.default_region,
        now=utcnow(),
        languages=settings().station.languages,
    )
    audit.record_subscriber(
        db,
        current_actor(),
        action="subscriber.add",
        phone=subscriber.phone,
        details={"region": subscriber.region, "channel": channel.value},
    )
    return subscriber


def _page(form: SubscriberForm, import_form: ImportForm, **extra: object) -> str:
    db = db_session()
    query = select(Subscriber).order_by(Subscriber.region_key, Subscriber.phone)
    search = (request.args.get("q") or "").strip()
    if search:
        key = subscribers.fold_region(search)
        query = query.where(
            or_(Subscriber.region_key.contains(key), Subscriber.phone.contains(search))
        )
    rows = list(db.scalars(query.limit(PAGE_SIZE)))
    by_region = db.execute(
        select(Subscriber.region, func.count(Subscriber.id))
        .where(Subscriber.opted_in)
        .group_by(Subscriber.region)
        .order_by(Subscriber.region)
    ).all()
    return render_template(
        "subscribers/index.html",
        subscribers=rows,
        by_region=by_region,
        form=form,
        import_form=import_form,
        search=search,
        page_size=PAGE_SIZE,
        languages=settings().station.languages,
        **extra,
    )


@blueprint.get("/")
@requires(STAFF)
@personal_data
def index() -> ResponseReturnValue:
    return _page(SubscriberForm(), ImportForm())


@blueprint.post("/")
@requires(STAFF)
@personal_data
def add() -> ResponseReturnValue:
    form = SubscriberForm()
    if form.validate_on_submit():
        db = db_session()
        try:
            subscriber = add_subscriber(
                phone=form.phone.data or "",
                region=form.region.data or "",
                language=form.language.data,
                channel=subscribers.ConsentChannel.PANEL,
            )
        except subscribers.SubscriberError as exc:
            db.rollback()
            form.phone.errors = [*form.phone.errors, _error_text(exc)]
            status = 409 if isinstance(exc, subscribers.OptedOutError) else 400
            return _page(form, ImportForm()), status
        db.commit()
        flash(_("%(phone)s subscribed.", phone=subscriber.phone))
        return redirect(url_for("subscribers.index"))
    return _page(form, ImportForm()), 400


def _audit_refusal(details: dict[str, object]) -> None:
    """Nothing of the file was written; keep a record of the attempt all the same."""
    db = db_session()
    db.rollback()
    audit.record_by(db, current_actor(), action="subscriber.import_failed", details=details)
    db.commit()


def _refused(import_form: ImportForm, reason: str, problem: str) -> ResponseReturnValue:
    _audit_refusal({"problem": problem})
    import_form.file.errors = [reason]
    return _page(SubscriberForm(), import_form), 400


@blueprint.post("/import")
@requires(STAFF)
@personal_data
def import_csv() -> ResponseReturnValue:
    import_form = ImportForm()
    if not import_form.validate_on_submit():
        return _page(SubscriberForm(), import_form), 400
    raw = import_form.file.data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused(import_form, _("The file is not UTF-8 text."), "not_utf8")
    db = db_session()
    try:
        report = subscriber_csv.import_csv(
            db,
            text,
            default_region=settings().smpp.default_region,
            now=utcnow(),
            languages=settings().station.languages,
        )
    except subscribers.SubscriberError as exc:
        return _refused(import_form, _error_text(exc), str(exc.problem or Problem.INVALID))
    issues = {
        kind: [
            (issue.line, problem_text(issue.problem, issue.params, issue.message))
            for issue in found[:ISSUES_SHOWN]
        ]
        for kind, found in (("errors", report.errors), ("skipped", report.skipped))
    }
    if report.errors:
        _audit_refusal({"problem": "bad_rows", **report.counts()})
        import_form.file.errors = [
            _("Nothing was imported: %(n)d rows have errors.", n=len(report.errors))
        ]
        return _page(SubscriberForm(), import_form, report=report, issues=issues), 422
    audit.record_by(db, current_actor(), action="subscriber.import", details=report.counts())
    db.commit()
    return _page(SubscriberForm(), ImportForm(), report=report, issues=issues)


@blueprint.get("/export.csv")
@requires(STAFF)
@personal_data
def export_csv() -> ResponseReturnValue:
    db = db_session()
    body = subscriber_csv.export_csv(db)
    rows = db.scalar(select(func.count(Subscriber.id)))
    audit.record_by(db, current_actor(), action="subscriber.export", details={"rows": rows})
    db.commit()
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=subscribers.csv"},
    )
