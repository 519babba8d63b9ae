"""Spoken alerts: espeak-ng reads the text, after an attention tone listeners learn to know.

Offline by design: no network, no model download; espeak-ng ships Spanish (es, es-419) and the
region's other voices with Debian. The attention signal is the two-tone 853 + 960 Hz chord that
emergency alert systems use, so it is recognised even by people who missed the words.

The tone and the speech are each brought to the station's loudness (the [media] target every
import is normalised to): espeak-ng speaks about 6 LU under it, and an alert quieter than the
programme it interrupts is the one thing on air that must not be missed.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from audio.errors import AudioError
from audio.loudness import (
    SILENCE_LUFS,
    Level,
    Loudness,
    gain_filters,
    measure_pcm,
    normalise_whole,
)

SAMPLE_RATE = 44100
ATTENTION_S = 2.0
CHORD = Loudness(integrated_lufs=-18.3, true_peak_dbtp=-15.1)
"""The chord as ffmpeg's sine sources make it (each sine at 1/8 scale), measured with ebur128.
A steady tone's loudness does not depend on its length (1 s and 5 s measure the same), so the
gain to the station's level is known without measuring each alert's tone."""


class SpeechError(RuntimeError):
    """Speech could not be produced; the message says what to fix."""


@cache
def available_voices() -> frozenset[str]:
    """Voice names espeak-ng knows (e.g. es, es-419, en-us)."""
    result = subprocess.run(
        ["espeak-ng", "--voices"], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        raise SpeechError("espeak-ng is not installed or does not run (apt install espeak-ng)")
    names = set()
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            names.add(fields[1])
    return frozenset(names)


def synthesize(text: str, *, voice: str, path: Path, words_per_minute: int = 150) -> Path:
    """Write the text as spoken WAV; text goes through stdin so nothing is parsed as options."""
    if not text.strip():
        raise SpeechError("there is no text to speak")
    if voice not in available_voices():
        raise SpeechError(f"espeak-ng has no voice {voice!r}")
    result = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(path), "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 or not path.exists() or path.stat().st_size < 100:
        raise SpeechError(f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()}")
    return path


def _ffmpeg(*args: str) -> None:
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise SpeechError(f"ffmpeg failed: {result.stderr.decode(errors='replace').strip()}")


def _to_level(source: Path, target: Path, *, level: Level, duration_s: float) -> Path:
    try:
        normalise_whole(source, target, level=level, duration_s=duration_s)
    except AudioError as exc:
        raise SpeechError(f"the alert audio could not be normalised: {exc}") from exc
    return target


def _speech_seconds(path: Path) -> float:
    """Length of espeak-ng's WAV (it writes plain PCM), which bounds the ffmpeg passes."""
    with wave.open(str(path)) as speech:
        return speech.getnframes() / speech.getframerate()


def spoken(text: str, *, voice: str, path: Path, level: Level) -> Path:
    """The text read by espeak-ng, brought to the station's level, written as FLAC."""
    with tempfile.TemporaryDirectory(prefix="altavoz-tts-") as scratch:
        raw = synthesize(text, voice=voice, path=Path(scratch) / "speech.wav")
        return _to_level(raw, path, level=level, duration_s=_speech_seconds(raw))


def _chord(level: Level, seconds: float) -> tuple[list[str], str]:
    """ffmpeg inputs and the chain (over inputs 0 and 1) that make the attention chord at `level`.

    The gain is known in advance (see CHORD), so the tone never costs an alert a measuring pass.
    Short fades avoid clicks.
    """
    gain_db = min(
        level.target_lufs - CHORD.integrated_lufs, level.ceiling_dbtp - CHORD.true_peak_dbtp
    )
    inputs = [
        "-f", "lavfi", "-i", f"sine=frequency=853:duration={seconds}:sample_rate={SAMPLE_RATE}",
        "-f", "lavfi", "-i", f"sine=frequency=960:duration={seconds}:sample_rate={SAMPLE_RATE}",
    ]  # fmt: skip
    chain = (
        f"[0:a][1:a]amix=inputs=2:normalize=0,volume={gain_db:.2f}dB,afade=t=in:d=0.05,"
        f"afade=t=out:st={max(seconds - 0.05, 0)}:d=0.05"
    )
    return inputs, chain


