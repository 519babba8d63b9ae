"""An alert's versions on air, built in one pass: a version with only text airs read aloud
when espeak-ng has a voice for its language, and is left out (its speakers have the SMS)
when it has none."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from playlists.alert_audio import AirVersion, build_alert_audio
from tests.alerts.test_tts import STATION, duration_s, samples
from tests.sms_delivery.test_alert_versions import sine


def test_text_versions_air_spoken_only_in_a_language_with_a_voice(tmp_path: Path) -> None:
    main = sine(tmp_path / "es.wav", 440, 1.0)

    def build(name: str, *versions: AirVersion) -> Path:
        return build_alert_audio(
            text="", voice="es-419", repeats=1, target=tmp_path / name, level=STATION,
            recording=main, versions=versions,
        )  # fmt: skip

    mam_text = AirVersion(text="Ja tzul a", voice=None)
    english = AirVersion(text="Flood warning: go up to the school now.", voice="en-us")
    alone, unvoiced = build("alone.wav"), build("mam.wav", mam_text)
    spoken = build("en.wav", mam_text, english)
    assert abs(duration_s(unvoiced) - duration_s(alone)) < 0.05
    assert duration_s(spoken) > duration_s(alone) + 1.5
    rate = 8000
    speech = samples(spoken, rate)[int((duration_s(alone) + 0.8) * rate) :]
    assert np.sqrt(np.mean(speech**2)) > 300
