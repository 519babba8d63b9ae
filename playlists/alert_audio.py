"""The audio of an alert on air: the attention signal, then the alert, `repeats` times.

Made once per alert, before the stream is interrupted, so the interruption is as short as the
alert itself. A recording chosen for the alert is played as it is; otherwise the text is read
by espeak-ng, which works offline.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from audio.loudness import Level
from audio.tts import SpeechError, alert_audio, speech_filters, synthesize


class AlertAudioError(RuntimeError):
    """The alert could not be turned into audio (no voice, bad recording)."""


def build_alert_audio(
    *,
    text: str,
    voice: str,
    repeats: int,
    target: Path,
    level: Level,
    recording: Path | None = None,
    attention: Path | None = None,
) -> Path:
    """Write the alert's air audio to `target` (WAV) and return it.

    Made tone and speech are brought to `level`; a chosen recording or attention tone comes from
    the library, normalised to the same level when it was imported.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if recording is not None:
            return alert_audio(
                recording, path=target, level=level, attention=attention, repeats=repeats
            )
        with tempfile.TemporaryDirectory(prefix="altavoz-alert-", dir=target.parent) as scratch:
            speech = synthesize(text, voice=voice, path=Path(scratch) / "speech.wav")
            return alert_audio(
                speech,
                path=target,
                level=level,
                body_filters=speech_filters(speech, level),
                attention=attention,
                repeats=repeats,
            )
    except SpeechError as exc:
        raise AlertAudioError(str(exc)) from exc
