"""Logging in and out, with per-account and per-address throttling of failures."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session

from gateway import accounts, audit, throttle
from gateway.accounts import User
from gateway.database import utcnow
from gateway.web.access import client_address, current_actor, db_session, settings
from gateway.web.forms import LoginForm
from gateway.web.local_target import local_target

blueprint = Blueprint("auth", __name__)


UNKNOWN_NAME = "(unknown)"
"""Audited instead of a typed name that matches no account: it may be a password typed into
the wrong field, and it says nothing useful about who tried."""


def _policy() -> throttle.ThrottlePolicy:
    web = settings().web
    return throttle.ThrottlePolicy(
        max_failures=web.login_max_failures,
        account_max_failures=web.login_account_max_failures,
        window=timedelta(minutes=web.login_window_minutes),
    )


def _safe_next(target: str | None) -> str:
    return local_target(target) or url_for("panel.dashboard")


class Locked(Exception):
    """Too many recent attempts for this name from here (or from everywhere)."""


def check_credentials(db: Session, username: str, password: str) -> User | None:
    """The account if the password is right; throttled and audited like a login.

    Raises Locked before checking anything when the attempt is over a limit. Used by the login
    and by the password change, so a stolen session cannot guess the current password freely.
    """
    address = client_address()
    now = utcnow()
    account = accounts.find_user(db, username)
    actor_id, actor_name = (account.id, account.username) if account else (None, UNKNOWN_NAME)
    trusted = account is not None and throttle.has_logged_in_from(
        db, user_id=account.id, address=address, now=now
    )
    attempt = throttle.claim_attempt(
        db,
        username=username,
        address=address,
        policy=_policy(),
        now=now,
        trusted_address=trusted,
    )

    def note(action: str) -> None:
        audit.record(db, action=action, actor_id=actor_id, actor_name=actor_name, address=address)
        db.commit()

    if attempt is None:
        note("login.locked")
        raise Locked
    user = accounts.authenticate(db, username, password)
    if user is None:
        note("login.failed")
        return None
    throttle.forgive(db, attempt)
    throttle.prune(db, policy=_policy(), now=now)
    return user


def _locked_message() -> str:
    return _(
        "Too many failed logins. Try again in %(minutes)d minutes.",
        minutes=settings().web.login_window_minutes,
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("panel.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form), status

    db = db_session()
    try:
        user = check_credentials(db, form.username.data or "", form.password.data or "")
    except Locked:
        return render_template("login.html", form=form, error=_locked_message()), 429
    if user is None:
        return render_template(
            "login.html", form=form, error=_("Wrong user name or password.")
        ), 401

    user.last_login_at = utcnow()
    audit.record(
        db, action="login", actor_id=user.id, actor_name=user.username, address=client_address()
    )
    db.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


@blueprint.post("/logout")
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
