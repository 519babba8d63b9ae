"""What a file claims to be, asked of ffprobe before anything is decoded.

Probing is cheap even for a two-hour file (ffprobe reads the headers and, for Ogg, the last
page), so the length limit is enforced here: a file over `max_duration_s` is refused before
a single second of it is decoded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.errors import AudioError, Problem
from audio.ffmpeg import ffprobe

ESTIMATE_WARNING = "Estimating duration from bitrate"


@dataclass(frozen=True)
class Probe:
    format_name: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None
    """None when the container does not say; decoding then enforces the limit itself."""
    duration_estimated: bool
    """True when ffprobe guessed the length from the bitrate (headerless MP3): not a promise."""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def probe(path: Path, *, max_duration_s: float) -> Probe:
    """Describe the first audio stream of `path`, or refuse the file with an AudioError."""
    if not path.is_file() or path.stat().st_size == 0:
        raise AudioError(Problem.EMPTY, "the file is empty")
    result = ffprobe(
        "-v", "warning", "-print_format", "json", "-show_format", "-show_streams", path,
    )  # fmt: skip
    if result.returncode != 0:
        raise AudioError(Problem.NOT_AUDIO, "the file is not audio that ffmpeg can read")
    try:
        described = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise AudioError(Problem.NOT_AUDIO, "the file is not audio that ffmpeg can read") from None
    streams = [s for s in described.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError(Problem.NOT_AUDIO, "the file has no sound in it (no audio stream)")
    stream, container = streams[0], described.get("format", {})
    duration = _number(stream.get("duration")) or _number(container.get("duration"))
    if duration is not None and duration > max_duration_s:
        raise AudioError(
            Problem.TOO_LONG,
            f"the recording lasts {clock(duration)}, longer than the "
            f"{clock(max_duration_s)} this station accepts",
        )
    return Probe(
        format_name=str(container.get("format_name", "")),
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(_number(stream.get("sample_rate")) or 0),
        channels=int(stream.get("channels") or 0),
        duration_s=duration,
        duration_estimated=ESTIMATE_WARNING in result.stderr,
    )


def clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
