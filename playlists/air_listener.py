"""A listener on the station's own mount: ffmpeg decodes the stream as a player would.

Services that look green can still put out dead air (a source connected but sending silence,
a mount without a source); only listening tells. ffmpeg reads the mount over HTTP and decodes
it to 8 kHz mono 16-bit PCM, which is all a level needs and costs a few per cent of a core.
Windows are timed when they are decoded: after the burst Icecast sends on connecting (old
audio, decoded at once), the stream arrives as the source sends it, so what is measured is
what listeners hear within a fraction of a second.

When the mount cannot be read (Icecast answers 404 while no source is connected, refuses the
connection, or nothing arrives for `read_timeout_s`), ffmpeg exits and is started again after
a pause that grows to `retry_max_s`; meanwhile `take()` says the stream is not heard. Until
the first attempt has either heard something or failed, it says it does not know yet.
"""

from __future__ import annotations

import logging
import math
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import IO

import numpy as np

from gateway.parent_death import stop_with_parent

log = logging.getLogger(__name__)

RATE = 8000
"""Samples per second decoded: enough for a level, cheap to resample to."""

FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Window:
    at: float
    """time.monotonic() when the window was decoded."""
    level_db: float
    """RMS level in dBFS (a full-scale sine is about -3)."""


def level_db(pcm: bytes) -> float:
    """RMS level of signed 16-bit little-endian samples, in dBFS (-inf floored at -150)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -150.0
    rms = math.sqrt(float(np.mean(samples * samples)))
    return max(20.0 * math.log10(max(rms, 1e-12) / FULL_SCALE), -150.0)


def listener_command(url: str, *, read_timeout_s: float) -> list[str]:
    """ffmpeg tuned for a quick start (small probe) and a quick give-up on a stalled stream."""
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-rw_timeout", str(int(read_timeout_s * 1_000_000)),
        "-probesize", "32768", "-analyzeduration", "0",
        "-i", url,
        "-vn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1",
    ]  # fmt: skip


class StreamListener:
    """One ffmpeg at a time on `url`, restarted whenever it stops; windows kept for `take`."""

    def __init__(
        self,
        url: str,
        *,
        window_s: float = 0.25,
        retry_s: float = 1.0,
        retry_max_s: float = 5.0,
        read_timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.window_bytes = int(RATE * window_s) * 2
        self.retry_s = retry_s
        self.retry_max_s = retry_max_s
        self.read_timeout_s = read_timeout_s
        self.connections = 0
        """How many times ffmpeg got audio from the mount (reconnections show here)."""
        self.last_error = ""
        self._windows: deque[Window] = deque(maxlen=4 * 60 * 20)
        self._hearing: bool | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the listener is already running")
        self._thread = threading.Thread(target=self._run, name="air-listener", daemon=True)
        self._thread.start()

    def take(self) -> tuple[list[Window], bool | None]:
        """The windows decoded since the last call, and whether the stream is being heard
        (None while the first connection is still being made)."""
        with self._lock:
            windows = list(self._windows)
            self._windows.clear()
            return windows, self._hearing

    def stop(self, *, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        pause = self.retry_s
        while not self._stopping.is_set():
            heard = self._listen_once()
            with self._lock:
                self._hearing = False
            pause = self.retry_s if heard else min(pause * 2, self.retry_max_s)
            self._stopping.wait(pause)

    def _listen_once(self) -> bool:
        """Run ffmpeg until the stream ends; True if any audio came through."""
        process = subprocess.Popen(
            listener_command(self.url, read_timeout_s=self.read_timeout_s),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=stop_with_parent(),
        )
        with self._lock:
            self._process = process
        if self._stopping.is_set():
            process.terminate()
        errors: deque[str] = deque(maxlen=3)
        assert process.stdout is not None and process.stderr is not None
        drain = threading.Thread(target=_keep_last_lines, args=(process.stderr, errors))
        drain.start()
        heard = False
        try:
            while chunk := process.stdout.read(self.window_bytes):
                window = Window(at=time.monotonic(), level_db=level_db(chunk))
                with self._lock:
                    self._windows.append(window)
                    self._hearing = True
                if not heard:
                    heard = True
                    self.connections += 1
        finally:
            process.stdout.close()
            code = process.wait()
            drain.join(5)
            process.stderr.close()
        if not self._stopping.is_set():
            self.last_error = "; ".join(errors) or f"ffmpeg ended ({code})"
            log.info("the stream %s is not heard: %s", self.url, self.last_error)
        return heard


def _keep_last_lines(stream: IO[bytes], lines: deque[str]) -> None:
    for line in stream:
        text = line.decode(errors="replace").strip()
        if text:
            lines.append(text)
