"""The fade-out before a slot starts, made as audio rather than as a volume change.

libVLC's transcoded stream output has no volume control, so fading the item on air is done
by switching, a moment before the slot, to a rendered copy of the rest of that item with the
fade written into it. The switch happens at the point listeners have reached, so nothing is
repeated or skipped; the copy is padded with silence so the slot's cut, not the copy's end,
closes the item.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PAD_S = 1.0

RENDER_MARGIN_S = 0.2
"""An item that comes on air this close before a slot is not faded: rendering takes the
engine's thread for a moment, and the fade could not begin before the slot cuts anyway."""


class FadeError(RuntimeError):
    """ffmpeg could not render the faded tail; the engine then simply cuts at the slot."""


def render_fade_out(
    source: Path, target: Path, *, start_s: float, fade_s: float, samplerate: int, channels: int
) -> Path:
    """Write `source` from `start_s`, fading to silence over `fade_s`, then PAD_S of silence."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-ss", f"{start_s:.3f}", "-t", f"{fade_s:.3f}", "-i", str(source),
         "-af", f"afade=t=out:st=0:d={fade_s:.3f},apad=pad_dur={PAD_S}",
         "-ar", str(samplerate), "-ac", str(channels), str(target)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not target.exists():
        raise FadeError(result.stderr.strip() or "ffmpeg wrote nothing")
    return target


@dataclass
class FadeOut:
    """One item's fade before a slot: rendered once, `lead_s` ahead of where listeners are,
    then switched to when they reach that point."""

    fade_s: float
    lead_s: float
    target: Path
    samplerate: int
    channels: int
    started: bool = False
    switch_at: float | None = None

    def step(
        self, source: Path, *, until_slot_s: float, remaining_s: float, heard: Callable[[], float]
    ) -> Path | None:
        """Called every tick while a slot is coming: the file to switch to now, if any."""
        if self.switch_at is not None:
            if time.monotonic() < self.switch_at:
                return None
            self.switch_at = None
            return self.target
        if self.started or until_slot_s > self.fade_s + self.lead_s or remaining_s < until_slot_s:
            return None
        if until_slot_s <= self.lead_s + RENDER_MARGIN_S:
            self.started = True
            return None
        self.started = True
        start = heard() + self.lead_s
        try:
            render_fade_out(
                source,
                self.target,
                start_s=start,
                fade_s=max(until_slot_s - self.lead_s, 0.1),
                samplerate=self.samplerate,
                channels=self.channels,
            )
        except FadeError as exc:
            logger.warning("no fade before the slot, cutting instead: %s", exc)
            return None
        self.switch_at = time.monotonic() + max(0.0, start - heard())
        return None
