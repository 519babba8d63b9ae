"""The panel speaks Spanish by default and English on request, and stays light."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.roles import Role


def test_login_page_is_in_spanish_by_default(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Entrar" in page and "Contraseña" in page


def test_choosing_english_sticks_for_later_pages(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Password" in page and "Contraseña" not in page


def test_panel_navigation_and_roles_are_translated(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.ADMIN)
    spanish = client.get("/admin/users").get_data(as_text=True)
    assert (
        "Cuentas" in spanish and "Registro de auditoría" in spanish and "administración" in spanish
    )
    client.get("/lang/en")
    english = client.get("/admin/users").get_data(as_text=True)
    assert "Users" in english and "Audit log" in english and "(admin)" in english


def test_language_switch_refuses_to_redirect_off_site(client: FlaskClient) -> None:
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_every_panel_page_is_under_100_kb(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.ADMIN)
    for path in ("/", "/admin/users", "/admin/audit", "/admin/tokens", "/static/altavoz.css"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert len(response.data) < 100_000, path
