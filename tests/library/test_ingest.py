"""Import: every format phones and apps send, loudness on target, bad input leaves nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audio.errors import AudioError, Problem
from audio.ingest import prepare_recording
from audio.storage import MediaStore, file_sha256
from gateway.settings import MediaSettings
from tests.library.samples import decoded, ffmpeg, integrated_loudness

MEDIA = MediaSettings()
FORMATS = ["wav", "mp3", "opus", "m4a", "flac", "amr-nb", "amr-wb"]


def files_in(store: MediaStore) -> list[Path]:
    return [path for path in store.root.rglob("*") if path.is_file()] if store.root.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_becomes_broadcast_flac_at_the_target_loudness(
    name: str, formats: dict[str, Path], store: MediaStore
) -> None:
    prepared = prepare_recording(formats[name], media=MEDIA, store=store)
    stored = store.path(prepared.media.relative)
    assert stored.name == f"{prepared.sha256}.flac"
    assert file_sha256(stored) == prepared.sha256
    samples, rate = decoded(stored)
    assert (rate, samples.shape[1]) == (44100, 2)
    assert prepared.duration_s == pytest.approx(len(samples) / rate, abs=0.01)
    assert 2.0 < prepared.duration_s < 6.0
    assert abs(integrated_loudness(stored) - MEDIA.loudness_target_lufs) <= 0.5
    assert prepared.true_peak_dbtp <= MEDIA.true_peak_dbtp
    picture = store.path(prepared.waveform.relative).read_text(encoding="utf-8")
    assert picture.startswith("<svg") and "<path" in picture and len(picture) < 20_000
    assert not list((store.root / ".scratch").iterdir())


@pytest.mark.parametrize("which", ["quiet", "loud"])
def test_quiet_and_loud_sources_land_within_half_a_lu_of_the_target(
    which: str, quiet_source: Path, loud_source: Path, store: MediaStore
) -> None:
    source = quiet_source if which == "quiet" else loud_source
    before = integrated_loudness(source)
    assert before < -45 if which == "quiet" else before > -13
    for target in (-16.0, -23.0):
        media = MediaSettings(loudness_target_lufs=target)
        prepared = prepare_recording(source, media=media, store=store)
        after = integrated_loudness(store.path(prepared.media.relative))
        assert abs(after - target) <= 0.5, (which, target, after)
        assert prepared.source_loudness_lufs == pytest.approx(before, abs=0.5)
        assert prepared.true_peak_dbtp <= media.true_peak_dbtp


def test_silence_at_both_ends_is_trimmed_only_when_asked(
    quiet_source: Path, formats: dict[str, Path], store: MediaStore
) -> None:
    speech_length = len(decoded(formats["wav"])[0]) / 22050
    kept = prepare_recording(quiet_source, media=MEDIA, store=store)
    trimmed = prepare_recording(quiet_source, media=MediaSettings(trim_silence=True), store=store)
    assert kept.duration_s == pytest.approx(speech_length + 2.0, abs=0.05)
    assert trimmed.duration_s < speech_length + 0.5
    assert trimmed.duration_s > speech_length - 0.3
    assert trimmed.sha256 != kept.sha256


def test_the_same_audio_imported_twice_is_stored_once(
    formats: dict[str, Path], store: MediaStore
) -> None:
    first = prepare_recording(formats["flac"], media=MEDIA, store=store)
    second = prepare_recording(formats["flac"], media=MEDIA, store=store)
    assert first.media.relative == second.media.relative
    assert not second.media.created and first.media.created
    assert len(files_in(store)) == 2


@pytest.mark.parametrize(
    ("name", "problem", "words"),
    [
        ("empty", Problem.EMPTY, "empty"),
        ("text", Problem.NOT_AUDIO, "not audio"),
        ("truncated", Problem.DAMAGED, "cut short"),
    ],
)
def test_bad_files_are_refused_with_one_sentence_and_leave_nothing(
    name: str, problem: Problem, words: str, bad_files: dict[str, Path], store: MediaStore
) -> None:
    with pytest.raises(AudioError) as refused:
        prepare_recording(bad_files[name], media=MEDIA, store=store)
    assert refused.value.problem is problem
    assert words in str(refused.value) and "\n" not in str(refused.value)
    assert files_in(store) == []


def test_a_two_hour_file_is_refused_before_it_is_decoded(
    two_hour_file: Path, store: MediaStore
) -> None:
    started = time.monotonic()
    with pytest.raises(AudioError) as refused:
        prepare_recording(two_hour_file, media=MEDIA, store=store)
    assert time.monotonic() - started < 3.0
    assert refused.value.problem is Problem.TOO_LONG
    assert "2:00:00" in str(refused.value) and "1:00:00" in str(refused.value)
    assert files_in(store) == []


def test_a_silent_recording_is_refused(audio_dir: Path, store: MediaStore) -> None:
    silent = audio_dir / "silent.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", silent)
    with pytest.raises(AudioError) as refused:
        prepare_recording(silent, media=MEDIA, store=store)
    assert refused.value.problem is Problem.SILENT
    assert files_in(store) == []
