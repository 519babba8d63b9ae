"""The On air page: the next slots of the day, and a clear word when Icecast is not there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.worker import WorkerHeartbeat
from playlists.asrun import skipped
from playlists.models import AirReason, Playlist, ScheduleSlot


def test_the_on_air_page_lists_the_slots_coming_up(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    start = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    with database.session() as session:
        session.add(
            ScheduleSlot(
                title="Voces de la sierra",
                start=start,
                timezone="America/Mexico_City",
                duration_s=3600,
                rrule="FREQ=DAILY",
            )
        )
    logged_in(Role.MODERATOR)
    page = client.get("/on-air/").get_data(as_text=True)
    assert "Voces de la sierra" in page
    assert "Icecast" in page


def test_without_a_fallback_the_page_says_empty_hours_are_silent_and_never_promises_one(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    page = client.get("/on-air/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "suena la lista de relleno" not in page
    assert "silencio" in page and "/schedule/playlists" in page
    with database.session() as session:
        session.add(Playlist(name="Música de la sierra", is_fallback=True))
    page = client.get("/on-air/").get_data(as_text=True)
    assert "Música de la sierra" in page and "/schedule/playlists" not in page


def test_the_dashboard_shows_a_silent_playout_as_a_fault_in_the_panels_language(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    now = utcnow()
    with database.session() as session:
        session.add(
            WorkerHeartbeat(
                kind="playout", host="radio", pid=4242, started_at=now, beat_at=now, state="silence"
            )
        )
    logged_in(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    row = next(line for line in page.splitlines() if "4242" in line)
    assert 'class="bad"' in row and "on air" not in row


def test_an_item_that_could_not_be_played_is_on_the_dashboard_with_the_reason(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    with database.session() as session:
        skipped(
            session,
            title="Testimonio de Rosa",
            recording_id=None,
            reason=AirReason.SCHEDULE,
            at=utcnow() - timedelta(hours=2),
            detail="no_file?path=%2Fmedia%2Flibrary%2Fab.flac",
        )
        skipped(
            session,
            title="Ayer",
            recording_id=None,
            reason=AirReason.SCHEDULE,
            at=utcnow() - timedelta(days=2),
            detail="no_file",
        )
    logged_in(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    assert "Testimonio de Rosa" in page and "no hay archivo: /media/library/ab.flac" in page
    assert "Ayer" not in page
