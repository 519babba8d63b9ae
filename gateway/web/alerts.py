"""Alerts screen: compose an urgent alert with a live SMS preview, send it, follow delivery.

Sending asks for an explicit confirmation: a false alert costs trust the network needs for
the true ones, so the operator sees the recipients and the segments before anything leaves.
The same page shows the SMPP bind and the messages villages sent in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from audio.errors import AudioError
from audio.metadata import MetadataError
from audio.models import Recording
from gateway.alert_approval import MAX_REASON_CHARS, Refusal, refusal
from gateway.alert_models import Alert, AlertStatus
from gateway.alert_repeats import MAX_EVERY_MIN
from gateway.alerts import (
    MAX_ALERT_CHARS,
    AlertError,
    AlertProblem,
    AlertRequest,
    alert_status,
    create_alert,
    unreached_regions,
)
from gateway.database import utcnow
from gateway.roles import ALL_ROLES, STAFF
from gateway.web.access import (
    current_actor,
    current_role,
    db_session,
    personal_data,
    requires,
    settings,
)
from gateway.web.alert_version_form import (
    VERSION_ROWS,
    VersionForm,
    check_rows,
    forget_imported,
    main_recording,
    set_version_choices,
    version_requests,
)
from gateway.web.forms import TickToConfirmForm
from gateway.web.labels import LABELS, problem_text
from gateway.web.uploads import refusal_text
from sms import smart_encoding
from sms.compose import preview
from sms.languages import DEFAULT_LANGUAGE
from sms.models import InboundMessage, LinkStatus, Subscriber
from sms.phones import mask

blueprint = Blueprint("alerts", __name__, url_prefix="/alerts")
RECENT = 50
SMS_OFF_NOTE = _l(
    "SMS is off: SMPP is disabled in the configuration (smpp.enabled), so this alert can only "
    "go on air."
)


REFUSALS = {refusal: LABELS[AlertProblem[refusal.name]] for refusal in Refusal}
"""Why a decision is not offered, in the panel's language (the words of the refusal)."""


