"""The station's `stream` configuration turned into what Icecast and libVLC need."""

from __future__ import annotations

from gateway.settings import Settings
from playlists.icecast import IcecastSettings
from playlists.vlc_output import OutputSettings, StreamFormat


def icecast_settings(settings: Settings) -> IcecastSettings:
    """The local Icecast `altavoz serve` runs: it listens where `stream.icecast_url` points."""
    stream = settings.stream
    return IcecastSettings(
        port=stream.icecast_port,
        bind_address=stream.icecast_host,
        hostname=stream.icecast_host,
        source_password=stream.source_password,
        admin_password=stream.admin_password,
        mount=stream.mount,
        location=settings.station.name,
        standby_mount=standby_mount(settings),
    )


def standby_mount(settings: Settings) -> str:
    """The hidden mount listeners wait on while the programme has no source."""
    return f"{settings.stream.mount.rstrip('/')}-standby"


def output_settings(settings: Settings) -> OutputSettings:
    stream = settings.stream
    return OutputSettings(
        host=stream.icecast_host,
        port=stream.icecast_port,
        mount=stream.mount,
        source_user=stream.source_user,
        source_password=stream.source_password,
        stream_format=StreamFormat(stream.format),
        bitrate_kbps=stream.bitrate,
        soundcard=stream.soundcard,
        stream_name=stream.name or settings.station.name,
        stream_description=stream.description,
        stream_genre=stream.genre,
        stream_url=stream.url or f"{stream.icecast_url}{stream.mount}",
    )
