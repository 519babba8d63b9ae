"""Guessable passwords are refused wherever a password is set, with the reason in words."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import accounts
from gateway.accounts import User, WeakPasswordError
from gateway.database import Database
from gateway.passwords import Weakness, weakness
from gateway.roles import Role
from tests.support import PASSWORD, create_user_in_panel, csrf_token

ROOT = Path(__file__).resolve().parents[2]
REPEATS_REFUSED = 'password refused: repeats like "aaa" or "abcabc" are easy to guess'


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", Weakness.REPEATS),
        ("password123", Weakness.COMMON),
        ("qwertyuiop", Weakness.COMMON),
        ("1234567890", Weakness.COMMON),
        ("abcdefghijk", Weakness.SEQUENCE),
        ("contraseña1", Weakness.COMMON),
        ("lucia12345", Weakness.PERSONAL),
        ("short", Weakness.TOO_SHORT),
        ("x" * 257, Weakness.TOO_LONG),
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(password: str, reason: Weakness) -> None:
    assert weakness(password, personal=["lucia"]) is reason


@pytest.mark.parametrize(
    "password", [PASSWORD, "una contraseña larga", "S3cure-Pass-2026!", "tortuga verde 47 maíz"]
)
def test_strong_passwords_are_accepted(password: str) -> None:
    assert weakness(password, personal=["lucia"]) is None


def test_the_estimator_needs_no_network() -> None:
    """Run in a process where any attempt to open a socket or resolve a name is an error."""
    script = (
        "import sys\n"
        "def deny(event, args):\n"
        "    if event.startswith(('socket.', 'urllib.')):\n"
        "        raise RuntimeError('network use: ' + event)\n"
        "sys.addaudithook(deny)\n"
        "from gateway.passwords import weakness\n"
        "print(weakness('aaaaaaaaaa'), weakness('correct horse battery'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["repeats", "None"]


def test_the_account_functions_refuse_a_weak_password(database: Database) -> None:
    with database.session() as session, pytest.raises(WeakPasswordError) as refused:
        accounts.create_user(session, username="lucia", password="aaaaaaaaaa", role=Role.ADMIN)
    assert (
        str(refused.value) == 'password refused: repeats like "aaa" or "abcabc" are easy to guess'
    )


def test_panel_refuses_a_weak_password_for_a_new_user_in_spanish(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    logged_in(Role.ADMIN)
    response = create_user_in_panel(client, "rosa", "aaaaaaaaaa")
    assert response.status_code == 400
    assert "Las repeticiones como" in response.get_data(as_text=True)
    with database.session() as session:
        assert accounts.find_user(session, "rosa") is None


def test_panel_refuses_a_common_password_when_an_admin_sets_one_in_english(
    client: FlaskClient,
    logged_in: Callable[[Role], User],
    make_user: Callable[..., User],
    database: Database,
) -> None:
    logged_in(Role.ADMIN)
    rosa = make_user(Role.OPERATOR, "rosa")
    client.get("/lang/en")
    token = csrf_token(client, f"/admin/users/{rosa.id}")
    response = client.post(
        f"/admin/users/{rosa.id}/password",
        data={"pw-password": "password123", "pw-confirm": "password123", "pw-csrf_token": token},
    )
    assert response.status_code == 400
    assert "This is a commonly used password" in response.get_data(as_text=True)
    with database.session() as session:
        assert accounts.authenticate(session, "rosa", PASSWORD) is not None


def test_command_line_refuses_a_weak_password_file_in_one_line(app: Flask, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("aaaaaaaaaa\n")
    result = app.test_cli_runner().invoke(
        args=["user", "add", "xochitl", "--role", "moderator", "--password-file", str(secret)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == f"altavoz: {REPEATS_REFUSED}"
