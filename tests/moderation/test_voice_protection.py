"""The disguised copy: pitch and formants moved as far as asked, timing and speech kept.

Measured with numpy (tests/moderation/measure.py), never judged by ear. A pitch-only shift
with formants preserved serves as the control that shows the formant measurement can fail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from audio.errors import AudioError
from audio.voice_protection import (
    DEFAULT_FORMANT_SEMITONES,
    DEFAULT_SEMITONES,
    disguise,
    filter_chain,
)
from tests.moderation import measure

TOLERANCE_ST = 0.25
"""Measurement resolution: espeak-ng's intonation and the median over frames."""


@pytest.fixture(scope="module")
def disguised_woman(woman_voice: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return disguise(woman_voice, tmp_path_factory.mktemp("protected") / "woman.flac")


def test_defaults_lower_pitch_and_formants_by_different_amounts() -> None:
    assert DEFAULT_SEMITONES <= -4
    assert DEFAULT_FORMANT_SEMITONES <= -2
    assert DEFAULT_SEMITONES != DEFAULT_FORMANT_SEMITONES


def test_fundamental_frequency_drops_by_at_least_the_requested_semitones(
    woman_voice: Path, disguised_woman: Path
) -> None:
    before = measure.fundamental_hz(measure.samples(woman_voice))
    after = measure.fundamental_hz(measure.samples(disguised_woman))
    assert 170 < before < 240, "the test voice should be a high one"
    assert measure.semitones(after, before) <= DEFAULT_SEMITONES + TOLERANCE_ST


def test_spectral_envelope_moves_by_at_least_the_formant_shift(
    woman_voice: Path, disguised_woman: Path
) -> None:
    shift = measure.envelope_shift(measure.samples(woman_voice), measure.samples(disguised_woman))
    assert shift <= DEFAULT_FORMANT_SEMITONES + TOLERANCE_ST


def test_formant_measurement_sees_no_move_when_formants_are_preserved(
    woman_voice: Path, tmp_path: Path
) -> None:
    """Control: pitch down 5 semitones with rubberband's formant preservation alone."""
    control = tmp_path / "pitch-only.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(woman_voice), "-af",
         f"rubberband=pitch={2 ** (-5 / 12):.6f}:formant=preserved", str(control)],
        check=True,
    )  # fmt: skip
    before, after = measure.samples(woman_voice), measure.samples(control)
    assert measure.semitones(measure.fundamental_hz(after), measure.fundamental_hz(before)) < -4.5
    assert abs(measure.envelope_shift(before, after)) <= 0.5


def test_duration_is_unchanged(woman_voice: Path, disguised_woman: Path) -> None:
    before = len(measure.samples(woman_voice))
    after = len(measure.samples(disguised_woman))
    assert abs(after - before) / before < 0.02


def test_speech_stays_where_it_was_and_stays_voiced(
    woman_voice: Path, disguised_woman: Path
) -> None:
    """Same loudness contour in time (so Vosk's word timings still fit) and as much voicing."""
    before, after = measure.samples(woman_voice), measure.samples(disguised_woman)
    envelope_before, envelope_after = (
        measure.energy_envelope(before),
        measure.energy_envelope(after),
    )
    frames = min(len(envelope_before), len(envelope_after))
    correlation = np.corrcoef(envelope_before[:frames], envelope_after[:frames])[0, 1]
    assert correlation > 0.85
    assert len(measure.voiced_f0s(after)) >= 0.8 * len(measure.voiced_f0s(before))
    assert float(np.sqrt(np.mean(after**2))) > 0.3 * float(np.sqrt(np.mean(before**2)))


def test_shifts_can_go_up_for_a_low_voice(man_voice: Path, tmp_path: Path) -> None:
    target = disguise(man_voice, tmp_path / "man.flac", semitones=5, formant_semitones=3)
    before, after = measure.samples(man_voice), measure.samples(target)
    assert measure.semitones(measure.fundamental_hz(after), measure.fundamental_hz(before)) >= (
        5 - TOLERANCE_ST
    )
    assert measure.envelope_shift(before, after) >= 3 - TOLERANCE_ST


def test_copy_is_mono_flac_without_the_senders_tags(woman_voice: Path, tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(woman_voice), "-metadata", "artist=María López",
         "-metadata", "comment=+50255551234", "-c:a", "aac", str(tagged)],
        check=True,
    )  # fmt: skip
    target = disguise(tagged, tmp_path / "out.flac")
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             str(target)],
            capture_output=True, check=True, text=True,
        ).stdout
    )  # fmt: skip
    stream = probe["streams"][0]
    assert (stream["codec_name"], stream["channels"]) == ("flac", 1)
    shown = json.dumps(probe, ensure_ascii=False)
    assert "López" not in shown and "5555" not in shown


@pytest.mark.parametrize("semitones", [0.0, 1.5, -1.0, 13.0])
def test_too_weak_or_too_wild_a_pitch_shift_is_refused(semitones: float) -> None:
    with pytest.raises(ValueError, match="pitch shift"):
        filter_chain(semitones, -3.0)


def test_too_wild_a_formant_shift_is_refused() -> None:
    with pytest.raises(ValueError, match="formant"):
        filter_chain(-5.0, 7.0)


def test_text_named_wav_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    fake = tmp_path / "note.wav"
    fake.write_text("esto no es audio\n" * 50)
    target = tmp_path / "out" / "protected.flac"
    with pytest.raises(AudioError):
        disguise(fake, target)
    assert list(target.parent.iterdir()) == []
