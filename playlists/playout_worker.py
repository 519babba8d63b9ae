"""The playout worker: follows the schedule on the clock, keeps the stream fed, logs what aired.

libVLC lives in the engine's own thread (playlists/engine.py). This worker's loop does the
database side: it turns the engine's events into as-run lines, takes "preempt" commands that
alerts leave in the database, and tells the engine ahead of time when the next slot starts,
so the slot starts on the second whatever the current item is doing.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audio.loudness import Level, warm_up
from audio.models import Recording
from audio.storage import MediaStore, StorageError
from audio.tts import SpeechError
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.standby import wait_to_be_active
from gateway.worker import Worker, WorkerState
from playlists import alert_repeats, asrun, cursors
from playlists.alert_audio import AirVersion, AlertAudioError, build_alert_audio
from playlists.alert_title import alert_title
from playlists.engine import PlayoutEngine
from playlists.models import AirReason, AsRunDetail, AsRunStatus, CommandKind, PlayoutCommand
from playlists.planner import PlannedItem, Planner
from playlists.playout_events import EngineSettings, EventKind, PlayoutEvent, PlayoutItem
from playlists.station_id import station_id_audio
from playlists.stream_config import output_settings

log = logging.getLogger(__name__)

LOOKAHEAD = timedelta(seconds=20)
"""Slots starting this soon are handed to the engine, which then starts them on time."""

HEARD_EVERY = timedelta(seconds=0.5)
"""How often the open as-run line notes that its item is still on air: the precision with
which a killed worker's item is ended in the log and resumed after the restart."""

FINISHED: dict[EventKind, AsRunStatus] = {
    EventKind.ENDED: AsRunStatus.PLAYED,
    EventKind.CUT: AsRunStatus.CUT,
    EventKind.INTERRUPTED: AsRunStatus.INTERRUPTED,
    EventKind.FAILED: AsRunStatus.SKIPPED,
}


@dataclass
class _Aired:
    """What the worker knows about an item it gave the engine, by the engine's item_id."""

    planned: PlannedItem
    entry_id: int | None = None
    command_id: int | None = None


