"""The playout fixtures (a real Icecast on a free port, generated tones) reused here."""

from tests.playout.conftest import icecast, tones

__all__ = ["icecast", "tones"]
