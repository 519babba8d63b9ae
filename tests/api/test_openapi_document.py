"""The served OpenAPI document is derived from the routes and their pydantic models."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from gateway.roles import Role
from gateway.web.api_subscribers import LANGUAGE_CODE
from gateway.web.identifiers import MAX_ID
from sms.subscribers import LANGUAGES


def served(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    paths = served(client)["paths"]
    documented = {
        (f"/api/v1{path}", method.upper()) for path, item in paths.items() for method in item
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        template = rule.rule.replace("<int:", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (template, method) in documented, f"{method} {rule.rule} has no @operation"


def test_statuses_the_machinery_answers_are_documented_on_each_operation(
    client: FlaskClient,
) -> None:
    paths = served(client)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            if operation.get("security") != []:
                assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
                [parameter] = [p for p in operation["parameters"] if p["in"] == "path"]
                assert parameter["schema"]["minimum"] == 1
                assert parameter["schema"]["maximum"] == MAX_ID
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= statuses, (method, path)
    assert "409" in paths["/schedule"]["post"]["responses"]
    assert "multipart/form-data" in paths["/recordings"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in paths["/voice-messages"]["post"]["requestBody"]["content"]
    assert "application/xml" in paths["/alerts/cap"]["post"]["requestBody"]["content"]
    exported = paths["/alerts/{alert_id}.cap"]["get"]["responses"]["200"]
    assert "application/xml" in exported["content"]


def test_constraints_the_code_enforces_are_in_the_document(client: FlaskClient) -> None:
    schemas = served(client)["components"]["schemas"]
    assert schemas["NewSubscriber"]["properties"]["region"]["pattern"] == r"\S"
    assert schemas["NewAlert"]["properties"]["text"]["pattern"] == r"\S"
    minutes = schemas["NewPlaylist"]["properties"]["jingle_every_minutes"]
    assert (minutes["type"], minutes["minimum"], minutes["maximum"]) == ("integer", 0, 1440)
    assert schemas["NewPlaylist"]["additionalProperties"] is False
    language = schemas["NewSubscriber"]["properties"]["language"]["anyOf"][0]
    assert language["pattern"] == LANGUAGE_CODE and all(
        re.match(LANGUAGE_CODE, code) for code in LANGUAGES
    )


def test_a_body_over_the_upload_limit_is_a_json_413(
    app: Flask, client: FlaskClient, api_token: Callable[[Role], str]
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        "/api/v1/playlists",
        json={"name": "x" * 2048, "items": []},
        headers={"Authorization": f"Bearer {api_token(Role.ADMIN)}"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
