"""In a real browser: the first admin logs in, must choose a password, and creates an operator
kept out of admin pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, chromium, live_station

pytestmark = pytest.mark.browser


def test_admin_logs_in_creates_an_operator_who_gets_403_on_admin_pages(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_station(tmp_path, first_login_done=False) as station, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{station.base_url}/")
        assert "/login" in page.url
        assert page.locator("html").get_attribute("lang") == "es"
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", station.admin_password)
        page.screenshot(path=str(ARTIFACTS / "login-form.png"))
        page.click("button[type=submit]")
        page.wait_for_url(f"{station.base_url}/account/password")
        assert page.get_by_role("link", name="Cuentas").count() == 0
        page.fill("input[name=current]", station.admin_password)
        page.fill("input[name=password]", "aaaaaaaaaa")
        page.fill("input[name=confirm]", "aaaaaaaaaa")
        page.click("form.stack button[type=submit]")
        assert page.get_by_text("Las repeticiones como «aaa»").is_visible()
        page.goto(f"{station.base_url}/admin/users")
        assert page.url == f"{station.base_url}/account/password"
        page.fill("input[name=current]", station.admin_password)
        page.fill("input[name=password]", "gallo rojo canta 7")
        page.fill("input[name=confirm]", "gallo rojo canta 7")
        page.screenshot(path=str(ARTIFACTS / "first-password-change.png"))
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{station.base_url}/")
        assert page.get_by_text("Su contraseña se cambió.").is_visible()
        assert page.get_by_role("link", name="Cuentas").is_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-admin.png"), full_page=True)

        page.goto(f"{station.base_url}/admin/users")
        page.fill("form.stack input[name=username]", "operadora")
        page.select_option("form.stack select[name=role]", "operator")
        page.fill("form.stack input[name=password]", "una clave bastante larga")
        page.fill("form.stack input[name=confirm]", "una clave bastante larga")
        page.click("form.stack button[type=submit]")
        assert page.get_by_text("Cuenta operadora creada.").is_visible()
        page.click("header button[type=submit]")
        page.wait_for_url("**/login")

        page.fill("input[name=username]", "operadora")
        page.fill("input[name=password]", "una clave bastante larga")
        page.click("button[type=submit]")
        page.wait_for_url(f"{station.base_url}/")
        assert page.get_by_role("link", name="Cuentas").count() == 0
        response = page.goto(f"{station.base_url}/admin/users")
        assert response is not None and response.status == 403
        page.screenshot(path=str(ARTIFACTS / "operator-forbidden.png"))
    assert (ARTIFACTS / "login-form.png").stat().st_size > 1000
