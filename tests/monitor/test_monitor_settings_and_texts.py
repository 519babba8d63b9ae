"""The `monitor` settings (on-call numbers in E.164, texts with known placeholders), the staff
SMS as queued, and the level measure the monitor's decisions rest on."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from gateway.database import Database
from gateway.settings import ConfigError, Settings, load_settings
from gateway.staff_sms import format_duration, tell_staff
from gateway.workers import WorkerKind, process_count
from playlists.air_listener import RATE, level_db
from sms.models import OutboundMessage, Subscriber
from tests.conftest import station_settings

AT = datetime(2026, 12, 3, 15, 7, tzinfo=UTC)


def test_the_monitor_is_on_by_default_with_the_documented_thresholds() -> None:
    monitor = Settings().monitor
    assert monitor.enabled and monitor.silence_s == 5.0 and monitor.alert_after_s == 60.0
    assert monitor.staff_numbers == ()
    assert process_count(WorkerKind.MONITOR, Settings()) == 1
    off = load_settings({"ALTAVOZ_MONITOR__ENABLED": "false"})
    assert process_count(WorkerKind.MONITOR, off) == 0


def test_staff_numbers_come_from_the_environment_separated_by_commas() -> None:
    settings = load_settings({"ALTAVOZ_MONITOR__STAFF_NUMBERS": "+525512345678, +50222345678"})
    assert settings.monitor.staff_numbers == ("+525512345678", "+50222345678")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"ALTAVOZ_MONITOR__STAFF_NUMBERS": "55 1234 5678"},
            "monitor.staff_numbers: '55 1234 5678' is not an E.164 number",
        ),
        (
            {"ALTAVOZ_MONITOR__STAFF_NUMBERS": "+5215512345678"},
            "monitor.staff_numbers: '+5215512345678' is not a valid E.164 number",
        ),
        (
            {"ALTAVOZ_MONITOR__ALERT_TEXT": "{estacion} sin audio"},
            "monitor.alert_text: may only use the placeholders station, since, at, duration",
        ),
        ({"ALTAVOZ_MONITOR__SILENCE_S": "0"}, "monitor.silence_s: Input should be greater than 0"),
    ],
)
def test_bad_monitor_settings_are_refused_with_the_key_named(
    env: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (45.4, "45 s"), (60, "1 min"), (185, "3 min 5 s"), (7830, "2 h 10 min")],
)
def test_durations_are_short_enough_for_an_sms(seconds: float, words: str) -> None:
    assert format_duration(seconds) == words


def test_the_staff_are_texted_in_the_station_zone_except_a_number_that_opted_out(
    tmp_path: Path, database: Database
) -> None:
    settings = station_settings(
        tmp_path,
        station={"name": "Radio Tz'ikin", "timezone": "America/Guatemala"},
        monitor={"staff_numbers": ["+50222345678", "+525512345678"]},
    )
    with database.session() as session:
        session.add(Subscriber(phone="+525512345678", region="x", region_key="x", opted_in=False))
        session.flush()
        told = tell_staff(
            session,
            settings,
            settings.monitor.over_text,
            since=AT - timedelta(seconds=185),
            at=AT,
        )
    assert told == "staff_told?queued=1&numbers=2"
    with database.session() as session:
        (message,) = session.scalars(select(OutboundMessage))
    assert message.destination == "+50222345678"
    assert message.text == (
        "Radio Tz'ikin: el audio volvio al aire a las 09:07, tras 3 min 5 s sin audio."
    )


def test_no_staff_numbers_means_nobody_is_texted(settings: Settings, database: Database) -> None:
    with database.session() as session:
        told = tell_staff(session, settings, settings.monitor.alert_text, since=AT, at=AT)
        assert session.scalars(select(OutboundMessage)).all() == []
    assert told == "no_staff"


def pcm(samples: np.ndarray) -> bytes:
    return samples.astype("<i2").tobytes()


def test_levels_in_dbfs_tell_a_tone_from_silence_and_from_mp3_hiss() -> None:
    t = np.arange(RATE // 4) / RATE
    full = np.sin(2 * math.pi * 440 * t) * 32767
    assert level_db(pcm(full)) == pytest.approx(-3.0, abs=0.1)
    assert level_db(pcm(full / 2)) == pytest.approx(-9.0, abs=0.1)
    assert level_db(pcm(np.zeros(2000))) == -150.0
    hiss = np.random.default_rng(1).integers(-8, 8, 2000)
    assert level_db(pcm(hiss)) < -60.0
    assert level_db(b"") == -150.0
