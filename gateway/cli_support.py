"""What every `altavoz` subcommand module needs from the running app, in one place that
gateway/cli.py and the command modules all import, so none of them imports another."""

from __future__ import annotations

import getpass
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
