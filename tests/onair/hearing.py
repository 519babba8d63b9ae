"""What listeners heard, and when it went on air; and the delay our own listening adds.

Times are wall-clock (time.time()) of when a listener decoded the sound, so they compare with a
slot's start or the moment an API call was made. What lies between a source and a listener's
decoder — the encoder, Icecast, the decoder — is measured by `pipeline_delay` with our own
source on a second mount of the same Icecast, so a measurement of the station can subtract it.
`fresh_listener_delay` is the other delay of the tooling: how long a newly started listener
takes to decode its first sound.

No pytest here: bench/playout.py uses it too."""

from __future__ import annotations

import http.client
import itertools
import statistics
import subprocess
import threading
import time
import urllib.parse
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playlists.icecast import IcecastError, fetch_mount_status
from tests.loopback import wait_until
from tests.playout.listening import RATE, SILENCE_RMS, Listener, tone_runs, window_rms

WINDOW_S = 0.02
_probe_mounts = itertools.count(1)
PROBE_RATE = 44100
PROBE_FREQUENCY = 1000


@dataclass(frozen=True)
class Heard:
    """A steady tone a listener heard: its pitch, when it was heard, how long it lasted."""

    frequency: int
    at: float
    duration_s: float

    @property
    def end(self) -> float:
        return self.at + self.duration_s


def heard(
    listener: Listener, *, window_s: float = 0.05, min_duration_s: float = 0.1
) -> list[Heard]:
    """The tones heard in order, each with the time it began to be heard."""
    runs = tone_runs(listener.pcm(), window_s=window_s, min_duration_s=min_duration_s)
    starts = listener.heard_at([run.start_s * RATE for run in runs])
    return [
        Heard(run.frequency, float(at), run.duration_s)
        for run, at in zip(runs, starts, strict=True)
    ]


def heard_until(listener: Listener) -> float:
    """When the listener last decoded something (0 before the first)."""
    received = listener.heard_s() * RATE
    return float(listener.heard_at(received - 1)[0]) if received > 0 else 0.0


def hear_until(listener: Listener, moment: float, *, timeout_s: float = 30) -> None:
    """Wait until the listener has decoded sound sent at `moment` (wall-clock) or later."""
    wait_until(
        lambda: heard_until(listener) >= moment,
        timeout_s=timeout_s + max(0.0, moment - time.time()),
        what=f"the listener to hear up to {moment - time.time():+.1f} s from now",
        poll_s=0.05,
    )


def describe(tones: list[Heard], origin: float) -> str:
    """Heard tones as `pitch Hz at +s for s`, times from `origin` (e.g. the slot's start)."""
    return "; ".join(
        f"{tone.frequency} Hz at {tone.at - origin:+.2f} s for {tone.duration_s:.2f} s"
        for tone in tones
    )


def sound_times(listener: Listener) -> np.ndarray:
    """When each 20 ms window with sound in it was heard."""
    return listener.heard_at(loud_windows(listener) * WINDOW_S * RATE)


def dead_air(
    listeners: list[Listener], *, since: float, until: float | None = None
) -> tuple[float, float]:
    """The longest time with no sound heard by any of these listeners after `since` (a
    listener that was dropped and the one that replaced it count together): its length,
    and when sound came back. Up to `until`, when given (a time they have all been heard up
    to), silence that never ended counts too, and comes back at `until`."""
    times = np.sort(np.concatenate([sound_times(listener) for listener in listeners]))
    times = times[times >= since]
    if until is not None:
        times = np.append(times[times < until], until + WINDOW_S)
    if len(times) < 2:
        return 0.0, since
    gaps = np.diff(times) - WINDOW_S
    longest = int(np.argmax(gaps))
    return float(gaps[longest]), float(times[longest + 1])


def loud_windows(listener: Listener) -> np.ndarray:
    """Indices of the 20 ms windows with sound in them."""
    return np.flatnonzero(window_rms(listener.pcm(), WINDOW_S) >= SILENCE_RMS)


def first_sound(listener: Listener, *, after: float = 0.0) -> float | None:
    """When this listener first heard sound, at or after `after`."""
    times = sound_times(listener)
    later = times[times >= after]
    return float(later[0]) if len(later) else None


