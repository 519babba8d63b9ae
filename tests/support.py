"""Helpers tests share: logging in through the real form, reading CSRF tokens, catalogue rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from audio.models import Recording
from gateway.database import Database, utcnow
from playlists.models import ScheduleSlot
from sms import subscribers
from sms.subscribers import ConsentChannel

PASSWORD = "correct horse battery"


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return response.status_code


def create_user_in_panel(
    client: FlaskClient, username: str, password: str, role: str = "operator"
) -> TestResponse:
    """Post the admin's new-user form (the client must be logged in as an admin)."""
    token = csrf_token(client, "/admin/users")
    return client.post(
        "/admin/users",
        data={
            "username": username,
            "role": role,
            "password": password,
            "confirm": password,
            "csrf_token": token,
        },
    )


def recording_sha(n: int, stem: str = "ab" * 31) -> str:
    """A distinct content hash per catalogue number, so tests can match files back to rows."""
    return f"{stem}{n:02x}"


def add_recordings(
    database: Database, *titles: str, duration_s: float = 300, stem: str = "ab" * 31
) -> list[int]:
    """Catalogue rows without media, for tests about scheduling and usage, not audio."""
    with database.session() as session:
        rows = [
            Recording(
                title=title,
                kind="testimony",
                duration_s=duration_s,
                loudness_lufs=-16,
                true_peak_dbtp=-1.5,
                media_path=f"library/{n:02x}/{recording_sha(n, stem)}.flac",
                sha256=recording_sha(n, stem),
            )
            for n, title in enumerate(titles)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def add_playlist_slot(
    database: Database, playlist_id: int, start: datetime, duration_s: float
) -> int:
    """A one-off slot airing a playlist, written without the clash checks of the timetable."""
    return _add_slot(database, "Franja", start, duration_s, playlist_id=playlist_id)


def add_recording_slot(
    database: Database, recording_id: int, start: datetime, duration_s: float = 60
) -> int:
    """A one-off slot airing one recording, written without the clash checks."""
    return _add_slot(database, "Voces", start, duration_s, recording_id=recording_id)


def _add_slot(
    database: Database, title: str, start: datetime, duration_s: float, **content: int
) -> int:
    with database.session() as session:
        slot = ScheduleSlot(
            title=title,
            start=start,
            timezone="America/Mexico_City",
            duration_s=duration_s,
            exdates=[],
            **content,
        )
        session.add(slot)
        session.flush()
        return slot.id


def subscribe_phones(
    session: Session, phones: Sequence[str], region: str, *, now: datetime | None = None
) -> None:
    """Numbers subscribed in the panel to one region, in Spanish, as a station's list starts."""
    for phone in phones:
        subscribers.subscribe(
            session,
            phone=phone,
            region=region,
            language="es",
            channel=ConsentChannel.PANEL,
            default_region="MX",
            now=now or utcnow(),
        )
