"""Running ffmpeg and ffprobe: no shell, no stdin, a deadline, and the output kept as text.

pydub would hold a whole decoded recording in memory (an hour of 44.1 kHz stereo is 600 MB);
calling the tools directly lets every step stream from file to file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = ("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-y")
FFPROBE = ("ffprobe", "-hide_banner")


class ToolMissing(RuntimeError):
    """ffmpeg is not installed: a problem of the machine, not of the file."""


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(f"{argv[0]} is not installed (apt install ffmpeg)") from exc


def ffmpeg(*args: str | Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg; the caller decides what a non-zero status means for its input."""
    return _run([*FFMPEG, *(str(arg) for arg in args)], timeout)


def ffmpeg_bytes(*args: str | Path, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg for raw samples on stdout (stderr stays bytes too)."""
    argv = [*FFMPEG, *(str(arg) for arg in args)]
    try:
        return subprocess.run(
            argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise ToolMissing("ffmpeg is not installed (apt install ffmpeg)") from exc


def ffprobe(*args: str | Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return _run([*FFPROBE, *(str(arg) for arg in args)], timeout)


def last_error_line(stderr: str) -> str:
    """The most telling line of ffmpeg's complaint, for logs and messages."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no detail given"
