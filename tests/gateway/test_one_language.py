"""One language at a time: every stored code has words, and every panel page, walked with a
station holding one of each thing, shows no English in Spanish (nor Spanish in English) and
its times in the station's zone.

The pages come from the app's URL map, so a page added later is walked too.
"""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from enum import Enum
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from audio.errors import Problem as AudioProblem
from audio.metadata import MetadataProblem
from audio.models import (
    FailureReason,
    Moderation,
    Recording,
    RecordingKind,
    TranscriptionStatus,
    VoiceChannel,
    VoiceMessage,
)
from audio.moderation import ModerationProblem
from gateway import accounts, migrate
from gateway.accounts import AccountProblem, User
from gateway.alert_models import Alert, AlertChannel, AlertStatus, SmsBlocked
from gateway.alerts import AlertProblem
from gateway.codes import coded
from gateway.database import Database, utcnow
from gateway.factory import create_app
from gateway.plain_text import TextProblem
from gateway.roles import Role
from gateway.worker import WorkerHeartbeat, WorkerState
from gateway.workers import WorkerKind
from playlists.air_watch import Heard
from playlists.models import (
    AirReason,
    AsRunDetail,
    AsRunEntry,
    AsRunStatus,
    Playlist,
    PlaylistItem,
    PlaylistMode,
    ScheduleSlot,
    StreamHeard,
)
from playlists.playlist_files import PlaylistFileProblem
from playlists.timetable import TimetableProblem
from sms.link_events import LinkState
from sms.link_wire import LinkError, LinkFault
from sms.models import LinkStatus, SegmentState, Subscriber
from sms.subscribers import ConsentChannel, Problem
from tests.conftest import station_settings
from tests.support import PASSWORD, csrf_token, log_in, recording_sha

ZONE = ZoneInfo("America/Guatemala")
"""UTC−6 all year: 09:17 there is 15:17 UTC, whatever the day."""

CODE_SETS: list[type[Enum]] = [
    Role,
    WorkerKind,
    WorkerState,
    LinkState,
    Heard,
    RecordingKind,
    TranscriptionStatus,
    Moderation,
    VoiceChannel,
    FailureReason,
    PlaylistMode,
    AirReason,
    AsRunStatus,
    AsRunDetail,
    AlertChannel,
    AlertStatus,
    SmsBlocked,
    ConsentChannel,
    SegmentState,
]
"""Every set of codes the code stores for people to read, from its single source."""

PROBLEM_SETS: list[type[Enum]] = [
    AccountProblem,
    AlertProblem,
    MetadataProblem,
    ModerationProblem,
    PlaylistFileProblem,
    TextProblem,
    TimetableProblem,
    LinkFault,
]
"""Why domain code refuses a request (carried by its errors), worded by the panel."""

WITH_PARAMETERS = {
    WorkerState.STOPPED,  # not shown: a stopped worker is not running
    WorkerState.TRANSCRIBING,
    WorkerState.TRANSCRIBING_PROGRESS,
    WorkerState.DEAD_AIR_FOR,
    WorkerState.SMPP_LINK,
}
"""States seeded with their parameters below rather than bare."""

