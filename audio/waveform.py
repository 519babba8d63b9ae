"""The waveform picture shown in the panel: an SVG of peak levels, a few kilobytes in size.

SVG drawn from numpy peaks needs no plotting library and no fonts, scales to any width, and
stays small enough for the panel's page budget on a rural connection.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from audio.decode import decoding_timeout
from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg_bytes, last_error_line

BARS = 480
HEIGHT = 64
PEAK_RATE = 4000
"""Samples per second looked at: enough for the shape, 30 MB for an hour of audio."""
COLOUR = "#2f6f8f"


def peaks(path: Path, *, bars: int = BARS, duration_s: float) -> npt.NDArray[np.float64]:
    """The loudest absolute sample level (0..1) in each of `bars` equal slices of the file."""
    result = ffmpeg_bytes(
        "-v", "error", "-i", path, "-map", "0:a:0",
        "-ac", "1", "-ar", str(PEAK_RATE), "-f", "s16le", "-",
        timeout=decoding_timeout(duration_s),
    )  # fmt: skip
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace")
        raise AudioError(
            Problem.DAMAGED, f"the waveform could not be drawn ({last_error_line(stderr)})"
        )
    samples = np.abs(np.frombuffer(result.stdout, dtype="<i2").astype(np.float64)) / 32768.0
    if samples.size == 0:
        return np.zeros(bars)
    slices = np.array_split(samples, min(bars, samples.size))
    levels = np.array([chunk.max() for chunk in slices])
    return np.pad(levels, (0, bars - levels.size))


def render_svg(levels: npt.NDArray[np.float64]) -> str:
    """One path of vertical bars, symmetrical around the middle line."""
    middle = HEIGHT / 2
    strokes = []
    for x, level in enumerate(levels):
        half = max(float(level) * middle, 0.5)
        strokes.append(f"M{x} {middle - half:.1f}v{2 * half:.1f}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {len(levels)} {HEIGHT}" '
        f'preserveAspectRatio="none" width="{len(levels)}" height="{HEIGHT}">'
        f'<path d="{"".join(strokes)}" stroke="{COLOUR}" stroke-width="0.8" fill="none"/>'
        "</svg>\n"
    )


def write_waveform(audio: Path, target: Path, *, duration_s: float) -> Path:
    target.write_text(render_svg(peaks(audio, duration_s=duration_s)), encoding="utf-8")
    return target
