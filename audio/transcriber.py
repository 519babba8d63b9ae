"""Offline speech to text with Vosk: one model loaded once, then many files through it.

Loading a model takes seconds and hundreds of megabytes, so a `Transcriber` is made once per
worker process and reused. Audio goes through ffmpeg to 16 kHz mono 16-bit PCM (what Vosk
models are trained on) and is piped straight into the recogniser: no temporary file of the
caller's voice is ever written.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vosk

from audio.vosk_models import ModelError

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
CHUNK_BYTES = 8000
"""4000 samples per AcceptWaveform call, as in Vosk's own examples: Vosk's endpointing and
word choices depend slightly on how the audio is cut into calls, and with the same chunks our
transcript is exactly what those examples (and the people comparing against them) get."""


class TranscriptionError(Exception):
    """The file could not be turned into sound for Vosk; the message says why."""


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float

    def as_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "end": self.end, "conf": self.conf}


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    duration_s: float

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [word.as_json() for word in self.words],
            "duration_s": round(self.duration_s, 3),
        }


def _utterance(raw: str) -> tuple[str, list[Word]]:
    result = json.loads(raw)
    words = [
        Word(
            word=str(item["word"]),
            start=float(item["start"]),
            end=float(item["end"]),
            conf=float(item.get("conf", 1.0)),
        )
        for item in result.get("result", [])
    ]
    return str(result.get("text", "")).strip(), words


def _drain(stream: Iterable[bytes], tail: deque[bytes]) -> None:
    for line in stream:
        tail.append(line)


class Transcriber:
    """One Vosk model held in memory; `transcribe` may be called any number of times."""

    def __init__(self, model_dir: Path) -> None:
        vosk.SetLogLevel(-1)
        try:
            self.model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception when Kaldi refuses the files
            raise ModelError(f"Vosk could not load the model in {model_dir}: {exc}") from exc
        self.model_dir = model_dir

    def transcribe(
        self,
        path: Path,
        *,
        max_duration_s: float | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        """Text and word timings of the first audio stream of `path`; `on_progress` hears the
        seconds done after every chunk (a worker beats its heartbeat there on long files)."""
        limit = [] if max_duration_s is None else ["-t", f"{max_duration_s:.3f}"]
        argv = [
            "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-i", str(path),
            *limit, "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE),
            "-f", "s16le", "-acodec", "pcm_s16le", "-",
        ]  # fmt: skip
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except FileNotFoundError as exc:
            raise TranscriptionError("ffmpeg is not installed (apt install ffmpeg)") from exc
        assert process.stdout is not None and process.stderr is not None
        errors: deque[bytes] = deque(maxlen=5)
        drainer = threading.Thread(target=_drain, args=(process.stderr, errors), daemon=True)
        drainer.start()
        recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        recognizer.SetWords(True)
        texts: list[str] = []
        words: list[Word] = []
        total = 0
        try:
            while chunk := process.stdout.read(CHUNK_BYTES):
                total += len(chunk)
                if on_progress is not None:
                    on_progress(total / BYTES_PER_SECOND)
                if recognizer.AcceptWaveform(chunk):
                    text, found = _utterance(recognizer.Result())
                    texts.append(text)
                    words += found
            text, found = _utterance(recognizer.FinalResult())
            texts.append(text)
            words += found
        finally:
            process.stdout.close()
            status = process.wait()
            drainer.join()
            process.stderr.close()
        if status != 0:
            detail = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
            raise TranscriptionError(
                f"ffmpeg could not decode {path.name}: {detail[-1] if detail else status}"
            )
        if total == 0:
            raise TranscriptionError(f"{path.name} holds no sound to transcribe")
        return Transcript(
            text=" ".join(text for text in texts if text),
            words=tuple(words),
            duration_s=total / BYTES_PER_SECOND,
        )
