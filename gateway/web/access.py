"""Sessions, the current user or token, and role checks shared by the panel and the API.

Every endpoint declares who may reach it, on the view function itself: `requires` (panel) and
`api.api_requires` set `allowed_roles`, `public` marks the few open to anyone, and
`personal_data` marks what must never be kept by a browser or proxy cache (`no-store`, added
here after the request). The route x role test reads the same declarations, so an endpoint
without one fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy.orm import Session

from gateway import accounts
from gateway.accounts import Actor, ApiToken, User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from gateway.web.errors import ApiError

login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])


FRAMEWORK_PUBLIC = frozenset({"static"})
"""Flask's own endpoints, which cannot carry a declaration: the stylesheets and scripts."""


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    app.after_request(_no_store_personal_data)


def public(view: F) -> F:
    """Declare a view open to anyone (it does its own checks, if any)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def personal_data(view: F) -> F:
    """Declare that a view's answer carries personal data: sent `Cache-Control: no-store`."""
    view.personal_data = True  # type: ignore[attr-defined]
    return view


def is_public(app: Flask, endpoint: str) -> bool:
    return endpoint in FRAMEWORK_PUBLIC or getattr(app.view_functions[endpoint], "public", False)


def carries_personal_data(app: Flask, endpoint: str | None) -> bool:
    view = app.view_functions.get(endpoint or "")
    return bool(getattr(view, "personal_data", False))


def personal_data_in_this_answer() -> None:
    """For views whose answer carries personal data only sometimes (a caller's voice in the
    library): the same `no-store` as a view declared with `personal_data`."""
    g.personal_data = True


def _no_store_personal_data(response: Response) -> Response:
    if g.get("personal_data") or carries_personal_data(current_app, request.endpoint):
        response.headers["Cache-Control"] = "private, no-store"
    return response


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


def bearer_token() -> ApiToken:
    """The request's live API token (`Authorization: Bearer TOKEN`), or a 401 saying why."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise ApiError(401, "send an API token as 'Authorization: Bearer TOKEN'")
    db = db_session()
    try:
        token = accounts.authenticate_token(db, credential.strip())
    except accounts.TokenRefused as exc:
        raise ApiError(401, str(exc)) from None
    if token is None:
        raise ApiError(401, "the API token is not valid or has been revoked")
    db.commit()
    return token


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
