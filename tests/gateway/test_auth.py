"""Logging in: the real form, CSRF, throttling, cookie flags, and sessions that end on demand."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import accounts
from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database
from gateway.roles import Role
from tests.support import PASSWORD, create_user_in_panel, csrf_token, log_in


def test_login_with_the_right_password_opens_the_panel(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    assert log_in(client, "lucia") == 302
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_is_refused_and_audited(
    client: FlaskClient, make_user: Callable[..., User], database: Database
) -> None:
    make_user(Role.OPERATOR, "lucia")
    assert log_in(client, "lucia", "not the password") == 401
    assert client.get("/").status_code == 302
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "login.failed" in actions


def test_login_form_without_csrf_token_is_rejected(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.ADMIN, "ana")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_panel_form_with_a_forged_csrf_token_changes_nothing(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.ADMIN)
    response = client.post(
        "/admin/users",
        data={
            "username": "intrusa",
            "role": "admin",
            "password": "x" * 12,
            "confirm": "x" * 12,
            "csrf_token": "forged",
        },
    )
    assert response.status_code == 400
    with database.session() as session:
        assert accounts.find_user(session, "intrusa") is None


def test_five_failures_lock_the_account_even_for_the_right_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    for _ in range(5):
        assert log_in(client, "lucia", "wrong password!") == 401
    assert log_in(client, "lucia") == 429


def test_session_cookie_is_httponly_and_samesite(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "lucia", "password": PASSWORD, "csrf_token": token}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_marked_secure_when_served_over_https(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    response = client.get("/login", base_url="https://radio.example")
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))


def test_disabling_a_user_ends_their_open_session(
    client: FlaskClient, make_user: Callable[..., User], database: Database
) -> None:
    user = make_user(Role.OPERATOR, "lucia")
    make_user(Role.ADMIN, "ana")
    assert log_in(client, "lucia") == 302
    with database.session() as session:
        accounts.update_user(session, session.get(User, user.id), role=Role.OPERATOR, active=False)  # type: ignore[arg-type]
    assert client.get("/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.MODERATOR)
    assert client.post("/logout").status_code == 400
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_admin_creates_an_operator_through_the_panel_and_it_is_audited(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.ADMIN)
    response = create_user_in_panel(client, "rosa", "a long password")
    assert response.status_code == 302
    with database.session() as session:
        assert accounts.find_user(session, "rosa").role == "operator"  # type: ignore[union-attr]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).all()
    assert [e.target for e in entry][-1] == "rosa"
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user.create" in page and "rosa" in page


def test_last_admin_cannot_be_disabled(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    admin = logged_in(Role.ADMIN)
    token = csrf_token(client, f"/admin/users/{admin.id}")
    response = client.post(
        f"/admin/users/{admin.id}", data={"role": "operator", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "el último administrador activo" in response.get_data(as_text=True)


def test_first_admin_is_created_once_with_a_one_time_password(database: Database) -> None:
    with database.session() as session:
        password = accounts.ensure_first_admin(session)
    assert password and len(password) >= 12
    with database.session() as session:
        assert accounts.ensure_first_admin(session) is None
        admin = accounts.find_user(session, "admin")
        assert admin is not None and accounts.verify_password(admin, password)
