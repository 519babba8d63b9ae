"""`altavoz playlist ...`: create, show in order, reorder, rename, delete, and refuse in one
line. In-process through Click's runner, plus one run of the real console script."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from gateway.database import Database, utcnow
from tests.support import add_playlist_slot, add_recordings

ROOT = Path(__file__).resolve().parents[2]


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["playlist", *args])


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_create_show_reorder_rename_and_delete(app: Flask, database: Database) -> None:
    a, b, c = add_recordings(database, "Uno", "Dos", "Tres")
    created = run(app, "create", "Mañanas", "--item", str(a), "--item", str(b))
    assert created.exit_code == 0, created.output
    playlist_id = created.output.strip()
    reordered = run(
        app, "set", playlist_id, "--item", str(c), "--item", str(a), "--item", str(c),
        "--name", "Tardes", "--mode", "shuffle",
    )  # fmt: skip
    assert reordered.exit_code == 0, reordered.output
    shown = run(app, "show", playlist_id)
    assert shown.exit_code == 0
    lines = shown.output.strip().splitlines()
    assert lines[0] == "Tardes · shuffle"
    assert [line.split()[-1] for line in lines[1:]] == ["Tres", "Uno", "Tres"]
    listed = run(app, "list")
    assert "Tardes" in listed.output and "3 items" in listed.output
    deleted = run(app, "delete", playlist_id)
    assert deleted.exit_code == 0
    assert deleted.output.strip() == f"deleted playlist {playlist_id} (Tardes, 3 items)"
    assert "Tardes" not in run(app, "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "99"], "there is no playlist 99"),
        (["set", "99", "--name", "x"], "there is no playlist 99"),
        (["delete", "99"], "there is no playlist 99"),
        (["create", "x", "--item", "999"], "no such recordings: 999"),
        (["create", "\u202ex"], "reading direction"),
        (["set", "1"], "nothing to change"),
    ],
)
def test_refusals_are_one_line(
    app: Flask, database: Database, args: list[str], message: str
) -> None:
    add_recordings(database, "Uno")
    assert message in one_line_error(run(app, *args))


def test_a_playlist_a_coming_slot_airs_is_not_deleted(app: Flask, database: Database) -> None:
    (a,) = add_recordings(database, "Uno")
    playlist_id = run(app, "create", "Mañanas", "--item", str(a)).output.strip()
    slot_id = add_playlist_slot(database, int(playlist_id), utcnow() + timedelta(hours=1), 600)
    refused = run(app, "delete", playlist_id)
    assert refused.exit_code == 1
    assert f"coming slots air playlist {playlist_id}: {slot_id}" in one_line_error(refused)
    assert "Mañanas" in run(app, "list").output


def test_the_console_script_runs_it(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
    }
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "altavoz"), "playlist", "delete", "7"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "altavoz: there is no playlist 7\n"
