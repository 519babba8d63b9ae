"""Consent is never undone by staff: an opted-out number stays out whichever way staff try to
add it back (panel, API, CSV), only its owner's keyword re-subscribes it, and an export
imported back changes nothing. Every subscriber audit entry masks the number."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway import audit
from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from sms import subscriber_csv, subscribers
from sms.models import GroupMember, Subscriber
from sms.subscribers import ConsentChannel, Problem
from tests.support import csrf_token

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OPTED_OUT = "+50255550002"


def _add(session: object, phone: str, region: str, channel: ConsentChannel, at: datetime) -> None:
    subscribers.subscribe(
        session,  # type: ignore[arg-type]
        phone=phone,
        region=region,
        language="es",
        channel=channel,
        default_region="GT",
        now=at,
    )


@pytest.fixture
def village(database: Database) -> Database:
    """Three subscribers: one in a group, one who sent BAJA, one whose region a stranger
    typed by SMS as a spreadsheet formula."""
    with database.session() as session:
        _add(session, "+50255550001", "San Marcos", ConsentChannel.CSV, NOW)
        subscriber = subscribers.find(session, "+50255550001")
        assert subscriber is not None
        subscribers.set_groups(session, subscriber, ["lideresas"])
        _add(session, OPTED_OUT, "Sololá", ConsentChannel.PANEL, NOW)
        subscribers.unsubscribe(session, phone_e164=OPTED_OUT, now=NOW)
        _add(session, "+50255550003", '=HYPERLINK("http://x.example")', ConsentChannel.SMS, NOW)
    return database


def _snapshot(database: Database) -> list[tuple[object, ...]]:
    with database.session() as session:
        rows = session.execute(select(Subscriber).order_by(Subscriber.id)).scalars()
        people = [
            (
                s.id,
                s.phone,
                s.region,
                s.region_key,
                s.language,
                s.opted_in,
                s.consent_at,
                s.consent_channel,
                s.opted_out_at,
                s.created_at,
            )
            for s in rows
        ]
        members = session.execute(select(GroupMember.subscriber_id, GroupMember.group_id)).all()
        return people + [tuple(m) for m in members]


@pytest.mark.parametrize("channel", [ConsentChannel.PANEL, ConsentChannel.API, ConsentChannel.CSV])
def test_staff_cannot_resubscribe_a_number_whose_owner_opted_out(
    village: Database, channel: ConsentChannel
) -> None:
    before = _snapshot(village)
    with village.session() as session, pytest.raises(subscribers.OptedOutError) as refused:
        _add(session, "5555 0002", "Sololá", channel, LATER)
    assert refused.value.problem is Problem.OPTED_OUT
    assert "ALTA" in str(refused.value) and OPTED_OUT not in str(refused.value)
    assert _snapshot(village) == before


def test_only_the_owners_own_keyword_resubscribes_an_opted_out_number(village: Database) -> None:
    with village.session() as session:
        _add(session, OPTED_OUT, "Sololá", ConsentChannel.SMS, LATER)
    with village.session() as session:
        back = subscribers.find(session, OPTED_OUT)
        assert back is not None and back.opted_in and back.opted_out_at is None
        assert (back.consent_at, back.consent_channel) == (LATER, "sms")


def test_staff_correcting_a_region_do_not_rewrite_the_recorded_consent(village: Database) -> None:
    with village.session() as session:
        _add(session, "+50255550001", "San Pedro", ConsentChannel.PANEL, LATER)
    with village.session() as session:
        moved = subscribers.find(session, "+50255550001")
        assert moved is not None and moved.region == "San Pedro"
        assert (moved.consent_at, moved.consent_channel) == (NOW, "csv")


def test_an_export_imported_back_changes_nothing(village: Database) -> None:
    before = _snapshot(village)
    with village.session() as session:
        exported = subscriber_csv.export_csv(session)
    with village.session() as session:
        report = subscriber_csv.import_csv(session, exported, default_region="GT", now=LATER)
    assert report.errors == []
    assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert [(i.line, i.problem) for i in report.skipped] == [(3, Problem.MARKED_OPTED_OUT)]
    assert _snapshot(village) == before
    with village.session() as session:
        assert subscriber_csv.export_csv(session) == exported


def test_a_csv_row_for_an_opted_out_number_is_skipped_with_the_reason(village: Database) -> None:
    text = "phone,region\n5555 0002,Sololá\n5555 0004,Sololá\n"
    before = _snapshot(village)
    with village.session() as session:
        report = subscriber_csv.import_csv(session, text, default_region="GT", now=LATER)
    assert (report.added, report.errors) == (1, [])
    assert [(i.line, i.problem) for i in report.skipped] == [(2, Problem.OPTED_OUT)]
    assert _snapshot(village)[:3] == before[:3]


def test_exported_cells_that_a_spreadsheet_would_run_are_neutralised(village: Database) -> None:
    with village.session() as session:
        exported = subscriber_csv.export_csv(session)
    lines = exported.splitlines()
    assert lines[1].startswith("'+50255550001,")
    assert lines[3].startswith("'+50255550003,\"'=HYPERLINK(")


def test_the_panel_refuses_an_opted_out_number_with_409_in_the_users_language(
    client: FlaskClient, logged_in: Callable[[Role], User], village: Database
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/es")
    data = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "phone": "+502 5555 0002",
        "region": "Sololá",
        "language": "es",
    }
    page = client.post("/subscribers/", data=data)
    assert page.status_code == 409
    assert "solo su propia palabra clave" in page.get_data(as_text=True)
    with village.session() as session:
        gone = subscribers.find(session, OPTED_OUT)
        assert gone is not None and not gone.opted_in


def test_the_api_refuses_an_opted_out_number_with_409(
    client: FlaskClient, api_token: Callable[[Role], str], village: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"phone": OPTED_OUT, "region": "Sololá"}
    response = client.post("/api/v1/subscribers", json=body, headers=headers)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "opted_out"  # type: ignore[index]


def test_subscriber_additions_are_audited_with_the_number_masked_by_panel_and_api(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    api_token: Callable[[Role], str],
    database: Database,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    api = client.post(
        "/api/v1/subscribers", json={"phone": "+502 5555 1001", "region": "Sololá"}, headers=headers
    )
    assert api.status_code == 201
    logged_in(Role.OPERATOR)
    data = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "phone": "+502 5555 1002",
        "region": "Sololá",
        "language": "es",
    }
    assert client.post("/subscribers/", data=data).status_code == 302
    with database.session() as session:
        entries = audit.recent(session, action="subscriber.add")
    assert sorted(e.target for e in entries) == ["+502 ••••• 1001", "+502 ••••• 1002"]
    assert sorted(e.details["channel"] for e in entries) == ["api", "panel"]


def test_exports_and_imports_are_audited_with_their_counts(
    client: FlaskClient, logged_in: Callable[[Role], User], village: Database
) -> None:
    logged_in(Role.OPERATOR)
    exported = client.get("/subscribers/export.csv")
    assert exported.status_code == 200
    data = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "file": (io.BytesIO(exported.data), "subscribers.csv"),
    }
    page = client.post("/subscribers/import", data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    with village.session() as session:
        [export_entry] = audit.recent(session, action="subscriber.export")
        [import_entry] = audit.recent(session, action="subscriber.import")
    assert export_entry.details == {"rows": 3}
    assert import_entry.details == {
        "lines": 3,
        "added": 0,
        "updated": 0,
        "unchanged": 2,
        "skipped": 1,
        "errors": 0,
    }
