"""What every `altavoz` subcommand module needs from the running app, in one place that
gateway/cli.py and the command modules all import, so none of them imports another."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app

from gateway.accounts import Actor
from gateway.database import Database
from gateway.settings import Settings


def app_settings() -> Settings:
    value: Settings = current_app.extensions["altavoz.settings"]
    return value


def app_database() -> Database:
    value: Database = current_app.extensions["altavoz.database"]
    return value


def fail(message: str, status: int = 1) -> NoReturn:
    """Stop the command with one line on stderr."""
    click.echo(f"altavoz: {message}", err=True)
    raise SystemExit(status)


def cli_actor() -> Actor:
    """Who the audit log names for a change made from a shell."""
    return Actor(id=None, name=f"cli:{getpass.getuser()}")


def read_password(password_file: Path | None, *, confirm: bool = False) -> str:
    """The first line of `password_file`, or asked at the terminal; one-line error otherwise."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError):
            fail(f"cannot read a password from {password_file}", 2)
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
        return password
    fail("no terminal to ask for a password: use --password-file FILE", 2)
