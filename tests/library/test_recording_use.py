"""A recording shows where it is used on air, and may not be deleted while air would go empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from audio.models import Recording
from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from playlists.models import PlaylistItem, ScheduleSlot
from playlists.timetable import create_playlist, create_slot
from playlists.usage import recording_use
from tests.support import add_recordings, csrf_token

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ZONE = "America/Mexico_City"


def test_use_lists_playlists_and_only_slots_still_to_come_soonest_first(
    database: Database,
) -> None:
    voces, memoria = add_recordings(database, "Voces", "Memoria")
    with database.session() as session:
        mixed = create_playlist(session, name="Mañanas", recording_ids=[voces, memoria])
        create_slot(
            session, playlist_id=mixed.id, start=NOW + timedelta(days=2), timezone=ZONE,
            title="Mañanas",
        )  # fmt: skip
        create_slot(
            session, recording_id=voces, start=NOW + timedelta(hours=3), timezone=ZONE,
            title="Voces sola",
        )  # fmt: skip
        create_slot(
            session, recording_id=voces, start=NOW - timedelta(days=3), timezone=ZONE,
            title="Ya pasó",
        )  # fmt: skip
    with database.session() as session:
        use = recording_use(session, voces, NOW)
    assert [(p.name, p.only_item, p.is_fallback) for p in use.playlists] == [
        ("Mañanas", False, False)
    ]
    assert [(s.title, s.next_start) for s in use.coming_slots] == [
        ("Voces sola", NOW + timedelta(hours=3)),
        ("Mañanas", NOW + timedelta(days=2)),
    ]
    assert [s.title for s in use.blocking_slots] == ["Voces sola"]
    assert use.blocks_deletion


def test_a_weekly_slot_counts_from_its_next_occurrence_and_an_ended_one_not_at_all(
    database: Database,
) -> None:
    (voces,) = add_recordings(database, "Voces")
    first = NOW - timedelta(days=30, hours=1)
    with database.session() as session:
        create_slot(
            session, recording_id=voces, start=first, timezone=ZONE, rrule="FREQ=WEEKLY",
            title="Cada semana",
        )  # fmt: skip
        create_slot(
            session, recording_id=voces, start=first + timedelta(hours=2), timezone=ZONE,
            rrule="FREQ=DAILY", until=NOW - timedelta(days=1), title="Terminó",
        )  # fmt: skip
    with database.session() as session:
        (slot,) = recording_use(session, voces, NOW).coming_slots
    assert slot.title == "Cada semana"
    assert slot.next_start == first + timedelta(weeks=5)


def test_a_recording_that_alone_fills_a_playlist_blocks_its_slots_and_the_fallback(
    database: Database,
) -> None:
    voces, memoria = add_recordings(database, "Voces", "Memoria")
    with database.session() as session:
        alone = create_playlist(session, name="Sola", recording_ids=[voces, voces])
        create_playlist(session, name="Relleno", recording_ids=[voces], fallback=True)
        create_slot(session, playlist_id=alone.id, start=NOW + timedelta(hours=1), timezone=ZONE)
    with database.session() as session:
        use = recording_use(session, voces, NOW)
        untouched = recording_use(session, memoria, NOW)
    assert {p.name: p.only_item for p in use.playlists} == {"Relleno": True, "Sola": True}
    assert [s.title for s in use.blocking_slots] == ["Sola"]
    assert use.emptied_fallback is not None and use.emptied_fallback.name == "Relleno"
    assert not untouched.blocks_deletion and untouched.playlists == []


def test_deleting_a_recording_a_coming_slot_needs_answers_409_and_changes_nothing(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    voces, memoria = add_recordings(database, "Voces", "Memoria")
    with database.session() as session:
        create_slot(
            session, recording_id=voces, start=datetime.now(UTC) + timedelta(days=1),
            timezone=ZONE, title="Voces de la tarde",
        )  # fmt: skip
        create_playlist(session, name="Mezcla", recording_ids=[voces, memoria])
    logged_in(Role.OPERATOR)
    page = client.get(f"/library/{voces}").get_data(as_text=True)
    assert "Voces de la tarde" in page and "Mezcla" in page
    token = csrf_token(client, f"/library/{voces}")
    refused = client.post(f"/library/{voces}/delete", data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 409
    assert "Voces de la tarde" in refused.get_data(as_text=True)
    with database.session() as session:
        assert session.get(Recording, voces) is not None
        assert session.query(ScheduleSlot).count() == 1
        assert session.query(PlaylistItem).count() == 2


def test_a_recording_only_in_a_mixed_playlist_is_deleted_and_leaves_that_playlist(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    voces, memoria = add_recordings(database, "Voces", "Memoria")
    with database.session() as session:
        mixed = create_playlist(session, name="Mezcla", recording_ids=[voces, memoria])
        create_slot(
            session, playlist_id=mixed.id, start=datetime.now(UTC) + timedelta(days=1),
            timezone=ZONE,
        )  # fmt: skip
    logged_in(Role.OPERATOR)
    token = csrf_token(client, f"/library/{voces}")
    done = client.post(f"/library/{voces}/delete", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    with database.session() as session:
        assert [item.recording_id for item in session.query(PlaylistItem)] == [memoria]
        assert session.query(ScheduleSlot).count() == 1


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.OPERATOR])
def test_every_role_that_sees_a_recording_sees_where_it_is_used(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database, role: Role
) -> None:
    (voces,) = add_recordings(database, "Voces")
    logged_in(role)
    page = client.get(f"/library/{voces}")
    assert page.status_code == 200
    assert "library-use" in page.get_data(as_text=True)
