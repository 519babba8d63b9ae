"""Silence in a recording: a file with nothing in it, and the quiet at its edges.

A silent file is refused before it is decoded (`refuse_if_silent`): decoding and metering an
hour of audio takes most of a minute, while a few short windows read from across the file take
a fraction of a second, and the whole file is scanned (without decoding it to disk) only when
every window was silent.

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
from audio.probe import clock

BELOW_LOUDNESS_DB = 30.0
MIN_SILENCE_S = 0.3
BREATH_S = 0.15
"""Kept on each side of the speech, so the first syllable does not start abruptly."""
EDGE_S = 0.02

SILENT_PEAK_DB = -80.0
"""A peak under this is silence by any measure: the loudness of such a file is under the -70
LUFS that `loudness.require_sound` refuses, so the early check refuses nothing it would take."""
SAMPLE_WINDOWS = 24
SAMPLE_S = 1.0
SAMPLED_FROM_S = 60.0
"""Shorter files are decoded whole in a moment anyway."""

_MAX_VOLUME = re.compile(r"max_volume: (-?[\d.]+|-inf) dB")
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


def _peak_db(*args: str | Path, duration_s: float) -> float | None:
    """The peak level volumedetect reports over the audio ffmpeg reads with `args`."""
    result = ffmpeg("-v", "info", *args, "-f", "null", "-", timeout=decoding_timeout(duration_s))
    found = _MAX_VOLUME.findall(result.stderr)
    if result.returncode != 0 or not found:
        return None  # left to the full decode, which says what is wrong with the file
    return -200.0 if found[-1] == "-inf" else float(found[-1])


def sampled_peak_db(path: Path, *, duration_s: float) -> float | None:
    """The peak over SAMPLE_WINDOWS one-second windows spread evenly across the file."""
    inputs: list[str | Path] = []
    for index in range(SAMPLE_WINDOWS):
        start = max(0.0, duration_s * (index + 0.5) / SAMPLE_WINDOWS - SAMPLE_S / 2)
        inputs += ["-ss", f"{start:.3f}", "-t", f"{SAMPLE_S:.3f}", "-i", path]
    joined = "".join(f"[{index}:a:0]" for index in range(SAMPLE_WINDOWS))
    graph = f"{joined}concat=n={SAMPLE_WINDOWS}:v=0:a=1,volumedetect"
    return _peak_db(*inputs, "-filter_complex", graph, duration_s=SAMPLE_WINDOWS * SAMPLE_S)


def refuse_if_silent(path: Path, *, duration_s: float | None) -> None:
    """Refuse a silent file from a short analysis, before it is decoded (see the module)."""
    if duration_s is None or duration_s < SAMPLED_FROM_S:
        return
    sampled = sampled_peak_db(path, duration_s=duration_s)
    if sampled is None or sampled > SILENT_PEAK_DB:
        return
    whole = _peak_db("-i", path, "-map", "0:a:0", "-af", "volumedetect", duration_s=duration_s)
    if whole is not None and whole <= SILENT_PEAK_DB:
        raise AudioError(
            Problem.SILENT,
            f"the recording is silent (nothing louder than {SILENT_PEAK_DB:.0f} dBFS "
            f"in its {clock(duration_s)})",
        )
