"""A real listener on the Icecast mount (ffmpeg decoding to 8 kHz PCM) and what it heard."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

import numpy as np

RATE = 8000
WINDOW_S = 0.02
SILENCE_RMS = 300.0
"""Tones are generated at half scale (RMS about 11 500); MP3 hiss stays far below this."""


class Listener:
    """ffmpeg reading the stream as a player would, keeping every sample it decodes."""

    def __init__(self, url: str) -> None:
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-probesize",
                "32768",
                "-analyzeduration",
                "0",
                "-i",
                url,
                "-f",
                "s16le",
                "-ac",
                "1",
                "-ar",
                str(RATE),
                "-",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while chunk := self._process.stdout.read(640):
            with self._lock:
                self._chunks.append(chunk)

    def heard_s(self) -> float:
        with self._lock:
            return sum(len(chunk) for chunk in self._chunks) / 2 / RATE

    def wait_heard(self, seconds: float, *, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.heard_s() < seconds:
            if time.monotonic() > deadline:
                raise AssertionError(f"the listener heard only {self.heard_s():.1f} s")
            time.sleep(0.05)

    def pcm(self) -> np.ndarray:
        with self._lock:
            data = b"".join(self._chunks)
        return np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16).astype(np.float64)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._reader.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()


def window_rms(pcm: np.ndarray, window_s: float = WINDOW_S) -> np.ndarray:
    size = int(RATE * window_s)
    usable = len(pcm) // size * size
    windows = pcm[:usable].reshape(-1, size)
    return np.sqrt((windows**2).mean(axis=1))


def longest_silence_s(pcm: np.ndarray) -> float:
    """The longest run of silent 20 ms windows between the first and last sound heard."""
    loud = window_rms(pcm) >= SILENCE_RMS
    indices = np.flatnonzero(loud)
    if len(indices) < 2:
        return 0.0
    gaps = np.diff(indices) - 1
    return float(gaps.max()) * WINDOW_S


@dataclass(frozen=True)
class Run:
    """A stretch of one steady tone."""

    frequency: int
    start_s: float
    duration_s: float


def tone_runs(pcm: np.ndarray, *, window_s: float = 0.1, min_duration_s: float = 0.3) -> list[Run]:
    """The tones heard, in order, merging windows of the same pitch (to the nearest 50 Hz)."""
    size = int(RATE * window_s)
    runs: list[Run] = []
    for index in range(len(pcm) // size):
        segment = pcm[index * size : (index + 1) * size]
        if np.sqrt((segment**2).mean()) < SILENCE_RMS:
            continue
        spectrum = np.abs(np.fft.rfft(segment * np.hanning(size)))
        frequency = int(round(float(np.argmax(spectrum)) * RATE / size / 50.0) * 50)
        start = index * window_s
        if runs and runs[-1].frequency == frequency:
            last = runs[-1]
            runs[-1] = Run(frequency, last.start_s, start + window_s - last.start_s)
        else:
            runs.append(Run(frequency, start, window_s))
    steady = [run for run in runs if run.duration_s >= min_duration_s]
    merged: list[Run] = []
    for run in steady:
        if merged and merged[-1].frequency == run.frequency:
            start = merged[-1].start_s
            merged[-1] = Run(run.frequency, start, run.start_s + run.duration_s - start)
        else:
            merged.append(run)
    return merged


def tone_sequence(pcm: np.ndarray) -> list[int]:
    return [run.frequency for run in tone_runs(pcm)]
