"""Fixtures for playout: a real Icecast on a free loopback port, tones, a real listener, and
an engine fed from a list whose events can be waited on."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playlists.engine import PlayoutEngine
from playlists.icecast import IcecastServer, IcecastSettings, fetch_mount_status
from playlists.playout_events import EngineSettings, EventKind, PlayoutEvent, PlayoutItem
from playlists.vlc_output import OutputSettings, StreamFormat
from tests.loopback import free_port, wait_until
from tests.playout.listening import Listener
from tests.playout.tones import Tones

MOUNT = "/test.mp3"
SOURCE_PASSWORD = "source-secret"
ADMIN_PASSWORD = "admin-secret"


@pytest.fixture
def icecast(tmp_path: Path) -> Iterator[IcecastServer]:
    settings = IcecastSettings(
        port=free_port(),
        source_password=SOURCE_PASSWORD,
        admin_password=ADMIN_PASSWORD,
        mount=MOUNT,
    )
    server = IcecastServer(settings, tmp_path / "icecast")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Tones:
    return Tones(tmp_path_factory.mktemp("tones"))


class Feed:
    """The caller's side: items handed out in order, and every event the engine reported."""

    def __init__(self, items: list[PlayoutItem] | None = None) -> None:
        self._items: deque[PlayoutItem] = deque(items or [])
        self._lock = threading.Lock()
        self.events: list[PlayoutEvent] = []
        self.asked = 0

    def add(self, *items: PlayoutItem) -> None:
        with self._lock:
            self._items.extend(items)

    def next_item(self) -> PlayoutItem | None:
        with self._lock:
            self.asked += 1
            return self._items.popleft() if self._items else None

    def on_event(self, event: PlayoutEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: EventKind, item_id: str | None = None) -> list[PlayoutEvent]:
        with self._lock:
            return [
                event
                for event in self.events
                if event.kind is kind
                and (item_id is None or (event.item is not None and event.item.item_id == item_id))
            ]

    def wait_for(
        self, kind: EventKind, item_id: str | None = None, *, count: int = 1, timeout_s: float = 15
    ) -> PlayoutEvent:
        wait_until(
            lambda: len(self.of(kind, item_id)) >= count,
            timeout_s=timeout_s,
            what=f"{count} {kind.value} event(s) for {item_id}; got {self.events}",
        )
        return self.of(kind, item_id)[count - 1]


def item(path: Path, item_id: str) -> PlayoutItem:
    return PlayoutItem(path=path, item_id=item_id, title=item_id)


EngineFactory = Callable[..., PlayoutEngine]


@pytest.fixture
def make_engine(icecast: IcecastServer, tmp_path: Path) -> Iterator[EngineFactory]:
    engines: list[PlayoutEngine] = []

    def make(
        feed: Feed, *, stream_format: StreamFormat = StreamFormat.MP3, fade_s: float = 0.0
    ) -> PlayoutEngine:
        output = OutputSettings(
            port=icecast.settings.port,
            mount=icecast.settings.mount,
            source_password=SOURCE_PASSWORD,
            stream_format=stream_format,
        )
        engine = PlayoutEngine(
            EngineSettings(output=output, work_dir=tmp_path / "engine", fade_s=fade_s),
            next_item=feed.next_item,
            on_event=feed.on_event,
        )
        engines.append(engine)
        engine.start()
        return engine

    try:
        yield make
    finally:
        for engine in engines:
            engine.stop()


@pytest.fixture
def listen(icecast: IcecastServer) -> Iterator[Callable[[], Listener]]:
    """Start a listener once the mount has a source (Icecast answers 404 before that)."""
    listeners: list[Listener] = []

    def start() -> Listener:
        settings = icecast.settings
        wait_until(
            lambda: fetch_mount_status(settings.base_url, settings.mount).has_source,
            timeout_s=10,
            what="a source on the mount",
        )
        listener = Listener(f"{settings.base_url}{settings.mount}")
        listeners.append(listener)
        return listener

    try:
        yield start
    finally:
        for listener in listeners:
            listener.stop()
