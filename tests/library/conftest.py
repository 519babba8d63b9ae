"""Audio for the library tests, generated once per test session (a few seconds in all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.library import samples


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("library-audio")


@pytest.fixture(scope="session")
def formats(audio_dir: Path) -> dict[str, Path]:
    return samples.make_formats(audio_dir)


@pytest.fixture(scope="session")
def quiet_source(formats: dict[str, Path], audio_dir: Path) -> Path:
    return samples.quiet_with_silence(formats["wav"], audio_dir / "quiet.wav")


@pytest.fixture(scope="session")
def loud_source(formats: dict[str, Path], audio_dir: Path) -> Path:
    return samples.loud(formats["wav"], audio_dir / "loud.wav")


@pytest.fixture(scope="session")
def two_hour_file(audio_dir: Path) -> Path:
    return samples.two_hours(audio_dir / "two-hours.flac")


@pytest.fixture(scope="session")
def bad_files(formats: dict[str, Path], audio_dir: Path) -> dict[str, Path]:
    empty = audio_dir / "empty.wav"
    empty.write_bytes(b"")
    text = audio_dir / "notes.wav"
    text.write_text("Esto no es audio, es una nota de texto.\n" * 20, encoding="utf-8")
    return {
        "empty": empty,
        "text": text,
        "truncated": samples.truncated_mp3(formats["mp3"], audio_dir / "truncated.mp3"),
    }