class _ProbeSource:
    """Our own source on a second mount: silence, and a tone whenever asked, written in real
    time to an ffmpeg that encodes MP3 and sends it to Icecast as the station's source does."""

    def __init__(self, icecast_url: str, source_password: str) -> None:
        host = icecast_url.removeprefix("http://")
        self.url = f"{icecast_url}/pipeline-probe-{next(_probe_mounts)}.mp3"
        self._icecast_url = icecast_url
        self._process = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", str(PROBE_RATE),
             "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "128k",
             "-flush_packets", "1", "-content_type", "audio/mpeg", "-f", "mp3",
             f"icecast://source:{source_password}@{host}{self.mount}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._tone_until = 0.0
        self._stopping = threading.Event()
        self.tone_started: list[float] = []
        self._thread = threading.Thread(target=self._write, daemon=True)
        self._thread.start()

    def _write(self) -> None:
        assert self._process.stdin is not None
        chunk = PROBE_RATE // 100
        phase = np.arange(chunk) / PROBE_RATE
        silence = np.zeros(chunk, dtype=np.int16).tobytes()
        written = 0
        began = time.monotonic()
        in_tone = False
        while not self._stopping.is_set():
            now = time.time()
            tone = now < self._tone_until
            if tone and not in_tone:
                self.tone_started.append(now)
            in_tone = tone
            if tone:
                wave = 16000 * np.sin(2 * np.pi * PROBE_FREQUENCY * (phase + written / PROBE_RATE))
                data = wave.astype(np.int16).tobytes()
            else:
                data = silence
            try:
                self._process.stdin.write(data)
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            written += chunk
            ahead = began + written / PROBE_RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)

    @property
    def mount(self) -> str:
        return "/" + self.url.rsplit("/", 1)[1]

    def up(self) -> bool:
        try:
            return fetch_mount_status(self._icecast_url, self.mount, timeout_s=1).has_source
        except IcecastError:
            return False

    def beep(self, seconds: float) -> float:
        """Sound the tone for `seconds`; when its first sample went to the encoder."""
        count = len(self.tone_started)
        self._tone_until = time.time() + seconds
        wait_until(lambda: len(self.tone_started) > count, timeout_s=2, what="the probe's beep")
        return self.tone_started[-1]

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)


def pipeline_delay(icecast_url: str, source_password: str, *, beeps: int = 3) -> float:
    """Seconds from audio reaching a source's encoder to a listener decoding it: what the
    encoder, Icecast and the listener's decoder add (the median of a few beeps)."""
    source = _ProbeSource(icecast_url, source_password)
    listener: Listener | None = None
    try:
        wait_until(source.up, timeout_s=10, what="the probe mount", poll_s=0.05)
        listener = Listener(source.url, input_format="mp3")
        hear_until(listener, time.time() + 0.5, timeout_s=10)
        delays = []
        for _ in range(beeps):
            began = source.beep(0.2)
            hear_until(listener, began + 0.6, timeout_s=5)
            onset = first_sound(listener, after=began - 0.05)
            assert onset is not None, "the probe listener never heard the beep"
            delays.append(onset - began)
        return statistics.median(delays)
    finally:
        if listener is not None:
            listener.stop()
        source.stop()


def wait_for_sound(listener: Listener, *, timeout_s: float) -> float:
    """When the listener first decodes sound; raises if it has not within `timeout_s`."""
    wait_until(
        lambda: first_sound(listener) is not None,
        timeout_s=timeout_s,
        what=f"sound at the listener of {listener.url}",
        poll_s=0.01,
    )
    heard_first = first_sound(listener)
    assert heard_first is not None
    return heard_first


def fresh_listener_delay(url: str, *, tries: int = 2) -> float:
    """Seconds from starting a listener on a mount that is on air to its first decoded sound:
    what our own tuning in takes (ffmpeg starting, connecting, probing the stream)."""
    delays = []
    for _ in range(tries):
        listener = Listener(url, input_format="mp3")
        try:
            delays.append(wait_for_sound(listener, timeout_s=10) - listener.spawned_at)
        finally:
            listener.stop()
    return min(delays)


def recorded(listener: Listener, start: float, end: float, path: Path, *, edge_s: float) -> Path:
    """What the listener decoded of what was sent from `start` to `end` (wall-clock), less
    `edge_s` at each end (the change of item, the listening delay), as a WAV to measure."""
    pcm = listener.pcm()
    indices = np.arange(0, len(pcm), RATE // 20, dtype=np.float64)
    times = listener.heard_at(indices)
    known = ~np.isnan(times)
    first, last = np.interp([start + edge_s, end - edge_s], times[known], indices[known])
    assert last - first > 2 * RATE, f"only {(last - first) / RATE:.1f} s heard to measure"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm[int(first) : int(last)].astype(np.int16).tobytes())
    return path


class WaitingListener:
    """A listener already tuned to a mount that is away (Icecast down, or no source), as a
    player set to retry is: its decoder runs from the start, and a thread asks for the mount
    every `retry_s` and pipes the stream in as soon as Icecast serves it. So the first sound
    it hears is timed without a decoder's start-up, which a listener started after the return
    would add, and which varies by a second and more on a loaded machine."""

    def __init__(self, url: str, *, retry_s: float = 0.01) -> None:
        self.listener = Listener(url, input_format="mp3", piped=True)
        self._address = urllib.parse.urlsplit(url)
        self._retry_s = retry_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while not self._stopping.is_set():
            connection = http.client.HTTPConnection(
                self._address.hostname or "127.0.0.1", self._address.port, timeout=2
            )
            try:
                connection.request("GET", self._address.path)
                response = connection.getresponse()
                if response.status == 200:
                    while not self._stopping.is_set() and (data := response.read1(4096)):
                        self.listener.feed(data)
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            self._stopping.wait(self._retry_s)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.listener.stop()
