"""The playout engine against a real Icecast and a real listener."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from playlists.icecast import IcecastServer, fetch_mount_status, fetch_server_counters
from playlists.playout_events import EventKind, PlayoutItem
from playlists.vlc_output import StreamFormat
from tests.playout.conftest import EngineFactory, Feed, Tones, item, wait_until
from tests.playout.listening import (
    Listener,
    longest_silence_s,
    tone_runs,
    tone_sequence,
    window_rms,
)

Listen = Callable[[], Listener]
FREQUENCIES = (300, 500, 700, 900, 1100, 1300, 1500)
SUFFIXES = ("wav", "mp3", "ogg")


def test_one_source_connection_and_no_gap_across_item_changes(
    icecast: IcecastServer, make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    items = [
        item(tones.tone(frequency, 2.0, SUFFIXES[index % 3]), f"tone-{frequency}")
        for index, frequency in enumerate(FREQUENCIES)
    ]
    feed = Feed(items)
    engine = make_engine(feed)
    listener = listen()
    first = fetch_mount_status(icecast.settings.base_url, icecast.settings.mount)
    feed.wait_for(EventKind.ENDED, "tone-1500", timeout_s=25)
    listener.wait_heard(12.0, timeout_s=10)

    counters = fetch_server_counters(icecast.settings)
    last = fetch_mount_status(icecast.settings.base_url, icecast.settings.mount)
    assert counters.source_client_connections == 1
    assert last.has_source and last.stream_start == first.stream_start
    assert len(feed.of(EventKind.STARTED)) == len(FREQUENCIES)
    heard = listener.pcm()
    sequence = tone_sequence(heard)
    assert sequence[-6:] == list(FREQUENCIES[1:]), sequence
    last_tone = tone_runs(heard)[-1]
    assert longest_silence_s(heard[: int((last_tone.start_s + 1.0) * 8000)]) < 0.5
    assert engine.counters.failed_items == 0


def test_corrupt_and_missing_files_are_skipped_and_reported_while_the_stream_goes_on(
    make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    feed = Feed(
        [
            item(tones.tone(400, 2.0), "before"),
            item(tones.corrupt(), "corrupt"),
            item(tones.directory / "missing.wav", "missing"),
            item(tones.tone(800, 2.0), "after"),
        ]
    )
    engine = make_engine(feed)
    listener = listen()
    feed.wait_for(EventKind.ENDED, "after", timeout_s=15)

    assert feed.wait_for(EventKind.FAILED, "corrupt").reason == "no_audio_track"
    assert feed.wait_for(EventKind.FAILED, "missing").reason.startswith("no_file?path=")
    assert engine.counters.failed_items == 2
    assert not feed.of(EventKind.STARTED, "corrupt")
    heard = listener.pcm()
    assert tone_sequence(heard)[-2:] == [400, 800]
    assert longest_silence_s(heard[: int((tone_runs(heard)[-1].start_s + 1.0) * 8000)]) < 0.5


def test_play_at_cuts_the_current_item_and_starts_within_one_second(
    make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    feed = Feed([item(tones.tone(400, 8.0), "long")])
    engine = make_engine(feed)
    listener = listen()
    feed.wait_for(EventKind.STARTED, "long")
    when = datetime.now(tz=UTC) + timedelta(seconds=2.5)
    engine.play_at(item(tones.tone(900, 2.0), "slot"), when)

    started = feed.wait_for(EventKind.STARTED, "slot", timeout_s=10)
    cut = feed.wait_for(EventKind.CUT, "long")
    assert abs((started.at - when).total_seconds()) < 1.0
    assert cut.at <= started.at and 1.5 < cut.position_s < 6.0
    feed.wait_for(EventKind.ENDED, "slot")
    listener.wait_heard(4.0, timeout_s=10)
    assert tone_sequence(listener.pcm())[-2:] == [400, 900]


def test_cut_at_ends_an_item_at_its_deadline(make_engine: EngineFactory, tones: Tones) -> None:
    deadline = datetime.now(tz=UTC) + timedelta(seconds=2)
    feed = Feed(
        [
            PlayoutItem(path=tones.tone(400, 8.0), item_id="bounded", cut_at=deadline),
            item(tones.tone(600, 2.0), "next"),
        ]
    )
    make_engine(feed)
    cut = feed.wait_for(EventKind.CUT, "bounded", timeout_s=10)
    started = feed.wait_for(EventKind.STARTED, "next")
    assert abs((cut.at - deadline).total_seconds()) < 0.5
    assert (started.at - deadline).total_seconds() < 1.0


def test_preempt_airs_the_alert_then_resumes_the_interrupted_item_where_it_stopped(
    make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    steps = (400, 600, 800, 1000)
    feed = Feed([item(tones.steps(steps, 1.5), "programme")])
    engine = make_engine(feed)
    listener = listen()
    started = feed.wait_for(EventKind.STARTED, "programme")
    wait_until(
        lambda: datetime.now(tz=UTC) >= started.at + timedelta(seconds=2.3),
        timeout_s=5,
        what="the programme to reach its second step",
    )
    engine.preempt(item(tones.tone(1500, 1.5), "alert"))

    interrupted = feed.wait_for(EventKind.INTERRUPTED, "programme")
    feed.wait_for(EventKind.ENDED, "alert")
    resumed = feed.wait_for(EventKind.RESUMED, "programme")
    feed.wait_for(EventKind.ENDED, "programme", timeout_s=15)
    assert 1.5 < interrupted.position_s < 4.0
    assert resumed.position_s == interrupted.position_s
    listener.wait_heard(7.0, timeout_s=10)
    sequence = tone_sequence(listener.pcm())
    alert_at = sequence.index(1500)
    before, after = sequence[:alert_at], sequence[alert_at + 1 :]
    assert before[-1] in (600, 800), sequence
    assert after[0] == before[-1] and after[-1] == 1000, sequence
    assert 400 not in after, sequence


def test_a_caller_with_nothing_is_asked_again_promptly_and_silence_is_reported(
    icecast: IcecastServer, make_engine: EngineFactory, tones: Tones
) -> None:
    feed = Feed()
    make_engine(feed)
    feed.wait_for(EventKind.SILENCE)
    asked = feed.asked
    wait_until(lambda: feed.asked >= asked + 3, timeout_s=5, what="the engine to ask again")
    offered = datetime.now(tz=UTC)
    feed.add(item(tones.tone(700, 2.0), "late"))

    started = feed.wait_for(EventKind.STARTED, "late")
    assert (started.at - offered).total_seconds() < 1.0
    assert len(feed.of(EventKind.SILENCE)) == 1
    assert fetch_server_counters(icecast.settings).source_client_connections == 1


def test_the_source_reconnects_after_icecast_comes_back(
    icecast: IcecastServer, make_engine: EngineFactory, tones: Tones
) -> None:
    feed = Feed([item(tones.tone(500, 8.0), "programme")])
    engine = make_engine(feed)
    started = feed.wait_for(EventKind.STARTED, "programme")
    wait_until(
        lambda: datetime.now(tz=UTC) >= started.at + timedelta(seconds=1.5),
        timeout_s=5,
        what="the programme to be on air for a while",
    )
    icecast.stop()
    fault = feed.wait_for(EventKind.OUTPUT_FAULT, timeout_s=10)
    icecast.start()
    back = time.monotonic()
    settings = icecast.settings
    wait_until(
        lambda: fetch_mount_status(settings.base_url, settings.mount).has_source,
        timeout_s=2.0,
        what="the source within two seconds of Icecast answering again",
    )
    print(f"source back {time.monotonic() - back:.2f} s after Icecast answered")

    resumed = feed.wait_for(EventKind.RESUMED, "programme", timeout_s=15)
    assert fault.item is not None and fault.item.item_id == "programme"
    assert 0.5 < resumed.position_s < 8.0
    assert engine.counters.output_faults == 1


def test_an_ogg_vorbis_stream_carries_item_after_item(
    make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    feed = Feed(
        [item(tones.tone(frequency, 2.0), f"ogg-{frequency}") for frequency in (400, 800, 1200)]
    )
    make_engine(feed, stream_format=StreamFormat.OGG)
    listener = listen()
    feed.wait_for(EventKind.ENDED, "ogg-1200", timeout_s=15)
    listener.wait_heard(3.0, timeout_s=10)
    assert tone_sequence(listener.pcm())[-2:] == [800, 1200]


def test_with_a_fade_set_the_item_fades_out_before_the_slot_and_the_slot_starts_on_time(
    make_engine: EngineFactory, listen: Listen, tones: Tones
) -> None:
    feed = Feed([item(tones.tone(500, 12.0), "long")])
    engine = make_engine(feed, fade_s=1.5)
    listener = listen()
    started = feed.wait_for(EventKind.STARTED, "long")
    deadline = started.at + timedelta(seconds=5)
    engine.play_at(item(tones.tone(1000, 2.0), "slot"), deadline)
    slot = feed.wait_for(EventKind.STARTED, "slot", timeout_s=15)
    feed.wait_for(EventKind.ENDED, "slot", timeout_s=10)
    assert abs((slot.at - deadline).total_seconds()) < 1.0
    listener.wait_heard(6.0, timeout_s=10)
    runs = tone_runs(listener.pcm())
    five_hundred = next(run for run in runs if run.frequency == 500)
    pcm = listener.pcm()
    levels = window_rms(pcm)
    end = int((five_hundred.start_s + five_hundred.duration_s) / 0.02)
    steady = float(np.median(levels[end - 150 : end - 100]))
    tail = float(np.median(levels[end - 15 : end]))
    assert tail < steady * 0.5, (steady, tail)
    assert [run.frequency for run in runs][-2:] == [500, 1000]
