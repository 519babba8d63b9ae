"""CAP 1.2 out and in: every exported message is read back through the shipped OASIS schema,
and a message from another system is acted on, held for a person, or refused with nothing
queued."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway import audit
from gateway.cap_message import Message, read
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.alerts.test_alerts import counts
from tests.conftest import station_settings
from tests.support import csrf_token, log_in

TRUSTED = "sismo@proteccion-civil.example"
STRANGER = "otra-red@example.org"
CAP_SENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(
        tmp_path,
        smpp={"enabled": True},
        station={"timezone": "America/Guatemala"},
        alerts={"cap_sender": "radio@altavoz.example", "cap_trusted_senders": [TRUSTED]},
    )


@pytest.fixture
def staff(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}


def cap(
    *,
    sender: str = TRUSTED,
    identifier: str = "CENA-2026-001",
    msg_type: str = "Alert",
    status: str = "Actual",
    references: str = "",
    areas: tuple[str, ...] = ("Sololá",),
    text: str = "Sismo fuerte: salgan a espacios abiertos",
    doctype: str = "",
) -> bytes:
    area = "".join(f"<area><areaDesc>{name}</areaDesc></area>" for name in areas)
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{sender}</sender>
  <sent>2026-12-03T09:00:00-06:00</sent><status>{status}</status>
  <msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info><language>es-GT</language><category>Geo</category><event>Sismo</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <description>{text}</description>{area}</info>
</alert>""".encode()


def exported(client: FlaskClient, alert_id: int, headers: dict[str, str]) -> Message:
    answer = client.get(f"/api/v1/alerts/{alert_id}.cap", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/xml"
    message = read(answer.get_data())  # validated against the shipped CAP-v1.2.xsd
    assert CAP_SENT.fullmatch(message.sent) and message.sent.endswith("-06:00")
    assert message.identifier == f"radio@altavoz.example-alert-{alert_id}"
    return message


def test_an_alert_its_correction_and_their_cancel_export_as_valid_cap(
    client: FlaskClient, staff: dict[str, str], in_solola: None
) -> None:
    body = {"text": "Alerta: derrumbe en la carretera", "regions": ["Sololá"]}
    alert_id = client.post("/api/v1/alerts", json=body, headers=staff).get_json()["id"]
    fixed = {"text": "Alerta: derrumbe en el km 12"}
    correction = client.post(f"/api/v1/alerts/{alert_id}/correct", json=fixed, headers=staff)
    cancel = client.post(f"/api/v1/alerts/{correction.get_json()['id']}/cancel", headers=staff)

    alert = exported(client, alert_id, staff)
    assert (alert.msg_type, alert.status, alert.scope, alert.references) == (
        "Alert",
        "Actual",
        "Public",
        [],
    )
    [info] = alert.infos
    assert (info.language, info.text, info.areas) == ("es", body["text"], ["Sololá"])
    update = exported(client, correction.get_json()["id"], staff)
    assert update.msg_type == "Update" and update.infos[0].text == fixed["text"]
    original = (alert.sender, alert.identifier, alert.sent)
    assert [(r.sender, r.identifier, r.sent) for r in update.references] == [original]
    cancelled = exported(client, cancel.get_json()["id"], staff)
    assert cancelled.msg_type == "Cancel"
    assert [r.identifier for r in cancelled.references] == [alert.identifier, update.identifier]
    missing = client.get(f"/api/v1/alerts/{cancel.get_json()['id'] + 1}.cap", headers=staff)
    assert missing.status_code == 404


def test_a_trusted_senders_alert_goes_out_at_once_and_its_update_and_cancel_follow_it(
    client: FlaskClient, database: Database, staff: dict[str, str], in_solola: None
) -> None:
    created = client.post("/api/v1/alerts/cap", data=cap(), headers={**staff, **XML})
    assert created.status_code == 201, created.get_data(as_text=True)
    alert_id = created.get_json()["id"]
    assert created.get_json()["status"] == "sending"
    status = client.get(f"/api/v1/alerts/{alert_id}", headers=staff).get_json()
    assert (status["sms"]["queued"], status["channels"]) == (1, ["air", "sms"])
    assert status["created_by"] == f"cap:{TRUSTED}"

    original = f"{TRUSTED},CENA-2026-001,2026-12-03T09:00:00-06:00"
    update = cap(identifier="CENA-2026-002", msg_type="Update", references=original, text="Réplica")
    corrected = client.post("/api/v1/alerts/cap", data=update, headers={**staff, **XML})
    assert corrected.status_code == 201, corrected.get_data(as_text=True)
    record = client.get(f"/api/v1/alerts/{corrected.get_json()['id']}", headers=staff).get_json()
    assert (record["kind"], record["references"], record["text"]) == (
        "correction",
        alert_id,
        "Réplica",
    )
    both = f"{original} {TRUSTED},CENA-2026-002,2026-12-03T09:00:00-06:00"
    cancel = cap(identifier="CENA-2026-003", msg_type="Cancel", references=both)
    withdrawn = client.post("/api/v1/alerts/cap", data=cancel, headers={**staff, **XML})
    assert withdrawn.status_code == 201, withdrawn.get_data(as_text=True)
    status = client.get(f"/api/v1/alerts/{corrected.get_json()['id']}", headers=staff).get_json()
    assert status["status"] == "cancelled"

    again = client.post("/api/v1/alerts/cap", data=cap(), headers={**staff, **XML})
    assert again.status_code == 409 and f"alert {alert_id}" in again.get_json()["error"]["message"]
    with database.session() as session:
        entries = audit.recent(session, action="alert.cap_import")
    assert [(e.details["msg_type"], e.details["sender"]) for e in reversed(entries)] == [
        ("Alert", TRUSTED),
        ("Update", TRUSTED),
        ("Cancel", TRUSTED),
    ]


def test_an_untrusted_senders_alert_waits_for_a_person_then_goes_out(
    client: FlaskClient,
    database: Database,
    staff: dict[str, str],
    api_token: Callable[[Role], str],
    in_solola: None,
) -> None:
    before = counts(database)
    created = client.post("/api/v1/alerts/cap", data=cap(sender=STRANGER), headers={**staff, **XML})
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    alert_id = created.get_json()["id"]
    assert counts(database)[1:] == before[1:]  # no SMS, no air command
    draft = exported(client, alert_id, staff)
    assert (draft.status, draft.msg_type) == ("Draft", "Alert")
    with database.session() as session:
        [entry] = audit.recent(session, action="alert.cap_import")
    assert (entry.details["sender"], entry.details["trusted"]) == (STRANGER, False)
    assert entry.actor_name == "token:operator-token"

    approved = client.post(f"/api/v1/alerts/{alert_id}/approve", headers=staff)
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.get_json()["sms"]["queued"] == 1
    assert exported(client, alert_id, staff).status == "Actual"

    reference = f"{STRANGER},CENA-2026-001,2026-12-03T09:00:00-06:00"
    cancel = cap(sender=STRANGER, identifier="X-2", msg_type="Cancel", references=reference)
    held = client.post("/api/v1/alerts/cap", data=cancel, headers={**staff, **XML}).get_json()
    assert held["status"] == "draft"
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=staff).get_json()["status"] != (
        "cancelled"
    )
    admin = {"Authorization": f"Bearer {api_token(Role.ADMIN)}"}
    rejected = client.post(
        f"/api/v1/alerts/{held['id']}/reject", json={"reason": "no"}, headers=admin
    )
    assert rejected.status_code == 200
    assert client.get(f"/api/v1/alerts/{held['id']}.cap", headers=staff).status_code == 409
    cancel = cap(sender=STRANGER, identifier="X-3", msg_type="Cancel", references=reference)
    held = client.post("/api/v1/alerts/cap", data=cancel, headers={**staff, **XML}).get_json()
    assert log_in(client, "admin-owner") == 302  # the panel shows and approves a held cancel
    page = client.get(f"/alerts/{held['id']}").get_data(as_text=True)
    assert 'id="approve"' in page and f"cap:{STRANGER}" in page
    form = {"csrf_token": csrf_token(client, f"/alerts/{held['id']}"), "confirm": "y"}
    assert client.post(f"/alerts/{held['id']}/approve", data=form).status_code == 302
    status = client.get(f"/api/v1/alerts/{alert_id}", headers=staff).get_json()
    assert (status["status"], status["sms"]["withdrawn"]) == ("cancelled", 1)


