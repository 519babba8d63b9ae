"""Playout as a listener hears it from `altavoz serve`, each figure beside its target and a
baseline measured in the same run.

A whole station runs in a temporary directory (`altavoz serve`, its local Icecast, every
worker), driven through the HTTP API; a listener (ffmpeg) decodes the mount. Slots of several
items (one pitch per item) are scheduled a few seconds ahead, so the playout worker airs them
on the clock, with the fallback playlist in between. Printed:
- the gap heard between items (median and worst), beside the same tones joined into one file
  and aired as a single item: what the measurement itself reads as a gap when there is none;
- the slot start error as heard (first item's onset at the listener less the slot's start and
  less the pipeline delay), beside a one-item slot;
- the alert latency as heard (API call to the attention tone's onset at the listener, less the
  pipeline delay), beside the pipeline delay itself;
- the dead air after kill -9 of the playout worker (a listener the station drops tunes in
  again at once), beside the time a listener takes to tune in to a station on air.
The pipeline delay (encoder, Icecast, the listener's decoder) is measured with our own source
on a second mount of the same Icecast (tests/onair/hearing.py).
Targets: gap median <= 30 ms, slot start <= 100 ms, alert <= 1 s, dead air <= 2 s.

Run: .venv/bin/python bench/playout.py   (about 2 minutes; writes only under a temporary
directory, not even bytecode caches)
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402

from tests.loopback import wait_until  # noqa: E402
from tests.onair.hearing import (  # noqa: E402
    dead_air,
    fresh_listener_delay,
    hear_until,
    heard,
    pipeline_delay,
)
from tests.onair.station import BED, SOURCE_PASSWORD, Station  # noqa: E402
from tests.playout.listening import RATE, SILENCE_RMS, Listener, tone_runs  # noqa: E402
from tests.playout.tones import Tones  # noqa: E402

SLOTS = 3
ITEMS = 6
ITEM_S = 1.5
ALERTS = 2
GAP_WINDOW_S = 0.005
ATTENTION = (850, 950)


def silent_gaps(pcm: np.ndarray) -> list[float]:
    """Lengths of the silent stretches between the first and the last sound in `pcm`."""
    size = int(RATE * GAP_WINDOW_S)
    usable = len(pcm) // size * size
    loud = np.sqrt((pcm[:usable].reshape(-1, size) ** 2).mean(axis=1)) >= SILENCE_RMS
    gaps = np.diff(np.flatnonzero(loud)) - 1
    return [float(g) * GAP_WINDOW_S for g in gaps if g > 0]


def slot_audio(
    listener: Listener, frequencies: list[int], start: datetime, end: datetime
) -> np.ndarray:
    """The samples from the slot's first item heard to its last, by the listener's clock."""
    runs = tone_runs(listener.pcm(), window_s=0.05, min_duration_s=0.1)
    times = listener.heard_at([run.start_s * RATE for run in runs])
    inside = [
        run
        for run, at in zip(runs, times, strict=True)
        if run.frequency in frequencies and start.timestamp() - 0.5 <= at <= end.timestamp() + 1.0
    ]
    if not inside:
        return np.zeros(0)
    first, last = inside[0].start_s, inside[-1].start_s + inside[-1].duration_s
    return listener.pcm()[int(first * RATE) : int(last * RATE)]


def onset(
    listener: Listener, frequencies: tuple[int, ...] | list[int], after: float
) -> float | None:
    """When a tone of one of `frequencies` was first heard at or after `after`."""
    for tone in heard(listener):
        if tone.frequency in frequencies and tone.at >= after:
            return tone.at
    return None


def alert_latency(station: Station, listener: Listener, recording: int) -> float:
    """Seconds from the API call to the alert's attention tone at the listener; returns once
    the whole alert has been heard."""
    called = time.time()
    station.alert("Prueba de latencia", recording_id=recording)

    def heard_whole() -> bool:
        return len([t for t in heard(listener) if t.frequency == 3000 and t.at >= called]) >= 2

    wait_until(heard_whole, timeout_s=60, what="the whole alert at the listener", poll_s=0.1)
    attention = onset(listener, ATTENTION, called)
    assert attention is not None, "the alert's attention tone was not heard"
    return attention - called


def per_change(gaps: list[float], changes: int) -> list[float]:
    """One figure per item change: item changes with no silence at all count as 0."""
    return sorted(gaps + [0.0] * max(0, changes - len(gaps)))


def line(label: str, value: str, target: str, baseline: str) -> None:
    print(f"  {label:<38} {value:<34} {target:<18} {baseline}")


def verdict(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("ok" if value <= limit else "MISSED")


def measure(station: Station, tones: Tones) -> None:
    pipeline = pipeline_delay(station.icecast_url, SOURCE_PASSWORD)
    tuning_in = fresh_listener_delay(station.stream_url)
    listener = station.listen()
    slot_tones = [[400 + 100 * (slot * ITEMS + n) for n in range(ITEMS)] for slot in range(SLOTS)]
    playlists = [
        station.playlist(station.upload_many([tones.tone(f, ITEM_S) for f in chosen]), name=f"P{n}")
        for n, chosen in enumerate(slot_tones)
    ]
    joined = station.upload(
        tones.joined([tones.tone(f, ITEM_S) for f in slot_tones[0]], "joined"), title="joined"
    )
    single = station.upload(tones.tone(2500, 2.0))
    sting = station.upload(tones.tone(3000, 1.0), kind="alert")

    booked = []
    for playlist in playlists:
        start, end = station.book(ITEMS * ITEM_S, lead_s=5)
        station.schedule(start, playlist_id=playlist)
        booked.append((start, end))
    joined_start, joined_end = station.book(ITEMS * ITEM_S)
    station.schedule(joined_start, recording_id=joined)
    single_start, single_end = station.book(2.0)
    station.schedule(single_start, recording_id=single)
    hear_until(listener, single_end.timestamp() + 1.0, timeout_s=60)

    gaps: list[float] = []
    errors: list[float] = []
    for (start, end), chosen in zip(booked, slot_tones, strict=True):
        gaps += per_change(silent_gaps(slot_audio(listener, chosen, start, end)), ITEMS - 1)
        heard_at = onset(listener, chosen, start.timestamp() - 1.0)
        if heard_at is not None:
            errors.append(heard_at - start.timestamp() - pipeline)
    floor = per_change(
        silent_gaps(slot_audio(listener, slot_tones[0], joined_start, joined_end)), ITEMS - 1
    )
    single_heard = onset(listener, (2500,), single_start.timestamp() - 1.0)
    single_error = (
        None if single_heard is None else single_heard - single_start.timestamp() - pipeline
    )

    latencies = [alert_latency(station, listener, sting) - pipeline for _ in range(ALERTS)]

    kill_frequencies = [1100 + 200 * n for n in range(ITEMS)]
    kill_playlist = station.playlist(
        station.upload_many([tones.tone(f, ITEM_S) for f in kill_frequencies]), name="Kill"
    )
    start, end = station.book(ITEMS * ITEM_S)
    station.schedule(start, playlist_id=kill_playlist)
    wait_until(
        lambda: onset(listener, (kill_frequencies[2],), start.timestamp() - 1) is not None,
        timeout_s=30,
        what="the third item",
        poll_s=0.05,
    )
    os.kill(station.worker_pid("playout"), signal.SIGKILL)
    killed = time.time()
    listeners = station.follow(listener, until=killed + 8)
    silence, back = dead_air(listeners, since=killed - 1.0, until=killed + 8)
    after = [t.frequency for tuned in listeners for t in heard(tuned) if t.at >= back - 0.05]
    resumed = (
        kill_frequencies.index(after[0]) + 1 if after and after[0] in kill_frequencies else None
    )

    print("playout through `altavoz serve` as heard by a listener on the Icecast mount")
    print(f"  listener pipeline delay (probe mount, subtracted below): {pipeline * 1000:.0f} ms")
    line("what", "measured", "target", "baseline (same run)")
    median_gap = statistics.median(gaps) if gaps else None
    line(
        "gap between items, median",
        f"{median_gap * 1000:.1f} ms" if median_gap is not None else "n/a",
        f"<= 30 ms {verdict(median_gap, 0.030)}",
        f"one joined file: median {statistics.median(floor) * 1000:.1f} ms",
    )
    line(
        "gap between items, worst",
        f"{max(gaps) * 1000:.1f} ms over {len(gaps)} changes" if gaps else "n/a",
        "",
        f"one joined file: worst {max(floor) * 1000:.1f} ms",
    )
    worst_error = max(errors, key=abs) if errors else None
    line(
        f"slot start error ({len(errors)}/{SLOTS} slots heard)",
        f"worst {worst_error:+.3f} s, median {statistics.median(errors):+.3f} s"
        if worst_error is not None
        else "n/a",
        f"<= 100 ms {verdict(None if worst_error is None else abs(worst_error), 0.1)}",
        "one-item slot: " + (f"{single_error:+.3f} s" if single_error is not None else "n/a"),
    )
    worst_alert = max(latencies) if latencies else None
    line(
        f"alert latency ({len(latencies)}/{ALERTS} alerts heard)",
        f"worst {worst_alert:.2f} s, median {statistics.median(latencies):.2f} s"
        if worst_alert is not None
        else "n/a",
        f"<= 1 s {verdict(worst_alert, 1.0)}",
        f"pipeline delay {pipeline:.2f} s",
    )
    line(
        "dead air after kill -9 of the worker",
        f"{silence:.2f} s, then item {resumed or '?'} of {ITEMS}",
        f"<= 2 s {verdict(silence, 2.0)}",
        f"a listener tuning in: {tuning_in:.2f} s",
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="altavoz-bench-") as scratch:
        work = Path(scratch)
        tones = Tones(work / "tones")
        quiet = {"PYTHONDONTWRITEBYTECODE": "1"}
        with Station(work / "station", environment=quiet) as station:
            station.air_fallback([tones.tone(f, 3.0) for f in BED])
            measure(station, tones)


if __name__ == "__main__":
    main()
