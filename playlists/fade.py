"""The fade-out before a slot starts, made as audio rather than as a volume change.

libVLC's transcoded stream output has no volume control, so fading the item on air is done
by switching, a moment before the slot, to a rendered copy of the rest of that item with the
fade written into it. The switch happens at the point listeners have reached, so nothing is
repeated or skipped; the copy is padded with silence so the slot's cut, not the copy's end,
closes the item.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PAD_S = 1.0


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
