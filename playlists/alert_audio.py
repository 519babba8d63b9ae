"""The audio of an alert on air: the attention signal, then the alert, `repeats` times.

Made once per alert, before the stream is interrupted, so the interruption is as short as the
alert itself. A recording chosen for the alert is played as it is; otherwise the text is read
by espeak-ng, which works offline. The alert's versions in other languages follow its main
one, in turn: each its recording, or its text read aloud when espeak-ng has a voice for the
language (most of the region's languages have none, and air only as a recording).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio.loudness import Level
from audio.tts import Body, SpeechError, alert_audio, speech_filters, synthesize


class AlertAudioError(RuntimeError):
    """The alert could not be turned into audio (no voice, bad recording)."""


@dataclass(frozen=True)
class AirVersion:
    """A version as it airs: its recording, else its text in `voice` (None: no voice)."""

    recording: Path | None = None
    text: str = ""
    voice: str | None = None

    @property
    def airs(self) -> bool:
        return self.recording is not None or (bool(self.text.strip()) and self.voice is not None)


def build_alert_audio(
    *,
    text: str,
    voice: str,
    repeats: int,
    target: Path,
    level: Level,
    recording: Path | None = None,
    attention: Path | None = None,
    versions: Sequence[AirVersion] = (),
) -> Path:
    """Write the alert's air audio to `target` (WAV) and return it, in one ffmpeg pass.

    Made tone and speech are brought to `level`; a chosen recording or attention tone comes from
    the library, normalised to the same level when it was imported. Versions that cannot air
    (text in a language without a voice) are left out: their listeners have the SMS.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    main = AirVersion(recording=recording, text=text, voice=voice)
    try:
        with tempfile.TemporaryDirectory(prefix="altavoz-alert-", dir=target.parent) as scratch:
            bodies = [
                _body(version, Path(scratch) / f"speech-{index}.wav", level)
                for index, version in enumerate([main, *versions])
                if index == 0 or version.airs
            ]
            first, *more = bodies
            return alert_audio(
                first.path,
                path=target,
                level=level,
                body_filters=first.filters,
                attention=attention,
                repeats=repeats,
                more=more,
            )
    except SpeechError as exc:
        raise AlertAudioError(str(exc)) from exc


def _body(version: AirVersion, scratch: Path, level: Level) -> Body:
    if version.recording is not None:
        return Body(version.recording)
    speech = synthesize(version.text, voice=version.voice or "", path=scratch)
    return Body(speech, speech_filters(speech, level))
