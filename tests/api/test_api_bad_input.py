"""Bad input anywhere under /api/v1 answers 4xx with a JSON reason naming the field, never 500.

Each family here answered 500 before the API was described by pydantic models: ids above
2^63 (path and body), dates near year 1 or 9999, non-integer minutes, NaN, lone surrogates,
deep nesting; and a JSON 405 came without its `Allow` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.roles import Role
from tests.support import add_recordings

TOO_BIG = 2**63
JSON = "application/json"


@pytest.fixture
def admin(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.ADMIN)}"}


def refused(response: object, status: int, field: str | None = None) -> str:
    """Assert a JSON refusal with this status (and naming this field); return its message."""
    assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
    error = response.get_json()["error"]  # type: ignore[attr-defined]
    assert error["code"] and error["message"]
    if field is not None:
        assert f"'{field}" in error["message"], error["message"]
    return str(error["message"])


def id_routes(app: Flask) -> list[str]:
    """Every GET route of the app (panel and API) with an id in its path, filled with 2^63."""
    return sorted(
        re.sub(r"<int:\w+>", str(TOO_BIG), rule.rule)
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule and "GET" in (rule.methods or set())
    )


def test_ids_above_2_63_in_any_path_are_404_not_500(
    app: Flask, client: FlaskClient, admin: dict[str, str], logged_in: Callable[[Role], object]
) -> None:
    logged_in(Role.ADMIN)
    paths = id_routes(app)
    assert "/api/v1/recordings/9223372036854775808" in paths
    assert any(not path.startswith("/api/") for path in paths)
    for path in paths:
        response = client.get(path, headers=admin)
        assert response.status_code == 404, path
        if path.startswith("/api/"):
            refused(response, 404)
    assert client.delete(f"/api/v1/schedule/{TOO_BIG}", headers=admin).status_code == 404
    assert client.get("/api/v1/recordings/0", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/playlists", {"name": "x", "items": [TOO_BIG]}, "items.0"),
        (
            "/api/v1/schedule",
            {"playlist_id": TOO_BIG, "start": "2026-12-01T07:00:00Z"},
            "playlist_id",
        ),
        (
            "/api/v1/alerts",
            {"text": "x", "channels": ["air"], "audio_recording_id": TOO_BIG},
            "audio_recording_id",
        ),
    ],
)
def test_ids_above_2_63_in_a_body_are_422(
    client: FlaskClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    refused(client.post(path, json=body, headers=admin), 422, field)


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-05:00", "9999-12-31T23:59:59-05:00"],
)
def test_dates_near_year_1_or_9999_are_422(
    client: FlaskClient, admin: dict[str, str], database: object, moment: str
) -> None:
    [recording] = add_recordings(database, "Voces", duration_s=60)  # type: ignore[arg-type]
    slot = {"recording_id": recording, "start": moment}
    refused(client.post("/api/v1/schedule", json=slot, headers=admin), 422, "start")
    later = {"recording_id": recording, "start": "2026-12-01T07:00:00Z", "end": moment}
    refused(client.post("/api/v1/schedule", json=later, headers=admin), 422)
    for window in ({"from": moment}, {"to": moment}, {"from": moment, "to": moment}):
        refused(client.get("/api/v1/schedule", query_string=window, headers=admin), 422)


@pytest.mark.parametrize("minutes", ["5", [5], 1e308, -1, 10**6, True, 2.5])
def test_jingle_every_minutes_must_be_a_whole_number_of_minutes_in_a_day(
    client: FlaskClient, admin: dict[str, str], minutes: object
) -> None:
    body = {"name": "Mañana", "items": [], "jingle_every_minutes": minutes}
    refused(client.post("/api/v1/playlists", json=body, headers=admin), 422, "jingle_every_minutes")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"name": "x", "items": [], "no_repeat_minutes": NaN}', "expected value"),
        ('{"name": "x", "items": [], "no_repeat_minutes": Infinity}', "expected value"),
        ('{"name": "a\\ud800b", "items": []}', "hex escape"),
        ("[" * 10_000 + "]" * 10_000, "recursion"),
        ('{"name": "x", "items": [', "EOF"),
    ],
)
def test_json_that_is_not_strict_json_is_400_with_the_parser_s_reason(
    client: FlaskClient, admin: dict[str, str], raw: str, reason: str
) -> None:
    response = client.post("/api/v1/playlists", data=raw, content_type=JSON, headers=admin)
    message = refused(response, 400)
    assert "not valid JSON" in message
    assert reason.lower() in message.lower(), message


def test_lone_surrogate_in_any_json_endpoint_is_400(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    raw = '{"phone": "+50255551234", "region": "a\\ud800b"}'
    response = client.post("/api/v1/subscribers", data=raw, content_type=JSON, headers=admin)
    refused(response, 400)


def test_what_the_document_allowed_but_the_code_refused_is_now_refused_by_the_model(
    client: FlaskClient, admin: dict[str, str], database: object
) -> None:
    [recording] = add_recordings(database, "Voces", duration_s=60)  # type: ignore[arg-type]
    refused(
        client.post(
            "/api/v1/subscribers", json={"phone": "+50255551234", "region": ""}, headers=admin
        ),
        422,
        "region",
    )
    refused(
        client.post("/api/v1/alerts", json={"text": "", "regions": ["*"]}, headers=admin),
        422,
        "text",
    )
    backwards = {
        "recording_id": recording,
        "start": "2026-12-01T08:00:00Z",
        "end": "2026-12-01T07:00:00Z",
    }
    message = refused(client.post("/api/v1/schedule", json=backwards, headers=admin), 422)
    assert "'end' must come after 'start'" in message
    refused(client.post("/api/v1/playlists", json={"name": "x"}, headers=admin), 422, "items")
    refused(
        client.post(
            "/api/v1/playlists", json={"name": "x", "items": [], "itmes": []}, headers=admin
        ),
        422,
        "itmes",
    )


def test_body_that_is_not_json_is_415_and_a_json_array_is_422(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    refused(client.post("/api/v1/playlists", data="name=x", headers=admin), 415)
    refused(client.post("/api/v1/playlists", json=[1, 2], headers=admin), 422)


def test_json_405_carries_the_allow_header(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.delete("/api/v1/recordings", headers=admin)
    refused(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    panel = client.delete("/login")
    assert panel.status_code == 405 and "POST" in panel.headers["Allow"]
