"""Urgent alerts from the API, the panel and the command line: recipients by region, nothing
queued for bad input or without confirmation, and the air command left for the playout worker."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.accounts import User
from gateway.alert_models import Alert
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import PlayoutCommand
from sms import outbox, receipt_matching, subscribers
from sms.models import OutboundMessage, OutboundSegment
from tests.support import csrf_token, subscribe_phones

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def subscribe(database: Database, phone: str, region: str, *, opted_out: bool = False) -> None:
    with database.session() as session:
        subscribe_phones(session, [phone], region, now=NOW)
        if opted_out:
            subscribers.unsubscribe(session, phone_e164=phone, now=NOW)


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count(Alert.id))) or 0,
            session.scalar(select(func.count(OutboundMessage.id))) or 0,
            session.scalar(select(func.count(OutboundSegment.id))) or 0,
            session.scalar(select(func.count(PlayoutCommand.id))) or 0,
        )


@pytest.fixture
def villages(database: Database) -> None:
    subscribe(database, "+525512345671", "Oaxaca")
    subscribe(database, "+525512345672", "oaxaca ")
    subscribe(database, "+525512345673", "Oaxaca", opted_out=True)
    subscribe(database, "+50251234567", "Sololá")


def test_an_api_alert_queues_one_sms_per_opted_in_subscriber_and_an_air_command(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database, villages: None
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"text": "Alerta: hombres armados en el camino. No salgan.", "regions": ["OAXACA"]}
    response = client.post(
        "/api/v1/alerts", json={**body, "channels": ["sms", "air"]}, headers=headers
    )
    assert response.status_code == 201
    alert_id = response.get_json()["id"]
    status = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert status["sms"]["recipients"] == 2
    assert status["sms"]["queued"] == 2
    assert status["sms"]["delivered"] == 0
    assert status["status"] == "sending"
    assert status["air"] == {
        "played_at": [],
        "aired": 0,
        "repeat_every_min": None,
        "repeat_until": None,
        "next_repeat_at": None,
    }
    with database.session() as session:
        destinations = set(session.scalars(select(OutboundMessage.destination)))
        command = session.scalars(select(PlayoutCommand)).one()
    assert destinations == {"+525512345671", "+525512345672"}
    assert command.payload["alert_id"] == alert_id
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'altavoz_sms_segments{state="queued"} 2.0' in metrics


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"text": "", "regions": ["Oaxaca"]}, "text"),
        ({"text": "Hola", "regions": []}, "region"),
        ({"text": "Hola", "regions": ["Oaxaca"], "channels": ["fax"]}, "channels"),
        ({"text": "Hola", "regions": "Oaxaca"}, "regions"),
        ({"text": "Hola", "regions": ["Oaxaca"], "audio_recording_id": 99}, "recording"),
        ({"text": "🙏" * 300, "regions": ["Oaxaca"]}, "segment"),
    ],
)
def test_a_bad_alert_is_refused_with_422_and_nothing_is_queued(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    villages: None,
    body: dict[str, Any],
    reason: str,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    response = client.post("/api/v1/alerts", json=body, headers=headers)
    assert response.status_code == 422
    assert reason in response.get_json()["error"]["message"]
    assert counts(database) == (0, 0, 0, 0)


def test_a_moderator_may_follow_an_alert_but_not_send_one(
    client: FlaskClient, api_token: Callable[[Role], str], villages: None
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    response = client.post("/api/v1/alerts", json={"text": "x", "regions": ["*"]}, headers=headers)
    assert response.status_code == 403


def test_the_panel_sends_only_after_the_confirmation_box_is_ticked(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database, villages: None
) -> None:
    logged_in(Role.OPERATOR)
    token = csrf_token(client, "/alerts/")
    form = {
        "csrf_token": token,
        "text": "Reunión suspendida",
        "regions": ["Oaxaca"],
        "sms": "y",
        "smart": "y",
    }
    assert client.post("/alerts/", data=form).status_code == 422
    assert counts(database) == (0, 0, 0, 0)
    response = client.post("/alerts/", data={**form, "confirm": "y"})
    assert response.status_code == 302
    assert counts(database) == (1, 2, 2, 0)
    with database.session() as session:
        assert set(session.scalars(select(OutboundMessage.text))) == {"Reunion suspendida"}
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Reunión suspendida" in page.get_data(as_text=True)


def test_the_live_preview_counts_segments_and_shows_what_smart_encoding_changed(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.OPERATOR)
    smart = client.get("/alerts/preview", query_string={"text": "Canción “urgente”"}).get_json()
    assert smart["encoding"] == "gsm7" and smart["segments"] == 1
    assert {(r["original"], r["replacement"]) for r in smart["replacements"]} >= {("ó", "o")}
    exact = client.get(
        "/alerts/preview", query_string={"text": "Canción " * 10, "smart": "0"}
    ).get_json()
    assert exact["encoding"] == "ucs2" and exact["units"] == 80 and exact["segments"] == 2


def cli(settings_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv/bin/altavoz"), *args],
        env={**os.environ, **settings_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def station_env(settings: Settings) -> dict[str, str]:
    return {
        "ALTAVOZ_DATABASE__URL": settings.database.url,
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(settings.web.secret_key_file),
        "ALTAVOZ_MEDIA__DIR": str(settings.media.dir),
        "ALTAVOZ_MEDIA__INBOX": str(settings.media.inbox),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(settings.transcription.models_dir),
        "ALTAVOZ_SMPP__ENABLED": "true" if settings.smpp.enabled else "false",
    }


def test_alert_send_on_the_command_line_reports_its_recipients(
    settings: Settings, database: Database, villages: None
) -> None:
    result = cli(
        station_env(settings), "alert", "send", "--text", "Alerta", "--region", "Sololá", "--sms"
    )
    assert result.returncode == 0, result.stderr
    assert "1 SMS recipient" in result.stdout
    assert counts(database) == (1, 1, 1, 0)


def test_sms_send_refuses_a_bad_number_in_one_line_and_queues_nothing(
    settings: Settings, database: Database
) -> None:
    result = cli(station_env(settings), "sms", "send", "--to", "12", "--text", "Hola")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert counts(database) == (0, 0, 0, 0)


def test_segments_whose_receipt_never_came_show_as_expired_in_the_api_and_the_panel(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    logged_in: Callable[[Role], User],
    database: Database,
    villages: None,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"text": "Crecida del río", "regions": ["Oaxaca"], "channels": ["sms"]}
    alert_id = client.post("/api/v1/alerts", json=body, headers=headers).get_json()["id"]
    with database.session() as session:
        now = utcnow()
        claimed = outbox.claim(session, worker="w", limit=10, now=now)
        outbox.record_outcomes(
            session, submitted=[outbox.Submitted(s.id, f"m{s.id}", now) for s in claimed]
        )
    sending = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert (sending["status"], sending["sms"]["submitted"]) == ("sending", 2)
    with database.session() as session:
        later = now + timedelta(hours=48, seconds=1)
        expired = receipt_matching.expire_unanswered(
            session, older_than=later - timedelta(hours=48), now=later
        )
    assert expired == 2
    status = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert status["status"] == "completed"
    assert status["sms"] == {
        "recipients": 2,
        "queued": 0,
        "submitted": 0,
        "delivered": 0,
        "failed": 0,
        "expired": 2,
        "withdrawn": 0,
    }
    logged_in(Role.OPERATOR)
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)  # the panel speaks Spanish
    assert "<th>caducado</th>" in page and "<td>0</td><td>0</td><td>2</td><td>0</td></tr>" in page
    listing = client.get("/alerts/").get_data(as_text=True)
    assert "<th>Caducados</th>" in listing and "<td>0</td><td>2</td><td>completada</td>" in listing
