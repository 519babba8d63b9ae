"""An alert in two languages end to end: subscribers with a language (API, and the keyword
`ALTA San Marcos kiche` at the SMSC simulator) each get their version, Spanish when theirs has
none; on air, the tone, then the Spanish recording, then the Mam one, in that order."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from playlists.models import PlayoutCommand
from playlists.playout_worker import PlayoutWorker
from sms.models import Subscriber
from tests.alerts.test_tts import samples
from tests.sms_delivery.conftest import RunningWorker, sms_station, wait_until
from tests.smsc_harness import Pdu, SmscSimulator

SPANISH, MAM, KICHE = "525510000001", "525510000002", "525510000003"
RATE = 8000


@pytest.fixture
def settings(tmp_path: Path, smsc: SmscSimulator) -> Settings:
    return sms_station(tmp_path, smsc)


def text_of(pdu: Pdu) -> str:
    raw = bytes.fromhex(pdu["short_message_hex"])
    return raw.decode("utf-16-be") if pdu["data_coding"] == 8 else raw.decode("latin-1")


def sine(path: Path, frequency: int, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:duration={seconds}:sample_rate=44100", str(path)],
        check=True,
    )  # fmt: skip
    return path


def upload(client: FlaskClient, headers: dict[str, str], path: Path, title: str) -> int:
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), "title": title, "kind": "alert"}
    response = client.post("/api/v1/recordings", headers=headers, data=data)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def dominant_hz(path: Path) -> list[float]:
    """The strongest frequency of each 0.25 s of the audio (0 for silence)."""
    signal = samples(path, RATE)
    window = RATE // 4
    found = []
    for start in range(0, len(signal) - window, window):
        chunk = signal[start : start + window]
        if np.sqrt(np.mean(chunk**2)) < 200:
            found.append(0.0)
            continue
        spectrum = np.abs(np.fft.rfft(chunk * np.hanning(window)))
        found.append(float(np.fft.rfftfreq(window, 1 / RATE)[int(np.argmax(spectrum))]))
    return found


def runs(frequencies: list[float]) -> list[int]:
    """The audio as a sequence of sounds: each run of windows near one frequency, once."""
    bands = [0 if f == 0 else (900 if 800 < f < 1000 else 440 if 400 < f < 480 else
             1500 if 1450 < f < 1550 else -1) for f in frequencies]  # fmt: skip
    sequence: list[int] = []
    for band in bands:
        if band != 0 and (not sequence or sequence[-1] != band):
            sequence.append(band)
    return sequence


def test_a_two_language_alert_reaches_each_subscriber_in_theirs_and_airs_both_recordings(
    client: FlaskClient,
    api_token: Callable[[Role], str],
    database: Database,
    settings: Settings,
    smsc: SmscSimulator,
    start_worker: Callable[[Settings, Database], RunningWorker],
    tmp_path: Path,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OPERATOR)}"}
    for phone, language in ((SPANISH, None), (MAM, "mam")):
        body = {"phone": f"+{phone}", "region": "San Marcos", "language": language}
        assert client.post("/api/v1/subscribers", json=body, headers=headers).status_code == 201
    start_worker(settings, database)
    smsc.wait_for_sessions(lambda sessions: any(s["mode"] for s in sessions), timeout=10)
    smsc.send_mo(
        source_addr=KICHE,
        source_addr_ton=1,
        destination_addr="ALTAVOZ",
        data_coding=0,
        short_message_hex=b"ALTA San Marcos kiche".hex(),
    )

    def kiche() -> Subscriber | None:
        with database.session(write=False) as session:
            return session.scalar(select(Subscriber).where(Subscriber.phone == f"+{KICHE}"))

    wait_until(lambda: kiche() is not None, timeout=10, what="the keyword subscription")
    joined = kiche()
    assert joined is not None and (joined.region, joined.language) == ("San Marcos", "quc")
    smsc.wait_for_pdus("submit_sm", where=lambda p: p["destination_addr"] == KICHE, timeout=10)
    replies = len(smsc.pdus("submit_sm", "in"))

    spanish = upload(client, headers, sine(tmp_path / "es.wav", 440, 1.5), "Alerta")
    mam = upload(client, headers, sine(tmp_path / "mam.wav", 1500, 1.5), "Alerta en mam")
    alert = {
        "text": "Alerta: crecida del rio, suban a la escuela",
        "regions": ["San Marcos"],
        "audio_recording_id": spanish,
        "versions": [{"language": "mam", "text": "Mam: tzul a, ex ti'j", "recording_id": mam}],
    }
    created = client.post("/api/v1/alerts", json=alert, headers=headers)
    assert created.status_code == 201, created.get_json()
    alert_id = created.get_json()["id"]

    smsc.wait_for_pdus("submit_sm", count=replies + 3, timeout=15)
    got = {p["destination_addr"]: text_of(p) for p in smsc.pdus("submit_sm", "in")[replies:]}
    assert got == {
        SPANISH: alert["text"],
        MAM: "Mam: tzul a, ex ti'j",
        KICHE: alert["text"],
    }
    shown = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).get_json()
    assert shown["versions"] == [
        {"language": "mam", "text": "Mam: tzul a, ex ti'j", "recording_id": mam}
    ]

    with database.session() as session:
        command = session.scalars(select(PlayoutCommand)).one()
        air = PlayoutWorker(settings, database)._alert_item(session, command.id, command.payload)
    heard = runs(dominant_hz(air.path))
    assert heard[:3] == [900, 440, 1500], heard
    assert heard == [900, 440, 1500] * settings.alerts.repeats
