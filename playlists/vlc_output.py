"""libVLC as the station's player: one stream output chain to Icecast that outlives each item.

How the one source connection is kept (verified against VLC 3.0.24, libshout 2.4.6 and
Icecast 2.4.4 by tests/playout): the chain is `#gather:transcode{acodec=mp3,...}:` +
`std{access=shout,mux=mp3,dst=source:PASS@HOST:PORT/MOUNT}`, given
to every Media together with `:sout-keep`, and every item is played on the same MediaPlayer
by `set_media()` + `play()` without `stop()` in between. The player's input resource then
hands the kept stream output to the next input, so Icecast sees one source for the whole day
(its `source_client_connections` counter stays at one). `stop()` terminates that resource and
therefore the connection: it is used only to reconnect after a network fault and at the end.

Pacing: the shout access output tells VLC it controls the pace itself, and it does so through
libshout's `shout_sync`, which only works when libshout knows the format. Without
`--sout-shout-mp3` the MP3 stream is announced as Ogg and VLC sends a whole file in a fraction
of a second; with it, libshout keeps one clock from the moment it connected, so the few tens
of milliseconds VLC needs to open the next file are caught up right after.

What cannot be done this way: volume fades (the transcoded stream has no volume control), so
slots start by cutting. VLC's own log is routed into Python logging; warnings and errors of the
shout module are reported to the engine as output faults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import vlc

from gateway.codes import coded
from playlists.models import AsRunDetail
from playlists.stream_title import TitleSender, TitleTarget

logger = logging.getLogger(__name__)

OutputFaultHandler = Callable[[str], None]


class StreamFormat(Enum):
    MP3 = "mp3"
    OGG = "ogg"


@dataclass(frozen=True)
class _Codec:
    acodec: str
    mux: str
    instance_args: tuple[str, ...]
    gather: str
    """`gather:` to keep one encoder across items (see `sout_chain`), or nothing."""


_CODECS: dict[StreamFormat, _Codec] = {
    StreamFormat.MP3: _Codec(
        acodec="mp3", mux="mp3", instance_args=("--sout-shout-mp3",), gather="gather:"
    ),
    StreamFormat.OGG: _Codec(acodec="vorb", mux="ogg", instance_args=(), gather=""),
}


@dataclass(frozen=True, kw_only=True)
class OutputSettings:
    """Where and how the one stream goes."""

    host: str = "127.0.0.1"
    port: int = 8000
    mount: str = "/altavoz"
    source_user: str = "source"
    source_password: str
    stream_format: StreamFormat = StreamFormat.MP3
    bitrate_kbps: int = 128
    samplerate: int = 44100
    channels: int = 2
    soundcard: bool = False
    stream_name: str = "Altavoz"
    stream_description: str = ""
    stream_genre: str = ""
    stream_url: str = ""


def sout_chain(settings: OutputSettings) -> str:
    """The `:sout=` chain: gather, transcode once, send to Icecast (and to the sound card if
    asked). `gather` hands each new item's audio to the elementary stream the previous item
    used when both have the same codec, rate and channels (every library file is FLAC 44.1 kHz
    stereo), so the transcoder's decoder and MP3 encoder live on across items. Without it each
    item got a new encoder: the old one's last frame padded with silence and the new one's
    priming delay put 35-45 ms of silence between items (measured by bench/playout.py); with
    it none is heard. Items of another format (the engine's silence, a faded tail) still get a
    new encoder, as before. An Ogg stream is left as a chain of one logical stream per item
    (with gather its last item was heard late or not at all, tests/playout)."""
    codec = _CODECS[settings.stream_format]
    transcode = (
        f"transcode{{vcodec=none,acodec={codec.acodec},ab={settings.bitrate_kbps},"
        f"channels={settings.channels},samplerate={settings.samplerate}}}"
    )
    target = (
        f"{settings.source_user}:{settings.source_password}@"
        f"{settings.host}:{settings.port}{settings.mount}"
    )
    shout = f"std{{access=shout,mux={codec.mux},dst={target}}}"
    if settings.soundcard:
        return f'#{codec.gather}duplicate{{dst=display,dst="{transcode}:{shout}"}}'
    return f"#{codec.gather}{transcode}:{shout}"


def instance_args(settings: OutputSettings) -> list[str]:
    """libVLC options: no video, no console noise, the keep and pacing options."""
    args = ["--no-video", "--quiet", "--no-stats", "--sout-keep", "--file-caching=100"]
    args.extend(_CODECS[settings.stream_format].instance_args)
    # What Icecast shows as the stream's name, description, genre and URL; left out, VLC
    # announces itself ("Live stream from VLC media player", videolan.org). An empty value
    # crashes libVLC 3.0 (segmentation fault on connecting), so it is left out instead.
    announced = {
        "name": settings.stream_name,
        "description": settings.stream_description,
        "genre": settings.stream_genre,
        "url": settings.stream_url,
    }
    args.extend(f"--sout-shout-{key}={value}" for key, value in announced.items() if value)
    if not settings.soundcard:
        args.append("--aout=dummy")
    return args


@dataclass(frozen=True)
class Probe:
    """Whether VLC finds decodable audio in a file, before it goes on air."""

    playable: bool
    duration_s: float
    reason: str = ""


_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
_LIBC.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
_LOG_CONTEXT = vlc.dll.libvlc_log_get_context
_LOG_CONTEXT.argtypes = [
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.POINTER(ctypes.c_uint),
]
_LOG_CONTEXT.restype = None

_SHOUT_MODULE = "access_output_shout"
_SHOUT_NOISE = ("no bitrate information", "'icy' (shoutcast)")
"""Shout warnings VLC prints on every healthy connection to Icecast."""

SEEK_DEMUX = ":demux=avformat"
"""Demuxer for an item started part-way (resumed after an alert or a restart): VLC's own FLAC
demuxer lands up to a third of a second before the asked position in the library's FLAC
files (measured), so listeners would hear that again; libavformat's seek is exact."""

_VLC_WARNING = 3
_VLC_ERROR = 4
"""libvlc_log_level values (python-vlc's LogLevel does not compare with the int we get)."""


class VlcLog:
    """Routes libVLC's log into `logging` and spots stream output faults in it."""

    def __init__(self, instance: vlc.Instance, on_output_fault: OutputFaultHandler) -> None:
        self._instance = instance
        self._on_output_fault = on_output_fault
        self.closing = False
        """Set while the output shuts down: the shout output then fails its last writes
        ('cannot write to stream'), which is expected, so it is neither an error nor a fault."""
        self._callback = vlc.CallbackDecorators.LogCb(self._receive)
        instance.log_set(self._callback, None)

    def _receive(self, _data: Any, level: int, context: Any, fmt: bytes, args: Any) -> None:
        if level < _VLC_WARNING:
            return
        try:
            self._route(level, context, fmt, args)
        except Exception:
            logger.exception("could not read a libVLC log message")

    def _route(self, level: int, context: Any, fmt: bytes, args: Any) -> None:
        buffer = ctypes.create_string_buffer(1024)
        _LIBC.vsnprintf(buffer, len(buffer), fmt, args)
        module = ctypes.c_char_p()
        _LOG_CONTEXT(context, ctypes.byref(module), None, None)
        name = (module.value or b"?").decode(errors="replace")
        text = buffer.value.decode(errors="replace")
        error = level >= _VLC_ERROR and not self.closing
        logger.log(logging.ERROR if error else logging.DEBUG, "vlc %s: %s", name, text)
        if self.closing:
            return
        if name == _SHOUT_MODULE and not any(noise in text for noise in _SHOUT_NOISE):
            self._on_output_fault(text)

    def close(self) -> None:
        self._instance.log_unset()


class VlcOutput:
    """One libVLC instance and player; only the engine's thread may call it."""

    def __init__(self, settings: OutputSettings, on_output_fault: OutputFaultHandler) -> None:
        self.settings = settings
        self._chain = sout_chain(settings)
        self._instance = vlc.Instance(instance_args(settings))
        if self._instance is None:
            raise RuntimeError("libVLC could not start (is libvlc5 installed?)")
        self._log = VlcLog(self._instance, on_output_fault)
        self._player = self._instance.media_player_new()
        self._titles = (
            TitleSender(
                TitleTarget(
                    base_url=f"http://{settings.host}:{settings.port}",
                    mount=settings.mount,
                    source_user=settings.source_user,
                    source_password=settings.source_password,
                )
            )
            if settings.stream_format is StreamFormat.MP3
            else None
        )

    def probe(self, path: Path, *, timeout_s: float = 3.0) -> Probe:
        """Parse the file locally so a corrupt or missing file is skipped before it airs."""
        if not path.is_file():
            return Probe(False, 0.0, coded(AsRunDetail.NO_FILE, path=str(path)))
        media = self._instance.media_new_path(str(path))
        media.parse_with_options(vlc.MediaParseFlag.local, int(timeout_s * 1000))
        deadline = time.monotonic() + timeout_s + 0.5
        status = media.get_parsed_status()
        while not status and time.monotonic() < deadline:
            time.sleep(0.005)
            status = media.get_parsed_status()
        if status != vlc.MediaParsedStatus.done:
            return Probe(False, 0.0, coded(AsRunDetail.UNPARSABLE, status=str(status)))
        tracks = media.tracks_get() or []
        if not any(track.type == vlc.TrackType.audio for track in tracks):
            return Probe(False, 0.0, AsRunDetail.NO_AUDIO_TRACK)
        return Probe(True, max(media.get_duration(), 0) / 1000.0)

    def play(self, path: Path, *, start_s: float = 0.0, title: str | None = None) -> None:
        """Switch to `path` on the kept stream output (no stop, so no reconnection); `title`
        becomes the stream's title (see `playlists.stream_title`), None leaves it as it was."""
        options = [f":sout={self._chain}", ":sout-keep"]
        if start_s > 0:
            options.extend((f":start-time={start_s:.3f}", SEEK_DEMUX))
        media = self._instance.media_new_path(str(path))
        media.add_options(*options)
        self._player.set_media(media)
        if self._player.play() != 0:
            raise RuntimeError(f"libVLC refused to play {path}")
        if title is not None and self._titles is not None:
            self._titles.send(title)

    def state(self) -> vlc.State:
        return self._player.get_state()

    def position_s(self) -> float:
        return max(self._player.get_time(), 0) / 1000.0

    def reconnect(self) -> None:
        """Drop the kept output (and its source connection); the next play opens a new one."""
        if self._titles is not None:
            self._titles.forget()
        self._player.stop()
        self._player.release()
        self._player = self._instance.media_player_new()

    def reachable(self, *, timeout_s: float = 0.5) -> bool:
        """Whether Icecast answers HTTP now: libVLC's shout output blocks its input thread
        for half a minute when it cannot connect (or a server still starting accepts the
        connection but never answers the login), so we only connect to a live server."""
        try:
            with socket.create_connection(
                (self.settings.host, self.settings.port), timeout=timeout_s
            ) as connection:
                connection.sendall(b"GET /status-json.xsl HTTP/1.0\r\n\r\n")
                return connection.recv(5) == b"HTTP/"
        except OSError:
            return False

    def close(self) -> None:
        if self._titles is not None:
            self._titles.close()
        self._log.closing = True
        self._player.stop()
        self._player.release()
        self._log.close()
        self._instance.release()
