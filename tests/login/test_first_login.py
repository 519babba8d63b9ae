"""The first admin's printed password is good for one login: the panel asks for a new one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import accounts
from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database
from gateway.roles import Role
from tests.support import PASSWORD, csrf_token, log_in

CHANGE_PAGE = "/account/password"
OPEN_DURING_CHANGE = {"auth.change_password", "auth.logout", "auth.login", "set_language"}


@pytest.fixture
def first_password(database: Database) -> str:
    with database.session() as session:
        password = accounts.ensure_first_admin(session)
    assert password is not None
    return password


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> int:
    token = csrf_token(client, CHANGE_PAGE)
    data = {"current": current, "password": new, "confirm": confirm or new, "csrf_token": token}
    return client.post(CHANGE_PAGE, data=data).status_code


def is_flagged(database: Database, username: str) -> bool:
    with database.session() as session:
        user = accounts.find_user(session, username)
        assert user is not None
        return user.must_change_password


def test_the_first_admin_is_flagged_but_other_accounts_are_not(
    first_password: str, make_user: Callable[..., User], database: Database
) -> None:
    make_user(Role.OPERATOR, "lucia")
    assert is_flagged(database, "admin")
    assert not is_flagged(database, "lucia")


def test_every_panel_page_leads_to_the_change_until_the_password_is_changed(
    app: Flask, client: FlaskClient, first_password: str
) -> None:
    assert log_in(client, "admin", first_password) == 302
    panel_pages = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.endpoint not in OPEN_DURING_CHANGE
        and rule.endpoint.split(".")[0] not in {"api", "health", "static"}
    ]
    assert len(panel_pages) > 20
    for rule in panel_pages:
        path = rule.build(dict.fromkeys(rule.arguments, 1))[1]  # type: ignore[index]
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == CHANGE_PAGE, path
    assert client.get(CHANGE_PAGE).status_code == 200


def test_a_form_posted_before_the_change_changes_nothing(
    client: FlaskClient, first_password: str, database: Database
) -> None:
    assert log_in(client, "admin", first_password) == 302
    token = csrf_token(client, CHANGE_PAGE)
    response = client.post(
        "/admin/users",
        data={
            "username": "rosa",
            "role": "admin",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == CHANGE_PAGE
    with database.session() as session:
        assert accounts.find_user(session, "rosa") is None


def test_the_change_needs_the_current_password_and_a_strong_different_new_one(
    client: FlaskClient, first_password: str, database: Database
) -> None:
    assert log_in(client, "admin", first_password) == 302
    assert change(client, "not the password", PASSWORD) == 400
    assert change(client, first_password, "aaaaaaaaaa") == 400
    assert change(client, first_password, first_password) == 400
    assert change(client, first_password, PASSWORD, confirm="something else") == 400
    for _ in range(5):  # refused choices with the right current password do not lock anyone
        assert change(client, first_password, "password123") == 400
    assert is_flagged(database, "admin")

    assert change(client, first_password, PASSWORD) == 302
    assert client.get("/").status_code == 200
    assert client.get("/admin/users").status_code == 200
    assert not is_flagged(database, "admin")
    with database.session() as session:
        assert accounts.authenticate(session, "admin", first_password) is None
        entries = session.scalars(select(AuditEntry.action)).all()
    assert "user.password" in entries


def test_a_weak_new_password_is_refused_with_the_reason_in_spanish(
    client: FlaskClient, first_password: str
) -> None:
    assert log_in(client, "admin", first_password) == 302
    token = csrf_token(client, CHANGE_PAGE)
    response = client.post(
        CHANGE_PAGE,
        data={
            "current": first_password,
            "password": "password123",
            "confirm": "password123",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Esta es una contraseña muy usada" in page
    assert "Cambie su contraseña" in page


def test_every_account_can_change_its_own_password(
    app: Flask, client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    user = logged_in(Role.MODERATOR)
    assert "/account/password" in client.get("/").get_data(as_text=True)
    assert change(client, PASSWORD, "tortuga verde 47 maíz") == 302
    assert client.get("/").status_code == 200
    assert log_in(app.test_client(), user.username) == 401
    assert log_in(app.test_client(), user.username, "tortuga verde 47 maíz") == 302
