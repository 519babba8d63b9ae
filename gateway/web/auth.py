"""Logging in and out and changing one's own password, throttled as gateway.throttle explains."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session

from gateway import accounts, audit, throttle
from gateway.accounts import User, WeakPasswordError
from gateway.database import utcnow
from gateway.roles import ALL_ROLES
from gateway.web.access import (
    client_address,
    current_actor,
    db_session,
    public,
    requires,
    settings,
)
from gateway.web.forms import WEAKNESS_MESSAGES, ChangePasswordForm, LoginForm
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
    Commits in every case: what it counted must stay counted whatever the caller does next.
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
    db.commit()
    return user


def _locked_message() -> str:
    return _(
        "Too many failed logins. Try again in %(minutes)d minutes.",
        minutes=settings().web.login_window_minutes,
    )


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


# What an account that must change its password may still reach: the change itself, logging
# out, the language switch and static files. The API and health checks are not the panel.
_OPEN_DURING_CHANGE = frozenset({"auth.change_password", "auth.logout", "set_language", "static"})


@blueprint.before_app_request
def require_password_change() -> ResponseReturnValue | None:
    """Until a temporary password is replaced, every panel page leads to the change page."""
    if (
        not current_user.is_authenticated
        or not current_user.must_change_password
        or request.endpoint in _OPEN_DURING_CHANGE
        or request.blueprint == "health"
        or request.path.startswith("/api/")
    ):
        return None
    return redirect(url_for("auth.change_password"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@requires(ALL_ROLES)
def change_password() -> ResponseReturnValue:
    """Anyone's own password change; the current password is checked like a login."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("account_password.html", form=form), (
            400 if request.method == "POST" else 200
        )
    db = db_session()
    user: User = current_user._get_current_object()
    current, new = form.current.data or "", form.password.data or ""
    try:
        checked = check_credentials(db, user.username, current)
    except Locked:
        return render_template("account_password.html", form=form, error=_locked_message()), 429
    if checked is None or checked.id != user.id:
        form.current.errors = [_("The current password is not right.")]
        return render_template("account_password.html", form=form), 400
    if new == current:
        form.password.errors = [_("Choose a password different from the current one.")]
        return render_template("account_password.html", form=form), 400
    try:
        accounts.set_password(db, user, new, actor=current_actor())
    except WeakPasswordError as exc:
        form.password.errors = [WEAKNESS_MESSAGES[exc.weakness]]
        return render_template("account_password.html", form=form), 400
    db.commit()
    login_user(user)  # the change ended every session of the account, this one included
    flash(_("Your password has been changed."))
    return redirect(url_for("panel.dashboard"))


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
