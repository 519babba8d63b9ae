"""The last-resort filler: a short silent WAV the engine airs while the caller has nothing.

Playing real (silent) audio keeps the source connection fed and libshout's clock running, so
Icecast neither times the source out nor receives a burst when programme resumes.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path


def write_silence(
    path: Path, *, seconds: float, samplerate: int = 44100, channels: int = 2
) -> Path:
    """Write `seconds` of 16-bit digital silence to `path` (created once, reused). Written
    aside and renamed into place: a standby worker writes it while the active one may be
    airing the same file."""
    frames = round(seconds * samplerate)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(samplerate)
        out.writeframes(b"\x00" * (frames * channels * 2))
    os.replace(partial, path)
    return path
