"""Subscribers: E.164 numbers, consent on record, region matching, CSV import all or nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from gateway import audit
from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from sms import subscriber_csv, subscribers
from sms.models import Subscriber, SubscriberGroup
from sms.phones import PhoneError, mask, to_e164
from sms.subscribers import Problem
from tests.support import csrf_token

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("5555 1234", "GT", "+50255551234"),
        ("+502 5555-1234", "MX", "+50255551234"),
        ("55 1234 5678", "MX", "+525512345678"),
        ("(504) 9999-0000", "HN", "+50499990000"),
    ],
)
def test_numbers_are_stored_in_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, default_region=region) == expected


@pytest.mark.parametrize("raw", ["", "12", "hola", "+502 1", "+999 5555 1234", "9" * 40])
def test_impossible_numbers_are_refused(raw: str) -> None:
    with pytest.raises(PhoneError):
        to_e164(raw, default_region="GT")


def test_caller_numbers_are_masked_to_the_last_four_digits() -> None:
    assert mask("+50255551234") == "+502 ••••• 1234"


def test_resubscribing_after_opt_out_records_new_consent(database: Database) -> None:
    with database.session() as session:
        first = subscribers.subscribe(
            session,
            phone="5555 1234",
            region="San Marcos",
            language="es",
            channel=subscribers.ConsentChannel.PANEL,
            default_region="GT",
            now=NOW,
        )
        subscribers.unsubscribe(session, phone_e164=first.phone, now=NOW)
        assert not first.opted_in and first.opted_out_at == NOW
        later = datetime(2026, 11, 25, tzinfo=UTC)
        again = subscribers.subscribe(
            session,
            phone="+50255551234",
            region="San Marcos",
            language=None,
            channel=subscribers.ConsentChannel.SMS,
            default_region="GT",
            now=later,
        )
        assert again.id == first.id and again.opted_in
        assert again.consent_at == later and again.consent_channel == "sms"


def test_regions_match_without_case_or_accents_and_skip_opted_out(database: Database) -> None:
    with database.session() as session:
        for phone, region in [
            ("5555 0001", "San Márcos"),
            ("5555 0002", "SAN MARCOS "),
            ("5555 0003", "Quetzaltenango"),
            ("5555 0004", "san marcos"),
        ]:
            subscribers.subscribe(
                session,
                phone=phone,
                region=region,
                language="es",
                channel=subscribers.ConsentChannel.CSV,
                default_region="GT",
                now=NOW,
            )
        subscribers.unsubscribe(session, phone_e164="+50255550004", now=NOW)
        found = [s.phone for s in subscribers.recipients(session, ["san marcos"])]
        assert found == ["+50255550001", "+50255550002"]
        assert len(subscribers.recipients(session, ["*"])) == 3


def test_csv_import_with_bad_rows_reports_each_by_line_and_writes_nothing(
    database: Database,
) -> None:
    text = (
        "phone,region,language,groups\n"
        "5555 1111,San Marcos,es,lideresas;radio\n"
        "not a number,San Marcos,es,\n"
        "5555 2222,,es,\n"
        "5555 3333,Huehuetenango,fr,\n"
        "+50255554444,Huehuetenango,en,\n"
    )
    with database.session() as session:
        report = subscriber_csv.import_csv(session, text, default_region="GT", now=NOW)
    assert (report.lines, report.added, report.updated) == (5, 0, 0)
    assert [issue.line for issue in report.errors] == [3, 4, 5]
    assert [i.problem for i in report.errors] == [
        Problem.PHONE,
        Problem.REGION_MISSING,
        Problem.LANGUAGE,
    ]
    with database.session() as session:
        assert session.query(Subscriber).count() == 0
        assert session.query(SubscriberGroup).count() == 0


def test_a_good_csv_goes_in_whole_with_its_groups(database: Database) -> None:
    text = (
        "phone,region,language,groups\n"
        "5555 1111,San Marcos,es,lideresas;radio\n"
        "+50255554444,Huehuetenango,en,\n"
    )
    with database.session() as session:
        report = subscriber_csv.import_csv(session, text, default_region="GT", now=NOW)
    assert (report.added, report.updated, report.errors) == (2, 0, [])
    with database.session() as session:
        exported = subscriber_csv.export_csv(session)
    lines = exported.strip().splitlines()
    assert lines[0] == "phone,region,language,groups,opted_in,consent_at,consent_channel"
    assert lines[1].startswith("'+50255551111,San Marcos,es,lideresas;radio,yes,")
    assert lines[1].endswith(",csv")
    assert len(lines) == 3


def test_csv_without_a_header_is_refused_whole(database: Database) -> None:
    with database.session() as session, pytest.raises(subscribers.SubscriberError):
        subscriber_csv.import_csv(session, "5555 1111,San Marcos\n", default_region="GT", now=NOW)


def test_api_subscribes_a_number_in_e164(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    response = client.post(
        "/api/v1/subscribers", json={"phone": "55 1234 5678", "region": "Sololá"}, headers=headers
    )
    assert response.status_code == 201
    assert response.json["phone"] == "+525512345678"  # type: ignore[index]
    with database.session() as session:
        stored = session.get(Subscriber, response.json["id"])  # type: ignore[index]
        assert stored is not None and stored.consent_channel == "api"


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "hola", "region": "Sololá"},
        {"phone": "+50255551234"},
        {"phone": 5, "region": "x"},
        {"phone": "+50255551234", "region": "Sololá", "language": "fr"},
    ],
)
def test_api_refuses_bad_subscribers_with_422_and_stores_nothing(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database, body: dict
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    response = client.post("/api/v1/subscribers", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["message"]  # type: ignore[index]
    with database.session() as session:
        assert session.query(Subscriber).count() == 0


def test_api_needs_json(client: FlaskClient, api_token: Callable[[Role], str]) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    response = client.post("/api/v1/subscribers", data="phone=1", headers=headers)
    assert response.status_code == 415


def test_panel_import_reports_bad_lines_in_the_users_language_and_writes_nothing(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    token = csrf_token(client, "/subscribers/")
    data = {
        "csrf_token": token,
        "file": (io.BytesIO("phone,region\n55 1234 5678,Sololá\nxx,Sololá\n".encode()), "s.csv"),
    }
    client.get("/lang/es")
    page = client.post("/subscribers/import", data=data, content_type="multipart/form-data")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Línea 3:" in text
    assert "no es un número de teléfono utilizable" in text
    with database.session() as session:
        assert session.query(Subscriber).count() == 0
        [failed] = audit.recent(session, action="subscriber.import_failed")
        assert failed.details["errors"] == 1 and failed.details["lines"] == 2
