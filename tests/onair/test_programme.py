"""The programme as a listener hears it from `altavoz serve`: slots start on time with their
first item whole, every item of a playlist airs in its place (jingles and station IDs too),
a slot that cannot air gives way to the fallback, an alert is heard whole and the programme
picks up where it was, and is as loud as the programme; and a weekly grid across the
spring-forward night is accepted.

Each test books its own stretch of the station's clock (Station.book), so they share one
`altavoz serve`; the fallback bed (tests/onair/conftest.py) airs between them."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from audio.loudness import measure
from audio.tts import synthesize
from gateway.database import utcnow
from tests.loopback import wait_until
from tests.onair.hearing import (
    WINDOW_S,
    Heard,
    dead_air,
    describe,
    hear_until,
    heard,
    recorded,
)
from tests.onair.station import BED, Station
from tests.playout.listening import RATE, Listener, tone_runs
from tests.playout.tones import Tones

ROOM_S = 1.0
"""A slot is booked this much longer than its items: each change of item takes a few tens of
milliseconds on air, and the slot's end cuts whatever is still playing."""

ATTENTION = (850, 950)
"""The alert's attention signal (853 + 960 Hz) as the listener's pitch reading names it."""


def heard_between(listener: Listener, start: datetime, end: datetime) -> list[Heard]:
    return [
        tone
        for tone in heard(listener)
        if tone.end > start.timestamp() and tone.at < end.timestamp()
    ]


def wait_for_clock(moment: datetime) -> None:
    wait_until(
        lambda: utcnow() >= moment,
        timeout_s=(moment - utcnow()).total_seconds() + 5,
        what=f"the clock to reach {moment:%H:%M:%S}",
        poll_s=0.01,
    )


def test_a_one_item_slot_starts_on_time_and_is_heard_whole(
    station: Station, listener: Listener, tones: Tones, pipeline: float
) -> None:
    recording = station.upload(tones.tone(1100, 1.5))
    start, end = station.book(1.5)
    station.schedule(start, recording_id=recording)
    assert_heard_on_time(listener, start, end, 1100, pipeline)


def assert_heard_on_time(
    listener: Listener, start: datetime, end: datetime, frequency: int, pipeline: float
) -> None:
    """The slot's one item (a tone of `frequency`) was heard from `start`, nearly whole."""
    hear_until(listener, end.timestamp() + 1.0)
    heard_tones = heard_between(listener, start - timedelta(seconds=1), end + timedelta(seconds=1))
    item = [tone for tone in heard_tones if tone.frequency == frequency]
    origin = start.timestamp()
    assert item, f"the slot was never heard: {describe(heard_tones, origin)}"
    late = item[0].at - origin - pipeline
    assert abs(late) <= 0.5, f"heard {late:+.2f} s from its start: {describe(heard_tones, origin)}"
    assert item[0].duration_s >= 1.3, describe(heard_tones, origin)


def assert_whole_and_in_order(
    listener: Listener, start: datetime, end: datetime, frequencies: list[int], item_s: float
) -> None:
    """The slot from `start` to `end` began with exactly these tones, each (nearly) whole
    (the playlist then starts over, as the station's slot_overrun says)."""
    hear_until(listener, end.timestamp() + 0.5)
    slot = [tone for tone in heard_between(listener, start, end) if tone.frequency not in BED]
    shown = describe(slot, start.timestamp())
    first_pass = slot[: len(frequencies)]
    assert [tone.frequency for tone in first_pass] == frequencies, f"heard {shown}"
    assert all(tone.duration_s >= item_s - 0.15 for tone in first_pass), f"cut short: {shown}"


def test_every_item_of_a_slot_is_heard_whole_and_in_order_from_the_first(
    station: Station, listener: Listener, tones: Tones
) -> None:
    """Issue 10: a 10-item slot began with a burst of fragments of items 1-9."""
    frequencies = [400 + 100 * n for n in range(10)]
    playlist = station.playlist(
        station.upload_many([tones.tone(f, 0.8) for f in frequencies]), name="Ten"
    )
    start, end = station.book(8.0 + ROOM_S, lead_s=5)
    station.schedule(start, playlist_id=playlist, end=end)
    assert_whole_and_in_order(listener, start, end, frequencies, 0.8)


def test_jingles_and_station_ids_in_a_playlist_air_in_their_place(
    station: Station, listener: Listener, tones: Tones
) -> None:
    """Issue 10: [testimony, jingle, testimony, station ID, testimony] aired the testimonies
    only."""
    kinds = ["testimony", "jingle", "testimony", "station-id", "testimony"]
    frequencies = [600, 1000, 1400, 1800, 2200]
    ids = station.upload_many([tones.tone(f, 1.0) for f in frequencies], kinds=kinds)
    start, end = station.book(5.0 + ROOM_S)
    station.schedule(start, playlist_id=station.playlist(ids, name="With IDs"), end=end)
    assert_whole_and_in_order(listener, start, end, frequencies, 1.0)


