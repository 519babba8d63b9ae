"""The schedule form a small station fills without knowing RRULE: the day defaults to today,
days of the week are ticked, a one-off in the past is refused (in the panel, the API and the
domain alike), clashes are explained in the operator's language on the station's clock, and
the grid marks today and now."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from playlists.models import ScheduleSlot
from playlists.timetable import SlotInThePast, create_slot
from tests.support import add_recordings, csrf_token

STATION = ZoneInfo("America/Mexico_City")


def today() -> date:
    return datetime.now(STATION).date()


@pytest.fixture
def recording(database: Database) -> int:
    (recording,) = add_recordings(database, "Voces", duration_s=600)
    return recording


@pytest.fixture
def operator(client: FlaskClient, logged_in: Callable[[Role], User]) -> FlaskClient:
    logged_in(Role.OPERATOR)
    return client


def stored(database: Database) -> list[ScheduleSlot]:
    with database.session(write=False) as session:
        return list(session.scalars(select(ScheduleSlot).order_by(ScheduleSlot.id)))


def post(client: FlaskClient, recording: int, **fields: object) -> tuple[int, str]:
    form: dict[str, object] = {
        "csrf_token": csrf_token(client, "/schedule/"),
        "title": "Voces de mujeres",
        "content": f"r:{recording}",
        "day": (today() + timedelta(days=1)).isoformat(),
        "start": "09:00",
        "minutes": "60",
        "repeat": "",
        "interval": "1",
        **fields,
    }
    response = client.post("/schedule/slots", data=form)
    return response.status_code, response.get_data(as_text=True)


def test_the_form_starts_on_today_with_today_ticked_and_rrule_kept_for_experts(
    operator: FlaskClient,
) -> None:
    operator.get("/lang/es")
    page = operator.get("/schedule/").get_data(as_text=True)
    assert re.search(rf'name="day"[^>]*value="{today().isoformat()}"', page)
    code = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[today().weekday()]
    ticked = re.findall(r'<input type="checkbox" name="weekdays" value="(\w\w)" checked>', page)
    assert ticked == [code]
    for name in ("lunes", "miércoles", "domingo"):
        assert re.search(
            rf'<label><input type="checkbox" name="weekdays" [^>]*> {name}</label>', page
        )
    assert re.search(r'name="interval"[^>]*value="1"', page)
    assert re.search(r"<details>\s*<summary>[^<]+</summary>\s*<label>RRULE", page)
    assert 'value="weekly"' in page and 'value="custom"' in page


def test_weekly_days_every_two_weeks_until_a_date_are_stored_as_an_rrule_and_air_so(
    operator: FlaskClient, recording: int, database: Database
) -> None:
    first = today() + timedelta(days=1)
    last = first + timedelta(weeks=4)
    status, _page = post(
        operator,
        recording,
        day=first.isoformat(),
        repeat="weekly",
        weekdays=["MO", "TH"],
        interval="2",
        until=last.isoformat(),
    )
    assert status == 302
    (slot,) = stored(database)
    assert slot.rrule == f"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL={last:%Y%m%d}T235959"


def test_weekly_without_a_day_or_ending_before_it_starts_is_refused_in_spanish(
    operator: FlaskClient, recording: int, database: Database
) -> None:
    operator.get("/lang/es")
    status, page = post(operator, recording, repeat="weekly")
    assert status == 422 and "Marca al menos un día de la semana." in page
    day = today() + timedelta(days=3)
    status, page = post(
        operator,
        recording,
        day=day.isoformat(),
        repeat="weekly",
        weekdays=["MO"],
        until=(day - timedelta(days=1)).isoformat(),
    )
    assert status == 422 and "El último día es anterior al primero." in page
    status, page = post(operator, recording, repeat="custom", rrule="")
    assert status == 422 and "Escribe la RRULE" in page
    assert stored(database) == []


def test_a_one_off_slot_in_the_past_is_refused_with_the_station_time_in_spanish(
    operator: FlaskClient, recording: int, database: Database
) -> None:
    operator.get("/lang/es")
    yesterday = today() - timedelta(days=1)
    status, page = post(operator, recording, day=yesterday.isoformat(), start="09:00")
    assert status == 422
    assert "ya pasó: elige un día y una hora a partir de ahora." in page
    assert f"{yesterday.day}/{yesterday.month}/{yesterday:%y}, 9:00" in page
    assert stored(database) == []


def test_a_weekly_slot_that_began_in_the_past_is_accepted_while_it_still_airs(
    operator: FlaskClient, recording: int, database: Database
) -> None:
    began = today() - timedelta(days=14)
    status, _page = post(
        operator, recording, day=began.isoformat(), repeat="weekly", weekdays=["MO", "WE", "FR"]
    )
    assert status == 302
    operator.get("/lang/es")
    status, page = post(
        operator,
        recording,
        day=began.isoformat(),
        start="12:00",
        repeat="weekly",
        weekdays=["MO"],
        until=(began + timedelta(days=7)).isoformat(),
    )
    assert status == 422 and "Todos los días de esta serie ya pasaron" in page
    assert len(stored(database)) == 1


def test_a_clash_names_the_slot_and_its_station_time_in_the_operators_language(
    operator: FlaskClient, recording: int, database: Database
) -> None:
    day = today() + timedelta(days=2)
    assert post(operator, recording, title="Mañanas", day=day.isoformat(), start="07:00")[0] == 302
    operator.get("/lang/es")
    status, page = post(operator, recording, title="Otra", day=day.isoformat(), start="07:30")
    assert status == 409
    weekday = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
    assert f"Choca con «Mañanas», al aire el {weekday[day.weekday()]}, {day.day} de " in page
    (error,) = re.findall(r'<span class="error">([^<]*)</span>', page)
    assert error.endswith("de 7:00 a 8:00.") and "13:00" not in error, error
    assert len(stored(database)) == 1


def test_the_grid_marks_today_and_now_on_the_station_clock_only_in_this_week(
    operator: FlaskClient,
) -> None:
    before = datetime.now(STATION)
    page = operator.get("/schedule/").get_data(as_text=True)
    after = datetime.now(STATION)
    heads = re.findall(r"<th( class=\"today\"[^>]*)?>[^<]*</th>", page.split("</thead>")[0])
    marked = [n for n, head in enumerate(heads[1:]) if head]
    assert marked in ([before.weekday()], [after.weekday()]), marked
    assert 'aria-current="date"' in page
    rows = page.split("<tbody>")[1].split("<tr")[1:]
    now_rows = [n for n, row in enumerate(rows) if row.startswith(' class="now"')]
    assert now_rows in ([(t.hour * 60 + t.minute) // 30] for t in (before, after)), now_rows
    assert re.search(r'class="now-mark" aria-label="[^"]+\d\d:\d\d"', rows[now_rows[0]])
    later = operator.get("/schedule/", query_string={"week": (today() + timedelta(days=7))})
    text = later.get_data(as_text=True)
    assert 'class="now"' not in text and 'aria-current="date"' not in text


def test_the_api_refuses_a_one_off_in_the_past_with_422_and_the_station_time(
    client: FlaskClient, api_token: Callable[[Role], str], recording: int, database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    past = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client.post(
        "/api/v1/schedule",
        json={"recording_id": recording, "start": past.isoformat()},
        headers=headers,
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert f"{past.astimezone(STATION):%Y-%m-%d %H:%M} (America/Mexico_City)" in message
    assert "already passed" in message
    weekly = client.post(
        "/api/v1/schedule",
        json={"recording_id": recording, "start": past.isoformat(), "rrule": "FREQ=DAILY"},
        headers=headers,
    )
    assert weekly.status_code == 201
    assert len(stored(database)) == 1


def test_the_domain_check_is_the_one_both_use_and_history_may_still_be_written(
    database: Database, recording: int
) -> None:
    now = datetime(2026, 12, 3, 15, 30, 40, tzinfo=UTC)
    zone = STATION.key
    with database.session() as session:
        with pytest.raises(SlotInThePast, match="2026-12-03 09:29"):
            create_slot(
                session, recording_id=recording, start=now - timedelta(minutes=1, seconds=40),
                timezone=zone, now=now,
            )  # fmt: skip
        with pytest.raises(SlotInThePast, match="every occurrence"):
            create_slot(
                session, recording_id=recording, start=now - timedelta(days=9), timezone=zone,
                rrule="FREQ=DAILY;COUNT=3", now=now,
            )  # fmt: skip
        this_minute = create_slot(
            session, recording_id=recording, start=now.replace(second=0), timezone=zone, now=now
        )
        history = create_slot(
            session, recording_id=recording, start=now - timedelta(days=30), timezone=zone
        )
        assert this_minute.id and history.id
