"""Every folder the configuration names exists after `altavoz init`; doctor checks the inbox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")


def altavoz(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_init_makes_every_folder_a_station_config_names(tmp_path: Path) -> None:
    station = tmp_path / "station"
    config = tmp_path / "altavoz.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{station}/db/altavoz.db"
[media]
dir = "{station}/media"
inbox = "{station}/drop/inbox"
[transcription]
models_dir = "{station}/vosk"
[stream]
local_icecast_dir = "{station}/icecast"
[web]
secret_key_file = "{station}/keys/secret"
""",
        encoding="utf-8",
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "ALTAVOZ_CONFIG": str(config)}
    done = altavoz(env, "init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for folder in ("db", "media", "drop/inbox", "vosk", "icecast", "keys"):
        assert (station / folder).is_dir(), folder


def test_the_shipped_defaults_give_var_inbox_and_its_siblings(tmp_path: Path) -> None:
    """What `make run` does on a fresh clone: the shipped config, paths under ./var."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    done = altavoz(env, "init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "var").iterdir() if p.is_dir()) == [
        "icecast",
        "inbox",
        "media",
        "models",
    ]


def doctor_line(tmp_path: Path, inbox: Path) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
        "ALTAVOZ_MEDIA__INBOX": str(inbox),
    }
    done = altavoz(env, "doctor", cwd=tmp_path)
    [line] = [line for line in done.stdout.splitlines() if line.split()[1] == "inbox"]
    return line


def test_doctor_says_in_one_line_whether_the_inbox_is_writable(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    assert (
        doctor_line(tmp_path, inbox)
        == f"FAIL  inbox      {inbox} does not exist (run altavoz init)"
    )
    inbox.mkdir()
    assert doctor_line(tmp_path, inbox) == f"ok    inbox      {inbox} is writable"
    assert list(inbox.iterdir()) == []
    a_file = tmp_path / "not-a-folder"
    a_file.write_bytes(b"")
    assert doctor_line(tmp_path, a_file) == f"FAIL  inbox      {a_file} is not a folder"
    # /sys takes no new files from anyone, root included (permission bits would not stop root).
    assert doctor_line(tmp_path, Path("/sys")) == (
        "FAIL  inbox      /sys is not writable: Permission denied"
    )
