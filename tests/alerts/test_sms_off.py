"""With SMS off (the default) the panel and the API do not pretend an alert goes by SMS, and an
alert whose SMS cannot go out (SMS off, no SMS worker) says so instead of 'sending' forever."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.accounts import SYSTEM, User
from gateway.alert_models import Alert
from gateway.alerts import AlertChannel, AlertRequest, create_alert
from gateway.database import Database, utcnow
from gateway.factory import create_app
from gateway.roles import Role
from gateway.settings import Settings
from gateway.worker import WorkerHeartbeat
from sms.models import OutboundMessage
from tests.conftest import station_settings
from tests.support import csrf_token, log_in


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The default station: SMPP disabled."""
    return station_settings(tmp_path)


def queued_alert(settings: Settings, database: Database) -> int:
    """An SMS alert queued while SMPP was on (SMS may be turned off afterwards)."""
    sms_on = settings.model_copy(
        update={"smpp": settings.smpp.model_copy(update={"enabled": True})}
    )
    request = AlertRequest(text="Crecida", regions=["*"], channels=[AlertChannel.SMS])
    with database.session() as session:
        alert = create_alert(session, request, settings=sms_on, actor=SYSTEM, now=utcnow())
        session.commit()
        return alert.id


def rows(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count(Alert.id))) or 0,
            session.scalar(select(func.count(OutboundMessage.id))) or 0,
        )


def test_the_form_neither_ticks_nor_offers_sms_while_it_is_off_and_says_why(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    page = client.get("/alerts/").get_data(as_text=True)
    (checkbox,) = re.findall(r'<input[^>]*name="sms"[^>]*>', page)
    assert "checked" not in checkbox and "disabled" in checkbox
    assert "SMS is off: SMPP is disabled in the configuration" in page


def test_the_panel_refuses_an_sms_alert_while_sms_is_off_with_the_reason(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database, in_solola: None
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/es")
    data = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Crecida del río",
        "regions": ["*"],
        "sms": "y",
        "air": "y",
        "confirm": "y",
    }
    page = client.post("/alerts/", data=data)
    assert page.status_code == 422
    assert "Los SMS están desactivados" in page.get_data(as_text=True)
    assert rows(database) == (0, 0)


def test_the_api_refuses_sms_while_it_is_off_with_422_and_the_reason(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database, in_solola: None
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"text": "Crecida", "regions": ["*"], "channels": ["sms"]}
    response = client.post("/api/v1/alerts", json=body, headers=headers)
    assert response.status_code == 422
    assert "smpp.enabled is false" in response.get_json()["error"]["message"]
    assert rows(database) == (0, 0)
    on_air = client.post("/api/v1/alerts", json={**body, "channels": ["air"]}, headers=headers)
    assert on_air.status_code == 201


def test_an_sms_only_alert_queued_with_sms_now_off_says_so_and_promises_no_airing(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    api_token: Callable[[Role], str],
    settings: Settings,
    database: Database,
    in_solola: None,
) -> None:
    alert_id = queued_alert(settings, database)
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    shown = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert shown["sms_blocked"] == "sms_off"
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)
    assert "SMS cannot go out: SMPP is disabled in the configuration" in page
    assert "Not aired yet" not in page, "an SMS-only alert must not promise an airing"
    assert "this alert goes by SMS only" in page


def test_an_sms_alert_without_an_sms_worker_says_so_until_one_runs(
    tmp_path: Path,
    settings: Settings,
    database: Database,
    make_user: Callable[..., User],
    in_solola: None,
) -> None:
    alert_id = queued_alert(settings, database)
    app = create_app(station_settings(tmp_path, smpp={"enabled": True}), database=database)
    app.config["TESTING"] = True
    client = app.test_client()
    assert log_in(client, make_user(Role.OPERATOR).username) == 302
    client.get("/lang/en")
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)
    assert "SMS cannot go out: no SMS worker is running" in page
    now = utcnow()
    with database.session() as db:
        db.add(WorkerHeartbeat(kind="sms", host="radio", pid=7, started_at=now, beat_at=now))
        db.commit()
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)
    assert "SMS cannot go out" not in page