def test_a_slot_whose_only_file_is_missing_gives_way_to_the_fallback_at_once(
    station: Station, listener: Listener, tones: Tones, pipeline: float
) -> None:
    """Issue 10: the missing file was retried without end (thousands of `skipped` lines) and
    the station stayed silent for the whole slot."""
    missing = station.upload(tones.tone(1500, 2.0))
    station.media_file(missing).unlink()
    start, end = station.book(9.0)
    station.schedule(start, recording_id=missing, end=end)
    hear_until(listener, end.timestamp())
    origin = start.timestamp() + pipeline
    silence, _ = dead_air([listener], since=origin - 0.5)
    after = heard_between(listener, start + timedelta(seconds=2), end)
    lines = [entry for entry in station.as_run() if entry.recording_id == missing]
    shown = f"then {describe(after, origin)}; {len(lines)} as-run lines for the missing item"
    assert silence <= 2.0, f"{silence:.1f} s of dead air from the slot's start; {shown}"
    assert after and all(tone.frequency in BED for tone in after), shown
    assert len(lines) == 1, shown
    assert lines[0].status == "skipped"


def test_an_alert_across_a_slot_boundary_is_heard_whole_and_the_slot_follows_late(
    station: Station, listener: Listener, tones: Tones
) -> None:
    """Issue 10: an alert posted ~7 s before a slot began was cut at the slot's start."""
    item, sting = station.upload_many(
        [tones.tone(1300, 1.5), tones.tone(2600, 2.0)], kinds=["testimony", "alert"]
    )
    start, end = station.book(8.0, lead_s=9)
    slot_id = station.schedule(start, recording_id=item, end=end)[1]["id"]
    wait_for_clock(start - timedelta(seconds=7))
    posted = utcnow()
    station.alert("Prueba de alerta en el cambio de programa", recording_id=sting)
    hear_until(listener, (start + timedelta(seconds=7)).timestamp())
    after = heard_between(listener, posted, end)
    shown = describe(after, start.timestamp())
    stings = [tone for tone in after if tone.frequency == 2600]
    assert len(stings) == 2, f"the alert's recording (2600 Hz) twice: {shown}"
    assert all(tone.duration_s >= 1.8 for tone in stings), f"the alert was cut: {shown}"
    follows = [tone for tone in after if tone.frequency == 1300]
    assert follows and follows[0].at >= stings[-1].end - 0.1, f"no slot after it: {shown}"
    lines = [entry for entry in station.as_run() if entry.slot_id == slot_id]
    assert lines, "no as-run line for the slot"
    assert lines[0].started_at >= start + timedelta(seconds=1), (
        f"the as-run log has the slot starting at {lines[0].started_at:%H:%M:%S.%f}, "
        f"not late after the alert (slot start {start:%H:%M:%S})"
    )


STEPS = tuple(1100 + 150 * n for n in range(16))
STEP_S = 0.25
REPLAY_MAX_S = 0.3
"""Measured 0.41-0.53 s at first, 0.20-0.36 s while the position was counted from after
libVLC's play() returned; counted from before it, -0.02 to 0.01 s in most runs under load, with
an occasional 0.20 s."""


def test_after_an_alert_the_interrupted_item_resumes_where_it_was_heard(
    station: Station, listener: Listener, tones: Tones
) -> None:
    """Issue 10: the resumed item replayed 0.3-0.8 s of what had been heard before the alert.
    The item's pitch changes every 0.25 s, so the pitch and how long it lasts tell where in
    the item the listener was when the alert cut in, and where it picked up again."""
    stepped, sting = station.upload_many(
        [tones.steps(STEPS, STEP_S), tones.tone(500, 1.0)], kinds=["testimony", "alert"]
    )
    start, end = station.book(16.0)
    station.schedule(start, recording_id=stepped, end=end)
    wait_for_clock(start + timedelta(seconds=1.6))
    station.alert("Prueba de alerta a media pieza", recording_id=sting)
    hear_until(listener, (start + timedelta(seconds=13)).timestamp())
    runs = tone_runs(listener.pcm(), window_s=WINDOW_S, min_duration_s=2 * WINDOW_S)
    starts = listener.heard_at([run.start_s * RATE for run in runs])
    runs = [run for run, at in zip(runs, starts, strict=True) if at >= start.timestamp() - 0.5]
    shown = ", ".join(f"{run.frequency}:{run.duration_s:.2f}" for run in runs)
    alert = [n for n, run in enumerate(runs) if run.frequency in (500, *ATTENTION)]
    assert alert, f"the alert was not heard: {shown}"
    before = [run for run in runs[: alert[0]] if run.frequency in STEPS]
    after = [run for run in runs[alert[-1] :] if run.frequency in STEPS]
    assert before and after, f"the item around the alert: {shown}"
    cut_at = STEPS.index(before[-1].frequency) * STEP_S + before[-1].duration_s
    resumed_at = (STEPS.index(after[0].frequency) + 1) * STEP_S - after[0].duration_s
    replayed = cut_at - resumed_at
    where = f"cut at {cut_at:.2f} s into the item, resumed at {resumed_at:.2f} s ({shown})"
    assert replayed <= REPLAY_MAX_S, f"{replayed:.2f} s heard twice: {where}"
    assert replayed >= -0.25, f"{-replayed:.2f} s skipped: {where}"


