"""`altavoz transcribe` and `altavoz models` as real processes: output, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.transcription.conftest import ROOT
from tests.transcription.test_vosk_models import fake_model

ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")


def station(tmp_path: Path, models_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(models_dir),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
    }


def altavoz(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_transcribe_prints_the_text_and_with_json_the_word_timings(
    tmp_path: Path, models_dir: Path, korean_wav: Path
) -> None:
    """Each run is a fresh process, so both print what Vosk itself hears (test_transcriber)."""
    env = station(tmp_path, models_dir)
    plain = altavoz(env, "transcribe", str(korean_wav), "--lang", "ko")
    assert plain.returncode == 0, plain.stderr
    as_json = altavoz(env, "transcribe", str(korean_wav), "--lang", "ko", "--json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert len(document["words"]) >= 5
    assert plain.stdout == document["text"] + "\n"
    assert document["text"] == " ".join(w["word"] for w in document["words"])
    assert set(document["words"][0]) == {"word", "start", "end", "conf"}
    assert document["language"] == "ko"
    assert document["duration_s"] == pytest.approx(6.28, abs=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "xx"], "altavoz: 'xx' is not a known language code (ISO 639-1)\n"),
        (["--lang", "es"], "altavoz: no Vosk model installed for language 'es' "),
        (["--lang", "ko", "missing.wav"], "altavoz: missing.wav: no such file\n"),
        (
            ["--lang", "ko", "NOTES"],
            "altavoz: {notes}: the file is not audio that ffmpeg can read\n",
        ),
    ],
)
def test_transcribe_errors_are_one_line(
    tmp_path: Path,
    models_dir: Path,
    korean_wav: Path,
    text_file: Path,
    args: list[str],
    message: str,
) -> None:
    if not any(arg.endswith(".wav") or arg == "NOTES" for arg in args):
        args = [*args, str(korean_wav)]
    args = [str(text_file) if arg == "NOTES" else arg for arg in args]
    done = altavoz(station(tmp_path, models_dir), "transcribe", *args)
    assert done.returncode != 0
    assert done.stderr.startswith(message.format(notes=text_file))
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_models_add_from_a_zip_then_list_and_refusals(tmp_path: Path) -> None:
    models = tmp_path / "models"
    env = station(tmp_path, models)
    assert "no Vosk models installed" in altavoz(env, "models", "list").stdout
    source = fake_model(tmp_path / "build" / "vosk-model-small-pt-0.3")
    archive = tmp_path / "vosk-model-small-pt-0.3.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(source.rglob("*")):
            out.write(path, path.relative_to(source.parent).as_posix())
    added = altavoz(env, "models", "add", str(archive), "--lang", "pt")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("installed vosk-model-small-pt-0.3 for language 'pt' in ")
    listed = altavoz(env, "models", "list")
    assert listed.stdout.split("\t")[:2] == ["pt", "vosk-model-small-pt-0.3"]
    assert listed.stdout.rstrip().endswith("\tok")
    (tmp_path / "empty").mkdir()
    refused = altavoz(env, "models", "add", str(tmp_path / "empty"), "--lang", "es")
    assert refused.returncode == 2
    assert refused.stderr.startswith("altavoz: empty is not a Vosk model: it has no am/final.mdl")
    bad_lang = altavoz(env, "models", "add", str(archive), "--lang", "portugues")
    assert bad_lang.returncode == 2 and "is not a language code" in bad_lang.stderr
    assert sorted(p.name for p in models.iterdir()) == ["pt"]
