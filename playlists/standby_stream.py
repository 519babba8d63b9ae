"""The standby stream: silence in the station's format on a hidden mount of the local Icecast.

Icecast disconnects every listener of a mount the moment its source goes, so a playout
restart or a reconnection would cost a station its audience (players rarely retry at once).
With the main mount's `fallback-mount` pointing here and `fallback-override` on, listeners
move to this stream instead and back to the programme as soon as it has a source again
(see playlists/icecast.py). It is ffmpeg encoding digital silence in real time (`-re`) at the
programme's format, sample rate, channels and bitrate, so a player does not notice the switch;
the station monitor still hears the silence as what it is.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gateway.parent_death import stop_with_parent
from playlists.icecast import stop_process
from playlists.vlc_output import OutputSettings, StreamFormat


@dataclass(frozen=True)
class _Encoding:
    codec: str
    muxer: str
    content_type: str


_ENCODINGS = {
    StreamFormat.MP3: _Encoding("libmp3lame", "mp3", "audio/mpeg"),
    StreamFormat.OGG: _Encoding("libvorbis", "ogg", "application/ogg"),
}


def standby_command(output: OutputSettings, mount: str) -> list[str]:
    """The ffmpeg command line that feeds `mount` with silence shaped like the programme."""
    encoding = _ENCODINGS[output.stream_format]
    layout = "mono" if output.channels == 1 else "stereo"
    password = quote(output.source_password, safe="")
    user = quote(output.source_user, safe="")
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"anullsrc=r={output.samplerate}:cl={layout}",
        "-c:a", encoding.codec, "-b:a", f"{output.bitrate_kbps}k",
        "-content_type", encoding.content_type, "-f", encoding.muxer,
        f"icecast://{user}:{password}@{output.host}:{output.port}{mount}",
    ]  # fmt: skip


class StandbySource:
    """Keeps one ffmpeg feeding the standby mount; `ensure_running` restarts it if it died."""

    def __init__(self, output: OutputSettings, mount: str, log_path: Path) -> None:
        self.command = standby_command(output, mount)
        self.log_path = log_path
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    def ensure_running(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=stop_with_parent(),
            )
        self.starts += 1

    def stop(self, *, timeout_s: float = 5.0) -> None:
        process, self._process = self._process, None
        stop_process(process, timeout_s=timeout_s)