def test_a_weekly_grid_across_the_spring_forward_night_is_accepted(
    station: Station, tones: Tones
) -> None:
    """Issue 10: Sunday 02:30-03:30 + 03:30-04:30 in America/New_York was refused (409): on
    2027-03-14 02:30 does not exist and was read as 03:30, on top of the next slot."""
    zone = ZoneInfo("America/New_York")
    first, second = station.upload_many([tones.tone(300, 1.0), tones.tone(350, 1.0)])
    weekly = "FREQ=WEEKLY;BYDAY=SU"
    for recording, begin in ((first, 2), (second, 3)):
        start = datetime(2027, 3, 7, begin, 30, tzinfo=zone)
        status, answer = station.schedule(
            start, recording_id=recording, end=start + timedelta(hours=1), rrule=weekly, expect=None
        )
        assert status == 201, f"{start:%H:%M} weekly: {status} {answer}"
    status, answer = station.call(
        "GET", "/schedule?from=2027-03-14T00:00:00-05:00&to=2027-03-15T00:00:00-04:00"
    )
    assert status == 200
    spans = sorted(
        (datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
        for o in answer["slots"]
    )
    clashes = [(a, b) for a, b in pairwise(spans) if a[1] > b[0]]
    assert not clashes, f"overlapping on 2027-03-14: {spans}"


LOUDNESS_MATCH_LU = 2.0
TESTIMONY = (
    "Buenas tardes, les habla doña Rosa desde la comunidad de San Miguel. Queremos contarles "
    "que el camino al río ya está arreglado y que la cosecha de este año fue buena para todos."
)


def test_a_spoken_alert_is_heard_as_loud_as_a_testimony(
    station: Station, listener: Listener, tmp_path: Path
) -> None:
    """Issue 13: measured on the stream, an alert was -24.4 LUFS against -19.3 for a testimony
    (here -25.5 against -19.4 before the fix). A spoken testimony, imported like any recording,
    airs in a slot, then a text alert (tone and espeak-ng speech); what the listener decoded of
    each is measured with ffmpeg's ebur128. The listener decodes at 8 kHz mono: both go through
    the same path, so their difference is what counts."""
    spoken = synthesize(TESTIMONY, voice="es-419", path=tmp_path / "testimonio.wav")
    recording = station.upload(spoken)
    start, end = station.book(10.0)
    station.schedule(start, recording_id=recording, end=end)
    hear_until(listener, end.timestamp())
    alert_id = station.alert("Alerta de prueba: el río crece, suban a las zonas altas.")
    wait_until(
        lambda: any(e.alert_id == alert_id and e.ended_at for e in station.as_run()),
        timeout_s=90,
        what="the alert to end on air",
    )
    aired = next(e for e in station.as_run() if e.alert_id == alert_id)
    assert aired.ended_at is not None
    hear_until(listener, aired.ended_at.timestamp())
    said = recorded(listener, start.timestamp(), end.timestamp(), tmp_path / "t.wav", edge_s=1.0)
    alerted = recorded(
        listener,
        aired.started_at.timestamp(),
        aired.ended_at.timestamp(),
        tmp_path / "a.wav",
        edge_s=1.0,
    )
    testimony = measure(said, duration_s=60).integrated_lufs
    alert = measure(alerted, duration_s=60).integrated_lufs
    shown = f"alert {alert} LUFS, testimony {testimony} LUFS"
    assert abs(alert - testimony) <= LOUDNESS_MATCH_LU, shown


def test_a_daily_slot_begun_before_the_last_clock_change_airs_at_its_local_time_today(
    station: Station, listener: Listener, tones: Tones, pipeline: float
) -> None:
    """Issue 10 (DST instants on air): a daily slot is a wall-clock time in the station's
    zone (America/New_York), so a series that began before the zone's last change of offset
    airs today at the same local time, an hour away in UTC from where whole days counted
    from its first start would put it. The real clock cannot be moved to a change night, so
    the series crosses the last change instead; the skipped and repeated hours themselves
    are checked at the planner's seam (tests/schedule/test_planner_dst.py)."""
    zone = ZoneInfo("America/New_York")
    recording = station.upload(tones.tone(1250, 1.5))
    start, end = station.book(1.5)
    today = start.astimezone(zone)
    days = next(
        n for n in range(1, 367) if (today - timedelta(days=n)).utcoffset() != today.utcoffset()
    )
    first = today - timedelta(days=days)
    assert first.utcoffset() != today.utcoffset() and first.time() == today.time()
    station.schedule(
        first,
        recording_id=recording,
        end=first + (end - start),
        rrule=f"FREQ=DAILY;COUNT={days + 1}",
    )
    assert_heard_on_time(listener, start, end, 1250, pipeline)