class AlertForm(FlaskForm):
    text = TextAreaField(_l("Alert text"), validators=[DataRequired(), Length(max=MAX_ALERT_CHARS)])
    regions = SelectMultipleField(_l("Regions"), choices=[], validate_choice=False)
    other_regions = StringField(_l("Other regions (separated by commas)"))
    sms = BooleanField(_l("By SMS"))
    air = BooleanField(_l("On air"), default=True)
    repeat_every = IntegerField(
        _l("Repeat on air every (minutes; 0: once)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_EVERY_MIN)],
    )
    repeat_for = IntegerField(
        _l("Keep repeating for (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_EVERY_MIN)],
    )
    smart = BooleanField(_l("Replace accents so each SMS holds more text"), default=True)
    recording = FileField(_l("Recording of the main text (optional, from a phone is fine)"))
    versions = FieldList(FormField(VersionForm), min_entries=VERSION_ROWS, max_entries=VERSION_ROWS)
    confirm = BooleanField(_l("I have checked this alert and want to send it now"))


class RejectForm(FlaskForm):
    reason = StringField(
        _l("Reason for rejecting"), validators=[DataRequired(), Length(max=MAX_REASON_CHARS)]
    )


class CorrectForm(FlaskForm):
    text = TextAreaField(
        _l("Corrected text"), validators=[DataRequired(), Length(max=MAX_ALERT_CHARS)]
    )
    confirm = BooleanField(_l("Sure"), validators=[DataRequired(_l("Tick the box to confirm."))])


def _regions() -> list[tuple[str, int]]:
    rows = db_session().execute(
        select(Subscriber.region, func.count(Subscriber.id))
        .where(Subscriber.opted_in)
        .group_by(Subscriber.region)
        .order_by(Subscriber.region)
    )
    return [(region, count) for region, count in rows]


def _page(form: AlertForm) -> str:
    db = db_session()
    _version_choices(form)
    regions = _regions()
    form.regions.choices = [("*", _("Every region"))] + [
        (region, f"{region} ({count})") for region, count in regions
    ]
    alerts = list(db.scalars(select(Alert).order_by(Alert.created_at.desc()).limit(RECENT)))
    drafts = list(
        db.scalars(
            select(Alert).where(Alert.status == AlertStatus.DRAFT).order_by(Alert.created_at)
        )
    )
    return render_template(
        "alerts/index.html",
        form=form,
        alerts=[alert_status(db, alert, settings=settings(), now=utcnow()) for alert in alerts],
        drafts=drafts,
        approvals_required=settings().alerts.approvals_required,
        links=list(db.scalars(select(LinkStatus).order_by(LinkStatus.worker))),
        smpp=settings().smpp,
        sms_off_note=SMS_OFF_NOTE,
        repeat_defaults={
            "every": settings().alerts.repeat_every_min,
            "for": settings().alerts.repeat_until_min,
        },
    )


def _version_choices(form: AlertForm) -> None:
    rows = [entry.form for entry in form.versions]
    set_version_choices(rows, settings().station.languages, DEFAULT_LANGUAGE)


@blueprint.get("/")
@requires(STAFF)
def index() -> ResponseReturnValue:
    smpp = settings().smpp
    form = AlertForm(smart=smpp.smart_encoding, sms=smpp.enabled)
    return _page(form)


@blueprint.post("/")
@requires(STAFF)
def send() -> ResponseReturnValue:
    form = AlertForm()
    form.regions.choices = [("*", "*")] + [(region, region) for region, _n in _regions()]
    _version_choices(form)
    if not form.validate_on_submit():
        return _page(form), 422
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm before sending.")]
        return _page(form), 422
    if form.sms.data and not settings().smpp.enabled:
        form.sms.errors = [SMS_OFF_NOTE]
        return _page(form), 422
    regions = list(form.regions.data or [])
    regions += [r.strip() for r in (form.other_regions.data or "").split(",") if r.strip()]
    channels = [name for name in ("sms", "air") if getattr(form, name).data]
    db = db_session()
    now = utcnow()
    repeat_for = form.repeat_for.data
    title = _("Alert")
    imported: list[Recording] = []
    try:
        rows = [entry.form for entry in form.versions]
        check_rows(rows, settings().station.languages)
        main = main_recording(form.recording, title=title, language=DEFAULT_LANGUAGE)
        imported += [main] if main is not None else []
        versions, more = version_requests(rows, title=title)
        imported += more
        alert_request = AlertRequest.from_json(
            {
                "text": form.text.data or "",
                "regions": regions,
                "channels": channels,
                "repeat_every_min": form.repeat_every.data,
                "repeat_until": now + timedelta(minutes=repeat_for) if repeat_for else None,
                "audio_recording_id": main.id if main is not None else None,
                "versions": versions,
            }
        )
        alert = create_alert(
            db,
            alert_request,
            settings=settings(),
            actor=current_actor(),
            now=now,
            smart=bool(form.smart.data),
        )
    except (AlertError, AudioError, MetadataError) as exc:
        db.rollback()
        forget_imported(db, imported, actor=current_actor())
        reason = refusal_text(exc) if isinstance(exc, AudioError) else str(exc)
        form.text.errors = [reason]
        form.text.errors = [problem_text(exc)]
        return _page(form), 422
    unreached = unreached_regions(db, alert)
    db.commit()
    if alert.status == AlertStatus.DRAFT:
        flash(
            _(
                "Alert %(id)d saved as a draft: nothing goes out until another admin or "
                "operator approves it.",
                id=alert.id,
            )
        )
    else:
        flash(_("Alert %(id)d sent to %(n)d recipients.", id=alert.id, n=alert.recipients))
    if unreached:
        flash(
            _(
                "Warning: no subscribers in %(regions)s. Nobody there gets this alert by SMS.",
                regions=", ".join(unreached),
            )
        )
    return redirect(url_for("alerts.detail", alert_id=alert.id))


@blueprint.get("/preview")
@requires(STAFF)
def sms_preview() -> ResponseReturnValue:
    """What the SMS will cost while it is typed: encoding, characters, segments, changes."""
    text = request.args.get("text", "")[:MAX_ALERT_CHARS]
    smart = request.args.get("smart", "1") not in ("0", "false", "")
    shown = preview(text, settings=settings().smpp, smart=smart)
    return jsonify({**shown, "changes": _changes(shown)})


def _changes(shown: dict[str, Any]) -> list[str]:
    """What smart encoding did, in the operator's language, one line per kind of change."""
    lines = []
    if shown["replacements"]:
        spoken = {"": _("(deleted)"), " ": _("(space)")}
        pairs = [
            f"{smart_encoding.shown(r['original'])} → "
            f"{spoken.get(r['replacement']) or smart_encoding.shown(r['replacement'])}"
            + (f" ×{r['count']}" if r["count"] > 1 else "")
            for r in shown["replacements"]
        ]
        lines.append(_("Replaced before sending: %(changes)s", changes=", ".join(pairs)))
    if shown["kept"]:
        lines.append(
            _(
                "Kept as typed: %(characters)s (smpp.keep_characters), so the SMS is sent as "
                "UCS-2 (70 characters per segment).",
                characters=", ".join(shown["kept"]),
            )
        )
    return lines


@blueprint.get("/<int:alert_id>")
@requires(ALL_ROLES)
def detail(alert_id: int) -> ResponseReturnValue:
    db = db_session()
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise NotFound()
    status = alert_status(db, alert, settings=settings(), now=utcnow())
    role = current_role()
    return render_template(
        "alerts/detail.html",
        alert=status,
        refusal=refusal(alert, actor_id=current_actor().id, role=role),
        refusals=REFUSALS,
        staff=role in STAFF,
        confirm=TickToConfirmForm(),
        reject_form=RejectForm(),
        correct_form=CorrectForm(),
        original=db.get(Alert, alert.references_id) if alert.references_id else None,
    )


@blueprint.get("/inbound")
@requires(STAFF)
@personal_data
def inbound() -> ResponseReturnValue:
    """What villages sent in: keywords that changed a subscription, and everything else."""
    rows = db_session().scalars(
        select(InboundMessage).order_by(InboundMessage.received_at.desc()).limit(200)
    )
    return render_template("alerts/inbound.html", messages=list(rows), mask=mask)
