"""A long silent upload is refused from a short analysis before it is decoded (about 40 s of
decoding and metering for an hour before), while a long file with any sound in it, even
between the sampled windows, goes on to the full pipeline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audio.errors import AudioError, Problem
from audio.ingest import prepare_recording
from audio.silence import refuse_if_silent
from audio.storage import MediaStore
from gateway.settings import MediaSettings
from tests.library.samples import ffmpeg


@pytest.fixture(scope="module")
def silent_hour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("silent") / "silent-hour.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "3590", "-c:a", "flac", target)
    return target


def test_a_silent_hour_is_refused_in_seconds_without_decoding_it(
    silent_hour: Path, tmp_path: Path
) -> None:
    store = MediaStore(tmp_path / "media")
    started = time.monotonic()
    with pytest.raises(AudioError) as refused:
        prepare_recording(silent_hour, media=MediaSettings(dir=tmp_path / "media"), store=store)
    assert refused.value.problem is Problem.SILENT
    assert "silent" in refused.value.message and "59:50" in refused.value.message
    assert time.monotonic() - started < 8.0
    assert not any(path.is_file() for path in (tmp_path / "media").rglob("*"))


def test_sound_between_the_sampled_windows_is_not_refused_early(tmp_path: Path) -> None:
    # 24 one-second windows over 600 s are centred on 12.5 s, 37.5 s, ...: 100 s is between.
    source = tmp_path / "one-word.flac"
    expression = "if(between(t,100,100.3),0.5*sin(2*PI*440*t),0)"
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{expression}':s=8000:d=600", "-c:a", "flac", source)
    refuse_if_silent(source, duration_s=600.0)


def test_short_files_are_left_to_the_full_check(tmp_path: Path) -> None:
    source = tmp_path / "short-silence.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "30", "-c:a", "flac", source)
    refuse_if_silent(source, duration_s=30.0)
    with pytest.raises(AudioError, match="silent"):
        prepare_recording(
            source, media=MediaSettings(dir=tmp_path / "m"), store=MediaStore(tmp_path / "m")
        )
