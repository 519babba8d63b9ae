"""The shape every worker process shares: a loop of small steps, heartbeats, and a clean stop.

A first SIGTERM/SIGINT asks for a warm stop (the item in hand is finished); a second one stops
at once. `once=True` runs until there is nothing left to do, for tests and cron-style use.
Each worker writes a heartbeat row so the panel, `/metrics` and `altavoz doctor` can tell a
dead worker from an idle one.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from enum import StrEnum
from types import FrameType
from typing import ClassVar

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base, Database, UTCDateTime, utcnow

log = logging.getLogger(__name__)


class WorkerState(StrEnum):
    """Every state a worker reports in its heartbeat: codes the panel words (labels.py);
    some carry parameters (gateway/codes.py), such as the voice message in hand."""

    STARTING = "starting"
    STOPPED = "stopped"
    IDLE = "idle"
    STANDBY = "standby"
    ON_AIR = "on air"
    SILENCE = "silence"
    RECONNECTING = "reconnecting"
    LISTENING = "listening"
    SOUND = "sound"
    DEAD_AIR_FOR = "dead_air_for"
    """The air monitor hears nothing: `heard` (silent, unreachable) for `seconds`."""
    CONNECTING = "connecting"
    SMPP_DISABLED = "smpp_disabled"
    SMPP_LINK = "smpp_link"
    """The SMS worker's bind, `link` being a sms.link_events.LinkState value."""
    TRANSCRIBING = "transcribing_message"
    """The voice `message` in hand."""
    TRANSCRIBING_PROGRESS = "transcribing_progress"
    """The voice `message` in hand, `seconds` of it done."""


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    host: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(200), default=WorkerState.STARTING)
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_failed: Mapped[int] = mapped_column(Integer, default=0)


class ColdStop(SystemExit):
    """Raised by the second stop signal: leave now, whatever is in hand."""


class Worker(ABC):
    """Base class: subclasses implement `step()` and name themselves with `kind`."""

    kind: ClassVar[str]
    idle_wait_s: float = 1.0
    heartbeat_every_s: float = 5.0

    def __init__(self, database: Database) -> None:
        self.database = database
        self.stopping = threading.Event()
        self.wakeup = threading.Event()
        self._heartbeat_id: int | None = None
        self._last_beat: datetime | None = None
        self.items_done = 0
        self.items_failed = 0
        self.state: str = WorkerState.STARTING

    @abstractmethod
    def step(self) -> bool:
        """Do one unit of work; return True if there was work (so the loop goes on at once)."""

    def busy(self) -> bool:
        """Whether work is under way elsewhere (awaiting answers), so `--once` must not end
        yet even though this step found nothing to do."""
        return False

    def claim_process(self) -> None:
        """Set what belongs to the whole process, such as its CPU priority.

        Called by `altavoz worker` only, never by `run`: tests run workers inside the test
        process, which must not be changed for them.
        """

    def setup(self) -> None:
        """Open what the worker needs for its whole life (models, connections)."""

    def teardown(self) -> None:
        """Release what setup opened; called on every way out of `run`."""

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping.is_set():
            log.warning("%s worker: second signal %s, stopping now", self.kind, signum)
            raise ColdStop(1)
        log.info("%s worker: signal %s, finishing the item in hand", self.kind, signum)
        self.request_stop()

    def request_stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()

    def run(self, *, once: bool = False) -> None:
        self.setup()
        try:
            self._beat(force=True)
            while not self.stopping.is_set():
                self.wakeup.clear()
                did_work = self.step()
                self._beat()
                if once and not did_work and not self.busy():
                    break
                if not did_work:
                    self.wakeup.wait(self.idle_wait_s)
        finally:
            self.state = WorkerState.STOPPED
            self._beat(force=True)
            self.teardown()

    def _beat(self, *, force: bool = False) -> None:
        now = utcnow()
        due = self._last_beat is None or now - self._last_beat >= timedelta(
            seconds=self.heartbeat_every_s
        )
        if not (force or due):
            return
        with self.database.session() as session:
            row = session.get(WorkerHeartbeat, self._heartbeat_id) if self._heartbeat_id else None
            if row is None:
                row = WorkerHeartbeat(
                    kind=self.kind,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=now,
                    beat_at=now,
                )
                session.add(row)
            row.beat_at = now
            row.state = self.state[:200]
            row.items_done = self.items_done
            row.items_failed = self.items_failed
            session.flush()
            self._heartbeat_id = row.id
        self._last_beat = now


def live_heartbeats(
    database: Database, *, now: datetime, stale_after_s: float = 30
) -> list[WorkerHeartbeat]:
    """Heartbeats recent enough that the worker is presumed alive."""
    with database.session() as session:
        rows = session.scalars(
            select(WorkerHeartbeat).where(
                WorkerHeartbeat.beat_at >= now - timedelta(seconds=stale_after_s),
                WorkerHeartbeat.state != WorkerState.STOPPED,
            )
        )
        return list(rows)
