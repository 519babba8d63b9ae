"""Disguising a caller's voice on air, so that neighbours and aggressors cannot recognise her.

People recognise a voice mostly by two things: its pitch (the fundamental frequency, F0, and
its range) and its timbre, which is shaped by the length of the vocal tract (the formants).
Shifting only the pitch gives the familiar "chipmunk" or "giant" effect in which the speaker is
still recognisable, because formants and speaking rhythm are hers; shifting pitch and formants
by the same ratio (a plain resample) is undone by resampling back. So both are moved, by
different amounts, in one ffmpeg pass, without changing the tempo:

1. `asetrate` reinterprets the samples at a different rate: pitch, formants and tempo all move
   by the formant ratio (the vocal tract gets longer or shorter);
2. `rubberband` (a phase vocoder) then restores the tempo and moves the pitch on to the
   requested shift with `formant=preserved`, keeping the formants where step 1 put them.

Because rubberband's formant preservation is approximate, part of its pitch correction leaks
into the formants: the measured envelope moves a little further than `formant_semitones` in the
direction of the pitch shift (about -4 semitones with the defaults). The two passes are lossy,
so the original cannot be rebuilt by inverting the parameters exactly.

Defaults, chosen for women's voices (most of our callers) and checked by measurement in
tests/moderation/test_voice_protection.py:

- `semitones = -5`: F0 drops by 25 % (a 200 Hz voice lands near 150 Hz, a range shared by many
  women and men), far beyond the 1-2 semitones that still sound like "the same person with a
  cold". Larger shifts start to smear consonants.
- `formant_semitones = -3`: a vocal tract about 19 % longer. Intelligibility holds up to about
  +-4 semitones of formant shift; beyond that vowels start to be confused.
- Tempo is untouched: Vosk's word timings of the original stay valid for the protected copy, so
  the panel can highlight words while it plays, and the duration matches within a few ms.

The copy is mono FLAC with every tag dropped (a phone's tags can carry the caller's name).
This is a protection against recognition by ear, not forensic anonymity: speaking style, words
and background sounds still identify; for the highest risk, broadcast the transcript read by
someone else instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from audio.errors import AudioError, Problem
from audio.ffmpeg import ToolMissing, ffmpeg, last_error_line

PROTECTED_SUFFIX = ".flac"
PROTECTED_MEDIA_TYPE = "audio/flac"
DEFAULT_SEMITONES = -5.0
DEFAULT_FORMANT_SEMITONES = -3.0
MIN_PITCH_SHIFT = 2.0
"""Below two semitones a voice is still recognised: refusing such a 'protection' is safer than
giving a moderator false confidence."""
MAX_SHIFT = 12.0
MAX_FORMANT_SHIFT = 6.0
WORK_RATE = 44100
DEFAULT_TIMEOUT_S = 900.0


def ratio(semitones: float) -> float:
    """The frequency factor of a shift in equal-tempered semitones."""
    return float(2.0 ** (semitones / 12.0))


def _check(semitones: float, formant_semitones: float) -> None:
    if not MIN_PITCH_SHIFT <= abs(semitones) <= MAX_SHIFT:
        raise ValueError(
            f"the pitch shift must be between {MIN_PITCH_SHIFT:g} and {MAX_SHIFT:g} semitones "
            f"up or down, not {semitones:g}"
        )
    if abs(formant_semitones) > MAX_FORMANT_SHIFT:
        raise ValueError(
            f"the formant shift must be within +-{MAX_FORMANT_SHIFT:g} semitones, "
            f"not {formant_semitones:g}"
        )


def filter_chain(semitones: float, formant_semitones: float) -> str:
    """The ffmpeg audio filter graph for one disguise (public so tests can show what is run)."""
    _check(semitones, formant_semitones)
    stretched_rate = round(WORK_RATE * ratio(formant_semitones))
    formant = stretched_rate / WORK_RATE
    pitch = ratio(semitones) / formant
    return ",".join(
        [
            f"aresample={WORK_RATE}",
            f"asetrate={stretched_rate}",
            f"aresample={WORK_RATE}",
            f"rubberband=tempo={1.0 / formant:.6f}:pitch={pitch:.6f}"
            ":formant=preserved:pitchq=quality",
        ]
    )


def disguise(
    source: Path,
    target: Path,
    *,
    semitones: float = DEFAULT_SEMITONES,
    formant_semitones: float = DEFAULT_FORMANT_SEMITONES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Write a voice-disguised mono FLAC copy of `source` to `target`.

    Raises ValueError for shifts too weak (or too wild) to be a protection, AudioError when the
    source cannot be decoded, ToolMissing when ffmpeg lacks rubberband. `target` is written
    under a temporary name and renamed, so it never exists half-written.
    """
    graph = filter_chain(semitones, formant_semitones)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        dir=target.parent, prefix=".disguise-", suffix=PROTECTED_SUFFIX
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        result = ffmpeg(
            "-v", "error", "-i", source,
            "-map", "0:a:0", "-map_metadata", "-1", "-vn", "-sn",
            "-af", graph, "-ac", "1", "-ar", str(WORK_RATE), "-c:a", "flac",
            temporary,
            timeout=timeout_s,
        )  # fmt: skip
        if result.returncode != 0:
            if "rubberband" in result.stderr and "No such filter" in result.stderr:
                raise ToolMissing("this ffmpeg was built without the rubberband filter")
            raise AudioError(
                Problem.DAMAGED,
                f"the voice could not be disguised ({last_error_line(result.stderr)})",
            )
        if temporary.stat().st_size == 0:
            raise AudioError(Problem.DAMAGED, "the disguised copy came out empty")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
