"""On-air repeats of an alert: the plan, its limits (422 and nothing written), what the alert
says of them, and a cancel or a correction stopping or taking them over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.accounts import User
from gateway.alert_models import Alert
from gateway.alert_repeats import RepeatAsk, RepeatError, plan
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from playlists import alert_repeats
from playlists.models import CommandKind, PlayoutCommand
from tests.alerts.test_alerts import cli, station_env
from tests.support import csrf_token

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_every_15_minutes_for_2_hours_is_9_airings_the_last_at_the_end() -> None:
    repeats = plan(
        RepeatAsk(every_min=15, until=NOW + timedelta(hours=2)),
        default_every_min=0,
        default_for_min=120,
        now=NOW,
    )
    assert repeats is not None
    times = repeats.airings(NOW)
    assert len(times) == 9
    assert times[0] == NOW
    assert times[-1] == NOW + timedelta(hours=2)


def test_the_configured_repeats_apply_unless_the_alert_says_once() -> None:
    configured = plan(RepeatAsk(), default_every_min=30, default_for_min=60, now=NOW)
    assert configured is not None
    assert len(configured.airings(NOW)) == 3
    assert plan(RepeatAsk(every_min=0), default_every_min=30, default_for_min=60, now=NOW) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"repeat_every_min": -1}, "repeat_every_min"),
        ({"repeat_every_min": 1.5}, "whole number"),
        ({"repeat_every_min": 0, "repeat_until": "2026-11-24T16:00:00+00:00"}, "above 0"),
        ({"repeat_every_min": 15, "repeat_until": "tomorrow"}, "ISO 8601"),
        ({"repeat_every_min": 15, "repeat_until": "2026-11-24T16:00:00"}, "offset"),
    ],
)
def test_malformed_repeats_are_refused(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(RepeatError, match=reason):
        RepeatAsk.from_json(body)


@pytest.mark.parametrize(
    ("until", "reason"),
    [(NOW - timedelta(minutes=1), "future"), (NOW + timedelta(days=7, minutes=1), "7 days")],
)
def test_an_end_in_the_past_or_beyond_a_week_is_refused(until: datetime, reason: str) -> None:
    with pytest.raises(RepeatError, match=reason):
        plan(RepeatAsk(every_min=15, until=until), default_every_min=0, default_for_min=1, now=NOW)


def preempts(database: Database, alert_id: int) -> list[PlayoutCommand]:
    with database.session() as session:
        return list(
            session.scalars(
                select(PlayoutCommand)
                .where(
                    PlayoutCommand.kind == CommandKind.PREEMPT.value,
                    PlayoutCommand.payload["alert_id"].as_integer() == alert_id,
                )
                .order_by(PlayoutCommand.due_at)
            )
        )


def test_an_api_alert_with_repeats_writes_each_airing_with_its_time_and_says_the_next(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    until = utcnow() + timedelta(hours=2)
    response = client.post(
        "/api/v1/alerts",
        json={
            "text": "Crecida del río: suban a la loma.",
            "channels": ["air"],
            "repeat_every_min": 15,
            "repeat_until": until.isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    alert_id = response.get_json()["id"]
    commands = preempts(database, alert_id)
    assert len(commands) == 9
    assert [c.payload["airing"] for c in commands] == list(range(1, 10))
    first, second = commands[0].due_at, commands[1].due_at
    assert first is not None and second is not None
    assert second - first == timedelta(minutes=15)
    air = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()["air"]
    assert air["repeat_every_min"] == 15
    assert air["aired"] == 0
    assert datetime.fromisoformat(air["next_repeat_at"]) == second


def test_the_panel_form_asks_for_repeats_and_the_alert_page_shows_the_next_one(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    form = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Crecida del río",
        "air": "y",
        "repeat_every": "20",
        "repeat_for": "60",
        "confirm": "y",
    }
    refused = client.post("/alerts/", data={**form, "repeat_for": "20000"})
    assert refused.status_code == 422
    with database.session() as session:
        assert session.scalar(select(func.count(Alert.id))) == 0
    response = client.post("/alerts/", data=form)
    assert response.status_code == 302
    with database.session() as session:
        alert_id = session.scalars(select(Alert.id)).one()
    assert len(preempts(database, alert_id)) == 4
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="repeats"' in page and "Se repite cada 20 minutos" in page
    assert "Próxima repetición" in page


@pytest.mark.parametrize(
    ("repeat", "reason"),
    [
        ({"repeat_every_min": 15, "repeat_until": "2020-01-01T00:00:00+00:00"}, "future"),
        ({"repeat_every_min": 15, "repeat_until": "2099-01-01T00:00:00+00:00"}, "days"),
        ({"repeat_every_min": -5}, "repeat_every_min"),
    ],
)
def test_bad_repeats_are_a_422_and_nothing_is_written(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    repeat: dict[str, Any],
    reason: str,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    response = client.post(
        "/api/v1/alerts", json={"text": "Hola", "channels": ["air"], **repeat}, headers=headers
    )
    assert response.status_code == 422
    assert reason in response.get_json()["error"]["message"]
    with database.session() as session:
        assert session.scalar(select(func.count(Alert.id))) == 0
        assert session.scalar(select(func.count(PlayoutCommand.id))) == 0


def send_repeating(client: FlaskClient, headers: dict[str, str]) -> int:
    response = client.post(
        "/api/v1/alerts",
        json={"text": "Crecida del río.", "channels": ["air"], "repeat_every_min": 10},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_a_cancel_drops_every_repeat_still_to_come(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    alert_id = send_repeating(client, headers)
    assert len(preempts(database, alert_id)) == 13
    assert client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=headers).status_code == 200
    commands = preempts(database, alert_id)
    assert all(c.done_at is not None for c in commands)
    assert {c.result for c in commands} == {"withdrawn: the alert was cancelled"}
    air = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()["air"]
    assert air["next_repeat_at"] is None


def test_a_correction_takes_over_the_repeats_left_or_sets_its_own(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    first = send_repeating(client, headers)
    inherited = client.post(
        f"/api/v1/alerts/{first}/correct", json={"text": "Crecida: loma norte."}, headers=headers
    )
    assert inherited.status_code == 200, inherited.get_json()
    correction = inherited.get_json()["id"]
    assert all(c.done_at is not None for c in preempts(database, first))
    assert len(preempts(database, correction)) == 13
    own = client.post(
        f"/api/v1/alerts/{correction}/correct",
        json={"text": "Crecida: loma sur.", "repeat_every_min": 0},
        headers=headers,
    )
    assert own.status_code == 200, own.get_json()
    assert len(preempts(database, own.get_json()["id"])) == 1
    assert all(c.done_at is not None for c in preempts(database, correction))


def test_the_playout_worker_takes_only_due_airings_and_the_latest_of_those_missed(
    database: Database,
) -> None:
    with database.session() as session:
        session.add_all(
            PlayoutCommand(
                kind=CommandKind.PREEMPT.value,
                payload={"alert_id": 7, "airing": n},
                created_at=NOW,
                due_at=NOW + timedelta(minutes=10 * (n - 1)),
            )
            for n in (1, 2, 3, 4)
        )
    later = NOW + timedelta(minutes=25)
    with database.session() as session:
        assert alert_repeats.retire_overtaken(session, now=later) == 2
        due = session.scalars(
            select(PlayoutCommand).where(
                PlayoutCommand.taken_at.is_(None), alert_repeats.due(later)
            )
        ).all()
        assert [c.payload["airing"] for c in due] == [3]
        missed = session.scalars(
            select(PlayoutCommand.result).where(PlayoutCommand.done_at.is_not(None))
        ).all()
        assert missed == [alert_repeats.MISSED] * 2


def test_the_command_line_takes_repeats_and_refuses_a_bad_end_in_one_line(
    settings: Settings, database: Database
) -> None:
    env = station_env(settings)
    past = cli(env, "alert", "send", "--text", "Crecida", "--air", "--repeat-every", "15",
               "--repeat-until", "2020-01-01T00:00:00+00:00")  # fmt: skip
    assert past.returncode != 0
    assert past.stderr.strip().count("\n") == 0 and "future" in past.stderr
    with database.session() as session:
        assert session.scalar(select(func.count(Alert.id))) == 0
    sent = cli(env, "alert", "send", "--text", "Crecida", "--air", "--repeat-every", "30")
    assert sent.returncode == 0, sent.stderr
    with database.session() as session:
        alert_id = session.scalars(select(Alert.id)).one()
    assert len(preempts(database, alert_id)) == 1 + settings.alerts.repeat_until_min // 30
