"""The first run of a station: its folders, its schema and its first admin, shared by
`altavoz init` and `altavoz serve` (and so `make run`)."""

from __future__ import annotations

import click

from gateway import accounts, migrate
from gateway.cli_support import app_settings, fail
from gateway.database import Database
from gateway.folders import make_folders


def bootstrap(database: Database) -> str | None:
    """Make the configured folders, migrate the schema and make sure an admin exists; return a
    new admin's password."""
    try:
        make_folders(app_settings())
    except OSError as exc:
        fail(f"cannot create the folder {exc.filename}: {exc.strerror or exc}")
    migrate.upgrade(database)
    with database.session() as session:
        return accounts.ensure_first_admin(session)


def announce_first_admin(password: str | None) -> None:
    if password:
        click.echo(
            "\n  First admin created.  User: admin   One-time password: "
            f"{password}\n  Good for one login: the panel then asks for a password of your own.\n"
        )
