"""Integrated loudness (EBU R128 / ITU-R BS.1770) and normalisation to the station's target.

Measured with ffmpeg's `ebur128` filter (true peak with 4x oversampling). We do not rely on
ffmpeg's `loudnorm`: in the ffmpeg Debian ships it misses the target by more than 15 LU on clips
shorter than three seconds (a typical phone message) and its own measurement differs from
BS.1770 by up to 0.3 LU. Instead the gain is linear whenever the true peak allows it (what
`loudnorm linear=true` does); when it does not, the gain is followed by a look-ahead limiter run
at 4x the sample rate (so inter-sample peaks are caught too), and the result is measured again
and the gain corrected until it lands on the target. Speech keeps its natural dynamics: only the
few peaks above the ceiling are touched.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.decode import CHANNELS, SAMPLE_RATE, decoding_timeout
from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg, last_error_line

SILENCE_LUFS = -70.0
"""BS.1770's absolute gate: a recording measuring this low has nothing to normalise."""
TOLERANCE_LU = 0.1
"""Stop correcting once this close (ebur128 reports to 0.1 LU)."""
MAX_PASSES = 4
LIMITER_MARGIN_DB = 0.3
"""The limiter aims this far under the ceiling, for what resampling back to 44.1 kHz adds."""
OVERSAMPLING = 4

METER = "ebur128=peak=true"
_INTEGRATED = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class Level:
    """Where everything on air is brought: the station's [media] loudness target and ceiling.

    One value for imports and for the audio the station makes itself (alert tone, speech), so
    nothing the listener hears jumps in level between a testimony and an alert.
    """

    target_lufs: float
    ceiling_dbtp: float


def _summary(stderr: str) -> Loudness | None:
    """The loudness ebur128 prints when its input ends."""
    summary = stderr.rpartition("Summary:")[2]
    integrated, peak = _INTEGRATED.search(summary), _PEAK.search(summary)
    if integrated is None or peak is None:
        return None
    return Loudness(integrated_lufs=float(integrated.group(1)), true_peak_dbtp=float(peak.group(1)))


def measure(path: Path, *, duration_s: float) -> Loudness:
    """Integrated loudness and true peak of a whole file."""
    result = ffmpeg(
        "-v", "info", "-i", path, "-map", "0:a:0", "-af", METER, "-f", "null", "-",
        timeout=decoding_timeout(duration_s),
    )  # fmt: skip
    measured = _summary(result.stderr)
    if result.returncode != 0 or measured is None:
        raise AudioError(
            Problem.DAMAGED,
            f"the loudness could not be measured ({last_error_line(result.stderr)})",
        )
    return measured


def warm_up() -> None:
    """Import the BS.1770 meter `measure_pcm` uses. pyloudnorm pulls in scipy: about two
    seconds of CPU on an idle machine and ten or more on a busy one, which is most of a
    playout worker's start. It is imported on first use instead, and a standby playout worker
    calls this in the background once it is ready to take the air, so neither its takeover
    nor the first alert waits for scipy."""
    import pyloudnorm  # noqa: F401
    import scipy.signal  # noqa: F401


def measure_pcm(samples: np.ndarray, rate: int) -> Loudness:
    """BS.1770 loudness and true peak of samples already in memory (frames x channels, -1..1).

    For audio the station has just made (espeak-ng's speech): measuring it here instead of in an
    extra ffmpeg pass is what lets a text alert reach the air within a second of being sent.
    Mono is measured as mono: ffmpeg spreads it over both channels 3 dB down, which keeps its
    loudness and lowers each channel's peak by 3 dB.
    """
    if samples.ndim == 1:
        samples = samples.reshape(-1, 1)
    spread_db = -3.01 if samples.shape[1] == 1 else 0.0
    gate_block = int(rate * 0.4)
    if len(samples) < gate_block:
        samples = np.concatenate([samples, np.zeros((gate_block - len(samples), samples.shape[1]))])
    import pyloudnorm
    from scipy.signal import resample_poly

    integrated = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    peak = float(np.max(np.abs(resample_poly(samples, OVERSAMPLING, 1, axis=0))))
    return Loudness(
        integrated_lufs=max(integrated, SILENCE_LUFS - 1),
        true_peak_dbtp=20 * math.log10(peak) + spread_db if peak > 0 else SILENCE_LUFS,
    )


def require_sound(loudness: Loudness) -> None:
    if loudness.integrated_lufs <= SILENCE_LUFS:
        raise AudioError(Problem.SILENT, "the recording is silent (nothing louder than -70 LUFS)")


def gain_filters(
    gain_db: float, *, limit: bool, ceiling_dbtp: float, trim: tuple[float, float] | None = None
) -> str:
    """The ffmpeg chain that applies `gain_db` (and, when `limit`, the 4x look-ahead limiter)."""
    chain = []
    if trim is not None:
        chain.append(f"atrim=start={trim[0]:.3f}:end={trim[1]:.3f},asetpts=N/SR/TB")
    chain.append(f"volume={gain_db:.3f}dB")
    if limit:
        level = 10 ** ((ceiling_dbtp - LIMITER_MARGIN_DB) / 20)
        chain += [
            f"aresample={SAMPLE_RATE * OVERSAMPLING}",
            f"alimiter=limit={level:.5f}:attack=2:release=80:level=0",
            f"aresample={SAMPLE_RATE}",
        ]
    chain.append(f"aformat=sample_fmts=s16:sample_rates={SAMPLE_RATE}:channel_layouts=stereo")
    return ",".join(chain)


def normalise(
    source: Path,
    target: Path,
    *,
    measured: Loudness,
    target_lufs: float,
    ceiling_dbtp: float,
    duration_s: float,
    trim: tuple[float, float] | None = None,
) -> Loudness:
    """Write `source` to `target` (FLAC) at `target_lufs`, true peak under `ceiling_dbtp`.

    Returns the loudness of what was written, measured on the file itself.
    """
    require_sound(measured)
    gain = target_lufs - measured.integrated_lufs
    result = measured
    for _attempt in range(MAX_PASSES):
        limit = measured.true_peak_dbtp + gain > ceiling_dbtp
        chain = gain_filters(gain, limit=limit, ceiling_dbtp=ceiling_dbtp, trim=trim)
        # One pass writes the file and meters exactly the samples written (FLAC is lossless).
        encoded = ffmpeg(
            "-v", "info", "-i", source,
            "-filter_complex", f"[0:a:0]{chain},asplit=2[out][meter];[meter]{METER},anullsink",
            "-map", "[out]", "-map_metadata", "-1", "-ac", str(CHANNELS),
            "-c:a", "flac", "-fflags", "+bitexact", "-flags:a", "+bitexact", target,
            timeout=decoding_timeout(duration_s) * OVERSAMPLING,
        )  # fmt: skip
        written = _summary(encoded.stderr)
        if encoded.returncode != 0 or written is None:
            raise AudioError(
                Problem.DAMAGED,
                f"the audio could not be normalised ({last_error_line(encoded.stderr)})",
            )
        result = written
        miss = target_lufs - result.integrated_lufs
        if abs(miss) <= TOLERANCE_LU:
            break
        gain += miss
    return result


def normalise_whole(source: Path, target: Path, *, level: Level, duration_s: float) -> Loudness:
    """Measure `source` and write it to `target` (FLAC) at the station's level."""
    return normalise(
        source,
        target,
        measured=measure(source, duration_s=duration_s),
        target_lufs=level.target_lufs,
        ceiling_dbtp=level.ceiling_dbtp,
        duration_s=duration_s,
    )
