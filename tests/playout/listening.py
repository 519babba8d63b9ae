"""A real listener on the Icecast mount (ffmpeg decoding to 8 kHz PCM) and what it heard."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass

import numpy as np

RATE = 8000
WINDOW_S = 0.02
SILENCE_RMS = 300.0
"""Tones are generated at half scale (RMS about 11 500); MP3 hiss stays far below this."""
SMOOTH_S = 0.15
"""How far ahead a listener's block arrivals are looked at to time a sample (see heard_at)."""


class Listener:
    """ffmpeg reading the stream as a player would, keeping every sample it decodes and the
    wall-clock time (time.time()) at which each block of samples came out of the decoder."""

    def __init__(self, url: str, *, input_format: str | None = None, piped: bool = False) -> None:
        """`piped`: ffmpeg decodes what `feed()` is given rather than fetching `url` itself
        (which then only names the stream), so it can be started before the stream exists.

        `input_format` (e.g. "mp3") spares ffmpeg from guessing the format: a stream joined
        in the middle of a frame makes it read up to 128 KB first (8 s of a 128 kbit/s
        stream), which would count as the station's delay; with the format known it also needs
        only a small probe (4 KB, a quarter of a second) and no input buffering, so a listener
        tuning in to a source that has just connected (no burst to read) hears it at once."""
        self.url = url
        self.spawned_at = time.time()
        self._chunks: list[bytes] = []
        self._arrivals: list[tuple[int, float]] = []
        self._received = 0
        self._lock = threading.Lock()
        forced = ["-f", input_format, "-fflags", "nobuffer"] if input_format else []
        self._process = subprocess.Popen(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-probesize",
                "4096" if input_format else "32768",
                "-analyzeduration",
                "0",
                *forced,
                "-i",
                "pipe:0" if piped else url,
                "-f",
                "s16le",
                "-ac",
                "1",
                "-ar",
                str(RATE),
                "-flush_packets",
                "1",
                "-",
            ],
            stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        descriptor = self._process.stdout.fileno()
        while chunk := os.read(descriptor, 4096):
            arrived = time.time()
            with self._lock:
                self._chunks.append(chunk)
                self._received += len(chunk)
                self._arrivals.append((self._received // 2, arrived))

    @property
    def connected(self) -> bool:
        """False once ffmpeg has ended (the server closed the stream, or it never opened)."""
        return self._process.poll() is None

    def feed(self, data: bytes) -> None:
        """Hand a piped listener more of the stream (BrokenPipeError once ffmpeg has ended)."""
        assert self._process.stdin is not None, "only a piped listener is fed"
        self._process.stdin.write(data)
        self._process.stdin.flush()

    def heard_s(self) -> float:
        with self._lock:
            return self._received / 2 / RATE

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

    def heard_at(self, samples: np.ndarray | list[float] | float) -> np.ndarray:
        """When the listener decoded each sample index, as wall-clock time (NaN for a sample
        not yet heard).

        Icecast hands the stream on in bunches about every 0.1 s, so a block that came at `t`
        holding samples up to `n` says sample `p` was due by `t - (n - p) / RATE`; the earliest
        such bound over the block holding `p` and those within SMOOTH_S after it irons the
        bunching out, never by more than SMOOTH_S. What comes in a burst (on connection, or
        when the source catches up after a stall) is heard when it comes, as by a player with
        no buffer of its own."""
        with self._lock:
            arrivals = np.array(self._arrivals, dtype=np.float64).reshape(-1, 2)
        ends, came = arrivals[:, 0], arrivals[:, 1]
        bounds = came - ends / RATE
        wanted = np.atleast_1d(np.asarray(samples, dtype=np.float64))
        first = np.searchsorted(ends, wanted, side="right")
        last = np.searchsorted(ends, wanted + SMOOTH_S * RATE, side="right")
        times = np.full(len(wanted), np.nan)
        for index, (start, stop) in enumerate(zip(first, last, strict=True)):
            if start < len(ends):
                due = wanted[index] / RATE + bounds[start : max(stop, start + 1)].min()
                times[index] = max(due, came[start] - SMOOTH_S)
        return times

    def stop(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
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
