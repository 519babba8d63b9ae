"""Text that would reach phones as an empty SMS, or with control characters, is refused with
the reason on every path that sends SMS text: the API, the panel's alert form, `altavoz alert
send` and `altavoz sms send`. The check judges the text as it will be sent, after smart
encoding has deleted what it deletes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.accounts import User
from gateway.alert_models import Alert
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import SmppSettings
from sms.compose import ComposeError, compose, preview, typed_text
from sms.models import OutboundMessage
from tests.support import csrf_token

NOTHING_VISIBLE = [
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\u00ad\ufeff\u200b",
    " \u200b\n\u00ad ",
    "\u0301",
    "\u0301\u0308",
    "\ufe0f",
    "\u200b\u0301",
]
"""The issue's cases (zero-width space, soft hyphen, byte order mark, alone and together) and
accents or a variation selector with no letter, which smart encoding deletes to nothing."""

CONTROL = ["Evacuar\x1b[31m ahora", "\x1b[2J", "Hola\x00", "Hola\x7f", "a\x07b", "\x1f"]

REFUSED = [
    *((text, "invisible") for text in NOTHING_VISIBLE),
    *((text, "control character") for text in CONTROL),
]


def alerts_and_messages(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count(Alert.id))) or 0,
            session.scalar(select(func.count(OutboundMessage.id))) or 0,
        )


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_the_api_refuses_the_text(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    in_solola: None,
    text: str,
    reason: str,
) -> None:
    response = client.post(
        "/api/v1/alerts",
        json={"text": text, "regions": ["*"], "channels": ["sms"]},
        headers={"Authorization": f"Bearer {api_token(Role.OPERATOR)}"},
    )
    assert response.status_code == 422, response.json
    assert reason in response.json["error"]["message"]  # type: ignore[index]
    assert alerts_and_messages(database) == (0, 0)


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_the_panel_refuses_the_text(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    in_solola: None,
    text: str,
    reason: str,
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    data = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": text,
        "regions": ["*"],
        "sms": "y",
        "smart": "y",
        "confirm": "y",
    }
    page = client.post("/alerts/", data=data)
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    # A blank field is already refused by the form itself ("This field is required").
    assert reason in body or "required" in body
    assert alerts_and_messages(database) == (0, 0)


@pytest.mark.parametrize(("text", "reason"), REFUSED)
@pytest.mark.parametrize("command", ["alert", "sms"])
def test_the_command_line_refuses_the_text_in_one_line(
    app: Flask, database: Database, in_solola: None, command: str, text: str, reason: str
) -> None:
    if command == "alert":
        args = ["alert", "send", "--text", text, "--region", "*", "--sms"]
    else:
        args = ["sms", "send", "--to", "+50255551234", "--text", text]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.output
    assert alerts_and_messages(database) == (0, 0)


@pytest.mark.parametrize("text", NOTHING_VISIBLE)
@pytest.mark.parametrize("smart", [True, False])
def test_the_text_as_sent_is_judged_not_only_the_text_as_typed(text: str, smart: bool) -> None:
    """compose() is the last gate: whatever a caller checked before, it never makes an empty
    SMS, and the live preview says so."""
    with pytest.raises(ComposeError, match=r"nothing visible|invisible"):
        compose(text, settings=SmppSettings(), smart=smart)
    shown = preview(text + "x", settings=SmppSettings(), smart=smart)
    assert shown["error"] is None
    if text.strip():
        assert "invisible" in str(preview(text, settings=SmppSettings(), smart=smart)["error"])


def test_invisible_characters_inside_real_text_are_removed_not_refused() -> None:
    composed = compose(typed_text("Evacuar\u00ad ahora\ufeff\u200b"), settings=SmppSettings())
    assert composed.text == "Evacuar ahora" and composed.encoding == "gsm7"


@pytest.mark.parametrize("number", ["+50255551234x", "+502 5555 1234 x", "x+50255551234"])
def test_a_number_with_a_letter_is_refused(app: Flask, database: Database, number: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["sms", "send", "--to", number, "--text", "Hola", "--no-wait"]
    )
    assert result.exit_code != 0
    assert "not written in digits" in result.output
    assert alerts_and_messages(database) == (0, 0)


def test_the_api_refuses_a_number_with_a_letter(
    client: FlaskClient, api_token: Callable[[Role], str]
) -> None:
    response = client.post(
        "/api/v1/subscribers",
        json={"phone": "+50255551234x", "region": "Sololá"},
        headers={"Authorization": f"Bearer {api_token(Role.OPERATOR)}"},
    )
    assert response.status_code == 422
    assert "not written in digits" in response.json["error"]["message"]  # type: ignore[index]
