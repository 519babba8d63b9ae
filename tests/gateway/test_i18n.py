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


def test_every_string_in_the_code_has_a_spanish_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "gateway/translations/es/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string}
    method_map = [("gateway/**.py", "python"), ("gateway/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(root),
            method_map,
            keywords=keywords,
            directory_filter=lambda d: not Path(d).name.startswith((".", "tests", "var")),
        )
        if isinstance(message, str)
    }
    assert sorted(found - translated) == []


def test_every_panel_page_is_under_100_kb(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.ADMIN)
    for path in ("/", "/admin/users", "/admin/audit", "/admin/tokens", "/static/altavoz.css"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert len(response.data) < 100_000, path
