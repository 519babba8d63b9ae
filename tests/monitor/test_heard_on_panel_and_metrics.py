"""What the air monitor heard, on the dashboard (in Spanish by default) and in /metrics; and
nothing claimed about the stream once the monitor has stopped reporting."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from gateway.accounts import User
from gateway.database import Database, utcnow
from gateway.roles import Role
from playlists.models import StreamHeard


def hear(database: Database, **values: object) -> None:
    with database.session() as session:
        row = session.get(StreamHeard, 1) or StreamHeard(id=1)
        row.state = "ok"
        row.dead_since = None
        row.silence_s = 0.0
        row.listeners = None
        row.updated_at = utcnow()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def metric_lines(client: FlaskClient) -> list[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return [line for line in text.splitlines() if line.startswith("altavoz_stream_")]


def test_sound_and_listeners_are_shown_and_exported(
    client: FlaskClient, database: Database, logged_in: Callable[[Role], User]
) -> None:
    hear(database, listeners=12)
    assert metric_lines(client) == [
        "altavoz_stream_up 1.0",
        "altavoz_stream_silence_seconds 0.0",
        "altavoz_stream_listeners 12.0",
    ]
    logged_in(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    assert "El stream, tal como se oye" in page
    assert '<span class="ok">con audio</span>' in page
    assert "Oyentes: 12" in page


def test_dead_air_counts_up_from_when_it_began(
    client: FlaskClient, database: Database, logged_in: Callable[[Role], User]
) -> None:
    hear(database, state="unreachable", dead_since=utcnow() - timedelta(seconds=42))
    lines = metric_lines(client)
    assert lines[0] == "altavoz_stream_up 0.0"
    seconds = float(lines[1].removeprefix("altavoz_stream_silence_seconds "))
    assert 42.0 <= seconds < 45.0
    assert len(lines) == 2, "no listener count when Icecast's status could not be read"
    logged_in(Role.MODERATOR)
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<span class="bad">unreachable · 4[2-5] s without sound</span>', page)
    assert "Icecast does not answer" in page


def test_a_monitor_that_stopped_reporting_says_nothing_about_the_stream(
    client: FlaskClient, database: Database, logged_in: Callable[[Role], User]
) -> None:
    hear(database, updated_at=utcnow() - timedelta(minutes=5))
    assert metric_lines(client) == []
    logged_in(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    assert "Sin vigilancia: el proceso monitor no ha informado últimamente." in page
