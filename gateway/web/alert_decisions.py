"""The alert page's buttons after an alert was made: approve or reject a draft (two-person
rule), cancel or correct one that was sent. Routes of the alerts blueprint.

Each POST asks `gateway.alert_approval.refusal` again, whatever the page showed: the page may
be old, and the rule is the same for the panel, the API and the command line."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.alert_approval import ApprovalRefused, approve, reject
from gateway.alert_models import Alert
from gateway.alert_withdrawal import cancel_alert, correct_alert
from gateway.alerts import AlertError
from gateway.database import utcnow
from gateway.roles import STAFF
from gateway.web.access import current_actor, current_role, db_session, requires, settings
from gateway.web.alerts import CorrectForm, RejectForm, blueprint
from gateway.web.forms import TickToConfirmForm
from gateway.web.labels import problem_text


def _alert(alert_id: int) -> Alert:
    alert = db_session().get(Alert, alert_id)
    if alert is None:
        abort(404)
    return alert


def _refused(alert_id: int, exc: AlertError) -> ResponseReturnValue:
    db_session().rollback()
    if isinstance(exc, ApprovalRefused):
        flash(problem_text(exc))
        return redirect(url_for("alerts.detail", alert_id=alert_id)), 303
    flash(_("Not done: %(reason)s", reason=problem_text(exc)))
    return redirect(url_for("alerts.detail", alert_id=alert_id)), 303


@blueprint.post("/<int:alert_id>/approve")
@requires(STAFF)
def approve_draft(alert_id: int) -> ResponseReturnValue:
    if not TickToConfirmForm().validate_on_submit():
        abort(400, description=_("Tick the box to confirm."))
    alert = _alert(alert_id)
    db = db_session()
    try:
        approve(
            db, alert, actor=current_actor(), role=current_role(), settings=settings(), now=utcnow()
        )
    except AlertError as exc:
        return _refused(alert_id, exc)
    db.commit()
    flash(_("Alert %(id)d approved and sent to %(n)d recipients.", id=alert.id, n=alert.recipients))
    return redirect(url_for("alerts.detail", alert_id=alert_id))


@blueprint.post("/<int:alert_id>/reject")
@requires(STAFF)
def reject_draft(alert_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        abort(400, description=_("Give a reason for the rejection."))
    alert = _alert(alert_id)
    db = db_session()
    try:
        reject(
            db,
            alert,
            actor=current_actor(),
            role=current_role(),
            reason=form.reason.data or "",
            now=utcnow(),
        )
    except AlertError as exc:
        return _refused(alert_id, exc)
    db.commit()
    flash(_("Alert %(id)d rejected: nothing of it was sent.", id=alert.id))
    return redirect(url_for("alerts.detail", alert_id=alert_id))


@blueprint.post("/<int:alert_id>/cancel")
@requires(STAFF)
def cancel(alert_id: int) -> ResponseReturnValue:
    if not TickToConfirmForm().validate_on_submit():
        abort(400, description=_("Tick the box to confirm."))
    original = _alert(alert_id)
    db = db_session()
    try:
        record = cancel_alert(
            db, original, settings=settings(), actor=current_actor(), now=utcnow()
        )
    except AlertError as exc:
        return _refused(alert_id, exc)
    db.commit()
    flash(
        _(
            "Alert %(id)d cancelled: what was not sent yet was withdrawn; %(n)d people who "
            "may have got it are sent a cancellation.",
            id=original.id,
            n=record.recipients,
        )
    )
    return redirect(url_for("alerts.detail", alert_id=record.id))


@blueprint.post("/<int:alert_id>/correct")
@requires(STAFF)
def correct(alert_id: int) -> ResponseReturnValue:
    form = CorrectForm()
    if not form.validate_on_submit():
        abort(400, description=_("Write the corrected text and tick the box to confirm."))
    original = _alert(alert_id)
    db = db_session()
    try:
        record = correct_alert(
            db,
            original,
            form.text.data or "",
            settings=settings(),
            actor=current_actor(),
            now=utcnow(),
        )
    except AlertError as exc:
        return _refused(alert_id, exc)
    db.commit()
    if record.status == "draft":
        flash(
            _("Correction %(id)d saved as a draft: a second person must approve it.", id=record.id)
        )
    else:
        flash(
            _(
                "Alert %(id)d corrected: %(n)d people who may have got it are sent the correction.",
                id=original.id,
                n=record.recipients,
            )
        )
    return redirect(url_for("alerts.detail", alert_id=record.id))
