"""A slot's RRULE: at most hourly, at most 500 characters, occurring within five years; each
refused with its reason, in bounded time (dateutil alone searches to year 9999)."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from gateway.database import Database
from gateway.roles import Role
from playlists.recurrence_limits import equivalent_start
from playlists.slots import SlotError, check_new_rule
from tests.support import add_recordings

START = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)

REFUSED = [
    ("FREQ=MINUTELY", "once an hour"),
    ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "once an hour"),
    ("FREQ=HOURLY;BYMINUTE=0,30", "once an hour"),
    ("FREQ=DAILY;BYHOUR=7;BYMINUTE=0,15", "once an hour"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ("FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31;BYHOUR=1", "never occurs"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ("FREQ=DAILY;UNTIL=20200101T000000Z", "before it first occurs"),
    ("FREQ=DAILY;COUNT=999999999999", "COUNT must be a whole number"),
    ("FREQ=DAILY;INTERVAL=999999999999", "INTERVAL must be a whole number"),
    ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number"),
    ("FREQ=WEEKLY;" + "BYDAY=MO;" * 60, "at most 500 characters"),
]


@pytest.mark.parametrize(("rule", "reason"), REFUSED)
def test_rules_finer_than_hourly_over_long_or_never_occurring_are_refused_quickly(
    rule: str, reason: str
) -> None:
    started = time.monotonic()
    with pytest.raises(SlotError, match=reason):
        check_new_rule(rule, START, "America/Guatemala")
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        "FREQ=DAILY;COUNT=3",
    ],
)
def test_ordinary_rules_pass(rule: str) -> None:
    check_new_rule(rule, START, "America/Guatemala")


@pytest.mark.parametrize("year", [1970, 2026, 2099, 2100, 2400, 9990])
def test_the_moved_start_has_the_same_calendar_and_is_near_the_end_of_time(year: int) -> None:
    start = datetime(year, 3, 1, 7, 0)
    moved = equivalent_start(start, 5)
    assert moved.year >= min(year, 9993 - 400) and moved.year <= max(year, 9993)
    for offset in range(6):
        before, after = year + offset, moved.year + offset
        assert date(before, 1, 1).weekday() == date(after, 1, 1).weekday()
        assert calendar.isleap(before) == calendar.isleap(after)


def test_the_api_refuses_a_never_occurring_rule_with_422_in_time(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    (recording,) = add_recordings(database, "Voces", duration_s=600)
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    started = time.monotonic()
    response = client.post(
        "/api/v1/schedule",
        json={
            "recording_id": recording,
            "start": "2026-11-24T07:00:00-06:00",
            "rrule": "FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31",
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert "never occurs" in response.json["error"]["message"]  # type: ignore[index]
    assert time.monotonic() - started < 2.0
