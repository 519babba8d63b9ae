"""Subscribers screen: the list by region, one-by-one additions, CSV import and export."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, or_, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from gateway import audit
from gateway.database import utcnow
from gateway.roles import STAFF
from gateway.web.access import current_actor, db_session, personal_data, requires, settings
from sms import subscribers
from sms.models import Subscriber
from sms.phones import PhoneError

blueprint = Blueprint("subscribers", __name__, url_prefix="/subscribers")
PAGE_SIZE = 200


class SubscriberForm(FlaskForm):
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=32)])
    region = StringField(_l("Region or community"), validators=[DataRequired(), Length(max=80)])
    language = SelectField(_l("Language"), choices=list(subscribers.LANGUAGES))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


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
            subscriber = subscribers.subscribe(
                db,
                phone=form.phone.data or "",
                region=form.region.data or "",
                language=form.language.data,
                channel=subscribers.ConsentChannel.PANEL,
                default_region=settings().smpp.default_region,
                now=utcnow(),
            )
        except (PhoneError, subscribers.SubscriberError) as exc:
            db.rollback()
            form.phone.errors = [*form.phone.errors, str(exc)]
        else:
            actor = current_actor()
            audit.record(
                db,
                action="subscriber.add",
                actor_id=actor.id,
                actor_name=actor.name,
                address=actor.address,
                target=subscriber.phone,
            )
            db.commit()
            flash(_("%(phone)s subscribed.", phone=subscriber.phone))
            return redirect(url_for("subscribers.index"))
    return _page(form, ImportForm()), 400


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
        import_form.file.errors = [_("The file is not UTF-8 text.")]
        return _page(SubscriberForm(), import_form), 400
    db = db_session()
    try:
        report = subscribers.import_csv(
            db, text, default_region=settings().smpp.default_region, now=utcnow()
        )
    except subscribers.SubscriberError as exc:
        db.rollback()
        import_form.file.errors = [str(exc)]
        return _page(SubscriberForm(), import_form), 400
    actor = current_actor()
    audit.record(
        db,
        action="subscriber.import",
        actor_id=actor.id,
        actor_name=actor.name,
        address=actor.address,
        details={"added": report.added, "updated": report.updated, "errors": len(report.errors)},
    )
    db.commit()
    return _page(SubscriberForm(), ImportForm(), report=report)


@blueprint.get("/export.csv")
@requires(STAFF)
@personal_data
def export_csv() -> ResponseReturnValue:
    body = subscribers.export_csv(db_session())
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=subscribers.csv"},
    )
