"""The playout engine: one continuous stream to Icecast, fed item by item by the caller.

libVLC plays every item on one MediaPlayer whose stream output is kept across items (see
playlists/vlc_output.py for why this holds one Icecast source connection). A single thread
owns libVLC; callers talk to it through a command queue (cut now, play at, preempt, stop) and
hear back through the events callback, from which the as-run log is written.

Gaps: the next item is asked for and parsed `preload_s` before the current one ends, so at
the end only `set_media()` + `play()` remain (tens of milliseconds, caught up by libshout's
clock), and the MP3 encoder carries on across the change (see `sout_chain`). A file VLC
cannot parse is reported as FAILED and skipped before it airs. When the caller has nothing,
a short silence is aired and the caller is asked again every `idle_poll_s`, which is what
keeps Icecast from dropping the source.

A slot starts by cutting the current item at its time; with `fade_s` set, the item is faded
out over the seconds before it (see playlists/fade.py for how, without a volume control).
Times are measured when VLC reports the item playing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

import vlc

from gateway.codes import coded
from playlists.engine_state import AirPlan, Command, OnAir, Reconnect, Request
from playlists.fade import FadeOut
from playlists.models import AsRunDetail
from playlists.playout_events import (
    Clock,
    Counters,
    EngineSettings,
    EventHandler,
    EventKind,
    NextItem,
    PlayoutEvent,
    PlayoutItem,
    utc_now,
)
from playlists.silence import write_silence
from playlists.vlc_output import Probe, VlcOutput

logger = logging.getLogger(__name__)

LATE_S = 0.5
"""A slot item starting later than this after its time says so in the log."""


class PlayoutEngine:
    """Start it, feed it through `next_item`, steer it with cut_now/play_at/preempt."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        next_item: NextItem,
        on_event: EventHandler,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.counters = Counters()
        self._next_item = next_item
        self._on_event = on_event
        self._clock = clock
        self._requests: queue.Queue[Request] = queue.Queue()
        self._fault: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._go = threading.Event()
        """Set by `start`: the engine thread, ready since `prepare`, begins to air."""
        self._startup_error: BaseException | None = None
        self._output: VlcOutput | None = None
        self._on_air: OnAir | None = None
        self._plan = AirPlan()
        self._reconnect: Reconnect | None = None
        self._linked = False
        """Whether libVLC's output has a server to talk to: false at start and after a fault."""
        self._silent = False
        self._resume_after = 0.0
        self._silence = settings.work_dir / "silence.wav"
        self._handlers: dict[Command, Callable[[Request], None]] = {
            Command.CUT_NOW: self._do_cut_now,
            Command.PLAY_AT: self._do_play_at,
            Command.PREEMPT: self._do_preempt,
            Command.RESTART_SOURCE: self._do_restart_source,
        }

    @property
    def now_playing(self) -> PlayoutItem | None:
        on_air = self._on_air
        return on_air.item if on_air is not None else None

    @property
    def status(self) -> str:
        """What the stream carries now: "on air", "silence" or "reconnecting"."""
        if self._reconnect is not None:
            return "reconnecting"
        return "silence" if self._silent else "on air"

    def prepare(self) -> None:
        """Open libVLC in the engine thread, without airing or connecting to Icecast yet.

        A standby playout worker does this while it waits for the air (gateway/standby.py):
        loading libVLC's plugins takes a second or two on a busy machine, which would
        otherwise be dead air after the active worker dies."""
        if self._thread is not None:
            return
        write_silence(
            self._silence,
            seconds=self.settings.silence_s,
            samplerate=self.settings.output.samplerate,
            channels=self.settings.output.channels,
        )
        self._thread = threading.Thread(target=self._run, name="playout-engine", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.settings.start_timeout_s):
            raise RuntimeError("the playout engine did not start in time")
        if self._startup_error is not None:
            raise RuntimeError("the playout engine could not start") from self._startup_error

    def start(self, *, resume: tuple[PlayoutItem, float] | None = None) -> None:
        """Go on air (opening libVLC first unless `prepare` did); `resume` is an item to air
        first from a position (what a stopped engine had on air)."""
        if self._go.is_set():
            raise RuntimeError("the engine is already running")
        if resume is not None:
            self._plan.resume.append(resume)
        self.prepare()
        self._go.set()

    def stop(self, *, timeout_s: float = 5.0) -> bool:
        """Cut what is on air, close the source connection and end the engine thread.

        libVLC can block the engine thread inside its stream output (a source login that
        Icecast, still starting, never answers); stopping then gives up after `timeout_s` and
        says so rather than hang the process: the thread is a daemon and ends with it.
        """
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        self._requests.put(Request(Command.STOP))
        self._go.set()
        thread.join(timeout_s)
        if thread.is_alive():
            logger.error("the playout engine did not stop within %.0f s; leaving it", timeout_s)
            return False
        return True

    def cut_now(self, *, reason: str = AsRunDetail.CUT_NOW, item_id: str | None = None) -> None:
        """Cut what is on air (only if it is still `item_id`, when given) and go on."""
        self._requests.put(Request(Command.CUT_NOW, reason=reason, item_id=item_id))

    def restart_source(self, reason: str) -> None:
        """Drop the source connection, connect again and air what the caller gives next (not
        what was on air): for a stream heard dead while libVLC reports nothing wrong."""
        self._requests.put(Request(Command.RESTART_SOURCE, reason=reason))

    def play_at(self, item: PlayoutItem, when: datetime) -> None:
        """Cut whatever is airing at `when` and start `item` then."""
        if when.tzinfo is None:
            raise ValueError("play_at needs a timezone-aware time")
        self._requests.put(Request(Command.PLAY_AT, item=item, when=when))

    def preempt(self, item: PlayoutItem) -> None:
        """Air `item` now and afterwards resume the interrupted item where it stopped."""
        self._requests.put(Request(Command.PREEMPT, item=item))

    def _run(self) -> None:
        try:
            self._output = VlcOutput(self.settings.output, self._fault.put)
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            raise
        self._ready.set()
        self._go.wait()
        try:
            self._loop()
        finally:
            self._output.close()

    def _loop(self) -> None:
        while True:
            try:
                request: Request | None = self._requests.get(timeout=self.settings.tick_s)
            except queue.Empty:
                request = None
            if request is not None and request.command is Command.STOP:
                self._end_on_air(EventKind.CUT, "engine stopped")
                return
            try:
                if request is not None:
                    self._handlers[request.command](request)
                self._tick()
            except Exception as exc:
                logger.exception("playout engine error")
                self.counters.engine_errors += 1
                self._emit(EventKind.FAILED, self.now_playing, reason=f"engine error: {exc!r}")
                self._on_air = None
                self._resume_after = time.monotonic() + self.settings.error_pause_s

    @property
    def _vlc(self) -> VlcOutput:
        assert self._output is not None, "libVLC is only used from the engine thread"
        return self._output

    def _tick(self) -> None:
        if time.monotonic() < self._resume_after:
            return
        if not self._fault.empty():
            self._begin_reconnect()
        if self._reconnect is not None:
            self._try_reconnect()
            return
        now = self._clock()
        on_air = self._on_air
        if self._slot_due(now) and not (on_air and on_air.item and on_air.item.holds_air):
            self._end_on_air(EventKind.CUT, AsRunDetail.SLOT_START)
            self._advance()
            return
        if on_air is None:
            self._advance()
            return
        self._fade_before_slot(on_air, now)
        state = self._vlc.state()
        if not on_air.announced and state == vlc.State.Playing:
            on_air.announced = True
            on_air.announced_at = time.monotonic()
            if on_air.item is not None:
                kind = EventKind.RESUMED if on_air.resumed else EventKind.STARTED
                late = (
                    coded(AsRunDetail.LATE, seconds=f"{on_air.late_s:.1f}")
                    if on_air.late_s >= LATE_S
                    else ""
                )
                self._emit(kind, on_air.item, position_s=on_air.start_s, reason=late)
        if on_air.item is not None and on_air.item.cut_at is not None and now >= on_air.item.cut_at:
            self._end_on_air(EventKind.CUT, AsRunDetail.CUT_AT)
            self._advance()
        elif state in (vlc.State.Ended, vlc.State.Error, vlc.State.Stopped):
            if state == vlc.State.Error:
                self._end_on_air(EventKind.FAILED, "VLC stopped with an error")
            elif not on_air.announced:
                self._end_on_air(EventKind.FAILED, "VLC could not decode it (nothing was played)")
            else:
                self._end_on_air(EventKind.ENDED, "", position_s=on_air.duration_s)
            self._advance()
        elif on_air.is_silence:
            self._leave_silence_if_fed()
        elif self._plan.preloaded is None and not self._plan.resume:
            remaining = on_air.duration_s - self._vlc.position_s()
            if remaining <= self.settings.preload_s:
                self._plan.preloaded = self._fetch_playable()

    def _fade_before_slot(self, on_air: OnAir, now: datetime) -> None:
        """Fade the item out ahead of a slot (an alert holding the air is never faded)."""
        item = on_air.item
        if self.settings.fade_s <= 0 or item is None or item.holds_air or not on_air.announced:
            return
        if not self._plan.slots:
            return
        if on_air.fade is None:
            settings = self.settings
            on_air.fade = FadeOut(
                settings.fade_s,
                settings.fade_lead_s,
                settings.work_dir / "fade-out.wav",
                settings.output.samplerate,
                settings.output.channels,
            )
        heard = self._heard_position(on_air)
        switch_to = on_air.fade.step(
            item.path,
            until_slot_s=(self._plan.slots[0][0] - now).total_seconds(),
            remaining_s=on_air.duration_s - heard,
            heard=lambda: self._heard_position(on_air),
        )
        if switch_to is not None:
            self._vlc.play(switch_to)

    def _leave_silence_if_fed(self) -> None:
        if self._plan.preloaded is None:
            self._plan.preloaded = self._fetch_playable()
        if self._plan.preloaded is not None:
            self._on_air = None
            self._advance()

    def _slot_due(self, now: datetime) -> bool:
        return bool(self._plan.slots) and now >= self._plan.slots[0][0]

    def _advance(self) -> None:
        """Put the next thing on air: a slot that is due, the interrupted item, the preloaded
        one, or silence. A slot that fell due while an alert held the air starts now, late,
        and what the alert interrupted does not come back (the slot would have cut it). An
        item preloaded before a slot began (due to end at its start) is dropped, not aired
        for a moment after the slot's first item."""
        if not self._icecast_answers():
            return
        now = self._clock()
        stale = self._plan.preloaded
        if stale is not None and stale[0].cut_at is not None and stale[0].cut_at <= now:
            self._plan.preloaded = None
        while self._slot_due(now):
            when, item = self._plan.slots.pop(0)
            self._plan.resume.clear()
            if self._air(item, late_s=(now - when).total_seconds()):
                return
        while self._plan.resume:
            item, position = self._plan.resume.pop()
            if self._air(item, start_s=position, resumed=True):
                return
        ready, self._plan.preloaded = self._plan.preloaded or self._fetch_playable(), None
        if ready is not None and self._air(ready[0], probe=ready[1]):
            return
        self._air_silence()

    def _air(
        self,
        item: PlayoutItem,
        *,
        start_s: float = 0.0,
        resumed: bool = False,
        probe: Probe | None = None,
        late_s: float = 0.0,
    ) -> bool:
        probe = probe or self._vlc.probe(item.path)
        if not probe.playable:
            self._fail(item, probe.reason)
            return False
        # Taken before play(): libVLC may already be sending the item while play() returns
        # (stopping the previous input takes a while under load).
        switched_at = time.monotonic()
        self._vlc.play(
            item.path, start_s=start_s, title=item.title or self.settings.output.stream_name
        )
        self._on_air = OnAir(
            item,
            probe.duration_s,
            start_s=start_s,
            resumed=resumed,
            late_s=late_s,
            switched_at=switched_at,
        )
        self._silent = False
        return True

    def _air_silence(self) -> None:
        self._vlc.play(self._silence, title=self.settings.output.stream_name)
        self._on_air = OnAir(None, self.settings.silence_s, announced=True)
        if not self._silent:
            self._silent = True
            self.counters.silences += 1
            self._emit(EventKind.SILENCE, None, reason=AsRunDetail.NOTHING_TO_AIR)

    def _fetch_playable(self) -> tuple[PlayoutItem, Probe] | None:
        """Ask the caller (not more often than `idle_poll_s` while it has nothing)."""
        if time.monotonic() < self._plan.ask_after:
            return None
        for _ in range(self.settings.max_fetch_attempts):
            try:
                item = self._next_item()
            except Exception as exc:
                logger.exception("next_item failed")
                self.counters.callback_errors += 1
                self._emit(EventKind.FAILED, None, reason=f"next_item raised {exc!r}")
                item = None
            if item is None:
                self._plan.ask_after = time.monotonic() + self.settings.idle_poll_s
                return None
            probe = self._vlc.probe(item.path)
            if probe.playable:
                return item, probe
            self._fail(item, probe.reason)
        self._plan.ask_after = time.monotonic() + self.settings.idle_poll_s
        return None

    def _end_on_air(self, kind: EventKind, reason: str, *, position_s: float | None = None) -> None:
        on_air, self._on_air = self._on_air, None
        if on_air is None or on_air.item is None:
            return
        if position_s is None:
            position_s = self._vlc.position_s() if on_air.announced else on_air.start_s
        if kind is EventKind.FAILED:
            self.counters.failed_items += 1
        self._emit(kind, on_air.item, position_s=position_s, reason=reason)

    def _fail(self, item: PlayoutItem, reason: str) -> None:
        logger.warning("skipping %s (%s): %s", item.item_id, item.path, reason)
        self.counters.failed_items += 1
        self._emit(EventKind.FAILED, item, reason=reason)

    def _do_cut_now(self, request: Request) -> None:
        on_air = self._on_air
        if on_air is None or on_air.item is None:
            return
        if request.item_id is None or on_air.item.item_id == request.item_id:
            self._end_on_air(EventKind.CUT, request.reason)
            self._advance()

    def _do_restart_source(self, request: Request) -> None:
        self._end_on_air(EventKind.CUT, request.reason)
        self._fault.put(request.reason)

    def _do_play_at(self, request: Request) -> None:
        assert request.item is not None and request.when is not None
        self._plan.slots.append((request.when, request.item))
        self._plan.slots.sort(key=lambda slot: slot[0])

    def _do_preempt(self, request: Request) -> None:
        assert request.item is not None
        if not self._icecast_answers():
            self._plan.resume.append((request.item, 0.0))
            return
        probe = self._vlc.probe(request.item.path)
        if not probe.playable:
            self._fail(request.item, probe.reason)
            return
        self._interrupt(AsRunDetail.PREEMPTED)
        self._air(request.item, probe=probe)

    def _interrupt(self, reason: str) -> None:
        """End what is on air, remembering where, so it resumes afterwards."""
        on_air = self._on_air
        if on_air is None or on_air.item is None:
            self._on_air = None
            return
        position = self._heard_position(on_air)
        self._plan.resume.append((on_air.item, position))
        self._end_on_air(EventKind.INTERRUPTED, reason, position_s=position)

    def _heard_position(self, on_air: OnAir) -> float:
        """Where listeners are in the item: VLC's clock, held back to the wall-clock time
        since it started, so a resumed item does not skip what was still buffered."""
        if not on_air.announced:
            return on_air.start_s
        elapsed = on_air.start_s + time.monotonic() - on_air.switched_at
        return max(on_air.start_s, min(self._vlc.position_s(), elapsed))

    def _begin_reconnect(self) -> None:
        messages = []
        while not self._fault.empty():
            messages.append(self._fault.get_nowait())
        if self._reconnect is not None:
            return
        self.counters.output_faults += 1
        reason = "; ".join(dict.fromkeys(messages))
        logger.error("stream output fault, reconnecting: %s", reason)
        self._emit(EventKind.OUTPUT_FAULT, self.now_playing, reason=reason)
        self._interrupt("output fault")
        self._vlc.reconnect()
        self._linked = False
        while not self._fault.empty():
            self._fault.get_nowait()
        self._reconnect = Reconnect(time.monotonic(), self.settings.reconnect_first_s)

    def _icecast_answers(self) -> bool:
        """Check Icecast answers before libVLC first opens its stream: libVLC's shout output
        retries a dead server inside its own threads, and stopping the player then blocks
        the engine thread (and `stop()`) for as long as it keeps trying. When Icecast is
        silent, wait in the reconnecting state, which `stop()` can always interrupt."""
        if self._linked:
            return True
        if self._vlc.reachable():
            self._linked = True
            return True
        if self._reconnect is None:
            self._reconnect = Reconnect(time.monotonic(), self.settings.reconnect_first_s)
        return False

    def _try_reconnect(self) -> None:
        pending = self._reconnect
        assert pending is not None
        if time.monotonic() < pending.at:
            return
        if not self._vlc.reachable():
            pending.backoff_s = min(pending.backoff_s * 2, self.settings.reconnect_max_s)
            pending.at = time.monotonic() + pending.backoff_s
            return
        self._reconnect = None
        logger.info("Icecast answers again: reconnecting the stream")
        self._advance()

    def _emit(
        self,
        kind: EventKind,
        item: PlayoutItem | None,
        *,
        position_s: float = 0.0,
        reason: str = "",
    ) -> None:
        event = PlayoutEvent(
            kind=kind, at=self._clock(), item=item, position_s=position_s, reason=reason
        )
        try:
            self._on_event(event)
        except Exception:
            logger.exception("the playout event handler failed on %s", kind.value)
            self.counters.callback_errors += 1
