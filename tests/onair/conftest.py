"""A station per test module: `altavoz serve` with a fallback playlist (the bed) on air, the
delay our listening adds, measured on that station's Icecast, and a listener per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.onair.hearing import pipeline_delay
from tests.onair.station import BED, SOURCE_PASSWORD, Station
from tests.playout.conftest import tones
from tests.playout.listening import Listener
from tests.playout.tones import Tones

__all__ = ["tones"]


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory, tones: Tones) -> Iterator[Station]:
    with Station(tmp_path_factory.mktemp("station")) as running:
        running.air_fallback([tones.tone(frequency, 3.0) for frequency in BED])
        yield running


@pytest.fixture(scope="module")
def pipeline(station: Station) -> float:
    """Seconds Icecast and our decoder add between a source and a listener."""
    return pipeline_delay(station.icecast_url, SOURCE_PASSWORD)


@pytest.fixture
def listener(station: Station) -> Iterator[Listener]:
    tuned = station.listen()
    yield tuned
    tuned.stop()
