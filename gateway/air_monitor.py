"""The air monitor worker: the station listens to its own stream and acts on dead air.

Playout services can look green while listeners hear nothing (a source sending silence, a
silent recording, a mount without a source). One process listens to the mount as a listener
would (playlists/air_listener.py), the pure rules decide (playlists/air_watch.py), and this
worker carries the decisions out through the database, as alerts do:
- `skip`, `restart_source` and `station_id` commands for the playout worker;
- the stream as heard, in the one-row `stream_heard` table the panel and /metrics read;
- per incident, an as-run line and one SMS to each on-call number, and one more when it ends.
It lives in gateway/ because it composes playlists/ and sms/.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.codes import PARTS, coded
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.staff_sms import format_duration, tell_staff
from gateway.worker import Worker, WorkerState
from playlists import asrun
from playlists.air_listener import StreamListener
from playlists.air_watch import Action, ActionKind, AirWatch, Heard, WatchRules
from playlists.icecast import IcecastError, fetch_mount_status
from playlists.models import (
    AirReason,
    AsRunDetail,
    AsRunEntry,
    AsRunStatus,
    CommandKind,
    Playlist,
    PlayoutCommand,
)
from playlists.models import StreamHeard as HeardRow

log = logging.getLogger(__name__)

HEARD_EVERY_S = 2.0
"""How often the heard state is written while it does not change (the panel's freshness)."""

LISTENERS_EVERY_S = 5.0
"""How often Icecast's status page is asked for the listener count."""

HEARD_ROW_ID = 1


class MonitorWorker(Worker):
    kind = "monitor"
    idle_wait_s = 0.25

    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(database)
        self.settings = settings
        monitor = settings.monitor
        self.rules = WatchRules(
            silence_s=monitor.silence_s,
            alert_after_s=monitor.alert_after_s,
            silence_db=monitor.silence_db,
            restart_every_s=monitor.restart_every_s,
        )
        self.watch = AirWatch(self.rules)
        self.url = f"{settings.stream.icecast_url}{settings.stream.mount}"
        self.listener: StreamListener | None = None
        self.listeners: int | None = None
        self.level_db: float | None = None
        self.incident_id: int | None = None
        self._listeners_at = float("-inf")
        self._written_at = float("-inf")
        self._written_heard: Heard | None = None
        self._actions: dict[ActionKind, Callable[[Session, Action, datetime], None]] = {
            ActionKind.SKIP_ITEM: self._skip,
            ActionKind.RESTART_SOURCE: self._restart,
            ActionKind.INCIDENT_STARTED: self._incident_started,
            ActionKind.INCIDENT_ENDED: self._incident_ended,
        }

    def setup(self) -> None:
        self._carry_on_incident()
        self.listener = StreamListener(self.url)
        self.listener.start()
        self.state = WorkerState.LISTENING

    def teardown(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    def step(self) -> bool:
        assert self.listener is not None
        windows, hearing = self.listener.take()
        now = time.monotonic()
        self._count_listeners(now, hearing=hearing)
        with self.database.session() as session:
            playing = asrun.now_playing(session)
            on_air = playing.id if playing is not None else None
            filler = playing is not None and playing.reason == AirReason.MONITOR.value
            actions: list[Action] = []
            for window in windows:
                actions += self.watch.observe(window.at, window.level_db, on_air, filler=filler)
                self.level_db = window.level_db
            if hearing is False:
                self.level_db = None
                actions += self.watch.observe(now, None, on_air)
            wall = utcnow()
            for action in actions:
                self._actions[action.kind](session, action, wall)
            self._write_heard(session, now, wall, changed=bool(actions))
        return bool(actions)

    def _carry_on_incident(self) -> None:
        """An incident an earlier monitor process left open goes on (no second SMS) and is
        closed, with its "over" SMS, when sound is back."""
        with self.database.session() as session:
            row = session.get(HeardRow, HEARD_ROW_ID)
            entry = session.get(AsRunEntry, row.incident_id) if row and row.incident_id else None
            if entry is None or entry.status != AsRunStatus.DEAD_AIR.value:
                return
            self.incident_id = entry.id
            dead_for = (utcnow() - entry.started_at).total_seconds()
            self.watch.incident_since = time.monotonic() - dead_for

    def _count_listeners(self, now: float, *, hearing: bool | None) -> None:
        if now - self._listeners_at < LISTENERS_EVERY_S:
            return
        self._listeners_at = now
        stream = self.settings.stream
        try:
            status = fetch_mount_status(stream.icecast_url, stream.mount, timeout_s=1.0)
        except IcecastError as exc:
            log.debug("no listener count: %s", exc)
            self.listeners = None
            return
        # Icecast counts this monitor among the listeners while it listens.
        self.listeners = max(0, status.listeners - (1 if hearing else 0))

    def _skip(self, session: Session, action: Action, wall: datetime) -> None:
        log.warning("silence in as-run line %s: asking the playout to skip it", action.entry_id)
        detail = coded(AsRunDetail.SKIPPED_BY_MONITOR, seconds=f"{self.rules.silence_s:g}")
        session.add(
            PlayoutCommand(
                kind=CommandKind.SKIP.value,
                payload={"entry_id": action.entry_id, "detail": detail},
                created_at=wall,
            )
        )

    def _restart(self, session: Session, action: Action, wall: datetime) -> None:
        """Ask for a restart (one waiting at a time: a playout worker that is down gets a fresh
        connection anyway) and, on a station without a fallback, for the station ID."""
        detail = coded(
            AsRunDetail.RESTARTED_BY_MONITOR,
            heard=action.heard.value,
            seconds=round(action.dead_for_s),
        )
        log.warning("dead air: %s", detail)
        if not _waiting(session, CommandKind.RESTART_SOURCE):
            session.add(
                PlayoutCommand(
                    kind=CommandKind.RESTART_SOURCE.value,
                    payload={"detail": detail},
                    created_at=wall,
                )
            )
        fallback = session.scalar(select(Playlist.id).where(Playlist.is_fallback).limit(1))
        if fallback is None and not _waiting(session, CommandKind.STATION_ID):
            text = self.settings.monitor.station_id_text.format(
                station=self.settings.station.name, since="", at="", duration=""
            )
            session.add(
                PlayoutCommand(
                    kind=CommandKind.STATION_ID.value, payload={"text": text}, created_at=wall
                )
            )

    def _incident_started(self, session: Session, action: Action, wall: datetime) -> None:
        since = wall - timedelta(seconds=action.dead_for_s)
        monitor = self.settings.monitor
        told = tell_staff(session, self.settings, monitor.alert_text, since=since, at=wall)
        log.error("dead air (%s) since %s: %s", action.heard.value, since.isoformat(), told)
        entry = asrun.dead_air(
            session,
            since=since,
            until=wall,
            detail=PARTS.join([coded(AsRunDetail.STREAM_HEARD, heard=action.heard.value), told]),
        )
        self.incident_id = entry.id

    def _incident_ended(self, session: Session, action: Action, wall: datetime) -> None:
        incident_id, self.incident_id = self.incident_id, None
        entry = session.get(AsRunEntry, incident_id) if incident_id is not None else None
        since = entry.started_at if entry else wall - timedelta(seconds=action.dead_for_s)
        until = since + timedelta(seconds=action.dead_for_s)
        told = tell_staff(
            session, self.settings, self.settings.monitor.over_text, since=since, at=until
        )
        log.warning("sound is back after %s: %s", format_duration(action.dead_for_s), told)
        if entry is not None:
            over = coded(AsRunDetail.DEAD_AIR_OVER, seconds=round(action.dead_for_s))
            detail = PARTS.join([entry.detail, over, told])
            asrun.dead_air_goes_on(session, entry.id, until=until, detail=detail)

    def _write_heard(self, session: Session, now: float, wall: datetime, *, changed: bool) -> None:
        heard = self.watch.heard
        if heard is None:
            return
        changed = changed or heard is not self._written_heard
        if not changed and now - self._written_at < HEARD_EVERY_S:
            return
        self._written_at, self._written_heard = now, heard
        dead_for = self.watch.dead_for(now)
        row = session.get(HeardRow, HEARD_ROW_ID)
        if row is None:
            row = HeardRow(id=HEARD_ROW_ID)
            session.add(row)
        row.state = heard.value
        row.dead_since = wall - timedelta(seconds=dead_for) if heard is not Heard.OK else None
        row.silence_s = round(dead_for, 1)
        row.level_db = None if self.level_db is None else round(self.level_db, 1)
        row.listeners = self.listeners
        row.incident_id = self.incident_id
        row.updated_at = wall
        if self.incident_id is not None and heard is not Heard.OK:
            asrun.dead_air_goes_on(session, self.incident_id, until=wall)
        self.state = _describe(heard, dead_for)


def _waiting(session: Session, kind: CommandKind) -> bool:
    return (
        session.scalar(
            select(PlayoutCommand.id)
            .where(PlayoutCommand.kind == kind.value, PlayoutCommand.done_at.is_(None))
            .limit(1)
        )
        is not None
    )


def _describe(heard: Heard, dead_for: float) -> str:
    """The heartbeat's state, coded: sound, or what is heard instead and for how long (the
    listeners have their own line on the dashboard)."""
    if heard is Heard.OK:
        return WorkerState.SOUND
    return coded(WorkerState.DEAD_AIR_FOR, heard=heard.value, seconds=round(dead_for))
