"""Every route × every role: who gets in, who gets 403, and that no route is left open."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from gateway.accounts import User
from gateway.roles import Role
from gateway.web.access import allowed_roles
from tests.support import csrf_token

PUBLIC_ENDPOINTS = {
    "static",
    "health.healthz",
    "health.metrics",
    "auth.login",
    "auth.logout",
    "set_language",
    "api.openapi_document",
}
SAMPLE_IDS = {"user_id": 1, "token_id": 1}


def panel_rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC_ENDPOINTS and not rule.endpoint.startswith("api."):
            yield rule


def api_rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in PUBLIC_ENDPOINTS:
            yield rule


def concrete_path(rule: Rule) -> str:
    values = {name: SAMPLE_IDS.get(name, 1) for name in rule.arguments}
    return rule.build(values)[1]  # type: ignore[index]


def test_every_route_declares_the_roles_it_allows(app: Flask) -> None:
    undeclared = [
        rule.endpoint
        for rule in [*panel_rules(app), *api_rules(app)]
        if allowed_roles(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("role", list(Role))
def test_panel_routes_answer_each_role_as_declared(
    app: Flask, client: FlaskClient, logged_in: Callable[[Role], User], role: Role
) -> None:
    logged_in(role)
    token = csrf_token(client, "/")
    checked = 0
    for rule in panel_rules(app):
        allowed = allowed_roles(app.view_functions[rule.endpoint])
        assert allowed is not None
        path = concrete_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            if method == "GET":
                response = client.get(path)
            else:
                response = client.open(path, method=method, data={"csrf_token": token})
            checked += 1
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code)
    assert checked >= 8


def test_strangers_are_sent_to_the_login_page_from_every_panel_page(
    app: Flask, client: FlaskClient
) -> None:
    for rule in panel_rules(app):
        if "GET" in rule.methods:  # type: ignore[operator]
            response = client.get(concrete_path(rule))
            assert response.status_code == 302, rule.endpoint
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_api_routes_answer_each_token_role_as_declared(
    app: Flask, client: FlaskClient, api_token: Callable[[Role], str], role: Role
) -> None:
    headers = {"Authorization": f"Bearer {api_token(role)}"}
    for rule in api_rules(app):
        allowed = allowed_roles(app.view_functions[rule.endpoint])
        assert allowed is not None
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            response = client.open(concrete_path(rule), method=method, headers=headers, json={})
            if role in allowed:
                assert response.status_code not in (401, 403), (method, rule.rule, role)
            else:
                assert response.status_code == 403, (method, rule.rule, role)
                assert response.json["error"]["code"] == "forbidden"  # type: ignore[index]


def test_operator_cannot_open_admin_pages(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.OPERATOR)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/tokens").status_code == 403
