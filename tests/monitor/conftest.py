"""Fixtures for the air monitor: a real Icecast, tones and listeners (from tests/playout), and
the simulated SMSC (from tests/sms_delivery) for the staff SMS."""

from tests.playout.conftest import icecast, listen, tones
from tests.sms_delivery.conftest import smsc

__all__ = ["icecast", "listen", "smsc", "tones"]
