"""Playlists and slots through /api/v1 and the panel: 201, 409 with the clashing slot, 422 for
bad input (nothing written), the expanded week, M3U/XSPF and iCalendar exports."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from gateway.accounts import User
from gateway.database import Database
from gateway.factory import create_app
from gateway.roles import Role
from playlists.models import Playlist, ScheduleSlot
from playlists.playlist_files import Entry, Known, match, parse_m3u, parse_xspf, to_m3u, to_xspf
from tests.conftest import station_settings
from tests.support import add_recordings, csrf_token, log_in, recording_sha

SHA = "ab" * 32


@pytest.fixture
def recordings(database: Database) -> list[int]:
    return add_recordings(database, "Voces", "Memoria", "Tierra", duration_s=600)


@pytest.fixture
def headers(api_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}


@pytest.fixture
def new_york(tmp_path: Path, database: Database) -> FlaskClient:
    """A station in America/New_York, whose clocks jump 02:00→03:00 on 2026-03-08."""
    app: Flask = create_app(
        station_settings(tmp_path, station={"timezone": "America/New_York"}), database=database
    )
    app.config["TESTING"] = True
    return app.test_client()


def coming(weekday: int, zone: ZoneInfo) -> date:
    """The first day after today in `zone` falling on `weekday` (Monday 0): a one-off slot
    there is still to come, whenever the test runs."""
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    return tomorrow + timedelta(days=(weekday - tomorrow.weekday()) % 7)


def coming_spring_forward_in_new_york() -> date:
    """The next second Sunday of March (after today), when 02:00 becomes 03:00 in New York."""
    today = datetime.now(ZoneInfo("America/New_York")).date()
    for year in (today.year, today.year + 1):
        first = date(year, 3, 1)
        change = first + timedelta(days=(6 - first.weekday()) % 7 + 7)
        if change > today:
            return change
    raise AssertionError("unreachable")


def aired(
    client: FlaskClient, headers: dict[str, str], since: str, until: str
) -> list[dict[str, object]]:
    """The expanded occurrences the API gives for [since, until)."""
    response = client.get(
        "/api/v1/schedule", query_string={"from": since, "to": until}, headers=headers
    )
    return list(response.get_json()["slots"])


def slots(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count(ScheduleSlot.id))) or 0)


def test_a_weekday_programme_is_scheduled_and_a_clash_answers_409_naming_the_slot(
    client: FlaskClient, headers: dict[str, str], recordings: list[int], database: Database
) -> None:
    playlist = client.post(
        "/api/v1/playlists",
        json={"name": "Mañanas", "items": recordings, "mode": "shuffle"},
        headers=headers,
    )
    assert playlist.status_code == 201
    body = {
        "playlist_id": playlist.get_json()["id"],
        "start": "2026-11-30T07:00:00-06:00",
        "end": "2026-11-30T08:00:00-06:00",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    }
    first = client.post("/api/v1/schedule", json=body, headers=headers)
    assert first.status_code == 201
    thursday = coming(3, ZoneInfo("America/Mexico_City")).isoformat()
    clash = client.post(
        "/api/v1/schedule",
        json={"recording_id": recordings[0], "start": f"{thursday}T07:30:00-06:00"},
        headers=headers,
    )
    assert clash.status_code == 409
    error = clash.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["conflict"] == {
        "slot_id": first.get_json()["id"],
        "title": "Mañanas",
        "start": f"{thursday}T07:00:00-06:00",
        "end": f"{thursday}T08:00:00-06:00",
    }
    assert f"from {thursday} 07:00 to {thursday} 08:00 (America/Mexico_City)" in error["message"]
    assert slots(database) == 1
    week = aired(client, headers, "2026-11-30T00:00:00-06:00", "2026-12-07T00:00:00-06:00")
    assert [s["start"] for s in week] == [
        f"2026-{d}T13:00:00+00:00" for d in ("11-30", "12-01", "12-02", "12-03", "12-04")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"recording_id": 1, "start": "2026-11-30T07:00:00"},
        {"recording_id": 1, "start": "tomorrow"},
        {"recording_id": 999, "start": "2026-11-30T07:00:00-06:00"},
        {"start": "2026-11-30T07:00:00-06:00"},
        {"recording_id": 1, "playlist_id": 1, "start": "2026-11-30T07:00:00-06:00"},
        {"recording_id": 1, "start": "2026-11-30T07:00:00-06:00", "rrule": "FREQ=SOMETIMES"},
        {
            "recording_id": 1,
            "start": "2026-11-30T07:00:00-06:00",
            "end": "2026-11-30T06:00:00-06:00",
        },
    ],
)
def test_bad_slots_get_422_and_change_nothing(
    client: FlaskClient,
    headers: dict[str, str],
    recordings: list[int],
    database: Database,
    body: dict[str, object],
) -> None:
    response = client.post("/api/v1/schedule", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert slots(database) == 0


def test_a_playlist_with_unknown_recordings_is_refused(
    client: FlaskClient, headers: dict[str, str], recordings: list[int], database: Database
) -> None:
    response = client.post(
        "/api/v1/playlists", json={"name": "x", "items": [recordings[0], 999]}, headers=headers
    )
    assert response.status_code == 422 and "999" in response.get_json()["error"]["message"]
    with database.session() as session:
        assert session.scalar(select(func.count(Playlist.id))) == 0


def test_playlists_export_as_m3u_and_xspf_that_import_back_to_the_same_recordings(
    client: FlaskClient, headers: dict[str, str], recordings: list[int]
) -> None:
    playlist_id = client.post(
        "/api/v1/playlists", json={"name": "Voces", "items": recordings[::-1]}, headers=headers
    ).get_json()["id"]
    m3u = client.get(f"/api/v1/playlists/{playlist_id}.m3u", headers=headers).get_data(as_text=True)
    xspf = client.get(f"/api/v1/playlists/{playlist_id}.xspf", headers=headers).get_data(
        as_text=True
    )
    library = [
        Known(rid, recording_sha(n), t)
        for n, (rid, t) in enumerate(zip(recordings, ["Voces", "Memoria", "Tierra"], strict=True))
    ]
    assert match(parse_m3u(m3u), library).recording_ids == recordings[::-1]
    assert match(parse_xspf(xspf), library).recording_ids == recordings[::-1]


def test_an_unmatched_line_is_reported_and_a_hostile_xspf_refused() -> None:
    entries = parse_m3u(
        to_m3u([Entry("Voces", "elsewhere/voces.mp3", 60.0), Entry("??", "nowhere.mp3")])
    )
    result = match(entries, [Known(1, SHA, "voces")])
    assert result.recording_ids == [1] and result.unmatched == ["entry 2: ??"]
    assert parse_xspf(to_xspf("x", entries))[0].title == "Voces"
    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_xspf('<!DOCTYPE x [<!ENTITY a "aaaa">]><playlist xmlns="http://xspf.org/ns/0/"/>')


def test_the_ical_feed_carries_each_slot_with_its_rule(
    client: FlaskClient, headers: dict[str, str], recordings: list[int]
) -> None:
    client.post(
        "/api/v1/schedule",
        json={
            "recording_id": recordings[1],
            "start": "2026-11-30T18:00:00-06:00",
            "rrule": "FREQ=DAILY",
        },
        headers=headers,
    )
    calendar = Calendar.from_ical(client.get("/api/v1/schedule.ics", headers=headers).get_data())
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Memoria"
    assert event["rrule"]["FREQ"] == ["DAILY"]
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_the_week_grid_shows_a_slot_in_its_day_and_a_clash_in_the_form(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    recordings: list[int],
    database: Database,
) -> None:
    logged_in(Role.OPERATOR)
    token = csrf_token(client, "/schedule/")
    form = {
        "csrf_token": token,
        "title": "Voces de mujeres",
        "content": f"r:{recordings[0]}",
        "day": "2026-12-02",
        "start": "09:00",
        "minutes": "90",
        "repeat": "weekly",
        "weekdays": "WE",
        "rrule": "",
    }
    assert client.post("/schedule/slots", data=form).status_code == 302
    page = client.get("/schedule/", query_string={"week": "2026-12-02"}).get_data(as_text=True)
    assert "Voces de mujeres" in page and 'rowspan="3"' in page and "09:00–10:30" in page
    wednesday = coming(2, ZoneInfo("America/Mexico_City")).isoformat()
    clash = client.post(
        "/schedule/slots", data={**form, "day": wednesday, "start": "10:00", "repeat": ""}
    )
    assert clash.status_code == 409 and 'class="error"' in clash.get_data(as_text=True)
    assert slots(database) == 1


def test_a_playlist_file_is_imported_from_the_panel(
    client: FlaskClient, logged_in: Callable[[Role], User], recordings: list[int]
) -> None:
    logged_in(Role.OPERATOR)
    token = csrf_token(client, "/schedule/playlists")
    m3u = to_m3u([Entry("Tierra", "x.mp3"), Entry("Nada", "y.mp3")]).encode()
    page = client.post(
        "/schedule/playlists/import",
        data={"csrf_token": token, "name": "Importada", "file": (io.BytesIO(m3u), "lista.m3u")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Importada" in page and "entry 2: Nada" in page


def test_a_sunday_grid_touching_in_the_spring_gap_is_accepted_and_airs_on_the_clock(
    new_york: FlaskClient, headers: dict[str, str], recordings: list[int], database: Database
) -> None:
    """02:30 does not exist on 2026-03-08 in New York: that Sunday the first slot starts when
    the clock jumps to 03:00 and still ends at 03:30, where the second one starts."""
    for hour in (2, 3):
        response = new_york.post(
            "/api/v1/schedule",
            json={
                "recording_id": recordings[hour - 2],
                "start": f"2026-03-01T0{hour}:30:00-05:00",
                "end": f"2026-03-01T0{hour + 1}:30:00-05:00",
                "rrule": "FREQ=WEEKLY;BYDAY=SU",
            },
            headers=headers,
        )
        assert response.status_code == 201, response.get_json()
    assert slots(database) == 2
    sundays = aired(new_york, headers, "2026-03-01T00:00:00-05:00", "2026-03-16T00:00:00-04:00")
    assert [(s["start"], s["end"]) for s in sundays] == [
        ("2026-03-01T07:30:00+00:00", "2026-03-01T08:30:00+00:00"),
        ("2026-03-01T08:30:00+00:00", "2026-03-01T09:30:00+00:00"),
        ("2026-03-08T07:00:00+00:00", "2026-03-08T07:30:00+00:00"),
        ("2026-03-08T07:30:00+00:00", "2026-03-08T08:30:00+00:00"),
        ("2026-03-15T06:30:00+00:00", "2026-03-15T07:30:00+00:00"),
        ("2026-03-15T07:30:00+00:00", "2026-03-15T08:30:00+00:00"),
    ]


def test_the_panel_accepts_the_same_grid_and_still_refuses_a_real_clash_on_the_change_day(
    new_york: FlaskClient,
    make_user: Callable[..., User],
    headers: dict[str, str],
    recordings: list[int],
    database: Database,
) -> None:
    """The third series starts on the change day itself: 01:00 for 90 minutes on the clock."""
    assert log_in(new_york, make_user(Role.OPERATOR).username) == 302
    form = {
        "csrf_token": csrf_token(new_york, "/schedule/"),
        "title": "Madrugada",
        "content": f"r:{recordings[0]}",
        "day": "2026-03-01",
        "minutes": "60",
        "repeat": "weekly",
        "weekdays": "SU",
        "rrule": "",
    }
    for start in ("02:30", "03:30"):
        assert new_york.post("/schedule/slots", data={**form, "start": start}).status_code == 302
    early = {**form, "day": "2026-03-08", "start": "01:00", "minutes": "90"}
    assert new_york.post("/schedule/slots", data=early).status_code == 302
    change_day = coming_spring_forward_in_new_york().isoformat()
    new_york.get("/lang/en")
    clash = new_york.post(
        "/schedule/slots",
        data={**form, "day": change_day, "start": "03:15", "minutes": "10", "repeat": ""},
    )
    assert clash.status_code == 409
    assert "clashes with “Madrugada”" in clash.get_data(as_text=True)
    assert re.search(r"from 3:00\sAM to 3:30\sAM", clash.get_data(as_text=True))
    assert slots(database) == 3
    sundays = aired(new_york, headers, "2026-03-08T00:00:00-05:00", "2026-03-16T00:00:00-04:00")
    assert [(str(s["start"])[5:16], str(s["end"])[11:16]) for s in sundays] == [
        ("03-08T06:00", "07:00"), ("03-08T07:00", "07:30"), ("03-08T07:30", "08:30"),
        ("03-15T05:00", "06:30"), ("03-15T06:30", "07:30"), ("03-15T07:30", "08:30"),
    ]  # fmt: skip


@pytest.mark.parametrize(("rrule", "began"), [("", 1), ("FREQ=WEEKLY", 7 * 24 * 60 + 1)])
def test_the_schedule_without_from_includes_the_slot_on_air_now(
    client: FlaskClient,
    headers: dict[str, str],
    recordings: list[int],
    database: Database,
    rrule: str,
    began: int,
) -> None:
    """An operator asking "what is on?" must see the programme whose current airing began a
    minute ago (a one-off, or a weekly slot first aired a week earlier)."""
    with database.session() as session:
        session.add(
            ScheduleSlot(
                title="Al aire",
                recording_id=recordings[0],
                start=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=began),
                timezone="America/Mexico_City",
                duration_s=600,
                rrule=rrule,
            )
        )
        session.commit()
    response = client.get("/api/v1/schedule", headers=headers)
    assert response.status_code == 200
    airing = response.get_json()["slots"][0]
    assert airing["title"] == "Al aire"
    assert datetime.fromisoformat(airing["start"]) < datetime.now(UTC)
