"""Fixtures shared by the alert tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.database import Database, utcnow
from gateway.settings import Settings
from sms import subscribers
from sms.subscribers import ConsentChannel
from tests.conftest import station_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A station with SMPP on: these alerts go out by SMS (SMS off is tested apart)."""
    return station_settings(tmp_path, smpp={"enabled": True})


@pytest.fixture
def in_solola(database: Database) -> None:
    """One opted-in subscriber, in Sololá."""
    with database.session() as session:
        subscribers.subscribe(
            session,
            phone="+50255551234",
            region="Sololá",
            language="es",
            channel=ConsentChannel.PANEL,
            default_region="GT",
            now=utcnow(),
        )
