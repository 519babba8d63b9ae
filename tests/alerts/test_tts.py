"""Spoken alerts are produced offline: a recognisable attention tone, then the words, each as
loud as the programme (the station's [media] loudness target)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from audio.loudness import Level, measure
from audio.tts import SpeechError, attention_tone, available_voices, spoken_alert, synthesize
from playlists.station_id import station_id_audio

STATION = Level(target_lufs=-16.0, ceiling_dbtp=-1.5)
TEXT = "Alerta: reunión de emergencia en la plaza a las cinco. Repetimos: en la plaza."


def duration_s(path: Path) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(probe.stdout)["format"]["duration"])


def samples(path: Path, rate: int = 8000) -> np.ndarray:
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64)


def test_spanish_voices_are_available() -> None:
    assert {"es", "es-419"} <= available_voices()


def test_attention_tone_carries_853_and_960_hz(tmp_path: Path) -> None:
    tone = attention_tone(tmp_path / "tone.flac", level=STATION, seconds=1.0)
    signal = samples(tone)
    spectrum = np.abs(np.fft.rfft(signal))
    frequencies = np.fft.rfftfreq(len(signal), 1 / 8000)
    top_two = sorted(frequencies[np.argsort(spectrum)[-2:]])
    assert abs(top_two[0] - 853) < 5 and abs(top_two[1] - 960) < 5


def test_spoken_alert_is_tone_then_speech(tmp_path: Path) -> None:
    out = spoken_alert(TEXT, voice="es-419", path=tmp_path / "alert.wav", level=STATION)
    total = duration_s(out)
    assert total > 2.5 + 1.0
    signal = samples(out)
    speech = signal[int(2.6 * 8000) :]
    assert np.sqrt(np.mean(speech**2)) > 300


@pytest.mark.parametrize(("text", "voice"), [("", "es"), ("hola", "klingon")])
def test_bad_alert_speech_requests_are_refused(tmp_path: Path, text: str, voice: str) -> None:
    with pytest.raises(SpeechError):
        spoken_alert(text, voice=voice, path=tmp_path / "x.wav", level=STATION)
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("target_lufs", [-16.0, -23.0])
def test_tone_and_speech_each_reach_the_station_loudness(
    tmp_path: Path, target_lufs: float
) -> None:
    """espeak-ng alone speaks near -22 LUFS and the bare tone near -25: both are brought to the
    target the library is normalised to, measured by ffmpeg's ebur128 (BS.1770)."""
    level = Level(target_lufs=target_lufs, ceiling_dbtp=-1.5)
    bare = measure(synthesize(TEXT, voice="es-419", path=tmp_path / "bare.wav"), duration_s=30)
    assert bare.integrated_lufs < -19.0, "espeak-ng is not quieter than the target any more"
    tone = measure(attention_tone(tmp_path / "tone.flac", level=level), duration_s=5)
    assert abs(tone.integrated_lufs - target_lufs) <= 0.5
    out = spoken_alert(TEXT, voice="es-419", path=tmp_path / "alert.wav", level=level)
    speech_only = tmp_path / "speech.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), "-ss", "2.5", str(speech_only)], check=True
    )
    speech = measure(speech_only, duration_s=30)
    assert abs(speech.integrated_lufs - target_lufs) <= 0.5
    assert speech.true_peak_dbtp <= level.ceiling_dbtp + 0.5
    whole = measure(out, duration_s=30)
    assert abs(whole.integrated_lufs - target_lufs) <= 0.5


def test_the_spoken_station_id_is_at_the_station_loudness(tmp_path: Path) -> None:
    """The station ID the monitor airs when nothing else can is spoken the same way."""
    made = station_id_audio(
        "Está escuchando Radio Altavoz.", voice="es", work_dir=tmp_path, level=STATION
    )
    assert abs(measure(made, duration_s=30).integrated_lufs - STATION.target_lufs) <= 0.5
    louder = Level(target_lufs=-12.0, ceiling_dbtp=-1.0)
    again = station_id_audio(
        "Está escuchando Radio Altavoz.", voice="es", work_dir=tmp_path, level=louder
    )
    assert again != made, "a new level makes a new file"
