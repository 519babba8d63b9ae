"""The two-person rule without an SMSC: rejection, what the answers say, a correction that
waits for approval, and the command line asking who acts."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import accounts, audit, migrate
from gateway.database import Database, utcnow
from gateway.factory import create_app
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import PlayoutCommand
from sms.models import OutboundMessage, OutboundSegment
from tests.alerts.test_alerts import cli, station_env
from tests.conftest import station_settings
from tests.support import PASSWORD, csrf_token, log_in

ALERT = {"text": "Alerta: derrumbe en la carretera", "regions": ["Sololá"]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(tmp_path, smpp={"enabled": True}, alerts={"approvals_required": 1})


@pytest.fixture
def operators(database: Database) -> dict[str, dict[str, str]]:
    """Two operator accounts, each acting through a token of its own."""
    headers = {}
    with database.session() as session:
        for name in ("ana", "beto"):
            owner = accounts.create_user(
                session, username=name, password=PASSWORD, role=Role.OPERATOR
            )
            _token, clear = accounts.create_token(
                session, name=f"{name}-token", role=Role.OPERATOR, owner=owner
            )
            headers[name] = {"Authorization": f"Bearer {clear}"}
    return headers


def segment_states(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(OutboundSegment.state).order_by(OutboundSegment.id)))


def test_a_rejected_draft_says_why_and_can_never_go_out(
    client: FlaskClient, database: Database, operators: dict[str, dict[str, str]], in_solola: None
) -> None:
    alert_id = client.post("/api/v1/alerts", json=ALERT, headers=operators["ana"]).get_json()["id"]
    own = client.post(
        f"/api/v1/alerts/{alert_id}/reject", json={"reason": "no"}, headers=operators["ana"]
    )
    assert own.status_code == 403
    silent = client.post(f"/api/v1/alerts/{alert_id}/reject", json={}, headers=operators["beto"])
    assert silent.status_code == 422

    assert log_in(client, "ana") == 302
    listing = client.get("/alerts/").get_data(as_text=True)
    assert 'id="drafts"' in listing and f'href="/alerts/{alert_id}"' in listing
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert log_in(client, "beto") == 302
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)
    assert 'id="approve"' in page and 'id="reject"' in page
    form = {"csrf_token": csrf_token(client, f"/alerts/{alert_id}"), "reason": "Rumor sin fuente"}
    assert client.post(f"/alerts/{alert_id}/reject", data=form).status_code == 302

    status = client.get(f"/api/v1/alerts/{alert_id}", headers=operators["ana"]).get_json()
    assert (status["status"], status["decided_by"]) == ("rejected", "beto")
    assert status["reject_reason"] == "Rumor sin fuente"
    late = client.post(f"/api/v1/alerts/{alert_id}/approve", headers=operators["beto"])
    assert late.status_code == 409
    assert segment_states(database) == []
    with database.session() as session:
        entry = audit.recent(session, action="alert.reject")[0]
    assert (entry.actor_name, entry.details["reason"]) == ("beto", "Rumor sin fuente")


def test_a_correction_is_new_content_and_waits_for_a_second_person_too(
    client: FlaskClient, database: Database, operators: dict[str, dict[str, str]], in_solola: None
) -> None:
    body = {**ALERT, "channels": ["sms", "air"]}
    alert_id = client.post("/api/v1/alerts", json=body, headers=operators["ana"]).get_json()["id"]
    client.post(f"/api/v1/alerts/{alert_id}/approve", headers=operators["beto"])
    assert segment_states(database) == ["queued"]

    fixed = "Alerta: derrumbe en el km 12, pasen por San Andrés"
    answer = client.post(
        f"/api/v1/alerts/{alert_id}/correct", json={"text": fixed}, headers=operators["ana"]
    ).get_json()
    assert (answer["status"], answer["references"], answer["withdrawn"]) == ("draft", alert_id, 0)
    assert segment_states(database) == ["queued"]
    own = client.post(f"/api/v1/alerts/{answer['id']}/approve", headers=operators["ana"])
    assert own.status_code == 403

    approved = client.post(f"/api/v1/alerts/{answer['id']}/approve", headers=operators["beto"])
    assert approved.status_code == 200 and approved.get_json()["kind"] == "correction"
    original = client.get(f"/api/v1/alerts/{alert_id}", headers=operators["ana"]).get_json()
    assert original["status"] == "corrected" and original["sms"]["withdrawn"] == 1
    assert segment_states(database) == ["withdrawn", "queued"]  # the corrected text, instead
    correction = client.get(f"/api/v1/alerts/{answer['id']}", headers=operators["ana"]).get_json()
    assert correction["sms"]["recipients"] == 1
    with database.session() as session:
        texts = list(session.scalars(select(OutboundMessage.text).order_by(OutboundMessage.id)))
    assert texts == [
        "Alerta: derrumbe en la carretera",
        fixed,
    ]
    with database.session() as session:
        commands = {
            c.payload["alert_id"]: (c.payload["text"], c.result)
            for c in session.scalars(select(PlayoutCommand))
        }
    assert commands[alert_id][1].startswith("withdrawn")
    assert commands[answer["id"]] == (fixed, "")


def test_with_the_rule_on_the_command_line_must_name_the_account_that_acts(
    settings: Settings, database: Database, in_solola: None
) -> None:
    env = {**station_env(settings), "ALTAVOZ_ALERTS__APPROVALS_REQUIRED": "1"}
    result = cli(env, "alert", "send", "--text", "Alerta", "--region", "Sololá", "--sms")
    assert result.returncode == 2
    assert "--user" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert segment_states(database) == []


def test_without_the_rule_an_alert_is_sent_at_once_and_there_is_nothing_to_approve(
    tmp_path: Path,
) -> None:
    one_person = station_settings(tmp_path / "one", smpp={"enabled": True})
    database = Database(one_person.database.url)
    migrate.upgrade(database)
    try:
        with database.session() as session:
            owner = accounts.create_user(
                session, username="sola", password=PASSWORD, role=Role.OPERATOR
            )
            _token, clear = accounts.create_token(
                session, name="sola-token", role=Role.OPERATOR, owner=owner
            )
        client = create_app(one_person, database=database).test_client()
        headers = {"Authorization": f"Bearer {clear}"}
        created = client.post("/api/v1/alerts", json=ALERT, headers=headers).get_json()
        assert created["status"] == "sending"  # on air, at once
        answer = client.post(f"/api/v1/alerts/{created['id']}/approve", headers=headers)
        assert answer.status_code == 409
    finally:
        database.dispose()


def test_one_person_may_cancel_from_the_panel_or_the_command_line(
    client: FlaskClient,
    settings: Settings,
    database: Database,
    operators: dict[str, dict[str, str]],
    in_solola: None,
) -> None:
    sent = []
    for _ in range(2):
        created = client.post("/api/v1/alerts", json=ALERT, headers=operators["ana"]).get_json()
        client.post(f"/api/v1/alerts/{created['id']}/approve", headers=operators["beto"])
        sent.append(created["id"])
    assert log_in(client, "ana") == 302
    page = client.get(f"/alerts/{sent[0]}").get_data(as_text=True)
    assert 'id="cancel-alert"' in page and 'id="correct-alert"' in page
    token = csrf_token(client, f"/alerts/{sent[0]}")
    assert client.post(f"/alerts/{sent[0]}/cancel", data={"csrf_token": token}).status_code == 400
    done = client.post(f"/alerts/{sent[0]}/cancel", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 302
    record = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="alert-references"' in record

    result = cli(station_env(settings), "alert", "cancel", str(sent[1]))
    assert result.returncode == 0, result.stderr
    assert "1 SMS withdrawn, 0 notice(s) queued" in result.stdout
    again = cli(station_env(settings), "alert", "cancel", str(sent[1]))
    assert again.returncode == 1 and "already cancelled" in again.stderr
    assert segment_states(database) == ["withdrawn", "withdrawn"]


def test_cancelling_an_alert_the_playout_worker_has_taken_asks_it_to_cut_that_alert(
    client: FlaskClient, database: Database, operators: dict[str, dict[str, str]]
) -> None:
    body = {"text": "Alerta: incendio", "regions": [], "channels": ["air"]}
    alert_id = client.post("/api/v1/alerts", json=body, headers=operators["ana"]).get_json()["id"]
    client.post(f"/api/v1/alerts/{alert_id}/approve", headers=operators["beto"])
    with database.session() as session:
        preempt = session.scalars(select(PlayoutCommand)).one()
        preempt.taken_at = utcnow()  # what the playout worker does when it takes the command
    answer = client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=operators["beto"])
    assert answer.status_code == 200
    with database.session() as session:
        commands = {c.kind: c for c in session.scalars(select(PlayoutCommand))}
    assert commands["preempt"].done_at is None  # on air: the worker ends it when it is cut
    assert commands["skip"].payload == {"alert_id": alert_id, "detail": "alert cancelled"}
