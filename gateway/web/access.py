"""Sessions, the current user or token, and role checks shared by the panel and the API."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy.orm import Session

from gateway.accounts import Actor, ApiToken, User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings

login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)


def settings() -> Settings:
    value: Settings = current_app.extensions["altavoz.settings"]
    return value


def database() -> Database:
    value: Database = current_app.extensions["altavoz.database"]
    return value


def db_session() -> Session:
    """The request's session; committed explicitly by the views that change something."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def close_db_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def _load_user(user_id: str) -> User | None:
    raw_id, _, generation = user_id.partition(":")
    if not raw_id.isdigit() or not generation.isdigit():
        return None
    user = db_session().get(User, int(raw_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def current_actor() -> Actor:
    token: ApiToken | None = g.get("api_token")
    if token is not None:
        return Actor(id=token.created_by, name=f"token:{token.name}", address=client_address())
    if current_user.is_authenticated:
        return Actor(id=current_user.id, name=current_user.username, address=client_address())
    return Actor(id=None, name="anonymous", address=client_address())


def current_role() -> Role | None:
    token: ApiToken | None = g.get("api_token")
    if token is not None:
        return token.role_enum
    if current_user.is_authenticated:
        role: Role = current_user.role_enum
        return role
    return None


def requires(roles: Iterable[Role]) -> Callable[[F], F]:
    """Allow a panel view to these roles; others get 403, strangers the login page."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            if current_user.role_enum not in allowed:
                abort(403)
            # End the transaction that loaded the user: on SQLite every transaction holds the
            # write lock (gateway.database), and a view's slow part (decoding an upload,
            # checking a CSV) must not keep the workers waiting.
            db_session().commit()
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def allowed_roles(view: Callable[..., Any]) -> frozenset[Role] | None:
    return getattr(view, "allowed_roles", None)
