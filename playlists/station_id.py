"""The built-in station ID: what goes on air after a restart when the station has no fallback.

Spoken by espeak-ng (offline, like the alerts) at the programme's loudness, so even a station
with an empty library says who it is instead of airing silence. Made once per text, voice and
level and kept in the playout work directory; the file name carries a hash of all three, so a
changed text makes a new one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from audio.loudness import Level
from audio.tts import spoken


def station_id_audio(text: str, *, voice: str, work_dir: Path, level: Level) -> Path:
    """The FLAC of `text` read in `voice`; raises audio.tts.SpeechError when it cannot be made."""
    digest = hashlib.sha256(f"{voice}\n{level}\n{text}".encode()).hexdigest()[:16]
    target = work_dir / f"station-id-{digest}.flac"
    if not target.exists():
        work_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.stem}.part.flac")
        spoken(text, voice=voice, path=partial, level=level)
        partial.replace(target)
    return target
