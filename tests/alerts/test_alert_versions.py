"""Alert versions and subscribers' languages: the language list the station serves, the keyword
naming a language, a CSV round trip, the panel's form with a recording from a phone, and every
bad version or language refused with nothing written."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from audio.models import Recording
from gateway import accounts
from gateway.accounts import Actor, User
from gateway.alert_approval import approve
from gateway.alert_models import Alert, AlertVersion
from gateway.alerts import AlertRequest, create_alert
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from sms import subscriber_csv, subscribers
from sms.keywords import parse_keyword
from sms.models import OutboundMessage, Subscriber
from tests.alerts.test_alerts import NOW, cli, counts, station_env, subscribe
from tests.support import PASSWORD, csrf_token

SERVED = ("es", "en", "quc", "mam", "kek", "nah", "zap", "mix")


@pytest.mark.parametrize(
    ("text", "region", "language"),
    [
        ("ALTA San Marcos mam", "San Marcos", "mam"),
        ("alta san pedro sacatepequez KICHE", "san pedro sacatepequez", "quc"),
        ("ALTA Cobán q'eqchi'", "Cobán", "kek"),
        ("ALTA Tlapa Náhuatl.", "Tlapa", "nah"),
        ("JOIN Juchitan zapoteco", "Juchitan", "zap"),
        ("ALTA Mam", "Mam", None),  # one word: it is the region
        ("ALTA Santa Cruz la Laguna", "Santa Cruz la Laguna", None),
        ("ALTA San Marcos tzotzil", "San Marcos tzotzil", None),  # not served here
        ("ALTA San Marcos", "San Marcos", None),
    ],
)
def test_a_subscription_keyword_may_end_with_a_served_language(
    text: str, region: str, language: str | None
) -> None:
    command = parse_keyword(text, SERVED)
    assert command is not None
    assert (command.region, command.named_language) == (region, language)


def test_a_region_people_already_subscribe_to_wins_over_a_language_in_its_name(
    database: Database,
) -> None:
    subscribe(database, "+50255550001", "Cerro Mam")
    with database.session() as session:
        known = parse_keyword("ALTA cerro mam", SERVED)
        new = parse_keyword("ALTA Cerro Alto mam", SERVED)
        assert known is not None and new is not None
        assert subscribers.keyword_region(session, known) == ("cerro mam", None)
        assert subscribers.keyword_region(session, new) == ("Cerro Alto", "mam")


def test_a_csv_with_a_language_column_round_trips_and_a_bad_code_writes_nothing(
    database: Database, settings: Settings
) -> None:
    good = "phone,region,language\n+50255550001,San Marcos,mam\n+50255550002,Cobán,KEK\n"
    served = settings.station.languages
    with database.session() as session:
        report = subscriber_csv.import_csv(
            session, good, default_region="GT", now=NOW, languages=served
        )
        assert report.errors == []
        exported = subscriber_csv.export_csv(session)
    with database.session() as session:
        again = subscriber_csv.import_csv(
            session, exported, default_region="GT", now=NOW, languages=served
        )
        assert again.errors == [] and again.counts()["updated"] == 0
        languages = dict(session.execute(select(Subscriber.phone, Subscriber.language)).all())
    assert languages == {"+50255550001": "mam", "+50255550002": "kek"}
    bad = "phone,region,language\n+50255550003,Tacaná,mam\n+50255550004,Tacaná,klingon\n"
    with database.session() as session:
        refused = subscriber_csv.import_csv(
            session, bad, default_region="GT", now=NOW, languages=served
        )
        assert [(issue.line, issue.problem) for issue in refused.errors] == [
            (3, subscribers.Problem.LANGUAGE)
        ]
        session.rollback()
    with database.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 2


@pytest.mark.parametrize("language", ["fr", "tzo", "xx", "m@m"])
def test_the_api_refuses_a_subscriber_in_a_language_the_station_does_not_serve(
    client: FlaskClient, api_token: Callable[[Role], str], database: Database, language: str
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"phone": "+50255551234", "region": "Sololá", "language": language}
    response = client.post("/api/v1/subscribers", json=body, headers=headers)
    assert response.status_code == 422
    assert "language" in response.get_json()["error"]["message"]
    with database.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0


def test_the_panel_subscribes_a_number_in_mam(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.OPERATOR)
    page = client.get("/subscribers/").get_data(as_text=True)
    assert 'value="mam"' in page and 'value="quc"' in page
    form = {
        "csrf_token": csrf_token(client, "/subscribers/"),
        "phone": "+50255551234",
        "region": "San Marcos",
        "language": "mam",
    }
    assert client.post("/subscribers/", data=form).status_code == 302
    with database.session() as session:
        assert session.scalar(select(Subscriber.language)) == "mam"
    assert "mam (mam)" in client.get("/subscribers/").get_data(as_text=True)  # Spanish panel


@pytest.mark.parametrize(
    ("versions", "reason"),
    [
        ([{"language": "tzo", "text": "x"}], "not a language of this station"),
        ([{"language": "es", "text": "x"}], "main text"),
        ([{"language": "mam", "text": "a"}, {"language": "mam", "text": "b"}], "two versions"),
        ([{"language": "mam"}], "needs a text, a recording or both"),
        ([{"language": "mam", "recording_id": 99}], "no recording 99"),
        ([{"language": "mam", "text": "🙏" * 300}], "mam version"),
    ],
)
def test_a_bad_version_is_refused_with_422_and_nothing_is_queued(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    versions: list[dict[str, Any]],
    reason: str,
) -> None:
    subscribe(database, "+50255550001", "San Marcos")
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    body = {"text": "Alerta", "regions": ["San Marcos"], "versions": versions}
    response = client.post("/api/v1/alerts", json=body, headers=headers)
    assert response.status_code == 422
    assert reason in response.get_json()["error"]["message"]
    assert counts(database) == (0, 0, 0, 0)
    with database.session() as session:
        assert session.scalar(select(func.count(AlertVersion.id))) == 0


def phone_note(path: Path, frequency: int = 660) -> Path:
    """A voice note as a phone records it: AAC in an .m4a, mono, quiet."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:duration=2:sample_rate=16000",
         "-af", "volume=-20dB", "-ac", "1", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_the_panel_form_carries_a_version_recorded_on_a_phone(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    subscribe(database, "+50255550001", "San Marcos")
    logged_in(Role.OPERATOR)
    page = client.get("/alerts/").get_data(as_text=True)
    assert 'name="versions-0-language"' in page and 'name="versions-2-recording"' in page
    note = phone_note(tmp_path / "nota.m4a").read_bytes()
    form = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Alerta: crecida del río",
        "regions": ["San Marcos"],
        "sms": "y",
        "air": "y",
        "confirm": "y",
        "versions-0-language": "mam",
        "versions-0-text": "Mam: tzul a",
        "versions-0-recording": (io.BytesIO(note), "nota de voz.m4a"),
        "versions-1-language": "quc",
        "versions-1-recording": (io.BytesIO(note), "kiche.m4a"),
    }
    response = client.post("/alerts/", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    with database.session() as session:
        rows = session.execute(
            select(AlertVersion.language, AlertVersion.text, Recording.loudness_lufs)
            .join(Recording, Recording.id == AlertVersion.recording_id)
            .order_by(AlertVersion.position)
        ).all()
    assert [(language, text) for language, text, _lufs in rows] == [
        ("mam", "Mam: tzul a"),
        ("quc", ""),
    ]
    assert all(abs(lufs - settings.media.loudness_target_lufs) <= 1.0 for _l, _t, lufs in rows)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="alert-versions"' in shown and "Mam: tzul a" in shown


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        ({"versions-1-language": "mam", "versions-1-text": "twice"}, "two versions"),
        ({"versions-1-language": "quc", "versions-1-text": "🙏" * 300}, "quc version"),
    ],
)
def test_a_refused_panel_alert_leaves_no_recording_behind(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    database: Database,
    settings: Settings,
    tmp_path: Path,
    second: dict[str, str],
    reason: str,
) -> None:
    logged_in(Role.OPERATOR)
    note = phone_note(tmp_path / "nota.m4a").read_bytes()
    form = {
        "csrf_token": csrf_token(client, "/alerts/"),
        "text": "Alerta",
        "other_regions": "San Marcos",
        "air": "y",
        "confirm": "y",
        "versions-0-language": "mam",
        "versions-0-recording": (io.BytesIO(note), "nota.m4a"),
        **second,
    }
    response = client.post("/alerts/", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    with database.session() as session:
        assert session.scalar(select(func.count(Recording.id))) == 0
        assert session.scalar(select(func.count(Alert.id))) == 0
        assert session.scalar(select(func.count(OutboundMessage.id))) == 0
    media = settings.media.dir
    kept = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    assert kept == []


def test_an_approved_draft_goes_out_in_each_subscribers_language(
    database: Database, settings: Settings
) -> None:
    two_person = settings.model_copy(
        update={"alerts": settings.alerts.model_copy(update={"approvals_required": 1})}
    )
    with database.session() as session:
        for phone, language in (("+50255550001", "mam"), ("+50255550002", "kek")):
            subscribers.subscribe(
                session, phone=phone, region="Tacaná", language=language,
                channel=subscribers.ConsentChannel.PANEL, default_region="GT", now=NOW,
            )  # fmt: skip
        request = AlertRequest.from_json(
            {
                "text": "Alerta",
                "regions": ["Tacaná"],
                "versions": [{"language": "mam", "text": "Mam"}],
            }
        )
        drafter, approver = (
            accounts.create_user(session, username=name, password=PASSWORD, role=Role.OPERATOR)
            for name in ("ana", "beto")
        )
        draft = create_alert(
            session, request, settings=two_person, actor=Actor(drafter.id, "ana"), now=NOW
        )
        assert session.scalar(select(func.count(OutboundMessage.id))) == 0
        second = Actor(approver.id, "beto")
        approve(session, draft, actor=second, role=Role.OPERATOR, settings=two_person, now=NOW)
        sent = dict(
            session.execute(select(OutboundMessage.destination, OutboundMessage.text)).all()
        )
    assert sent == {"+50255550001": "Mam", "+50255550002": "Alerta"}


@pytest.mark.parametrize(
    ("version", "error"),
    [("mam", "LANG=TEXT"), ("tzo=x", "not a language of this station"), ("es=x", "main text")],
)
def test_the_command_line_refuses_a_bad_version_in_one_line_and_writes_nothing(
    settings: Settings, database: Database, version: str, error: str
) -> None:
    subscribe(database, "+50255550001", "Tacaná")
    result = cli(
        station_env(settings),
        *("alert", "send", "--text", "Alerta", "--region", "Tacaná", "--version", version),
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and error in result.stderr
    assert counts(database) == (0, 0, 0, 0)


def test_the_command_line_sends_a_version(settings: Settings, database: Database) -> None:
    with database.session() as session:
        subscribers.subscribe(
            session, phone="+50255550001", region="Tacaná", language="mam",
            channel=subscribers.ConsentChannel.PANEL, default_region="GT", now=NOW,
        )  # fmt: skip
    result = cli(
        station_env(settings),
        *("alert", "send", "--sms", "--text", "Alerta", "--region", "Tacaná"),
        *("--version", "mam=Ja tzul a"),
    )
    assert result.returncode == 0, result.stderr
    with database.session() as session:
        assert session.scalar(select(OutboundMessage.text)) == "Ja tzul a"
