"""Decoding any format ffmpeg reads into one working format, and catching files cut short.

The working copy is 44.1 kHz stereo 32-bit float WAV: the rate and layout of what goes on air,
with headroom so that a clipped phone recording is not clipped a second time before the
loudness step turns it down. Decoding stops one second past the length limit, so a file whose
container did not tell its length still cannot keep the machine busy for hours.
"""

from __future__ import annotations

import json
from pathlib import Path

from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg, ffprobe, last_error_line
from audio.probe import Probe, clock

SAMPLE_RATE = 44100
CHANNELS = 2
TRUNCATION_TOLERANCE_S = 0.5
"""Containers and codecs disagree by a few frames (encoder delay, padding); more is damage."""


def decoding_timeout(duration_s: float) -> float:
    """Generous deadline for one ffmpeg pass over `duration_s` of audio."""
    return 120.0 + duration_s


def decode(source: Path, target: Path, *, probe: Probe, max_duration_s: float) -> float:
    """Write the first audio stream of `source` to `target` (WAV); return its length in s."""
    result = ffmpeg(
        "-v", "error", "-i", source,
        "-map", "0:a:0", "-map_metadata", "-1", "-t", f"{max_duration_s + 1:.3f}",
        "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE), "-c:a", "pcm_f32le", "-rf64", "auto",
        target,
        timeout=decoding_timeout(probe.duration_s or max_duration_s),
    )  # fmt: skip
    if result.returncode != 0:
        raise AudioError(
            Problem.DAMAGED, f"the audio could not be decoded ({last_error_line(result.stderr)})"
        )
    decoded = wav_duration(target)
    if decoded < 0.05:
        raise AudioError(Problem.DAMAGED, "no sound could be decoded from the file")
    if decoded > max_duration_s:
        raise AudioError(
            Problem.TOO_LONG,
            f"the recording is longer than the {clock(max_duration_s)} this station accepts",
        )
    announced = probe.duration_s
    if (
        announced is not None
        and not probe.duration_estimated
        and decoded < announced - max(TRUNCATION_TOLERANCE_S, 0.05 * announced)
    ):
        raise AudioError(
            Problem.DAMAGED,
            f"the file is cut short or damaged: it announces {announced:.1f} s "
            f"but only {decoded:.1f} s can be decoded",
        )
    return decoded


def wav_duration(path: Path) -> float:
    """Exact length of a file we wrote ourselves, from its header."""
    result = ffprobe(
        "-v", "error", "-print_format", "json", "-show_entries", "stream=duration", path
    )  # fmt: skip
    if result.returncode != 0:
        raise AudioError(Problem.DAMAGED, "the decoded audio could not be read back")
    streams = json.loads(result.stdout or "{}").get("streams") or [{}]
    try:
        return float(streams[0].get("duration", 0.0))
    except (TypeError, ValueError):
        return 0.0
