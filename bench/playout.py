"""Playout timing as a listener hears it on the Icecast mount.

Runs the project's playout engine against a real Icecast on a free loopback port with a
real listener (ffmpeg decoding the mount), for at least 20 items of continuous tones, each a
different pitch, with slots started on the clock by `play_at` every few items. Prints:
- the gap heard between consecutive items (median and worst), beside the baseline: the same
  tones joined into one file and played as a single item, which is what the measurement itself
  reads as a gap when there is none;
- the start-time error of each scheduled slot as heard (listener clock aligned on the first
  item), beside the engine's own report of when it started them.
Targets: median gap <= 50 ms, worst slot start error <= 1 s.

Run: .venv/bin/python bench/playout.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playlists.engine import PlayoutEngine  # noqa: E402
from playlists.icecast import IcecastServer, IcecastSettings, fetch_mount_status  # noqa: E402
from playlists.playout_events import EngineSettings, EventKind, PlayoutEvent, PlayoutItem  # noqa: E402
from playlists.vlc_output import OutputSettings  # noqa: E402
from tests.playout.listening import RATE, SILENCE_RMS, Listener  # noqa: E402

ITEMS = 24
ITEM_S = 2.0
SLOT_EVERY = 6
FREQUENCIES = [300 + 50 * n for n in range(ITEMS)]
GAP_WINDOW_S = 0.005


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tone(path: Path, frequency: int, seconds: float) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", str(seconds),
         "sine", str(frequency), "vol", "0.5"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return path


def silent_gaps(pcm: np.ndarray) -> list[float]:
    """Lengths of the silent stretches between the first and the last sound heard."""
    size = int(RATE * GAP_WINDOW_S)
    usable = len(pcm) // size * size
    loud = np.sqrt((pcm[:usable].reshape(-1, size) ** 2).mean(axis=1)) >= SILENCE_RMS
    indices = np.flatnonzero(loud)
    gaps = np.diff(indices) - 1
    return [float(g) * GAP_WINDOW_S for g in gaps if g > 0]


def onset(pcm: np.ndarray, frequency: int, after_s: float = 0.0) -> float | None:
    """When a tone of `frequency` is first heard (50 ms resolution, refined to 5 ms by level)."""
    size = int(RATE * 0.05)
    for index in range(int(after_s * RATE) // size, len(pcm) // size):
        segment = pcm[index * size : (index + 1) * size]
        if np.sqrt((segment**2).mean()) < SILENCE_RMS:
            continue
        spectrum = np.abs(np.fft.rfft(segment * np.hanning(size)))
        heard = float(np.argmax(spectrum)) * RATE / size
        if abs(heard - frequency) < 25:
            return index * size / RATE
    return None


class Recorder:
    def __init__(self, items: list[PlayoutItem]) -> None:
        self.items = list(items)
        self.events: list[PlayoutEvent] = []
        self.lock = threading.Lock()

    def next_item(self) -> PlayoutItem | None:
        with self.lock:
            return self.items.pop(0) if self.items else None

    def on_event(self, event: PlayoutEvent) -> None:
        with self.lock:
            self.events.append(event)

    def started(self, item_id: str) -> datetime | None:
        with self.lock:
            for event in self.events:
                if event.kind is EventKind.STARTED and event.item and event.item.item_id == item_id:
                    return event.at
        return None


def run(
    icecast: IcecastServer,
    work: Path,
    items: list[PlayoutItem],
    slots: list[tuple[PlayoutItem, float]],
    seconds: float,
) -> tuple[Listener, Recorder, list[datetime]]:
    recorder = Recorder(items)
    output = OutputSettings(
        port=icecast.settings.port, mount=icecast.settings.mount, source_password="bench-source"
    )
    engine = PlayoutEngine(
        EngineSettings(output=output, work_dir=work / "engine"),
        next_item=recorder.next_item,
        on_event=recorder.on_event,
    )
    engine.start()
    deadline = time.monotonic() + 10
    while not fetch_mount_status(icecast.settings.base_url, icecast.settings.mount).has_source:
        if time.monotonic() > deadline:
            raise RuntimeError("the engine never connected to Icecast")
        time.sleep(0.05)
    listener = Listener(f"{icecast.settings.base_url}{icecast.settings.mount}")
    begin = datetime.now(tz=UTC)
    scheduled = []
    for item, offset in slots:
        when = begin + timedelta(seconds=offset)
        engine.play_at(item, when)
        scheduled.append(when)
    time.sleep(seconds)
    engine.stop()
    listener.stop()
    return listener, recorder, scheduled


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="altavoz-bench-") as scratch:
        work = Path(scratch)
        settings = IcecastSettings(
            port=free_port(), source_password="bench-source", admin_password="bench-admin",
            mount="/bench.mp3", burst_size_bytes=0,
        )  # fmt: skip
        tones = [tone(work / f"t{f}.wav", f, ITEM_S) for f in FREQUENCIES]
        joined = work / "joined.wav"
        subprocess.run(["sox", *map(str, tones), str(joined)], check=True, timeout=60)
        with IcecastServer(settings, work / "icecast") as icecast:
            slot_ids = set(range(SLOT_EVERY, ITEMS, SLOT_EVERY))
            items = [
                PlayoutItem(path=path, item_id=f"item-{n}", title=str(FREQUENCIES[n]))
                for n, path in enumerate(tones)
                if n not in slot_ids
            ]
            slots = [
                (PlayoutItem(path=tones[n], item_id=f"item-{n}", title="slot"), n * ITEM_S - 0.7)
                for n in sorted(slot_ids)
            ]
            listener, recorder, scheduled = run(icecast, work, items, slots, ITEMS * ITEM_S + 4)
            pcm = listener.pcm()
            gaps = silent_gaps(pcm)
            first_heard = onset(pcm, FREQUENCIES[0])
            first_started = recorder.started("item-0")
            errors_heard, errors_engine = [], []
            if first_heard is not None and first_started is not None:
                offset = first_started - timedelta(seconds=first_heard)
                for (slot_item, _), when in zip(slots, scheduled, strict=True):
                    frequency = (
                        int(slot_item.title)
                        if slot_item.title.isdigit()
                        else FREQUENCIES[int(slot_item.item_id.split("-")[1])]
                    )
                    heard = onset(pcm, frequency, after_s=first_heard)
                    started = recorder.started(slot_item.item_id)
                    if heard is not None:
                        errors_heard.append(
                            abs((offset + timedelta(seconds=heard) - when).total_seconds())
                        )
                    if started is not None:
                        errors_engine.append(abs((started - when).total_seconds()))
            baseline_items = [PlayoutItem(path=joined, item_id="joined", title="joined")]
            base_listener, _, _ = run(icecast, work, baseline_items, [], ITEMS * ITEM_S + 4)
            base_gaps = silent_gaps(base_listener.pcm())

        changes = ITEMS - 1
        median_gap = statistics.median(gaps + [0.0] * max(0, changes - len(gaps)))
        base_median = statistics.median(base_gaps + [0.0] * max(0, changes - len(base_gaps)))
        print(f"playout over {ITEMS} items of {ITEM_S:.0f} s tones, {len(slots)} scheduled slots")
        print(f"  gap between items, median : {median_gap * 1000:7.1f} ms   (target <= 50 ms)")
        print(f"  gap between items, worst  : {max(gaps, default=0.0) * 1000:7.1f} ms")
        print(f"  baseline (one joined file): median {base_median * 1000:.1f} ms, worst "
              f"{max(base_gaps, default=0.0) * 1000:.1f} ms")  # fmt: skip
        print(f"  gaps heard / baseline gaps: {len(gaps)} / {len(base_gaps)}")
        if errors_heard:
            print(f"  slot start error, heard   : worst {max(errors_heard):.3f} s, "
                  f"median {statistics.median(errors_heard):.3f} s   (target <= 1 s)")  # fmt: skip
        if errors_engine:
            print(f"  slot start error, engine  : worst {max(errors_engine):.3f} s")
            ratio = max(errors_heard) / max(max(errors_engine), 1e-3) if errors_heard else 0.0
            print(f"  heard / engine-reported   : {ratio:.2f}x")


if __name__ == "__main__":
    main()
