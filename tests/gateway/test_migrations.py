"""Migrations build an empty database and carry an existing one forward without losing rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select, text

from gateway import accounts, migrate
from gateway.accounts import User
from gateway.database import Database
from gateway.roles import Role
from tests.support import PASSWORD


def test_upgrade_creates_every_table_on_an_empty_database(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision(database)
    tables = set(inspect(database.engine).get_table_names())
    assert {"users", "api_tokens", "audit_log", "login_failures", "worker_heartbeats"} <= tables


def test_schema_from_migrations_matches_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from gateway.tables import metadata

    database = Database(f"sqlite:///{tmp_path / 'compare.db'}")
    migrate.upgrade(database)
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata())
    assert differences == []


def test_upgrade_is_idempotent_and_keeps_existing_rows(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'existing.db'}")
    migrate.upgrade(database)
    with database.session() as session:
        accounts.create_user(session, username="marta", password=PASSWORD, role=Role.OPERATOR)
    migrate.upgrade(database)
    migrate.upgrade(database)
    with database.session() as session:
        assert session.scalar(select(User.username)) == "marta"


def test_sqlite_database_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