DAYS = [*calendar.day_name, *calendar.day_abbr]
MONTHS = [*calendar.month_name[1:], *calendar.month_abbr[1:]]
ENGLISH = [
    *["on air", "idle", "upload", "preempted", "cut_at", "disabled", "late", "worker"],
    *["operator", "moderator", "admin", "air, sms", "listening", "stopped", "connecting"],
    *["transcribing", "voice message", "bound", "listeners", "silent", "skipped", "played"],
    *["testimony", "sound", "failed", "pending", "sending", "model", "UTC", *DAYS, *MONTHS],
    *["system", "user.create", "token.create"],
]
"""Words of the English panel (or of a worker writing English) that Spanish pages must not show."""
SPANISH = [
    *["al aire", "en espera", "subida", "operación", "moderación", "administración"],
    *["interrumpido", "cortado", "omitido", "desactivado", "Canales", "escuchando"],
    *["transcribiendo", "sonido", "fallido", "pendiente", "enviando", "Guardar", "Añadir"],
    *["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    *["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"],
    *["septiembre", "octubre", "noviembre", "diciembre", "UTC", "sistema", "cuenta creada"],
]


def test_every_code_the_code_can_store_has_words_in_the_labels_mapping() -> None:
    from gateway.web.labels import LABELS
    from gateway.web.subscribers import PROBLEM_TEXT
    from gateway.web.uploads import REFUSAL_TEXT

    sets = [*CODE_SETS, *PROBLEM_SETS]
    missing = [f"{s.__name__}.{m.name}" for s in sets for m in s if m.value not in LABELS]
    assert missing == []
    assert sorted(set(Problem) - PROBLEM_TEXT.keys()) == []
    assert sorted(set(AudioProblem) - REFUSAL_TEXT.keys()) == []


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [("es", "no es audio", "not audio"), ("en", "not audio", "no es audio")],
)
def test_a_refused_upload_says_why_in_the_readers_language(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    language: str,
    said: str,
    not_said: str,
) -> None:
    logged_in(Role.MODERATOR)
    client.get(f"/lang/{language}")
    refused = client.post(
        "/voice/upload",
        data={
            "csrf_token": csrf_token(client, "/voice/"),
            "language": "es",
            "file": (io.BytesIO(b"hola" * 200), "a.wav"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    text = visible_text(refused.get_data(as_text=True))
    assert said in text and not_said not in text


def test_a_coded_value_is_worded_with_its_parameters_in_the_readers_language(app: Flask) -> None:
    from gateway.web.labels import label

    with app.test_request_context("/?lang=es"):
        assert label(coded(FailureReason.NO_MODEL, language="mam")).count("mam") == 1
        assert label(coded(WorkerState.DEAD_AIR_FOR, heard="silent", seconds=12)) == (
            "en silencio durante 12 s"
        )
        assert label(f"{AsRunDetail.CUT_AT}; engine error: boom").endswith("; engine error: boom")
        assert label("a sentence nobody coded") == "a sentence nobody coded"
        refused = LinkError("…", LinkFault.UNREACHABLE, where="127.0.0.1:2775", command="bind_rx")
        assert label(refused.code) == "no se puede llegar al SMSC en 127.0.0.1:2775 (bind_rx)"
        assert label(AsRunDetail.LATE) == "empezó con ? s de retraso"


class _Text(HTMLParser):
    """The visible text of a page: no tags, scripts or styles, and no <code> (verbatim machine
    text such as a token's prefix or an audit entry's recorded details)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style", "code")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style", "code")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def found(words: list[str], text: str) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[Flask, Database]]:
    settings = station_settings(tmp_path, station={"timezone": "America/Guatemala"})
    database = Database(settings.database.url)
    migrate.upgrade(database)
    app = create_app(settings, database=database)
    app.config["TESTING"] = True
    yield app, database
    database.dispose()


def seed(database: Database, instant: datetime) -> dict[str, int]:
    """One of each thing a page can show, every time stamp at `instant`."""
    now = utcnow()
    with database.session() as session:
        users = {
            role: accounts.create_user(session, username=name, password=PASSWORD, role=role)
            for role, name in (
                (Role.ADMIN, "ana"),
                (Role.OPERATOR, "beto"),
                (Role.MODERATOR, "ixchel"),
            )
        }
        for role in Role:
            accounts.create_token(session, name=f"k{role.value[0]}", owner=users[role], role=role)
        voice = VoiceMessage(
            caller="+50255550101",
            language="es",
            channel=VoiceChannel.UPLOAD,
            status=TranscriptionStatus.FAILED,
            failure_reason=coded(FailureReason.NO_MODEL, language="es"),
            received_at=instant,
        )
        session.add(voice)
        session.flush()
        recordings = [
            Recording(
                title=f"Xq {n}",
                kind=kind,
                duration_s=61,
                loudness_lufs=-16,
                true_peak_dbtp=-1.5,
                media_path=f"library/{n:02x}/{recording_sha(n)}.flac",
                sha256=recording_sha(n),
                created_at=instant,
                voice_message_id=voice.id if kind is RecordingKind.TESTIMONY else None,
            )
            for n, kind in enumerate(RecordingKind)
        ]
        session.add_all(recordings)
        session.flush()
        playlist = Playlist(name="Zk", mode=PlaylistMode.SHUFFLE, is_fallback=True)
        session.add(playlist)
        session.flush()
        session.add(
            PlaylistItem(playlist_id=playlist.id, position=0, recording_id=recordings[0].id)
        )
        coming = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        session.add(
            ScheduleSlot(
                title="Qq",
                playlist_id=playlist.id,
                start=coming,
                timezone="America/Guatemala",
                duration_s=1800,
                rrule="FREQ=WEEKLY",
            )
        )
        alert = Alert(
            text="Zzz",
            regions=["Tecpan"],
            channels=[AlertChannel.AIR, AlertChannel.SMS],
            created_at=instant,
        )
        session.add(alert)
        session.flush()
        rows = [
            (AsRunStatus.CUT, AsRunDetail.CUT_AT, AirReason.SCHEDULE),
            (AsRunStatus.INTERRUPTED, AsRunDetail.PREEMPTED, AirReason.FALLBACK),
            (AsRunStatus.SKIPPED, AsRunDetail.NOTHING_TO_AIR, AirReason.SCHEDULE),
            (AsRunStatus.PLAYED, coded(AsRunDetail.LATE, seconds="2.5"), AirReason.ALERT),
            (AsRunStatus.OFF_AIR, AsRunDetail.WORKER_STOPPED, AirReason.OUTAGE),
            (
                AsRunStatus.DEAD_AIR,
                coded(AsRunDetail.SKIPPED_BY_MONITOR, seconds=4),
                AirReason.MONITOR,
            ),
        ]
        session.add_all(
            AsRunEntry(
                title="Xq",
                recording_id=recordings[0].id,
                reason=reason,
                status=status,
                detail=detail,
                started_at=instant,
                ended_at=instant + timedelta(seconds=30),
                alert_id=alert.id if reason is AirReason.ALERT else None,
            )
            for status, detail, reason in rows
        )
        session.add(
            Subscriber(
                phone="+50255550102",
                region="Tecpan",
                region_key="tecpan",
                consent_at=instant,
                consent_channel=ConsentChannel.CSV,
            )
        )
        states = [
            *(state for state in WorkerState if state not in WITH_PARAMETERS),
            coded(WorkerState.TRANSCRIBING, message=voice.id),
            coded(WorkerState.TRANSCRIBING_PROGRESS, message=voice.id, seconds=40),
            coded(WorkerState.DEAD_AIR_FOR, heard=Heard.UNREACHABLE.value, seconds=9),
            coded(WorkerState.SMPP_LINK, link=LinkState.BOUND.value),
        ]
        kinds = list(WorkerKind)
        session.add_all(
            WorkerHeartbeat(
                kind=kinds[n % len(kinds)],
                host="h",
                pid=n,
                started_at=now,
                beat_at=now,
                state=state,
            )
            for n, state in enumerate(states)
        )
        session.add(LinkStatus(worker="sms@h", state=LinkState.BINDING.value, since=instant))
        session.add(StreamHeard(id=1, state=Heard.SILENT.value, dead_since=instant, silence_s=9))
        return {
            "recording_id": recordings[0].id,
            "playlist_id": playlist.id,
            "message_id": voice.id,
            "alert_id": alert.id,
            "user_id": users[Role.MODERATOR].id,
        }


def panel_pages(app: Flask, ids: dict[str, int]) -> list[str]:
    """Every GET page of the panel (the API, static files and downloads aside)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(
            ("/api/", "/static", "/metrics", "/healthz", "/lang", "/login")
        ):
            continue
        if rule.rule.endswith((".csv", ".svg", "/audio", "/original", "/protected", "/preview")):
            continue
        pages.append(rule.build({name: ids[name] for name in rule.arguments})[1])  # type: ignore[index]
    return sorted(pages)


def walk(client: FlaskClient, pages: list[str]) -> dict[str, str]:
    texts = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.mimetype == "text/html", page
        texts[page] = visible_text(response.get_data(as_text=True))
    return texts


def test_every_panel_page_speaks_one_language_and_tells_station_time(
    station: tuple[Flask, Database],
) -> None:
    app, database = station
    local_day = utcnow().astimezone(ZONE).date()
    instant = datetime(local_day.year, local_day.month, local_day.day, 9, 17, tzinfo=ZONE)
    ids = seed(database, instant.astimezone(UTC))
    client = app.test_client()
    assert log_in(client, "ana") == 302
    pages = panel_pages(app, ids)
    assert len(pages) >= 12, pages

    spanish = walk(client, pages)
    english_seen = {page: found(ENGLISH, text) for page, text in spanish.items()}
    assert {page: words for page, words in english_seen.items() if words} == {}

    client.get("/lang/en")
    english = walk(client, pages)
    spanish_seen = {page: found(SPANISH, text) for page, text in english.items()}
    assert {page: words for page, words in spanish_seen.items() if words} == {}

    unfilled = {page for page, text in {**spanish, **english}.items() if "%(" in text}
    assert unfilled == set()
    in_utc = {page for page, text in {**spanish, **english}.items() if "15:17" in text}
    assert in_utc == set()
    timed = ["/on-air/", "/voice/", f"/voice/{ids['message_id']}", f"/alerts/{ids['alert_id']}"]
    timed += ["/alerts/", "/subscribers/", f"/library/{ids['recording_id']}"]
    assert [page for page in timed if "9:17" not in spanish[page]] == []
