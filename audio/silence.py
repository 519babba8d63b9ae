"""Leading and trailing silence: where the speech starts and ends in a recording.

Only the edges are trimmed; pauses inside speech are part of how people talk and stay. The
threshold follows the recording's own loudness (30 dB under it), so a quiet phone message is
not mistaken for silence and a loud studio file does not keep its hiss.
"""

from __future__ import annotations

import re
from pathlib import Path

from audio.decode import decoding_timeout
from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg, last_error_line
from audio.loudness import Loudness

BELOW_LOUDNESS_DB = 30.0
MIN_SILENCE_S = 0.3
BREATH_S = 0.15
"""Kept on each side of the speech, so the first syllable does not start abruptly."""
EDGE_S = 0.02

_START = re.compile(r"silence_start: (-?[\d.]+)")
_END = re.compile(r"silence_end: (-?[\d.]+)")


def speech_bounds(
    path: Path, *, loudness: Loudness, duration_s: float
) -> tuple[float, float] | None:
    """(start, end) in seconds of the part worth keeping, or None if there is nothing to trim."""
    threshold = max(loudness.integrated_lufs - BELOW_LOUDNESS_DB, -90.0)
    result = ffmpeg(
        "-v", "info", "-i", path, "-map", "0:a:0",
        "-af", f"silencedetect=noise={threshold:.1f}dB:d={MIN_SILENCE_S}", "-f", "null", "-",
        timeout=decoding_timeout(duration_s),
    )  # fmt: skip
    if result.returncode != 0:
        raise AudioError(
            Problem.DAMAGED, f"silence could not be detected ({last_error_line(result.stderr)})"
        )
    starts = [float(value) for value in _START.findall(result.stderr)]
    ends = [float(value) for value in _END.findall(result.stderr)]
    start, end = 0.0, duration_s
    if starts and starts[0] <= EDGE_S and ends:
        start = max(0.0, ends[0] - BREATH_S)
    if starts and (len(ends) < len(starts) or ends[-1] >= duration_s - EDGE_S):
        end = min(duration_s, starts[-1] + BREATH_S)
    if end - start < MIN_SILENCE_S or (start == 0.0 and end == duration_s):
        return None
    return start, end
