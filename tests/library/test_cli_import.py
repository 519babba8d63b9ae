"""`altavoz audio import` as a real process: a line per file, one-line errors, nothing half-done."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from audio.models import Recording
from gateway import migrate
from gateway.database import Database

ROOT = Path(__file__).resolve().parents[2]
ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")


@pytest.fixture
def station(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        # This checkout's code even if the virtualenv's editable install points elsewhere.
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
    }


def altavoz(env: dict[str, str], *args: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def recordings(env: dict[str, str]) -> list[Recording]:
    database = Database(env["ALTAVOZ_DATABASE__URL"])
    migrate.upgrade(database)
    try:
        with database.session() as session:
            return list(session.query(Recording).order_by(Recording.id))
    finally:
        database.dispose()


def media_files(env: dict[str, str]) -> list[Path]:
    root = Path(env["ALTAVOZ_MEDIA__DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_good_files_are_imported_and_bad_ones_get_one_line_each(
    station: dict[str, str], formats: dict[str, Path], bad_files: dict[str, Path], tmp_path: Path
) -> None:
    result = altavoz(
        station, "audio", "import", str(formats["amr-wb"]), str(bad_files["text"]),
        str(formats["m4a"]), str(tmp_path / "missing.wav"), "--kind", "jingle",
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    first = lines[0].split("\t")
    assert first[1].endswith(" s") and first[2] == "-16.0 LUFS" and first[3].endswith("speech.awb")
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("altavoz: ") for line in errors)
    assert "notes.wav: the file is not audio" in errors[0]
    assert "missing.wav: no such file" in errors[1]
    rows = recordings(station)
    assert [(r.id, r.title, r.kind) for r in rows] == [
        (int(first[0]), "speech", "jingle"),
        (int(lines[1].split("\t")[0]), "speech", "jingle"),
    ]
    assert len(media_files(station)) == 4


def test_a_path_with_dot_dot_and_bytes_that_are_not_utf8_is_stored_under_its_hash(
    station: dict[str, str], formats: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "sub").mkdir()
    strange = os.fsencode(tmp_path) + b"/voz-\xff\xfe.wav"
    shutil.copyfile(formats["wav"], strange)
    argument = os.fsencode(tmp_path) + b"/sub/../voz-\xff\xfe.wav"
    result = altavoz(station, "audio", "import", argument, "--title", "Voz de Ana")
    assert result.returncode == 0, result.stderr
    (row,) = recordings(station)
    assert row.title == "Voz de Ana" and row.kind == "testimony"
    assert Path(row.media_path).name == f"{row.sha256}.flac"
    names = sorted(p.suffix for p in media_files(station))
    assert names == [".flac", ".svg"]


def test_an_unknown_kind_is_a_one_line_error_and_imports_nothing(
    station: dict[str, str], formats: dict[str, Path]
) -> None:
    result = altavoz(station, "audio", "import", str(formats["wav"]), "--kind", "podcast")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("altavoz: kind must be one of: testimony")
    assert len(result.stderr.strip().splitlines()) == 1
    assert media_files(station) == []
