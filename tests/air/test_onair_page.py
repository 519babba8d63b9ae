"""The On air page: the next slots of the day, and a clear word when Icecast is not there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database, utcnow
from gateway.roles import Role
from playlists.models import ScheduleSlot


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
