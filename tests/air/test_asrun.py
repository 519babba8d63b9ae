"""The as-run log: every item with start, end and why; now-playing and the CSV for regulators."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from playlists import asrun
from playlists.models import AirReason, AsRunStatus

T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_starting_an_item_closes_the_one_before_as_cut(database: Database) -> None:
    with database.session() as session:
        first = asrun.start(
            session, title="Testimonio 1", recording_id=None, reason=AirReason.SCHEDULE, at=T0
        )
        second = asrun.start(
            session,
            title="ID de estación",
            recording_id=None,
            reason=AirReason.FALLBACK,
            at=T0 + timedelta(minutes=3),
        )
        assert first.ended_at == T0 + timedelta(minutes=3) and first.status == "cut"
        asrun.finish(session, second.id, at=T0 + timedelta(minutes=4), status=AsRunStatus.PLAYED)
        assert asrun.now_playing(session) is None


def test_csv_is_in_station_time_oldest_first(database: Database) -> None:
    with database.session() as session:
        a = asrun.start(
            session,
            title='Noticias, "comunitarias"',
            recording_id=None,
            reason=AirReason.SCHEDULE,
            at=T0,
        )
        asrun.finish(session, a.id, at=T0 + timedelta(seconds=90), status=AsRunStatus.PLAYED)
        asrun.skipped(
            session,
            title="roto.mp3",
            recording_id=None,
            reason=AirReason.FALLBACK,
            at=T0 + timedelta(seconds=91),
            detail="cannot decode",
        )
        rows = asrun.entries(session)
        text = asrun.to_csv(rows, zone=ZoneInfo("America/Mexico_City"))
    lines = text.strip().splitlines()
    assert lines[0] == "started_at,ended_at,duration_s,title,recording_id,reason,status,detail"
    assert lines[1].startswith(
        '2026-11-24T07:00:00-06:00,2026-11-24T07:01:30-06:00,90.0,"Noticias, ""comunitarias""",'
    )
    assert lines[2].endswith("fallback,skipped,cannot decode")


def test_now_playing_api_reports_the_open_item(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.MODERATOR)}"}
    assert client.get("/api/v1/now-playing", headers=headers).json == {
        "recording_id": None,
        "title": None,
        "started_at": None,
        "source": None,
    }
    with database.session() as session:
        asrun.start(session, title="Alerta", recording_id=None, reason=AirReason.ALERT, at=T0)
    body = client.get("/api/v1/now-playing", headers=headers).json
    assert body == {
        "recording_id": None,
        "title": "Alerta",
        "started_at": "2026-11-24T13:00:00+00:00",
        "source": "alert",
    }


def test_on_air_page_shows_the_log_and_exports_csv(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.MODERATOR)
    with database.session() as session:
        asrun.start(
            session, title="Voces de la sierra", recording_id=None, reason=AirReason.SCHEDULE, at=T0
        )
    page = client.get("/on-air/?day=2026-11-24").get_data(as_text=True)
    assert "Voces de la sierra" in page
    assert "Icecast" in page
    csv_response = client.get("/on-air/as-run.csv?day=2026-11-24")
    assert csv_response.headers["Content-Disposition"].endswith("as-run-2026-11-24.csv")
    assert "Voces de la sierra" in csv_response.get_data(as_text=True)


def test_the_as_run_csv_neutralises_cells_a_spreadsheet_would_run(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.MODERATOR)
    with database.session() as session:
        asrun.skipped(
            session,
            title='=HYPERLINK("http://x.example","clic")',
            recording_id=None,
            reason=AirReason.SCHEDULE,
            at=T0,
            detail="@SUM(1+1)",
        )
    body = client.get("/on-air/as-run.csv?day=2026-11-24").get_data(as_text=True)
    [row] = list(csv.reader(io.StringIO(body)))[1:]
    assert row[3] == '\'=HYPERLINK("http://x.example","clic")'
    assert row[-1] == "'@SUM(1+1)"
