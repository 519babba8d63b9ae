"""The worker kinds `altavoz serve` supervises and `altavoz worker NAME` runs alone."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum

from gateway.database import Database
from gateway.settings import Settings
from gateway.worker import Worker, WorkerState


class WorkerKind(StrEnum):
    PLAYOUT = "playout"
    TRANSCRIBE = "transcribe"
    SMS = "sms"
    MONITOR = "monitor"


WorkerFactory = Callable[[Settings, Database], Worker]


class HeartbeatWorker(Worker):
    """A worker whose only duty so far is to report that it is alive."""

    def __init__(self, kind: str, database: Database) -> None:
        super().__init__(database)
        self.kind = kind  # type: ignore[misc]
        self.state = WorkerState.IDLE

    def step(self) -> bool:
        return False


def _heartbeat_only(kind: WorkerKind) -> WorkerFactory:
    def build(settings: Settings, database: Database) -> Worker:
        return HeartbeatWorker(kind.value, database)

    return build


def _sms(settings: Settings, database: Database) -> Worker:
    from sms.worker import SmsWorker

    return SmsWorker(settings, database)


def _playout(settings: Settings, database: Database) -> Worker:
    from playlists.playout_worker import PlayoutWorker

    return PlayoutWorker(settings, database)


def _monitor(settings: Settings, database: Database) -> Worker:
    from gateway.air_monitor import MonitorWorker

    return MonitorWorker(settings, database)


def _transcribe(settings: Settings, database: Database) -> Worker:
    from audio.transcribe_worker import TranscribeWorker

    return TranscribeWorker(settings, database)


FACTORIES: dict[WorkerKind, WorkerFactory] = {kind: _heartbeat_only(kind) for kind in WorkerKind}
FACTORIES[WorkerKind.SMS] = _sms
FACTORIES[WorkerKind.TRANSCRIBE] = _transcribe
FACTORIES[WorkerKind.PLAYOUT] = _playout
FACTORIES[WorkerKind.MONITOR] = _monitor


def build_worker(kind: WorkerKind, settings: Settings, database: Database) -> Worker:
    return FACTORIES[kind](settings, database)


def process_count(kind: WorkerKind, settings: Settings) -> int:
    """How many processes of this kind `altavoz serve` runs: transcription uses every core
    (Vosk decodes on one core per process); playout runs one on air and one on standby
    (gateway/standby.py) to take over at once if it dies; the air monitor not at all when it
    is off; the others run once."""
    if kind is WorkerKind.TRANSCRIBE:
        return settings.transcription.workers or os.cpu_count() or 1
    if kind is WorkerKind.PLAYOUT:
        return 2
    if kind is WorkerKind.MONITOR:
        return 1 if settings.monitor.enabled else 0
    return 1
