"""Admin screens: people, API tokens and the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from gateway import accounts, audit
from gateway.accounts import AccountError, ApiToken, User, WeakPasswordError
from gateway.database import utcnow
from gateway.roles import ADMIN_ONLY, Role
from gateway.web.access import current_actor, db_session, personal_data, requires
from gateway.web.forms import (
    WEAKNESS_MESSAGES,
    EditUserForm,
    NewUserForm,
    PasswordForm,
    TickToConfirmForm,
    TokenForm,
)
from gateway.web.labels import problem_text

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@blueprint.get("/users")
@requires(ADMIN_ONLY)
def users() -> ResponseReturnValue:
    people = db_session().scalars(select(User).order_by(User.username))
    return render_template("admin/users.html", users=list(people), form=NewUserForm())


@blueprint.post("/users")
@requires(ADMIN_ONLY)
def create_user() -> ResponseReturnValue:
    form = NewUserForm()
    db = db_session()
    if form.validate_on_submit():
        try:
            accounts.create_user(
                db,
                username=form.username.data or "",
                password=form.password.data or "",
                role=Role.parse(form.role.data or ""),
                actor=current_actor(),
            )
        except WeakPasswordError as exc:
            form.password.errors = [*form.password.errors, WEAKNESS_MESSAGES[exc.weakness]]
        except AccountError as exc:
            form.username.errors = [*form.username.errors, problem_text(exc)]
        else:
            db.commit()
            flash(_("User %(name)s created.", name=form.username.data))
            return redirect(url_for("admin.users"))
    people = db.scalars(select(User).order_by(User.username))
    return render_template("admin/users.html", users=list(people), form=form), 400


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(ADMIN_ONLY)
def edit_user(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user if request.method == "GET" else None)
    password_form = PasswordForm(prefix="pw")
    error = None
    db = db_session()
    if request.method == "POST" and form.validate_on_submit():
        try:
            accounts.update_user(
                db,
                user,
                role=Role.parse(form.role.data or ""),
                active=bool(form.active.data),
                actor=current_actor(),
            )
        except AccountError as exc:
            error = problem_text(exc)
        else:
            db.commit()
            flash(_("Changes saved."))
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "admin/user_edit.html", user=user, form=form, password_form=password_form, error=error
    ), status


@blueprint.post("/users/<int:user_id>/password")
@requires(ADMIN_ONLY)
def reset_password(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    password_form = PasswordForm(prefix="pw")
    db = db_session()
    if password_form.validate_on_submit():
        password = password_form.password.data or ""
        try:
            accounts.set_password(db, user, password, actor=current_actor())
        except WeakPasswordError as exc:
            password_form.password.errors = [WEAKNESS_MESSAGES[exc.weakness]]
        else:
            db.commit()
            flash(_("Password changed for %(name)s.", name=user.username))
            return redirect(url_for("admin.users"))
    form = EditUserForm(obj=user)
    return render_template(
        "admin/user_edit.html", user=user, form=form, password_form=password_form, error=None
    ), 400


@blueprint.get("/tokens")
@requires(ADMIN_ONLY)
@personal_data
def tokens() -> ResponseReturnValue:
    rows = db_session().scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
    return render_template(
        "admin/tokens.html", tokens=list(rows), form=TokenForm(), confirm=TickToConfirmForm()
    )


@blueprint.post("/tokens")
@requires(ADMIN_ONLY)
@personal_data
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    db = db_session()
    if form.validate_on_submit():
        try:
            days = form.expires_in_days.data
            _token, clear = accounts.create_token(
                db,
                name=form.name.data or "",
                role=Role.parse(form.role.data or ""),
                owner=_user_or_404(current_user.id),
                expires_at=utcnow() + timedelta(days=days) if days else None,
                actor=current_actor(),
            )
        except AccountError as exc:
            form.name.errors = [*form.name.errors, problem_text(exc)]
        else:
            db.commit()
            rows = db.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
            return render_template(
                "admin/tokens.html",
                tokens=list(rows),
                form=TokenForm(),
                confirm=TickToConfirmForm(),
                new_token=clear,
            ), 201
    rows = db.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
    return render_template(
        "admin/tokens.html", tokens=list(rows), form=form, confirm=TickToConfirmForm()
    ), 400


@blueprint.post("/tokens/<int:token_id>/revoke")
@requires(ADMIN_ONLY)
def revoke_token(token_id: int) -> ResponseReturnValue:
    if not TickToConfirmForm().validate_on_submit():
        abort(400, description=_("Tick the box to confirm."))
    db = db_session()
    token = db.get(ApiToken, token_id)
    if token is None:
        abort(404)
    accounts.revoke_token(db, token, actor=current_actor())
    db.commit()
    flash(_("Token %(name)s revoked.", name=token.name))
    return redirect(url_for("admin.tokens"))


@blueprint.get("/audit")
@requires(ADMIN_ONLY)
@personal_data
def audit_log() -> ResponseReturnValue:
    action = request.args.get("action") or None
    entries = audit.recent(db_session(), limit=500, action=action)
    return render_template("admin/audit.html", entries=entries, action=action)
