"""Outages as a listener lives them: the playout worker killed outright, Icecast killed and
brought back by `altavoz serve`'s supervisor. A listener the station drops tunes in again at
once (Station.follow), as a player set to reconnect does; dead air is the time no listener
heard any sound."""

from __future__ import annotations

import os
import signal
import time

from tests.loopback import accepts, wait_until
from tests.onair.hearing import (
    WaitingListener,
    dead_air,
    describe,
    first_sound,
    hear_until,
    heard,
    wait_for_sound,
)
from tests.onair.station import BED, Station
from tests.playout.listening import Listener
from tests.playout.tones import Tones


def test_killing_the_playout_worker_costs_under_two_seconds_and_the_playlist_goes_on(
    station: Station, listener: Listener, tones: Tones
) -> None:
    """Issue 10: after kill -9 of the worker, 5 s of dead air, listeners dropped, and the
    slot's playlist started again from its first item."""
    frequencies = [1100 + 200 * n for n in range(6)]
    playlist = station.playlist(
        station.upload_many([tones.tone(f, 1.5) for f in frequencies]), name="Six"
    )
    start, end = station.book(9.0)
    station.schedule(start, playlist_id=playlist)
    third = frequencies[2]
    wait_until(
        lambda: any(tone.frequency == third for tone in heard(listener)),
        timeout_s=(end - start).total_seconds() + 10,
        what=f"the third item ({third} Hz)",
        poll_s=0.05,
    )
    os.kill(station.worker_pid("playout"), signal.SIGKILL)
    killed = time.time()
    listeners = station.follow(listener, until=killed + 6)
    silence, back = dead_air(listeners, since=killed - 1.0, until=killed + 6)
    after = [tone for tuned in listeners for tone in heard(tuned) if tone.at >= back - 0.05]
    shown = f"{silence:.1f} s of dead air, then {describe(after, killed)} (from the kill)"
    assert silence <= 2.0, shown
    assert after and after[0].frequency in frequencies[2:4], f"not where it was: {shown}"


def test_after_icecast_comes_back_a_listener_hears_the_station_within_a_second(
    station: Station, listener: Listener, pipeline: float
) -> None:
    """Issue 10: the playout reconnected with a backoff of up to 10 s after Icecast returned.
    Measured from the moment Icecast's port accepts again to the first sound at a listener
    that was already waiting for the mount (its decoder running, asking every 10 ms), so
    the test's own start-up (which varies by a second on a loaded machine) does not count as
    the station's delay; what Icecast and our decoder add, measured on the same Icecast
    (the `pipeline` fixture), is subtracted as in the other on-air tests."""
    wait_for_sound(listener, timeout_s=10)
    killed = station.icecast_pid()
    os.kill(killed, signal.SIGKILL)
    wait_until(
        lambda: not accepts(station.icecast_port) or icecast_pid(station) not in (killed, None),
        timeout_s=5,
        what="Icecast to go",
        poll_s=0.01,
    )
    waiting = WaitingListener(station.stream_url)
    try:
        wait_until(
            lambda: accepts(station.icecast_port),
            timeout_s=60,
            what=f"the supervisor to bring Icecast back: {station.log_tail()}",
            poll_s=0.01,
        )
        back = time.time()
        hear_until(waiting.listener, back + 1.5, timeout_s=30)
    finally:
        waiting.stop()
    returned = waiting.listener
    first = first_sound(returned)
    assert first is not None, "nothing was heard after Icecast came back"
    late = first - back - pipeline
    assert late <= 1.0, (
        f"heard {first - back:.2f} s after Icecast accepted again ({late:.2f} s less the "
        f"{pipeline:.2f} s pipeline delay); then {describe(heard(returned), back)}"
    )
    assert all(tone.frequency in BED for tone in heard(returned))


def icecast_pid(station: Station) -> int | None:
    """The pid in Icecast's pid file (None while a new Icecast is writing it)."""
    try:
        return station.icecast_pid()
    except (OSError, ValueError):
        return None