def attention_tone(path: Path, *, level: Level, seconds: float = ATTENTION_S) -> Path:
    """The 853 + 960 Hz two-tone attention signal at the station's level (under its ceiling)."""
    inputs, chain = _chord(level, seconds)
    _ffmpeg(*inputs, "-filter_complex", chain, "-ac", "2", "-ar", str(SAMPLE_RATE), str(path))
    return path


def speech_filters(speech: Path, level: Level) -> str:
    """The chain that brings espeak-ng's `speech` to `level`, measured in memory (no ffmpeg pass).

    espeak-ng writes plain 16-bit PCM, so reading it here is exact and quick; the gain is linear,
    with the look-ahead limiter only when the true peak would pass the ceiling.
    """
    with wave.open(str(speech)) as pcm:
        rate, channels = pcm.getframerate(), pcm.getnchannels()
        if pcm.getsampwidth() != 2:
            raise SpeechError("espeak-ng wrote audio that is not 16-bit PCM")
        frames = pcm.readframes(pcm.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64).reshape(-1, channels) / 32768
    loudness = measure_pcm(samples, rate)
    if loudness.integrated_lufs <= SILENCE_LUFS:
        raise SpeechError("espeak-ng produced silence for this text")
    gain = level.target_lufs - loudness.integrated_lufs
    limit = loudness.true_peak_dbtp + gain > level.ceiling_dbtp
    return gain_filters(gain, limit=limit, ceiling_dbtp=level.ceiling_dbtp)


@dataclass(frozen=True)
class Body:
    """One part of an alert after the tone: a file, and the chain that brings it to level."""

    path: Path
    filters: str = "anull"


VERSION_GAP_S = 0.7
"""Silence between an alert's versions on air, so listeners hear where a language ends."""


def alert_audio(
    body: Path,
    *,
    path: Path,
    level: Level,
    body_filters: str = "anull",
    attention: Path | None = None,
    repeats: int = 1,
    more: Sequence[Body] = (),
) -> Path:
    """Attention signal, half a second of silence, then `body` and each of `more` in turn (the
    alert's versions in other languages); `repeats` times, 1 s apart.

    One ffmpeg pass makes all of it, because every pass is time an urgent alert waits before it
    airs. `body_filters` brings made speech to `level`; a library recording (body or
    `attention`) was normalised when it was imported.
    """
    if attention is not None:
        inputs, tone = ["-i", str(attention)], "[0:a]anull"
    else:
        inputs, tone = _chord(level, ATTENTION_S)
    first = 2 if attention is None else 1
    bodies = [Body(body, body_filters), *more]
    stereo = f"aformat=sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    count = max(1, repeats)
    splits = "".join(f"[o{index}]" for index in range(count))
    graph = [f"{tone},{stereo},apad=pad_dur=0.5[tone]"]
    for index, part in enumerate(bodies):
        gap = f",apad=pad_dur={VERSION_GAP_S}" if index < len(bodies) - 1 else ""
        graph.append(f"[{first + index}:a]{stereo},{part.filters},{stereo}{gap}[b{index}]")
    parts = "".join(f"[b{index}]" for index in range(len(bodies)))
    graph.append(f"[tone]{parts}concat=n={len(bodies) + 1}:v=0:a=1,asplit={count}{splits}")
    for index in range(count):
        gap = ",apad=pad_dur=1.0" if index < count - 1 else ""
        graph.append(f"[o{index}]anull{gap}[p{index}]")
    graph.append("".join(f"[p{index}]" for index in range(count)) + f"concat=n={count}:v=0:a=1")
    for part in bodies:
        inputs += ["-i", str(part.path)]
    _ffmpeg(*inputs, "-filter_complex", ";".join(graph), str(path))
    return path


def spoken_alert(
    text: str, *, voice: str, path: Path, level: Level, attention: Path | None = None
) -> Path:
    """Attention signal, half a second of silence, then the spoken text, each at `level`."""
    with tempfile.TemporaryDirectory(prefix="altavoz-tts-") as scratch:
        speech = synthesize(text, voice=voice, path=Path(scratch) / "speech.wav")
        return alert_audio(
            speech,
            path=path,
            level=level,
            body_filters=speech_filters(speech, level),
            attention=attention,
        )
