"""Cancel an alert while its SMS are going out, seen at the SMSC simulator: with the link
throttled (smpp.max_tps), what had not been handed to the SMSC is withdrawn, what had (or was
in the worker's hands) is counted as sent, the two add up to every recipient, and exactly those
who got the alert get the cancellation, each after the alert itself."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import accounts, audit
from gateway.database import Database, utcnow
from gateway.factory import create_app
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import PlayoutCommand
from sms import subscribers
from sms.subscribers import ConsentChannel
from tests.sms_delivery.conftest import RunningWorker, wait_until
from tests.smsc_harness import Pdu, SmscSimulator
from tests.support import PASSWORD

Station = Callable[..., tuple[Settings, Database]]
RECIPIENTS = 60


def operator_token(database: Database) -> str:
    with database.session() as session:
        owner = accounts.create_user(
            session, username="operadora", password=PASSWORD, role=Role.OPERATOR
        )
        _token, clear = accounts.create_token(
            session, name="despacho", role=Role.OPERATOR, owner=owner
        )
    return clear


def text_of(pdu: Pdu) -> str:
    return bytes.fromhex(pdu["short_message_hex"]).decode("ascii", errors="replace")


def test_a_cancel_mid_flow_withdraws_the_rest_and_tells_those_who_got_it(
    make_station: Station,
    start_worker: Callable[[Settings, Database], RunningWorker],
    smsc: SmscSimulator,
) -> None:
    settings, database = make_station(max_tps=20)
    with database.session() as session:
        for n in range(RECIPIENTS):
            subscribers.subscribe(
                session,
                phone=f"+52551{n:07}",
                region="Centro",
                language="en" if n % 2 else "es",
                channel=ConsentChannel.PANEL,
                default_region="MX",
                now=utcnow(),
            )
    app = create_app(settings, database=database)
    client: FlaskClient = app.test_client()
    headers = {"Authorization": f"Bearer {operator_token(database)}"}
    body = {"text": "Alerta: crecida del rio", "regions": ["Centro"], "channels": ["sms", "air"]}
    alert_id = client.post("/api/v1/alerts", json=body, headers=headers).get_json()["id"]
    start_worker(settings, database)
    smsc.wait_for_pdus("submit_sm", count=10, timeout=10)

    answer = client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    cancel = answer.get_json()
    assert cancel["references"] == alert_id
    withdrawn, notified = cancel["withdrawn"], cancel["notified"]
    assert withdrawn > 0 and notified >= 10, cancel
    assert withdrawn + notified == RECIPIENTS

    def submits() -> tuple[list[Pdu], list[Pdu]]:
        pdus = smsc.pdus("submit_sm", "in")
        notices = [p for p in pdus if "ANULADA" in text_of(p) or "CANCELLED" in text_of(p)]
        return [p for p in pdus if p not in notices], notices

    wait_until(lambda: len(submits()[1]) >= notified, timeout=20, what="every cancellation")
    alerts, notices = submits()
    got_alert = [p["destination_addr"] for p in alerts]
    told = [p["destination_addr"] for p in notices]
    assert len(got_alert) == len(set(got_alert)) == notified
    assert sorted(told) == sorted(got_alert)
    sent_at = {p["destination_addr"]: p["at_ms"] for p in alerts}
    assert all(p["at_ms"] >= sent_at[p["destination_addr"]] for p in notices)
    english = {f"52551{n:07}" for n in range(1, RECIPIENTS, 2)}
    for pdu in notices:
        wording = "CANCELLED" if pdu["destination_addr"] in english else "ANULADA"
        assert wording in text_of(pdu)

    original = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert original["status"] == "cancelled" and original["followed_by"] == [cancel["id"]]
    sms = original["sms"]
    assert sms["withdrawn"] == withdrawn
    assert sms["queued"] + sms["submitted"] + sms["delivered"] == notified
    record = client.get(f"/api/v1/alerts/{cancel['id']}", headers=headers).get_json()
    assert (record["kind"], record["references"]) == ("cancel", alert_id)
    assert record["sms"]["recipients"] == notified
    with database.session() as session:
        air = session.scalars(
            select(PlayoutCommand).where(
                PlayoutCommand.payload["alert_id"].as_integer() == alert_id
            )
        ).one()
        assert air.done_at is not None and air.result.startswith("withdrawn")
        actions = {e.action for e in audit.recent(session) if e.target == f"alert {alert_id}"}
    assert {"alert.send", "alert.cancel"} <= actions
    again = client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=headers)
    assert again.status_code == 409
