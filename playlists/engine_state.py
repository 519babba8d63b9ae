"""The playout engine's own state: the commands its thread takes, what is on air, the plan
of what comes next, and a pending reconnection. Only the engine's thread touches them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from playlists.fade import FadeOut
from playlists.playout_events import PlayoutItem
from playlists.vlc_output import Probe


class Command(Enum):
    CUT_NOW = "cut_now"
    PLAY_AT = "play_at"
    PREEMPT = "preempt"
    RESTART_SOURCE = "restart_source"
    STOP = "stop"


@dataclass(frozen=True)
class Request:
    command: Command
    item: PlayoutItem | None = None
    when: datetime | None = None
    reason: str = ""
    item_id: str | None = None


@dataclass
class OnAir:
    item: PlayoutItem | None
    duration_s: float
    start_s: float = 0.0
    resumed: bool = False
    announced: bool = False
    fade: FadeOut | None = None
    late_s: float = 0.0
    """How late a slot's first item started (an alert held the air, say), for the log."""
    announced_at: float = 0.0
    """time.monotonic() when VLC reported it playing."""
    switched_at: float = field(default_factory=time.monotonic)
    """time.monotonic() when it was handed to VLC. The stream is paced by libshout's one
    clock since the connection opened: the tens of milliseconds VLC takes to open the file
    are caught up in a burst, so listeners are as far into the item as the wall-clock time
    since this switch, while VLC's own clock runs ahead by what sits in its buffers."""

    @property
    def is_silence(self) -> bool:
        return self.item is None


@dataclass
class Reconnect:
    """When to ask Icecast again, and how long to wait after that if it is still away."""

    at: float
    backoff_s: float


@dataclass
class AirPlan:
    """Slots handed over ahead of time, items to resume, the next item already probed."""

    slots: list[tuple[datetime, PlayoutItem]] = field(default_factory=list)
    resume: list[tuple[PlayoutItem, float]] = field(default_factory=list)
    preloaded: tuple[PlayoutItem, Probe] | None = None
    ask_after: float = 0.0
