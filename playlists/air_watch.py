"""Dead air, decided: what the air monitor should do about what it hears.

Pure logic, no I/O: the monitor worker feeds it what its listener decoded from the station's
own mount (one level per window, or "unreachable" while the stream cannot be heard) together
with what the as-run log says is on air, and carries out the actions it returns.

The rules, within one stretch of dead air (silence or no stream, without sound between):
- silence lasting `silence_s` while an item is on air skips that item (once per item);
- silence with nothing on air, silence that goes on after a skip, or a stream that cannot be
  heard for `silence_s` restarts the source; restarts are at least `restart_every_s` apart,
  and that gap doubles while the air stays dead (up to `RESTART_MAX_S`);
- dead air lasting `alert_after_s` opens an incident (the staff are told once), and sound
  heard for `RECOVERED_S` closes it.
Silence is counted within the item it belongs to: for `settle_s` after the item on air
changes (or after a skip or restart) what is heard may still be the previous item's tail.
Sound from filler the monitor itself asked for (the station ID) is heard but does not end
the dead air: the programme is still missing, the pause between restarts keeps growing, and
the staff are not told "over" (and then told again) at every station ID.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

RESTART_MAX_S = 600.0
"""The longest wait between two restarts while the air stays dead."""

RECOVERED_S = 1.0
"""Sound must be heard this long to end an incident, so a click in dead air does not; a
pause shorter than this within it (between words) does not start the count again."""


class Heard(Enum):
    """The stream as a listener hears it."""

    OK = "ok"
    SILENT = "silent"
    UNREACHABLE = "unreachable"


class ActionKind(Enum):
    SKIP_ITEM = "skip_item"
    RESTART_SOURCE = "restart_source"
    INCIDENT_STARTED = "incident_started"
    INCIDENT_ENDED = "incident_ended"


@dataclass(frozen=True, kw_only=True)
class Action:
    kind: ActionKind
    dead_for_s: float
    """How long the air had been dead (silent or unreachable) when this was decided; for
    INCIDENT_ENDED, how long the incident lasted."""
    entry_id: int | None = None
    """The as-run line of the item to skip."""
    heard: Heard = Heard.SILENT
    """What the air was like: silent or unreachable (OK for INCIDENT_ENDED)."""


@dataclass(frozen=True, kw_only=True)
class WatchRules:
    silence_s: float = 5.0
    alert_after_s: float = 60.0
    silence_db: float = -50.0
    restart_every_s: float = 30.0
    settle_s: float = 1.0


@dataclass
class _Stretch:
    """One stretch of dead air: when it began, and what was done about it so far."""

    since: float
    acted: bool = False
    restarts: int = 0


@dataclass
class AirWatch:
    """Feed it with `observe`; read `heard` and `dead_for` for the panel."""

    rules: WatchRules
    heard: Heard | None = None
    incident_since: float | None = None
    """Set while an incident is open (also given at start to carry on one left open)."""
    _stretch: _Stretch | None = None
    _sound_since: float | None = None
    _on_air: int | None = None
    _evidence_from: float = float("-inf")
    _last_restart: float = float("-inf")
    _skipped: deque[int] = field(default_factory=lambda: deque(maxlen=16))

    def dead_for(self, at: float) -> float:
        """Seconds the air has been dead (0 while sound is heard)."""
        return 0.0 if self._stretch is None else max(0.0, at - self._stretch.since)

    def observe(
        self, at: float, level_db: float | None, on_air: int | None, *, filler: bool = False
    ) -> list[Action]:
        """One observation at monotonic time `at`: the window's level in dBFS (None when the
        stream cannot be heard), the as-run line on air (None when nothing is), and whether
        that is the monitor's own filler."""
        if on_air != self._on_air:
            self._on_air = on_air
            self._evidence_from = at + self.rules.settle_s
        if level_db is None:
            heard = Heard.UNREACHABLE
        elif level_db < self.rules.silence_db:
            heard = Heard.SILENT
        else:
            heard = Heard.OK
        self.heard = heard
        if heard is Heard.OK and not filler:
            return self._sound(at)
        if self._stretch is None:
            self._stretch = _Stretch(since=at)
        dead_for = at - self._stretch.since
        if dead_for >= RECOVERED_S:
            self._sound_since = None
        if heard is Heard.OK:
            heard = Heard.SILENT
            actions = []
        else:
            actions = self._act(at, heard, self._stretch)
        if self.incident_since is None and dead_for >= self.rules.alert_after_s:
            self.incident_since = self._stretch.since
            actions.append(
                Action(kind=ActionKind.INCIDENT_STARTED, dead_for_s=dead_for, heard=heard)
            )
        return actions

    def _sound(self, at: float) -> list[Action]:
        self._stretch = None
        if self._sound_since is None:
            self._sound_since = at
        if self.incident_since is None or at - self._sound_since < RECOVERED_S:
            return []
        lasted = self._sound_since - self.incident_since
        self.incident_since = None
        return [Action(kind=ActionKind.INCIDENT_ENDED, dead_for_s=lasted, heard=Heard.OK)]

    def _act(self, at: float, heard: Heard, stretch: _Stretch) -> list[Action]:
        start = max(stretch.since, self._evidence_from)
        dead_for = at - stretch.since
        if at - start < self.rules.silence_s:
            return []
        item = self._on_air
        first = heard is Heard.SILENT and not stretch.acted
        if first and item is not None and item not in self._skipped:
            stretch.acted = True
            self._skipped.append(item)
            self._evidence_from = at + self.rules.settle_s
            return [Action(kind=ActionKind.SKIP_ITEM, dead_for_s=dead_for, entry_id=item)]
        doubling = max(stretch.restarts - 1, 0)
        every = self.rules.restart_every_s
        wait = min(every * 2**doubling, max(RESTART_MAX_S, every))
        if at - self._last_restart < wait:
            return []
        stretch.acted = True
        stretch.restarts += 1
        self._last_restart = at
        self._evidence_from = at + self.rules.settle_s
        return [Action(kind=ActionKind.RESTART_SOURCE, dead_for_s=dead_for, heard=heard)]
