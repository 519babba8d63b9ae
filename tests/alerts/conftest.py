"""Fixtures shared by the alert tests."""

from __future__ import annotations

import pytest

from gateway.database import Database, utcnow
from sms import subscribers
from sms.subscribers import ConsentChannel


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
