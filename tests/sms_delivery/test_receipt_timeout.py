"""Receipts that never come: segments expire after `smpp.receipt_timeout_s`, and the alert
ends, counting them as expired, instead of saying "sending" forever."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.accounts import SYSTEM
from gateway.alert_models import Alert
from gateway.alerts import AlertChannel, AlertRequest, alert_status, create_alert
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.web.api_alerts import AlertStatus
from sms.smpp_time import relative_time
from tests.sms_delivery.conftest import RunningWorker, wait_until
from tests.smsc_harness import SmscSimulator
from tests.support import subscribe_phones

Station = Callable[..., tuple[Settings, Database]]
Start = Callable[[Settings, Database], RunningWorker]
PHONES = ("+525500000001", "+525500000002", "+525500000003")


def status(settings: Settings, database: Database, alert_id: int) -> dict[str, Any]:
    with database.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert_status(session, alert, settings=settings, now=utcnow())


def test_segments_without_a_receipt_in_time_expire_and_the_alert_says_so(
    make_station: Station, start_worker: Start, smsc: SmscSimulator
) -> None:
    smsc.configure(receipts=False)  # the SMSC restarted and forgot its receipts
    settings, database = make_station(receipt_timeout_s=2)
    with database.session() as session:
        subscribe_phones(session, PHONES, "Norte")
        request = AlertRequest(text="Crecida", regions=["Norte"], channels=[AlertChannel.SMS])
        alert_id = create_alert(session, request, settings=settings, actor=SYSTEM, now=utcnow()).id
    start_worker(settings, database)

    wait_until(
        lambda: status(settings, database, alert_id)["sms"]["submitted"] == len(PHONES),
        timeout=10,
        what="every message submitted",
    )
    assert status(settings, database, alert_id)["status"] == "sending"
    wait_until(
        lambda: status(settings, database, alert_id)["status"] == "completed",
        timeout=15,
        what="expiry",
    )
    shown = AlertStatus.model_validate(status(settings, database, alert_id))
    assert shown.sms.model_dump() == {
        "recipients": 3,
        "queued": 0,
        "submitted": 0,
        "delivered": 0,
        "failed": 0,
        "expired": 3,
        "withdrawn": 0,
    }
    submits = smsc.pdus("submit_sm", "in")
    assert {(p["registered_delivery"], p["validity_period"]) for p in submits} == {
        (1, "000000000002000R")
    }


def test_the_validity_period_is_the_receipt_timeout_in_smpp_relative_time() -> None:
    assert relative_time(172_800) == "000002000000000R"
    assert relative_time(99 * 86_400 + 3_600 + 120 + 3) == "000099010203000R"
