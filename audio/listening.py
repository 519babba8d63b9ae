"""A copy of a caller's original that a browser can play, for the moderators' player.

Phones and voicemail systems send AMR and Matroska, which browsers do not play. Rather than
keep a second copy of the original voice (one more file to forget when it is purged), the
panel makes a FLAC copy in a private scratch folder for the one response and removes it after.
"""

from __future__ import annotations

from pathlib import Path

from audio.decode import decoding_timeout
from audio.errors import AudioError, Problem
from audio.ffmpeg import ffmpeg, last_error_line

BROWSER_TYPES = {
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}
"""Suffixes (as the store names them) that every browser the panel supports plays as they are."""
LISTENING_SUFFIX = ".flac"
LISTENING_TYPE = "audio/flac"


def browser_type(path: Path) -> str | None:
    """The media type to send `path` with, or None when it must be converted first."""
    return BROWSER_TYPES.get(path.suffix.lower())


def listening_copy(source: Path, target: Path, *, duration_s: float | None) -> Path:
    """Convert `source` to FLAC at `target` (tags dropped); AudioError if it cannot be read."""
    result = ffmpeg(
        "-v", "error", "-i", source, "-map", "0:a:0", "-map_metadata", "-1",
        "-c:a", "flac", target,
        timeout=decoding_timeout(duration_s or 0.0),
    )  # fmt: skip
    if result.returncode != 0:
        raise AudioError(
            Problem.DAMAGED, f"the audio could not be converted ({last_error_line(result.stderr)})"
        )
    return target
