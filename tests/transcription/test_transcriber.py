"""A real Vosk transcription of Korean speech, checked against Vosk's own example loop."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

from audio.transcriber import Transcriber, TranscriptionError
from audio.vosk_models import ModelError, model_path
from tests.transcription.conftest import ROOT, plain_vosk

OURS = """
import json, sys
from pathlib import Path
from audio.transcriber import Transcriber
print(json.dumps(Transcriber(Path(sys.argv[1])).transcribe(Path(sys.argv[2])).as_json()))
"""


def ours_in_a_fresh_process(model_dir: Path, audio: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", OURS, str(model_dir), str(audio)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_transcript_is_what_vosk_itself_hears_with_word_timings(
    models_dir: Path, korean_wav: Path, korean_16k: Path
) -> None:
    """Ours converts espeak-ng's 22.05 kHz WAV itself; Vosk's loop reads a 16 kHz copy."""
    model = model_path("ko", models_dir)
    expected = plain_vosk(model, korean_16k)
    ours = ours_in_a_fresh_process(model, korean_wav)
    assert len(expected["text"].split()) >= 5
    assert ours["text"] == expected["text"]
    assert ours["words"] == [
        {"word": w["word"], "start": w["start"], "end": w["end"], "conf": w["conf"]}
        for w in expected["words"]
    ]
    with wave.open(str(korean_16k), "rb") as audio:
        assert ours["duration_s"] == pytest.approx(audio.getnframes() / 16000, abs=0.001)


def test_words_carry_ordered_timings_and_confidences(
    transcriber: Transcriber, korean_16k: Path
) -> None:
    transcript = transcriber.transcribe(korean_16k)
    assert transcript.text == " ".join(word.word for word in transcript.words)
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert all(0.0 <= word.conf <= 1.0 for word in transcript.words)
    assert all(word.start <= word.end <= transcript.duration_s for word in transcript.words)


def test_any_format_is_converted_to_16k_mono_on_the_way_in(
    transcriber: Transcriber, korean_mp3: Path, korean_16k: Path
) -> None:
    from_mp3 = transcriber.transcribe(korean_mp3)
    assert len(from_mp3.words) >= 5
    with wave.open(str(korean_16k), "rb") as audio:
        assert from_mp3.duration_s == pytest.approx(audio.getnframes() / 16000, abs=0.1)


def test_one_loaded_model_serves_many_files(transcriber: Transcriber, korean_16k: Path) -> None:
    model = transcriber.model
    transcripts = [transcriber.transcribe(korean_16k) for _ in range(2)]
    assert transcriber.model is model
    assert all(len(t.words) >= 5 for t in transcripts)


def test_a_file_that_is_not_audio_is_a_transcription_error(
    transcriber: Transcriber, text_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(TranscriptionError, match=r"ffmpeg could not decode notes\.wav"):
        transcriber.transcribe(text_file)
    with pytest.raises(TranscriptionError, match="ffmpeg could not decode"):
        transcriber.transcribe(tmp_path / "missing.wav")


def test_the_duration_limit_stops_decoding(transcriber: Transcriber, korean_16k: Path) -> None:
    assert transcriber.transcribe(korean_16k, max_duration_s=1.0).duration_s == pytest.approx(1.0)


def test_a_folder_vosk_cannot_load_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Vosk could not load the model"):
        Transcriber(tmp_path)
