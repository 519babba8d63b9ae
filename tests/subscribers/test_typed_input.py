"""Regions and phone numbers people type: refused the same way by the domain, the API, the
panel and an SMS keyword, with the reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from sms import subscribers
from sms.inbound import InboundHandler
from sms.link_events import Delivery
from sms.models import OutboundMessage, Subscriber
from sms.phones import PhoneError, to_e164
from tests.support import csrf_token

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

BAD_REGIONS = {
    "override": ("San \u202eordeP", "reading direction"),
    "isolate": ("\u2066Sololá\u2069", "reading direction"),
    "mark": ("Solol\u200fá", "reading direction"),
    "control": ("Solo\x07lá", "control character"),
    "newline": ("San\nPedro", "control character"),
    "invisible": ("\u200b\u2060\ufeff", "invisible"),
    "no-break": ("\u00a0\u00a0", "required"),
    "surrogate": ("San\ud800Pedro", "surrogate"),
    "long": ("x" * 65, "longer than 64"),
}


def subscribe(session, *, phone: str = "5555 1234", region: str = "Sololá") -> Subscriber:
    return subscribers.subscribe(
        session,
        phone=phone,
        region=region,
        language="es",
        channel=subscribers.ConsentChannel.PANEL,
        default_region="GT",
        now=NOW,
    )


@pytest.mark.parametrize("case", BAD_REGIONS)
def test_the_domain_refuses_bad_regions_with_the_reason(database: Database, case: str) -> None:
    region, reason = BAD_REGIONS[case]
    with database.session() as session, pytest.raises(subscribers.SubscriberError, match=reason):
        subscribe(session, region=region)


def test_regions_are_stored_composed_so_both_spellings_match(database: Database) -> None:
    with database.session() as session:
        stored = subscribe(session, region="  Solola\u0301 ")
        assert stored.region == "Sololá"
        assert [s.phone for s in subscribers.recipients(session, ["Sololá"])] == [stored.phone]


def test_the_api_refuses_a_bidi_region_with_422(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"phone": "+50255551234", "region": "\u202eordeP naS"}
    response = client.post("/api/v1/subscribers", json=body, headers=headers)
    assert response.status_code == 422
    assert "reading direction" in response.json["error"]["message"]  # type: ignore[index]
    with database.session() as session:
        assert session.scalar(select(Subscriber)) is None


def test_the_panel_refuses_an_invisible_region_with_the_reason(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    data = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "phone": "+50255551234",
        "region": "\u200b\u200b",
        "language": "es",
    }
    page = client.post("/subscribers/", data=data)
    assert page.status_code == 400
    assert "only invisible characters" in page.get_data(as_text=True)
    with database.session() as session:
        assert session.scalar(select(Subscriber)) is None


def _sms(text: str) -> Delivery:
    return Delivery(
        source_addr="50255551234",
        source_addr_ton=1,
        source_addr_npi=1,
        destination_addr="1234",
        dest_addr_ton=0,
        dest_addr_npi=0,
        esm_class=0,
        data_coding=8,
        protocol_id=0,
        short_message=text.encode("utf-16-be"),
        message_payload=None,
        receipted_message_id=None,
        message_state=None,
        network_error_code=None,
        sar=None,
        received_at=NOW,
    )


def test_an_sms_keyword_with_a_bidi_region_subscribes_nobody_and_asks_again(
    settings: Settings, database: Database
) -> None:
    handler = InboundHandler(settings=settings.smpp)
    with database.session() as session:
        handler.handle(session, _sms("ALTA San \u202eordeP"), settings=settings, now=NOW)
        assert session.scalar(select(Subscriber)) is None
        reply = session.scalar(select(OutboundMessage))
        assert reply is not None and "ALTA" in reply.text and "ordeP" not in reply.text


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("+1 900 555 1234", "US", "premium-rate"),
        ("0 909 090 1234", "GB", "premium-rate"),
        ("803 123 456", "ES", "premium-rate"),
        ("901 123 456", "ES", "shared-cost"),
        ("1-800-FLOWERS", "US", "digits"),
        ("+502 5555 CASA", "GT", "digits"),
        ("*123#", "GT", "digits"),
        ("+502 5555 1234" + " " * 30, "GT", "longer than 32"),
        ("+502 " + "5" * 40, "GT", "longer than 32"),
    ],
)
def test_premium_rate_vanity_and_over_long_numbers_are_refused(
    raw: str, region: str, reason: str
) -> None:
    with pytest.raises(PhoneError, match=reason):
        to_e164(raw.strip() if reason != "longer than 32" else raw + "1", default_region=region)


def test_ordinary_mobile_and_fixed_numbers_still_pass() -> None:
    assert to_e164("+1 (415) 555-2671", default_region="GT") == "+14155552671"
    assert to_e164("5555.1234", default_region="GT") == "+50255551234"


def test_the_api_refuses_a_premium_rate_subscriber(
    client: FlaskClient, api_token: Callable[[Role], str]
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"phone": "+19005551234", "region": "Sololá"}
    response = client.post("/api/v1/subscribers", json=body, headers=headers)
    assert response.status_code == 422
    assert "premium-rate" in response.json["error"]["message"]  # type: ignore[index]
