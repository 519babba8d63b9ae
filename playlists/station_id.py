"""The built-in station ID: what goes on air after a restart when the station has no fallback.

Spoken by espeak-ng (offline, like the alerts), so even a station with an empty library says
who it is instead of airing silence. Made once per text and voice and kept in the playout
work directory; the file name carries a hash of both, so a changed text makes a new one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from audio.tts import synthesize


def station_id_audio(text: str, *, voice: str, work_dir: Path) -> Path:
    """The WAV of `text` read in `voice`; raises audio.tts.SpeechError when it cannot be made."""
    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:16]
    target = work_dir / f"station-id-{digest}.wav"
    if not target.exists():
        work_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.stem}.part.wav")
        synthesize(text, voice=voice, path=partial)
        partial.replace(target)
    return target
