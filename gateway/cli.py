"""The `altavoz` command: a Flask CLI group, so `flask --app gateway ...` works the same way.

User errors end with one line on stderr and a non-zero status, never a traceback: the people
running this are radio operators, not Python programmers.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from gateway import accounts, migrate
from gateway.accounts import AccountError
from gateway.cli_support import app_database, fail, read_password
from gateway.database import utcnow
from gateway.first_run import announce_first_admin, bootstrap
from gateway.roles import Role
from gateway.settings import ConfigError, load_settings


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or migrate the database; idempotent."""
    database = app_database()
    password = bootstrap(database)
    click.echo(f"database ready at revision {migrate.current_revision(database)}")
    announce_first_admin(password)


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, help="admin, operator or moderator")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def user_add(name: str, role: str, password_file: Path | None) -> None:
    """Create an account."""
    try:
        parsed_role = Role.parse(role)
    except ValueError as exc:
        fail(str(exc), 2)
    password = read_password(password_file, confirm=True)
    database = app_database()
    migrate.upgrade(database)
    try:
        with database.session() as session:
            accounts.create_user(session, username=name, password=password, role=parsed_role)
    except AccountError as exc:
        fail(str(exc), 2)
    click.echo(f"user {name} created with role {parsed_role.value}")


@click.group("token")
def token_group() -> None:
    """Manage API tokens for integrations."""


@token_group.command("create")
@click.argument("name")
@click.option("--role", default="operator", show_default=True, help="the token's role")
@click.option(
    "--owner",
    help="the account the token belongs to (default: the oldest active admin); the token "
    "stops working when that account is disabled and never does more than it may",
)
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, 3650),
    help="the token stops working after this many days (default: never)",
)
@with_appcontext
def token_create(name: str, role: str, owner: str | None, expires_in_days: int | None) -> None:
    """Print a new API token (shown only this once)."""
    try:
        parsed_role = Role.parse(role)
    except ValueError as exc:
        fail(str(exc), 2)
    database = app_database()
    migrate.upgrade(database)
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        with database.session() as session:
            account = (
                accounts.find_user(session, owner)
                if owner
                else accounts.oldest_active_admin(session)
            )
            if account is None:
                fail(
                    f"no account named {owner!r}"
                    if owner
                    else "no active admin to own the token: run `altavoz init` or pass --owner",
                    2,
                )
            _token, clear = accounts.create_token(
                session, name=name, role=parsed_role, owner=account, expires_at=expires_at
            )
    except AccountError as exc:
        fail(str(exc), 2)
    click.echo(clear)


def register_commands(app: Flask) -> None:
    from gateway.alert_commands import alert_group
    from gateway.audio_commands import audio_group
    from gateway.commands import (
        doctor_command,
        icecast_command,
        serve_command,
        web_command,
        worker_command,
    )
    from gateway.playlist_commands import playlist_group
    from gateway.sms_commands import sms_group
    from gateway.transcription_commands import models_group, transcribe_command

    for command in (
        init_command,
        user_group,
        token_group,
        serve_command,
        worker_command,
        web_command,
        icecast_command,
        doctor_command,
        audio_group,
        playlist_group,
        sms_group,
        alert_group,
        transcribe_command,
        models_group,
    ):
        app.cli.add_command(command)


def _create_cli_app() -> Flask:
    from gateway.factory import create_app

    return create_app(load_settings())


class AltavozGroup(FlaskGroup):
    """FlaskGroup without Flask's development commands, which would confuse operators."""

    def __init__(self) -> None:
        super().__init__(
            create_app=_create_cli_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            set_debug_flag=False,
            name="altavoz",
            help="Altavoz: community radio and SMS broadcasting gateway.",
        )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        load_settings()
    except ConfigError as exc:
        fail(f"configuration error: {exc}", 2)
    AltavozGroup().main(prog_name="altavoz")


if __name__ == "__main__":
    main()
