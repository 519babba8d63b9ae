"""What the playout engine and its callers exchange: items to air, events heard back, the
engine's settings and failure counters.

Kept apart from playlists/engine.py so the playout worker, the as-run log and the tests can
speak of items and events without reaching into the thread that owns libVLC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from playlists.vlc_output import OutputSettings


class EventKind(Enum):
    STARTED = "started"
    RESUMED = "resumed"
    ENDED = "ended"
    CUT = "cut"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    SILENCE = "silence"
    OUTPUT_FAULT = "output_fault"


@dataclass(frozen=True, kw_only=True)
class PlayoutItem:
    """One thing to air; `cut_at` ends it early (the start of the next slot, say)."""

    path: Path
    item_id: str
    title: str = ""
    cut_at: datetime | None = None
    holds_air: bool = False
    """An urgent alert: nothing cuts it, a slot due meanwhile starts when it has finished."""


@dataclass(frozen=True, kw_only=True)
class PlayoutEvent:
    kind: EventKind
    at: datetime
    item: PlayoutItem | None = None
    position_s: float = 0.0
    reason: str = ""


NextItem = Callable[[], PlayoutItem | None]
EventHandler = Callable[[PlayoutEvent], None]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


@dataclass(frozen=True, kw_only=True)
class EngineSettings:
    output: OutputSettings
    work_dir: Path
    preload_s: float = 2.0
    idle_poll_s: float = 0.25
    silence_s: float = 0.5
    tick_s: float = 0.02
    reconnect_first_s: float = 0.1
    reconnect_max_s: float = 0.2
    """Icecast is asked again this often while it is away (a refused TCP connect costs
    nothing), so the stream is back well within a second of the server's return."""
    start_timeout_s: float = 10.0
    fade_s: float = 0.0
    """Fade the item on air out over this long before a slot starts (0: cut at once)."""
    fade_lead_s: float = 0.4
    """The faded tail is rendered this far ahead of where listeners are, then switched to."""
    error_pause_s: float = 1.0
    """After an unexpected engine error, wait this long rather than fail again every tick."""
    max_fetch_attempts: int = 20
    """Unplayable items the caller may hand out in a row before the engine airs silence and
    asks again later: a caller that keeps offering a missing file cannot spin the engine."""


@dataclass
class Counters:
    """Failures the panel and /metrics show; nothing in the engine fails unnoticed."""

    failed_items: int = 0
    output_faults: int = 0
    callback_errors: int = 0
    engine_errors: int = 0
    silences: int = 0