class PlayoutWorker(Worker):
    kind = "playout"
    idle_wait_s = 0.25

    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(database)
        self.settings = settings
        self.store = MediaStore(settings.media.dir)
        self.planner = Planner(database, settings=settings, store=self.store)
        self.events: queue.SimpleQueue[PlayoutEvent] = queue.SimpleQueue()
        self.work_dir = settings.media.dir / ".playout"
        self.engine: PlayoutEngine | None = None
        self._aired: dict[str, _Aired] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._open_entry: int | None = None
        self._heard_at = utcnow()
        self._off_air_since: datetime | None = None
        self._air_lock: int | None = None
        self._created_at = utcnow()
        self._commands: dict[CommandKind, Callable[[Session, PlayoutCommand], None]] = {
            CommandKind.PREEMPT: self._preempt,
            CommandKind.SKIP: self._skip,
            CommandKind.RESTART_SOURCE: self._restart_source,
            CommandKind.STATION_ID: self._station_id,
        }

    def setup(self) -> None:
        """Open libVLC, then wait for the air (gateway/standby.py): everything slow is done
        before this worker is needed, so a takeover costs a database read and a connection."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.state = WorkerState.STANDBY
        stream = self.settings.stream
        engine = PlayoutEngine(
            EngineSettings(
                output=output_settings(self.settings),
                work_dir=self.work_dir,
                fade_s=stream.fade_s if stream.slot_start == "fade" else 0.0,
            ),
            next_item=self._next_item,
            on_event=self._on_event,
        )
        engine.prepare()
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        self._air_lock = wait_to_be_active(
            self.work_dir / "on-air.lock", stopping=self.stopping, while_waiting=self._beat
        )
        if self._air_lock is None:
            engine.stop()
            return
        self._created_at = utcnow()
        log.info("playout: took the air")
        resume = self._recover()
        self.engine = engine
        engine.start(resume=resume)
        self.state = engine.status

    def _recover(self) -> tuple[PlayoutItem, float] | None:
        """After a worker that died (kill -9, power): close its open as-run line where it was
        last heard, give its alerts back to the queue (an alert airs whole), and return the
        programme item it had on air with the position to go on from."""
        now = utcnow()
        with self.database.session() as session:
            session.execute(
                update(PlayoutCommand)
                .where(PlayoutCommand.taken_at.is_not(None), PlayoutCommand.done_at.is_(None))
                .values(taken_at=None)
            )
            entry = asrun.close_after_crash(session)
            if entry is None:
                return None
            assert entry.ended_at is not None
            self._off_air_since = entry.ended_at
            position = entry.offset_s + (entry.ended_at - entry.started_at).total_seconds()
            planned = self.planner.resumed(session, entry, position_s=position, now=now)
        if planned is None:
            return None
        log.warning("playout restarted: going on with %s at %.1f s", planned.title, position)
        return self._register(planned), position

    def teardown(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        self._record_events()
        if self._air_lock is not None:
            os.close(self._air_lock)
            self._air_lock = None

    def step(self) -> bool:
        if self.engine is None:
            return False
        worked = self._record_events()
        worked = self._take_commands() or worked
        self._hand_over_slots()
        self._note_heard()
        if self.engine is not None:
            self.state = self.engine.status
        return worked

    def _note_heard(self) -> None:
        now = utcnow()
        if self._open_entry is None or now - self._heard_at < HEARD_EVERY:
            return
        self._heard_at = now
        with self.database.session() as session:
            asrun.still_on_air(session, self._open_entry, at=now)

    def _on_event(self, event: PlayoutEvent) -> None:
        """Called on the engine's thread: only queue it, the worker's loop writes it. A failed
        item is reported to the planner at once, before the engine asks for the next one."""
        if event.kind is EventKind.FAILED and event.item is not None:
            with self._lock:
                aired = self._aired.get(event.item.item_id)
            if aired is not None:
                self.planner.note_failed(aired.planned, event.at)
        self.events.put(event)
        self.wakeup.set()

    def _register(self, planned: PlannedItem, command_id: int | None = None) -> PlayoutItem:
        with self._lock:
            self._counter += 1
            item_id = f"{planned.key}#{self._counter}"
            self._aired[item_id] = _Aired(planned, command_id=command_id)
        return PlayoutItem(
            path=planned.path,
            item_id=item_id,
            title=planned.title,
            cut_at=planned.cut_at,
            holds_air=planned.reason is AirReason.ALERT,
        )

    def _next_item(self) -> PlayoutItem | None:
        """Asked by the engine (on its thread) a little before the current item ends."""
        planned = self.planner.next_item(utcnow())
        return None if planned is None else self._register(planned)

    def _hand_over_slots(self) -> None:
        assert self.engine is not None
        for planned in self.planner.slot_starts(utcnow(), LOOKAHEAD):
            if planned.start is not None:
                self.engine.play_at(self._register(planned), planned.start)

    def _record_events(self) -> bool:
        count = 0
        with self.database.session() as session:
            while True:
                try:
                    event = self.events.get_nowait()
                except queue.Empty:
                    break
                count += 1
                self._record(session, event)
        return count > 0

    def _record(self, session: Session, event: PlayoutEvent) -> None:
        if event.item is None:
            if event.kind is EventKind.SILENCE:
                log.warning("nothing to air: %s", event.reason)
            elif event.kind is EventKind.FAILED:
                self.items_failed += 1
                log.error("playout: %s", event.reason)
            return
        with self._lock:
            aired = self._aired.get(event.item.item_id)
        if aired is None:
            return
        planned = aired.planned
        if event.kind in (EventKind.STARTED, EventKind.RESUMED):
            self._started(session, planned, event, aired)
            return
        status = FINISHED.get(event.kind)
        if status is None:
            return
        if aired.entry_id is not None:
            asrun.finish(session, aired.entry_id, at=event.at, status=status, detail=event.reason)
            if self._open_entry == aired.entry_id:
                self._open_entry = None
            aired.entry_id = None
        elif event.kind is EventKind.FAILED:
            asrun.skipped(
                session,
                title=planned.title,
                recording_id=planned.recording_id,
                reason=planned.reason,
                at=event.at,
                detail=event.reason,
            )
        if event.kind is EventKind.FAILED:
            self.items_failed += 1
        elif event.kind is EventKind.ENDED:
            self.items_done += 1
        if aired.command_id is not None and event.kind is not EventKind.INTERRUPTED:
            self._finish_command(session, aired.command_id, event)
        if event.kind is not EventKind.INTERRUPTED:
            with self._lock:
                self._aired.pop(event.item.item_id, None)

    def _started(
        self, session: Session, planned: PlannedItem, event: PlayoutEvent, aired: _Aired
    ) -> None:
        if self._off_air_since is not None:
            log.info("playout: on air again, %s", planned.title)
            asrun.outage(
                session,
                since=self._off_air_since,
                until=event.at,
                detail=AsRunDetail.WORKER_RESTARTED,
            )
            self._off_air_since = None
        entry = asrun.start(
            session,
            title=planned.title,
            recording_id=planned.recording_id,
            reason=planned.reason,
            at=event.at,
            slot_id=planned.slot_id,
            alert_id=planned.alert_id,
            offset_s=event.position_s,
            source_key=planned.source_key,
            detail=event.reason,
        )
        aired.entry_id = self._open_entry = entry.id
        self._heard_at = event.at
        if planned.source_key is not None and planned.cursor is not None:
            cursors.save(
                session,
                planned.source_key,
                planned.cursor,
                expires_at=planned.cut_at if planned.slot_id is not None else None,
                now=event.at,
            )

    def _finish_command(self, session: Session, command_id: int, event: PlayoutEvent) -> None:
        command = session.get(PlayoutCommand, command_id)
        if command is not None and command.done_at is None:
            command.done_at = event.at
            command.result = "aired" if event.kind is EventKind.ENDED else event.reason or "cut"
        (self.work_dir / f"alert-{command_id}.wav").unlink(missing_ok=True)

    def _take_commands(self) -> bool:
        """Claim waiting commands (one worker takes each) and carry them out now."""
        assert self.engine is not None
        now = utcnow()
        due = (
            select(PlayoutCommand.id)
            .where(PlayoutCommand.taken_at.is_(None), alert_repeats.due(now))
            .order_by(PlayoutCommand.created_at, PlayoutCommand.id)
        )
        with self.database.session() as session:
            waiting = list(session.scalars(due))
            if len(waiting) > 1 and alert_repeats.retire_overtaken(session, now=now):
                waiting = list(session.scalars(due))
            taken = []
            for command_id in waiting:
                claimed = session.execute(
                    update(PlayoutCommand)
                    .where(PlayoutCommand.id == command_id, PlayoutCommand.taken_at.is_(None))
                    .values(taken_at=now)
                )
                if getattr(claimed, "rowcount", 0):
                    taken.append(command_id)
        for command_id in taken:
            with self.database.session() as session:
                command = session.get(PlayoutCommand, command_id)
                assert command is not None
                try:
                    handler = self._commands[CommandKind(command.kind)]
                except ValueError:
                    command.done_at = utcnow()
                    command.result = f"unknown command {command.kind!r}"
                    continue
                handler(session, command)
        return bool(taken)

    def _preempt(self, session: Session, command: PlayoutCommand) -> None:
        assert self.engine is not None
        payload = dict(command.payload or {})
        try:
            planned = self._alert_item(session, command.id, payload)
        except (AlertAudioError, StorageError) as exc:
            log.error("alert %s cannot go on air: %s", payload.get("alert_id"), exc)
            command.done_at = utcnow()
            command.result = f"failed: {exc}"
            self.items_failed += 1
            return
        self.engine.preempt(self._register(planned, command_id=command.id))

    def _skip(self, session: Session, command: PlayoutCommand) -> None:
        """Cut an item if it is still on air: one the air monitor heard silent (`entry_id`), or
        a cancelled alert (`alert_id`)."""
        assert self.engine is not None
        payload = command.payload or {}
        entry_id = payload.get("entry_id")
        alert_id = payload.get("alert_id")
        with self._lock:
            on_air = [
                key
                for key, aired in self._aired.items()
                if (entry_id is not None and aired.entry_id == entry_id)
                or (alert_id is not None and aired.planned.alert_id == alert_id)
            ]
        command.done_at = utcnow()
        command.result = "cut" if on_air else "no longer on air"
        for item_id in on_air:
            detail = str(payload.get("detail") or AsRunDetail.SKIPPED_BY_MONITOR)
            self.engine.cut_now(reason=detail, item_id=item_id)

    def _restart_source(self, session: Session, command: PlayoutCommand) -> None:
        """Reconnect to Icecast, unless this worker connected after it was asked: a needless
        restart would drop every listener."""
        assert self.engine is not None
        if self._asked_before_start(command):
            return
        command.done_at = utcnow()
        self.engine.restart_source(str((command.payload or {}).get("detail") or "monitor"))
        command.result = "restarted"

    @property
    def _level(self) -> Level:
        """The library's loudness, for the audio this worker makes itself (alerts, station ID)."""
        return Level(
            target_lufs=self.settings.media.loudness_target_lufs,
            ceiling_dbtp=self.settings.media.true_peak_dbtp,
        )

    def _station_id(self, session: Session, command: PlayoutCommand) -> None:
        """Air the spoken station ID (the monitor asks for it when there is no fallback)."""
        assert self.engine is not None
        if self._asked_before_start(command):
            return
        text = str((command.payload or {}).get("text") or self.settings.station.name)
        try:
            path = station_id_audio(
                text,
                voice=self.settings.alerts.tts_voice,
                work_dir=self.work_dir,
                level=self._level,
            )
        except SpeechError as exc:
            log.error("the station ID cannot be spoken: %s", exc)
            command.done_at = utcnow()
            command.result = f"failed: {exc}"
            self.items_failed += 1
            return
        planned = PlannedItem(
            key=f"station-id:{command.id}",
            path=path,
            title=text,
            recording_id=None,
            reason=AirReason.MONITOR,
        )
        self.engine.preempt(self._register(planned, command_id=command.id))

    def _asked_before_start(self, command: PlayoutCommand) -> bool:
        """Close a monitor's command left from before this worker started: it connected
        afresh since, and a needless restart would drop every listener."""
        if command.created_at >= self._created_at:
            return False
        command.done_at = utcnow()
        command.result = "not needed: the source connected since"
        return True

    def _alert_item(
        self, session: Session, command_id: int, payload: dict[str, object]
    ) -> PlannedItem:
        alerts = self.settings.alerts
        recording_path = None
        recording_id = payload.get("recording_id")
        if isinstance(recording_id, int):
            recording = session.get(Recording, recording_id)
            if recording is None:
                raise AlertAudioError(f"recording {recording_id} no longer exists")
            recording_path = self.store.path(recording.media_path)
        attention = None
        if alerts.attention_tone:
            tone = session.get(Recording, alerts.attention_tone)
            if tone is not None:
                attention = self.store.path(tone.media_path)
        target = self.work_dir / f"alert-{command_id}.wav"
        versions = [
            self._air_version(session, version)
            for version in _list(payload.get("versions"))
            if isinstance(version, dict)
        ]
        build_alert_audio(
            text=str(payload.get("text") or ""),
            voice=str(payload.get("voice") or alerts.tts_voice),
            repeats=_int(payload.get("repeats"), alerts.repeats),
            target=target,
            level=self._level,
            recording=recording_path,
            attention=attention,
            versions=versions,
        )
        alert_id = payload.get("alert_id")
        return PlannedItem(
            key=f"alert:{command_id}",
            path=target,
            title=alert_title(
                str(payload.get("text") or ""), language=self.settings.web.default_locale
            ),
            recording_id=recording_id if isinstance(recording_id, int) else None,
            reason=AirReason.ALERT,
            alert_id=alert_id if isinstance(alert_id, int) else None,
        )

    def _air_version(self, session: Session, version: dict[str, object]) -> AirVersion:
        """A version from the air command: a recording gone from the library leaves its text."""
        recording = None
        recording_id = version.get("recording_id")
        if isinstance(recording_id, int):
            row = session.get(Recording, recording_id)
            if row is not None:
                recording = self.store.path(row.media_path)
        voice = version.get("voice")
        return AirVersion(
            recording=recording,
            text=str(version.get("text") or ""),
            voice=voice if isinstance(voice, str) else None,
        )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
