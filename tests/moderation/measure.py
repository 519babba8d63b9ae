"""Measurements of speech made with numpy alone, independently of the code under test.

- `fundamental_hz`: the median F0 of voiced frames, by autocorrelation with parabolic
  interpolation of the peak (resolution well under a tenth of a semitone at 44.1 kHz).
- `envelope_shift`: how far (in semitones) the average spectral envelope moved: the
  cepstrally smoothed log spectrum of voiced frames (harmonics removed, formants kept),
  compared on a log-frequency axis, where a formant shift is a plain translation.
- `energy_envelope`: RMS per 10 ms, to check that speech stays where it was in time.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np

RATE = 44100
FRAME_S = 0.04
HOP_S = 0.01


def samples(path: Path, rate: int = RATE) -> np.ndarray:
    """Mono float samples decoded by ffmpeg."""
    pcm = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(pcm, dtype="<f4").astype(np.float64)


def _frames(x: np.ndarray, rate: int) -> list[np.ndarray]:
    frame, hop = int(FRAME_S * rate), int(HOP_S * rate)
    return [x[i : i + frame] for i in range(0, len(x) - frame, hop)]


def energy_envelope(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    return np.array([math.sqrt(float(np.mean(f**2))) for f in _frames(x, rate)])


def voiced_f0s(x: np.ndarray, rate: int = RATE, fmin: float = 60, fmax: float = 450) -> list[float]:
    """F0 of every frame that is loud enough and clearly periodic."""
    rms = energy_envelope(x, rate)
    threshold = 0.1 * float(rms.max())
    low, high = int(rate / fmax), int(rate / fmin)
    found = []
    for level, frame in zip(rms, _frames(x, rate), strict=False):
        if level < threshold:
            continue
        seg = frame - frame.mean()
        ac = np.correlate(seg, seg, "full")[len(seg) - 1 :]
        if ac[0] <= 0:
            continue
        lag = low + int(np.argmax(ac[low:high]))
        if ac[lag] / ac[0] < 0.5 or not low < lag < high - 1:
            continue
        a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
        offset = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c else 0.0
        found.append(rate / (lag + offset))
    return found


def fundamental_hz(x: np.ndarray, rate: int = RATE) -> float:
    return float(np.median(voiced_f0s(x, rate)))


def semitones(new: float, old: float) -> float:
    return 12.0 * math.log2(new / old)


def _mean_envelope(x: np.ndarray, rate: int, lifter_s: float = 0.0025) -> np.ndarray:
    size = 4096
    rms = energy_envelope(x, rate)
    threshold = 0.2 * float(rms.max())
    cut = int(lifter_s * rate)
    total = np.zeros(size // 2 + 1)
    count = 0
    for level, frame in zip(rms, _frames(x, rate), strict=False):
        if level < threshold:
            continue
        spectrum = np.abs(np.fft.rfft(frame * np.hanning(len(frame)), size)) + 1e-9
        cepstrum = np.fft.irfft(np.log(spectrum))
        cepstrum[cut:-cut] = 0.0
        total += np.fft.rfft(cepstrum).real
        count += 1
    return total / count


def envelope_shift(before: np.ndarray, after: np.ndarray, rate: int = RATE) -> float:
    """Semitones by which `after`'s spectral envelope sits above (+) or below (-) `before`'s,
    searched in quarter semitones over 250 Hz - 4 kHz, where the first formants live."""
    freqs = np.fft.rfftfreq(4096, 1 / rate)[1:]
    a, b = _mean_envelope(before, rate)[1:], _mean_envelope(after, rate)[1:]
    grid = np.linspace(math.log2(250), math.log2(4000), 400)
    reference = np.interp(grid, np.log2(freqs), a)
    best, best_corr = 0.0, -2.0
    for shift in np.arange(-8.0, 8.01, 0.25):
        moved = np.interp(grid + shift / 12.0, np.log2(freqs), b)
        corr = float(np.corrcoef(reference, moved)[0, 1])
        if corr > best_corr:
            best, best_corr = float(shift), corr
    return best
