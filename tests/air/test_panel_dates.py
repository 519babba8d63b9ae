"""Dates in panel URLs and forms near year 1 or 9999: 400 (or a form error) with the reason,
never a 500 from the arithmetic around them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from playlists.timetable import TimetableError, create_slot
from tests.support import add_recordings, csrf_token

PAGES = ["/schedule/?week={}", "/on-air/?day={}", "/on-air/as-run.csv?day={}"]


@pytest.fixture
def operator(client: FlaskClient, logged_in: Callable[[Role], User]) -> FlaskClient:
    logged_in(Role.OPERATOR)
    client.get("/lang/en")
    return client


def test_dates_out_of_range_or_no_date_answer_400_with_the_reason(operator: FlaskClient) -> None:
    for page in PAGES:
        for day in ("9999-12-31", "0001-01-01", "2201-01-01", "1969-12-31"):
            response = operator.get(page.format(day))
            assert response.status_code == 400, page.format(day)
            assert "between 1970-01-01 and 2200-12-31" in response.get_data(as_text=True)
        response = operator.get(page.format("31/12/2026"))
        assert response.status_code == 400
        assert "is not a date" in response.get_data(as_text=True)


def test_the_reason_is_given_in_the_operator_language(operator: FlaskClient) -> None:
    operator.get("/lang/es")
    page = operator.get("/schedule/?week=9999-12-31").get_data(as_text=True)
    assert "Elige una fecha entre el 1970-01-01 y el 2200-12-31." in page


def test_the_ends_of_the_range_and_today_are_shown(operator: FlaskClient) -> None:
    for page in PAGES:
        for day in ("1970-01-01", "2200-12-31", ""):
            assert operator.get(page.format(day)).status_code == 200, page.format(day)


def test_the_slot_form_refuses_a_day_out_of_range(
    operator: FlaskClient, database: Database
) -> None:
    (recording,) = add_recordings(database, "Voces")
    form = {
        "csrf_token": csrf_token(operator, "/schedule/"),
        "content": f"r:{recording}",
        "day": "9999-12-31",
        "start": "23:30",
        "minutes": "60",
        "repeat": "",
    }
    response = operator.post("/schedule/slots", data=form)
    assert response.status_code == 422
    assert "between 1970-01-01 and 2200-12-31" in response.get_data(as_text=True)


def test_the_domain_refuses_a_slot_out_of_range(database: Database) -> None:
    (recording,) = add_recordings(database, "Voces")
    with database.session() as session, pytest.raises(TimetableError, match="start must lie"):
        create_slot(
            session,
            start=datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
            timezone="UTC",
            recording_id=recording,
        )


def test_the_api_refuses_a_slot_near_year_9999_with_422(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    (recording,) = add_recordings(database, "Voces")
    response = client.post(
        "/api/v1/schedule",
        json={"recording_id": recording, "start": "9999-12-31T23:00:00+00:00", "rrule": ""},
        headers={"Authorization": f"Bearer {api_token(Role.OPERATOR)}"},
    )
    assert response.status_code == 422
    assert "between 1970-01-01 and 2200-12-31" in response.json["error"]["message"]  # type: ignore[index]
