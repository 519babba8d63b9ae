"""Logging in and out, with per-account and per-address throttling of failures."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from gateway import accounts, audit, throttle
from gateway.database import utcnow
from gateway.web.access import client_address, current_actor, db_session, public, settings
from gateway.web.forms import LoginForm

blueprint = Blueprint("auth", __name__)


def _policy() -> throttle.ThrottlePolicy:
    web = settings().web
    return throttle.ThrottlePolicy(
        max_failures=web.login_max_failures, window=timedelta(minutes=web.login_window_minutes)
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("panel.dashboard")


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("panel.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form), status

    db = db_session()
    username = form.username.data or ""
    address = client_address()
    now = utcnow()
    policy = _policy()
    if throttle.is_locked_out(db, username=username, address=address, policy=policy, now=now):
        audit.record(db, action="login.locked", actor_name=username, address=address)
        db.commit()
        message = _(
            "Too many failed logins. Try again in %(minutes)d minutes.",
            minutes=settings().web.login_window_minutes,
        )
        return render_template("login.html", form=form, error=message), 429

    user = accounts.find_user(db, username)
    if (
        user is None
        or not user.active
        or not accounts.verify_password(user, form.password.data or "")
    ):
        throttle.record_failure(db, username=username, address=address, now=now)
        audit.record(db, action="login.failed", actor_name=username, address=address)
        db.commit()
        return render_template(
            "login.html", form=form, error=_("Wrong user name or password.")
        ), 401

    throttle.clear_failures(db, username=username)
    throttle.prune(db, policy=policy, now=now)
    user.last_login_at = now
    audit.record(db, action="login", actor_id=user.id, actor_name=user.username, address=address)
    db.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


@blueprint.post("/logout")
@public
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        actor = current_actor()
        db = db_session()
        audit.record(
            db, action="logout", actor_id=actor.id, actor_name=actor.name, address=actor.address
        )
        db.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))
