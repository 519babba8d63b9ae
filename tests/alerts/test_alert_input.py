"""What an alert may carry: clean text (line breaks allowed), clean regions, and not too many
of them, refused alike by the API, the panel and the command line."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.accounts import User
from gateway.alert_models import Alert
from gateway.alerts import MAX_ALERT_REGIONS, AlertError, AlertRequest
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import SmppSettings
from sms.compose import preview
from sms.models import OutboundMessage
from tests.support import csrf_token


def alerts_and_messages(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count(Alert.id))) or 0,
            session.scalar(select(func.count(OutboundMessage.id))) or 0,
        )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"text": "Evacuar \u202eahora", "regions": ["*"]}, "reading direction"),
        ({"text": "Evacuar\x1b[2J", "regions": ["*"]}, "control character"),
        ({"text": "\u200b\u200c\u200d", "regions": ["*"]}, "invisible"),
        ({"text": "Evacuar", "regions": ["Solo\u2067lá"]}, "reading direction"),
        ({"text": "Evacuar", "regions": ["x" * 65]}, "longer than 64"),
        ({"text": "Evacuar", "regions": [f"r{n}" for n in range(50_000)]}, "at most 100"),
    ],
)
def test_the_api_refuses_bad_alert_text_and_regions_with_the_reason(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    body: dict,
    reason: str,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    started = time.monotonic()
    response = client.post("/api/v1/alerts", json={**body, "channels": ["sms"]}, headers=headers)
    assert response.status_code == 422
    assert reason in response.json["error"]["message"]  # type: ignore[index]
    assert time.monotonic() - started < 5
    assert alerts_and_messages(database) == (0, 0)


def test_line_breaks_are_kept_in_alert_text_and_regions_are_cleaned_once() -> None:
    request = AlertRequest.from_json(
        {"text": " Evacuar\r\nahora ", "regions": ["Solola\u0301", "Sololá", " "]}
    )
    assert request.text == "Evacuar\nahora"
    assert request.regions == ["Sololá"]
    with pytest.raises(AlertError):
        AlertRequest.from_json({"text": "x", "regions": ["r"] * (MAX_ALERT_REGIONS + 1)})


def test_the_live_preview_says_why_the_text_cannot_be_sent() -> None:
    shown = preview("Evacuar \u202eahora", settings=SmppSettings())
    assert shown["segments"] == 1 and "reading direction" in shown["error"]
    assert preview("Evacuar\nahora", settings=SmppSettings())["error"] is None


def test_the_panel_refuses_bidi_alert_text_with_the_reason(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    data = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Evacuar \u202eahora",
        "regions": ["*"],
        "sms": "y",
        "confirm": "y",
    }
    page = client.post("/alerts/", data=data)
    assert page.status_code == 422
    assert "reading direction" in page.get_data(as_text=True)
    assert alerts_and_messages(database) == (0, 0)


@pytest.mark.parametrize(
    "args",
    [
        ["alert", "send", "--text", "Evacuar \u2066ahora", "--region", "*", "--sms"],
        ["alert", "send", "--text", "Evacuar", "--region", "San\x7fPedro", "--sms"],
        ["sms", "send", "--to", "+50255551234", "--text", "Hola\x00"],
    ],
)
def test_the_command_line_refuses_in_one_line(app: Flask, database: Database, args) -> None:
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert alerts_and_messages(database) == (0, 0)
