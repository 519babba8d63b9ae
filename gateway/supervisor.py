"""`altavoz serve`: start the web server and every worker as child processes and keep them up.

Each child is a fresh `altavoz` process (no fork of a process holding libVLC, Vosk or sockets).
A child that dies after running steadily is restarted at once (the playout worker's death is
dead air: every second counts); one that keeps dying soon after its start is restarted with a
growing delay, so a crash loop cannot spin the CPU. The
first SIGTERM/SIGINT is passed on to every child for a warm stop; children still running after
the grace period, or after a second signal, are killed. If the supervisor itself is killed
outright, the kernel sends each child SIGTERM (gateway.parent_death), so none is left behind.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

from gateway.parent_death import stop_with_parent

log = logging.getLogger(__name__)


@dataclass
class ChildSpec:
    name: str
    argv: Sequence[str]
    stop_last: bool = False
    """Told to stop only once the others have ended: the local Icecast, so the playout worker
    never loses its stream mid-write (`cannot write to stream`) while shutting down."""


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


STEADY_S = 5.0
"""A child that ran this long before it died is restarted without delay."""

LAST_GRACE_S = 5.0
"""Time left to the children stopped last (Icecast) however long the others took."""

BACKOFF_RESET_S = 60.0
"""After running this long, earlier quick deaths no longer lengthen the delay."""


class Supervisor:
    def __init__(
        self, specs: Sequence[ChildSpec], *, grace_s: float = 15.0, max_backoff_s: float = 60.0
    ) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.grace_s = grace_s
        self.max_backoff_s = max_backoff_s
        self._stop_requested = 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stop_requested += 1
        log.info("supervisor: signal %s (%d)", signum, self._stop_requested)

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _start(self, child: _Child) -> None:
        log.info("supervisor: starting %s", child.spec.name)
        child.process = subprocess.Popen(list(child.spec.argv), preexec_fn=stop_with_parent())
        child.started_at = time.monotonic()

    def _check(self, child: _Child, now: float) -> None:
        process = child.process
        if process is not None and process.poll() is None:
            if now - child.started_at > BACKOFF_RESET_S:
                child.restarts = 0
            return
        if process is not None:
            log.error("supervisor: %s exited with status %s", child.spec.name, process.returncode)
            child.process = None
            if now - child.started_at >= STEADY_S:
                child.next_start = now
            else:
                child.next_start = now + min(self.max_backoff_s, 2.0 ** min(child.restarts, 6))
                child.restarts += 1
        if now >= child.next_start:
            self._start(child)

    def run(self) -> int:
        for child in self.children:
            self._start(child)
        while not self._stop_requested:
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
            time.sleep(0.05)
        return self._shutdown()

    def _running(self) -> list[_Child]:
        return [c for c in self.children if c.process is not None and c.process.poll() is None]

    def _shutdown(self) -> int:
        deadline = time.monotonic() + self.grace_s
        seen = self._stop_requested
        for last in (False, True):
            if last:
                deadline = max(deadline, time.monotonic() + LAST_GRACE_S)
            for child in self._running():
                assert child.process is not None
                if child.spec.stop_last == last:
                    child.process.send_signal(signal.SIGTERM)
            while (
                any(c.spec.stop_last == last for c in self._running())
                and time.monotonic() < deadline
                and self._stop_requested == seen
            ):
                time.sleep(0.1)
        for child in self._running():
            assert child.process is not None
            log.warning("supervisor: killing %s", child.spec.name)
            child.process.kill()
        for child in self.children:
            if child.process is not None:
                child.process.wait()
        log.info("supervisor: everything stopped")
        return 0