BILLION_LAUGHS = (
    '<!DOCTYPE alert [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<alert><identifier>x</identifier>", "not well-formed XML"),
        (b"\xff\xfe not xml at all", "not well-formed XML"),
        (cap(status="Rumor"), "not a valid CAP 1.2 message"),
        (cap().replace(b"cap:1.2", b"cap:1.1"), "not a valid CAP 1.2 message"),
        (cap(areas=("Sololá", "Atlántida")), "unknown area 'Atlántida'"),
        (cap(areas=()), "at least one area"),
        (cap(status="Exercise"), "only Actual"),
        (cap(msg_type="Update"), "must name the message it follows"),
        (cap(msg_type="Cancel", references="a,b,c"), "name no alert known here"),
        (cap(identifier="two words"), "without spaces"),
        # libxml2 stops the expansion itself, or the parsed DOCTYPE is refused
        (cap(text="&h;", doctype=BILLION_LAUGHS), "DOCTYPE is not accepted|amplification"),
        (cap(doctype=BILLION_LAUGHS), "DOCTYPE is not accepted"),
    ],
)
def test_a_message_that_cannot_be_taken_is_a_422_with_the_reason_and_nothing_is_queued(
    client: FlaskClient,
    database: Database,
    staff: dict[str, str],
    in_solola: None,
    body: bytes,
    reason: str,
) -> None:
    before = counts(database)
    started = time.monotonic()
    answer = client.post("/api/v1/alerts/cap", data=body, headers={**staff, **XML})
    assert time.monotonic() - started < 5  # no entity expansion
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert re.search(reason, answer.get_json()["error"]["message"])
    assert counts(database) == before


def test_an_external_entity_is_never_read(
    client: FlaskClient, database: Database, staff: dict[str, str], in_solola: None, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Sololá")
    doctype = f'<!DOCTYPE alert [<!ENTITY area SYSTEM "file://{secret}">]>'
    body = cap(areas=("&area;",), doctype=doctype)
    before = counts(database)
    answer = client.post("/api/v1/alerts/cap", data=body, headers={**staff, **XML})
    assert answer.status_code == 422
    assert "DOCTYPE is not accepted" in answer.get_json()["error"]["message"]
    assert counts(database) == before


def test_the_body_must_be_xml_and_small(
    client: FlaskClient, database: Database, staff: dict[str, str], in_solola: None
) -> None:
    as_json = client.post("/api/v1/alerts/cap", json={"text": "x"}, headers=staff)
    assert as_json.status_code == 415
    huge = cap(text="x" * 300_000)
    assert client.post("/api/v1/alerts/cap", data=huge, headers={**staff, **XML}).status_code == 413
    anonymous = client.post("/api/v1/alerts/cap", data=cap(), headers=XML)
    assert anonymous.status_code == 401
    assert counts(database) == (0, 0, 0, 0)
