"""The audio of an alert on air: the attention signal, then the alert, `repeats` times.

Made once per alert, before the stream is interrupted, so the interruption is as short as the
alert itself. A recording chosen for the alert is played as it is; otherwise the text is read
by espeak-ng, which works offline.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from audio.loudness import Level
from audio.tts import SpeechError, attention_tone, spoken_alert


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
    work = target.parent
    work.mkdir(parents=True, exist_ok=True)
    try:
        tone = attention or attention_tone(work / f"{target.stem}-tone.flac", level=level)
        once = (
            _with_tone(recording, tone, work / f"{target.stem}-once.wav")
            if recording is not None
            else spoken_alert(
                text,
                voice=voice,
                path=work / f"{target.stem}-once.wav",
                level=level,
                attention=tone,
            )
        )
    except SpeechError as exc:
        raise AlertAudioError(str(exc)) from exc
    _concat([once] * max(1, repeats), target, gap_s=1.0)
    return target


def _with_tone(recording: Path, tone: Path, target: Path) -> Path:
    _concat([tone, recording], target, gap_s=0.5)
    return target


def _concat(parts: list[Path], target: Path, *, gap_s: float) -> None:
    inputs: list[str] = []
    chains: list[str] = []
    for index, part in enumerate(parts):
        inputs += ["-i", str(part)]
        pad = f",apad=pad_dur={gap_s}" if index < len(parts) - 1 else ""
        chains.append(
            f"[{index}:a]aformat=sample_rates=44100:channel_layouts=stereo{pad}[a{index}]"
        )
    joined = "".join(f"[a{index}]" for index in range(len(parts)))
    graph = ";".join(chains) + f";{joined}concat=n={len(parts)}:v=0:a=1"
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *inputs,
         "-filter_complex", graph, str(target)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AlertAudioError(f"ffmpeg could not assemble the alert: {result.stderr.strip()}")
