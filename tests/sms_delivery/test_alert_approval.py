"""Two-person approval end to end, seen at the SMSC simulator: a draft reaches neither the SMSC
nor the air; its drafter cannot approve it from the API, the panel or the command line (a
token acts as its owner); a second operator's approval sends it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway import accounts, audit
from gateway.alert_models import Alert
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import PlayoutCommand
from sms.models import OutboundMessage
from tests.alerts.test_alerts import subscribe
from tests.conftest import station_settings
from tests.sms_delivery.conftest import (
    PASSWORD as SMPP_PASSWORD,
)
from tests.sms_delivery.conftest import (
    SYSTEM_ID,
    RunningWorker,
    queue_text,
    worker_env,
)
from tests.smsc_harness import SmscSimulator
from tests.support import PASSWORD, csrf_token, log_in

ROOT = Path(__file__).resolve().parents[2]
PERSON = "525599990000"
VILLAGE = [f"+52551000000{n}" for n in range(3)]


@pytest.fixture
def settings(tmp_path: Path, smsc: SmscSimulator) -> Settings:
    return station_settings(
        tmp_path,
        smpp={
            "enabled": True,
            "host": "127.0.0.1",
            "port": smsc.smpp_port,
            "system_id": SYSTEM_ID,
            "password": SMPP_PASSWORD,
            "default_region": "MX",
        },
        alerts={"approvals_required": 1},
    )


def token_of(database: Database, username: str) -> dict[str, str]:
    """An operator account and a token it owns: the token acts as that account."""
    with database.session() as session:
        owner = accounts.find_user(session, username) or accounts.create_user(
            session, username=username, password=PASSWORD, role=Role.OPERATOR
        )
        _token, clear = accounts.create_token(
            session, name=f"{username}-token", role=Role.OPERATOR, owner=owner
        )
    return {"Authorization": f"Bearer {clear}"}


def alert_traffic(database: Database, alert_id: int) -> tuple[int, int]:
    """Messages queued for the alert, and its commands to the playout worker."""
    with database.session() as session:
        messages = session.scalar(
            select(func.count(OutboundMessage.id)).where(OutboundMessage.alert_id == alert_id)
        )
        commands = session.scalar(
            select(func.count(PlayoutCommand.id)).where(
                PlayoutCommand.payload["alert_id"].as_integer() == alert_id
            )
        )
    return messages or 0, commands or 0


def cli_approve(
    settings: Settings, root: Path, alert_id: int, user: str
) -> subprocess.CompletedProcess[str]:
    password_file = root / f"{user}.password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    env = {
        **worker_env(root, settings),
        "ALTAVOZ_ALERTS__APPROVALS_REQUIRED": "1",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(settings.web.secret_key_file),
    }
    return subprocess.run(
        [
            *(sys.executable, "-m", "gateway.cli", "alert", "approve", str(alert_id)),
            *("--user", user, "--password-file", str(password_file)),
        ],
        env={**os.environ, **env},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_draft_goes_nowhere_until_a_second_account_approves_it(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    settings: Settings,
    smsc: SmscSimulator,
    start_worker: Callable[[Settings, Database], RunningWorker],
    tmp_path: Path,
) -> None:
    for phone in VILLAGE:
        subscribe(database, phone, "Centro")
    drafter = token_of(database, "ana")
    second = token_of(database, "beto")
    moderator = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    start_worker(settings, database)
    body = {"text": "Alerta: crecida del río", "regions": ["Centro"], "channels": ["sms", "air"]}
    created = client.post("/api/v1/alerts", json=body, headers=drafter)
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    alert_id = created.get_json()["id"]

    # The worker is bound and sends what is queued: a message to one person goes out...
    queue_text(settings, database, f"+{PERSON}", "prueba")
    smsc.wait_for_pdus("submit_sm", where=lambda pdu: pdu["destination_addr"] == PERSON)
    # ...and nothing of the draft, by SMS or on air.
    assert [p["destination_addr"] for p in smsc.pdus("submit_sm", "in")] == [PERSON]
    assert alert_traffic(database, alert_id) == (0, 0)

    own = client.post(f"/api/v1/alerts/{alert_id}/approve", headers=drafter)
    assert own.status_code == 403 and "drafted" in own.get_json()["error"]["message"]
    assert client.post(f"/api/v1/alerts/{alert_id}/approve", headers=moderator).status_code == 403

    assert log_in(client, "ana") == 302
    page = client.get(f"/alerts/{alert_id}").get_data(as_text=True)
    assert 'id="approval-refused"' in page and 'id="approve"' not in page
    form = {"csrf_token": csrf_token(client, f"/alerts/{alert_id}"), "confirm": "y"}
    assert client.post(f"/alerts/{alert_id}/approve", data=form).status_code == 303

    refused = cli_approve(settings, tmp_path, alert_id, "ana")
    assert refused.returncode == 1, refused.stdout
    assert "drafted" in refused.stderr and "Traceback" not in refused.stderr
    assert alert_traffic(database, alert_id) == (0, 0)
    assert [p["destination_addr"] for p in smsc.pdus("submit_sm", "in")] == [PERSON]

    approved = client.post(f"/api/v1/alerts/{alert_id}/approve", headers=second)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "sending"
    assert approved.get_json()["decided_by"] == "token:beto-token"
    wanted = {phone.lstrip("+") for phone in VILLAGE}
    smsc.wait_for_pdus(
        "submit_sm", count=3, where=lambda pdu: pdu["destination_addr"] in wanted, timeout=10
    )
    assert alert_traffic(database, alert_id) == (3, 1)
    with database.session() as session:
        entries = [
            (e.action, e.actor_name)
            for e in audit.recent(session)
            if e.target == f"alert {alert_id}"
        ]
        assert session.get(Alert, alert_id).decided_by_id is not None  # type: ignore[union-attr]
    assert ("alert.draft", "token:ana-token") in entries
    assert ("alert.approve", "token:beto-token") in entries
