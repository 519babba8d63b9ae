"""CAP import end to end, seen at the SMSC simulator: a refused message and an untrusted
sender's held draft reach nobody; a person's approval sends the draft, and a trusted sender's
message goes out at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.alerts.test_alerts import subscribe
from tests.alerts.test_cap import STRANGER, TRUSTED, XML, cap
from tests.sms_delivery.conftest import RunningWorker, queue_text, sms_station
from tests.sms_delivery.test_alert_cancel import text_of
from tests.smsc_harness import SmscSimulator

PERSON = "525599990000"
VILLAGE = [f"+52551000000{n}" for n in range(3)]


@pytest.fixture
def settings(tmp_path: Path, smsc: SmscSimulator) -> Settings:
    station = sms_station(tmp_path, smsc, default_region="MX")
    alerts = station.alerts.model_copy(update={"cap_trusted_senders": [TRUSTED]})
    return station.model_copy(update={"alerts": alerts})


def test_only_what_may_go_reaches_the_smsc(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    settings: Settings,
    smsc: SmscSimulator,
    start_worker: Callable[[Settings, Database], RunningWorker],
) -> None:
    for phone in VILLAGE:
        subscribe(database, phone, "Centro")
    staff = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}", **XML}
    start_worker(settings, database)
    unknown = cap(areas=("Centro", "Norte"), text="Alerta: sismo")
    refused = client.post("/api/v1/alerts/cap", data=unknown, headers=staff)
    assert refused.status_code == 422 and "'Norte'" in refused.get_json()["error"]["message"]
    held = cap(sender=STRANGER, areas=("centro",), text="Alerta: crecida del rio")
    draft = client.post("/api/v1/alerts/cap", data=held, headers=staff).get_json()
    assert draft["status"] == "draft"

    # The worker is bound and sends what is queued: a message to one person goes out, and
    # nothing of either CAP message.
    queue_text(settings, database, f"+{PERSON}", "prueba")
    smsc.wait_for_pdus("submit_sm", where=lambda pdu: pdu["destination_addr"] == PERSON)
    assert [p["destination_addr"] for p in smsc.pdus("submit_sm", "in")] == [PERSON]

    approved = client.post(f"/api/v1/alerts/{draft['id']}/approve", headers=staff)
    assert approved.status_code == 200 and approved.get_json()["status"] == "sending"
    wanted = {phone.lstrip("+") for phone in VILLAGE}
    got = smsc.wait_for_pdus(
        "submit_sm", count=3, where=lambda pdu: "crecida" in text_of(pdu), timeout=10
    )
    assert {p["destination_addr"] for p in got} == wanted

    trusted = cap(identifier="T-1", areas=("Centro",), text="Alerta: sismo, salgan")
    created = client.post("/api/v1/alerts/cap", data=trusted, headers=staff)
    assert created.status_code == 201 and created.get_json()["status"] == "sending"
    got = smsc.wait_for_pdus(
        "submit_sm", count=3, where=lambda pdu: "sismo" in text_of(pdu), timeout=10
    )
    assert {p["destination_addr"] for p in got} == wanted
