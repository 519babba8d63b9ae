"""The transcription worker: takes voice messages in from the inbox folder and transcribes them.

`altavoz serve` runs `transcription.workers` of these processes (one per core by default):
Vosk decodes on one core per recogniser, so separate processes are what use the machine, and
they keep the web panel's process free; they run at `transcription.nice` so that, with every
core decoding, the panel, playout and SMS still come first. Each process loads a language's
model the first time a message in that language comes, then keeps it for every later message
(a model replaced with `altavoz models add` is used once the workers restart). A message whose
language has no model fails with that reason; once the model is installed,
`voice_messages.requeue` takes it again.

Only one process at a time looks at the inbox folder (an advisory lock on a file in it), so
a dropped file becomes exactly one message; every process takes messages from the queue.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from audio import voice_messages
from audio.errors import AudioError
from audio.inbox import IGNORED_SUFFIXES, InboxWatcher, ReadyFile, SidecarError, parse_sidecar
from audio.inbox import reject as reject_inbox_file
from audio.languages import LanguageError
from audio.models import FailureReason, VoiceChannel
from audio.moderation import purge_expired
from audio.storage import MediaStore, StorageError
from audio.transcriber import Transcriber, TranscriptionError
from audio.vosk_models import ModelError, ModelMissing, model_path
from gateway.codes import coded
from gateway.database import Database, utcnow
from gateway.settings import Settings
from gateway.worker import Worker, WorkerHeartbeat, WorkerState

log = logging.getLogger(__name__)

LOCK_FILE = ".altavoz-inbox.lock"
LIVE_HEARTBEAT_S = 30.0
STALE_CHECK_S = 30.0
RETENTION_EVERY_S = 3600.0


def worker_name() -> str:
    return f"transcribe@{socket.gethostname()}:{os.getpid()}"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TranscribeWorker(Worker):
    kind = "transcribe"
    idle_wait_s = 0.5

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        transcribers: dict[Path, Transcriber] | None = None,
    ) -> None:
        """`transcribers` (model folder -> loaded model) lets several workers in one process
        share models, as tests do; a worker process starts with none loaded."""
        super().__init__(database)
        self.settings = settings
        self.name = worker_name()
        self.store = MediaStore(settings.media.dir)
        self.inbox = settings.media.inbox
        self.watcher = InboxWatcher(self.inbox, settings.media.inbox_settle_s)
        self._transcribers = {} if transcribers is None else transcribers
        self._last_stale_check = float("-inf")
        self._last_retention = float("-inf")
        self.state = WorkerState.IDLE

    def claim_process(self) -> None:
        """Lower this process to `transcription.nice`, never raise it: a process started
        nicer than that (by an operator's own `nice`) stays as it was."""
        current = os.nice(0)
        target = self.settings.transcription.nice
        if target > current:
            os.nice(target - current)

    def setup(self) -> None:
        self._release_dead_claims(starting=True)

    def step(self) -> bool:
        self._release_dead_claims()
        self._apply_retention()
        took = self._take_from_inbox()
        transcribed = self._transcribe_next()
        return took or transcribed

    def busy(self) -> bool:
        """Files waiting in the inbox to settle keep `--once` going until they are taken."""
        if not self.inbox.is_dir():
            return False
        return any(
            entry.is_file()
            and not entry.name.startswith(".")
            and not entry.name.lower().endswith(IGNORED_SUFFIXES)
            for entry in self.inbox.iterdir()
        )

    def _apply_retention(self) -> None:
        """Delete the originals of long-rejected messages, at most once per RETENTION_EVERY_S:
        a caller's voice is kept no longer than the station's policy says."""
        monotonic = time.monotonic()
        if monotonic - self._last_retention < RETENTION_EVERY_S:
            return
        self._last_retention = monotonic
        with self.database.session() as session:
            purged = purge_expired(session, self.store, now=utcnow(), media=self.settings.media)
        if purged:
            log.info("retention: deleted the original audio of %d rejected messages", purged)

    # The inbox

    def _take_from_inbox(self) -> bool:
        if not self.inbox.is_dir():
            return False
        with (self.inbox / LOCK_FILE).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            ready = self.watcher.poll(time.monotonic())
            for item in ready:
                self._receive(item)
            return bool(ready)

    def _receive(self, item: ReadyFile) -> None:
        self.watcher.forget(item)
        if not item.audio.exists():
            return
        try:
            sidecar = parse_sidecar(item.sidecar.read_bytes()) if item.sidecar else None
            with self.database.session() as session:
                message = voice_messages.receive(
                    session,
                    self.store,
                    item.audio,
                    caller=sidecar.caller if sidecar else "",
                    language=(sidecar.language if sidecar else None)
                    or self.settings.transcription.default_language,
                    channel=VoiceChannel.INBOX,
                    received_at=(sidecar.received_at if sidecar else None) or utcnow(),
                    media=self.settings.media,
                    default_region=self.settings.smpp.default_region,
                )
                log.info("inbox: %s queued as voice message %d", item.audio.name, message.id)
        except (SidecarError, AudioError, LanguageError) as exc:
            log.warning("inbox: %s refused: %s", item.audio.name, exc)
            reject_inbox_file(item, str(exc))
            return
        item.audio.unlink()
        if item.sidecar is not None:
            item.sidecar.unlink(missing_ok=True)

    # The queue

    def _transcriber(self, language: str) -> Transcriber:
        folder = model_path(language, self.settings.transcription.models_dir).resolve()
        if folder not in self._transcribers:
            log.info("loading the Vosk model in %s", folder)
            self._transcribers[folder] = Transcriber(folder)
        return self._transcribers[folder]

    def _transcribe_next(self) -> bool:
        with self.database.session() as session:
            message = voice_messages.claim_next(session, self.name, utcnow())
            if message is None:
                return False
            message_id, language, original = message.id, message.language, message.original_path
        self.state = coded(WorkerState.TRANSCRIBING, message=message_id)
        self._beat(force=True)

        def progress(seconds: float) -> None:
            self.state = coded(
                WorkerState.TRANSCRIBING_PROGRESS, message=message_id, seconds=round(seconds)
            )
            self._beat()

        try:
            transcript = self._transcriber(language).transcribe(
                self.store.path(original),
                max_duration_s=self.settings.media.max_duration_s,
                on_progress=progress,
            )
        except (ModelError, LanguageError, TranscriptionError, StorageError) as exc:
            with self.database.session() as session:
                voice_messages.mark_failed(
                    session,
                    message_id,
                    _failure(exc, language),
                    worker_name=self.name,
                    now=utcnow(),
                )
            log.warning("voice message %d not transcribed: %s", message_id, exc)
            self.items_failed += 1
        else:
            with self.database.session() as session:
                voice_messages.mark_transcribed(
                    session,
                    message_id,
                    worker_name=self.name,
                    text=transcript.text,
                    words=[word.as_json() for word in transcript.words],
                    duration_s=transcript.duration_s,
                    now=utcnow(),
                )
            self.items_done += 1
        self.state = WorkerState.IDLE
        return True

    def _release_dead_claims(self, *, starting: bool = False) -> None:
        """Give back messages claimed by transcription workers that are gone (killed, crashed);
        on start that includes claims under this very name (an earlier process with our pid)."""
        monotonic = time.monotonic()
        if not starting and monotonic - self._last_stale_check < STALE_CHECK_S:
            return
        self._last_stale_check = monotonic
        now = utcnow()
        host = socket.gethostname()
        with self.database.session() as session:
            beats = session.scalars(
                select(WorkerHeartbeat).where(
                    WorkerHeartbeat.kind == self.kind,
                    WorkerHeartbeat.state != "stopped",
                    WorkerHeartbeat.beat_at >= now - timedelta(seconds=LIVE_HEARTBEAT_S),
                )
            )
            alive = set() if starting else {self.name}
            alive |= {
                f"{self.kind}@{beat.host}:{beat.pid}"
                for beat in beats
                if beat.host != host or (beat.pid != os.getpid() and _process_exists(beat.pid))
            }
            released = voice_messages.release_claims(session, alive=alive, now=now)
        if released:
            log.warning("gave back %d voice messages claimed by workers that are gone", released)


def _failure(exc: Exception, language: str) -> str:
    """The stored reason, coded for the panel to word (the log keeps `exc` itself)."""
    if isinstance(exc, ModelMissing):
        return coded(FailureReason.NO_MODEL, language=language)
    if isinstance(exc, ModelError):
        return coded(FailureReason.BAD_MODEL, language=language)
    if isinstance(exc, LanguageError):
        return coded(FailureReason.BAD_LANGUAGE, language=language)
    if isinstance(exc, StorageError):
        return FailureReason.FILE_MISSING
    return FailureReason.UNREADABLE
