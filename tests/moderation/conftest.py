"""Speech for the moderation tests, made once per session by espeak-ng (a few seconds)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SPEECH = (
    "Radio Altavoz. Las defensoras hablan desde sus comunidades. "
    "Necesitamos agua limpia y caminos seguros para las niñas."
)


def speak(target: Path, voice: str) -> Path:
    result = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "-w", str(target), SPEECH],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return target


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("moderation-audio")


@pytest.fixture(scope="session")
def woman_voice(speech_dir: Path) -> Path:
    """A higher (F0 about 200 Hz) synthetic Spanish voice, standing in for most of our callers."""
    return speak(speech_dir / "woman.wav", "es+f3")


@pytest.fixture(scope="session")
def man_voice(speech_dir: Path) -> Path:
    """espeak-ng's default Spanish voice, F0 about 100 Hz."""
    return speak(speech_dir / "man.wav", "es")
