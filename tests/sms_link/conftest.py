"""Fixtures for the SMPP link: a real simulated SMSC, and an events recorder to wait on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from sms.link import SmppLink
from sms.link_events import Delivery, LinkState
from sms.link_settings import LinkSettings
from sms.pacing import Pacing
from tests.smsc_harness import SmscSimulator, running_simulator

STOP_TIMEOUT_S = 10.0


class HookPacing:
    """Pacing by a plain `may_send_at(now)` function; answers are only recorded."""

    def __init__(self, may_send_at: Callable[[float], float]) -> None:
        self.may_send_at = may_send_at
        self.answers: list[bool] = []

    def sent(self, count: int, at: float) -> None:
        return None

    def answered(self, now: float, *, throttled: bool) -> None:
        self.answers.append(throttled)


class RecordingEvents:
    """LinkEvents that keeps every call, with waits that poll a condition under a deadline."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.calls: list[tuple[str, Any, Any]] = []
        self.states: list[LinkState] = []

    def _record(self, kind: str, first: Any, second: Any = None) -> None:
        with self._changed:
            self.calls.append((kind, first, second))
            self._changed.notify_all()

    def submitted(self, key: Hashable, message_id: str) -> None:
        self._record("submitted", key, message_id)

    def throttled(self, key: Hashable, status: int) -> None:
        self._record("throttled", key, status)

    def failed(self, key: Hashable, status: int) -> None:
        self._record("failed", key, status)

    def unknown(self, key: Hashable) -> None:
        self._record("unknown", key)

    def unsent(self, key: Hashable) -> None:
        self._record("unsent", key)

    def receipt(self, delivery: Delivery) -> None:
        self._record("receipt", delivery)

    def inbound(self, delivery: Delivery) -> None:
        self._record("inbound", delivery)

    def link_state(self, state: LinkState) -> None:
        with self._changed:
            self.states.append(state)
            self._changed.notify_all()

    def of(self, kind: str) -> list[tuple[Any, Any]]:
        with self._changed:
            return [(first, second) for name, first, second in self.calls if name == kind]

    def outcomes(self) -> dict[Hashable, str]:
        """The last outcome reported for each submission key."""
        with self._changed:
            return {
                first: name
                for name, first, _ in self.calls
                if name in {"submitted", "throttled", "failed", "unknown", "unsent"}
            }

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Re-checked on every event, and every 50 ms for conditions outside the recorder."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"condition not met in {timeout}s; calls: {self.calls}")
                self._changed.wait(min(remaining, 0.05))

    def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[tuple[Any, Any]]:
        self.wait_until(lambda: len(self.of(kind)) >= count, timeout)
        return self.of(kind)

    def wait_for_state(self, state: LinkState, occurrences: int = 1, timeout: float = 5.0) -> None:
        self.wait_until(lambda: self.states.count(state) >= occurrences, timeout)


@pytest.fixture
def smsc() -> Iterator[SmscSimulator]:
    with running_simulator(system_id="altavoz", password="s3cret") as simulator:
        yield simulator


@pytest.fixture
def link_settings(smsc: SmscSimulator) -> LinkSettings:
    return LinkSettings(
        host="127.0.0.1",
        port=smsc.smpp_port,
        system_id=smsc.system_id,
        password=smsc.password,
        source_addr="Altavoz",
        response_timeout_s=2.0,
        enquire_link_interval_s=30.0,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.5,
    )


@pytest.fixture
def start_link() -> Iterator[Callable[..., tuple[SmppLink, RecordingEvents]]]:
    """Start links on their own threads; every one is stopped and joined after the test."""
    running: list[tuple[SmppLink, threading.Thread]] = []

    def start(
        settings: LinkSettings,
        pacing: Pacing | None = None,
        *,
        acknowledge_later: bool = False,
        **changes: Any,
    ) -> tuple[SmppLink, RecordingEvents]:
        events = RecordingEvents()
        link = SmppLink(
            replace(settings, **changes),
            events,
            pacing=pacing,
            acknowledge_later=acknowledge_later,
        )
        running.append((link, link.start()))
        return link, events

    try:
        yield start
    finally:
        for link, _thread in running:
            link.stop()
        for _link, thread in running:
            thread.join(STOP_TIMEOUT_S)
            assert not thread.is_alive(), "the link did not stop in time"
