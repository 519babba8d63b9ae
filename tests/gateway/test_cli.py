"""The `altavoz` command as operators and scripts use it: real processes, one-line errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")


@pytest.fixture
def station(tmp_path: Path) -> dict[str, str]:
    """Environment for a station whose state lives in tmp_path."""
    return {
        "PATH": os.environ["PATH"],
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
    }


def altavoz(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_init_creates_the_database_and_first_admin_once(station: dict[str, str]) -> None:
    first = altavoz(station, "init")
    assert first.returncode == 0, first.stderr
    assert "One-time password" in first.stdout
    second = altavoz(station, "init")
    assert second.returncode == 0
    assert "One-time password" not in second.stdout


def test_user_add_reads_the_password_file_and_refuses_duplicates(
    station: dict[str, str], tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("una contraseña larga\n")
    added = altavoz(
        station, "user", "add", "xochitl", "--role", "moderator", "--password-file", str(secret)
    )
    assert added.returncode == 0, added.stderr
    again = altavoz(
        station, "user", "add", "xochitl", "--role", "moderator", "--password-file", str(secret)
    )
    assert again.returncode == 2
    assert again.stderr.strip() == "altavoz: a user named 'xochitl' already exists"


def test_user_add_with_an_unknown_role_is_a_one_line_error(
    station: dict[str, str], tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("una contraseña larga\n")
    result = altavoz(station, "user", "add", "x1", "--role", "dj", "--password-file", str(secret))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "altavoz: unknown role 'dj' (choose one of: admin, operator, moderator)"
    )


def test_user_add_without_a_terminal_or_file_says_how(station: dict[str, str]) -> None:
    result = subprocess.run(
        [ALTAVOZ, "user", "add", "x1", "--role", "admin"],
        env=station,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "--password-file" in result.stderr


def test_token_create_prints_a_token_that_the_api_accepts(station: dict[str, str]) -> None:
    from gateway.factory import create_app
    from gateway.settings import load_settings

    assert altavoz(station, "init").returncode == 0
    result = altavoz(station, "token", "create", "asterisk")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("avz_") and len(token) > 40
    app = create_app(load_settings(station))
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"name": "asterisk", "role": "operator"}


def test_doctor_reports_each_check_and_fails_when_icecast_is_unreachable(
    station: dict[str, str],
) -> None:
    altavoz(station, "init")
    result = altavoz(station, "doctor")
    assert result.returncode == 1
    lines = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()}
    assert lines["database"] == "ok"
    assert lines["ffmpeg"] == "ok"
    assert lines["libvlc"] == "ok"
    assert lines["icecast"] == "FAIL"
    assert lines["models"] == "FAIL"
    assert "altavoz models add" in result.stdout


def test_flask_cli_reaches_the_same_commands(station: dict[str, str]) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "gateway", "init"],
        env=station,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stdout
