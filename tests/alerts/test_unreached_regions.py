"""An SMS alert to a region where nobody is subscribed is accepted, and the sender is told:
a `warnings` list in the API's answer, a flash in the panel, a line on stderr at the command
line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from gateway.accounts import User
from gateway.roles import Role
from sms.subscribers import fold_region, unreached
from tests.support import csrf_token


def post(client: FlaskClient, token: str, regions: list[str], channels: list[str]) -> dict:
    response = client.post(
        "/api/v1/alerts",
        json={"text": "Evacuar", "regions": regions, "channels": channels},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[return-value]


def test_the_api_warns_of_regions_without_subscribers(
    client: FlaskClient, api_token: Callable[[Role], str], in_solola: None
) -> None:
    token = api_token(Role.OPERATOR)
    answer = post(client, token, ["Xela"], ["sms"])
    assert answer["warnings"] == ["no subscribers in 'Xela': nobody there gets this alert by SMS"]
    assert "'Xela'" in post(client, token, ["solola", "Xela"], ["sms"])["warnings"][0]
    assert "solola" not in post(client, token, ["solola", "Xela"], ["sms"])["warnings"][0]
    assert post(client, token, ["SOLOLA"], ["sms"])["warnings"] == []
    assert post(client, token, ["*"], ["sms"])["warnings"] == []
    assert post(client, token, ["Xela"], ["air"])["warnings"] == []


def test_an_alert_to_every_region_warns_when_nobody_is_subscribed(
    client: FlaskClient, api_token: Callable[[Role], str]
) -> None:
    answer = post(client, api_token(Role.OPERATOR), ["*"], ["sms", "air"])
    assert answer["warnings"] == ["no subscribers in '*': nobody there gets this alert by SMS"]


def test_the_openapi_document_describes_the_warnings(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    created = document["paths"]["/alerts"]["post"]["responses"]["201"]  # type: ignore[index]
    ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = document["components"]["schemas"][ref]  # type: ignore[index]
    assert schema["properties"]["warnings"]["type"] == "array"


@pytest.mark.parametrize(
    ("language", "words"), [("en", "no subscribers in xela"), ("es", "no hay suscriptores en xela")]
)
def test_the_panel_flashes_the_warning(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    in_solola: None,
    language: str,
    words: str,
) -> None:
    logged_in(Role.OPERATOR)
    client.get(f"/lang/{language}")
    data = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Evacuar",
        "other_regions": "Xela",
        "sms": "y",
        "confirm": "y",
    }
    page = client.post("/alerts/", data=data, follow_redirects=True)
    assert page.status_code == 200
    assert words in page.get_data(as_text=True).lower(), "no warning flashed"


def test_the_command_line_warns_on_stderr(app: Flask, in_solola: None) -> None:
    result = app.test_cli_runner().invoke(
        args=["alert", "send", "--text", "Evacuar", "--region", "Xela", "--sms"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("alert 1: 0 SMS recipient(s)")
    assert result.stderr.strip().splitlines() == [
        "altavoz: warning: no subscribers in 'Xela': nobody there gets this alert by SMS"
    ]
    quiet = app.test_cli_runner().invoke(
        args=["alert", "send", "--text", "Evacuar", "--region", "Sololá", "--sms"]
    )
    assert quiet.exit_code == 0 and quiet.stderr == ""


@given(
    regions=st.lists(st.sampled_from(["Sololá", "solola", "Xela", "*", "todas", "Tecpán"])),
    subscribed=st.sets(st.sampled_from(["Sololá", "Xela", "Tecpán"])),
)
def test_unreached_is_every_named_region_nobody_subscribes_in(
    regions: list[str], subscribed: set[str]
) -> None:
    keys = {fold_region(region) for region in subscribed}
    result = unreached(regions, keys)
    for region in regions:
        everywhere = fold_region(region) in {"*", "todas"}
        expected = not keys if everywhere else fold_region(region) not in keys
        assert (region in result) == expected
