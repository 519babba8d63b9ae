"""Shared fixtures: settings in a temporary station, a migrated database, the app, people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway import accounts, migrate
from gateway.accounts import User
from gateway.database import Database
from gateway.factory import create_app
from gateway.roles import Role
from gateway.settings import Settings, settings_from_mapping
from tests.support import PASSWORD, log_in


def station_settings(root: Path, **sections: dict[str, object]) -> Settings:
    """Settings for a station living entirely under `root`, with section overrides."""
    data: dict[str, dict[str, object]] = {
        "database": {"url": f"sqlite:///{root / 'altavoz.db'}"},
        "media": {"dir": str(root / "media"), "inbox": str(root / "inbox")},
        "transcription": {"models_dir": str(root / "models")},
        "web": {"secret_key_file": str(root / "secret_key")},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return settings_from_mapping(data)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(tmp_path)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database.url)
    migrate.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database) -> Flask:
    application = create_app(settings, database=database)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(database: Database) -> Callable[..., User]:
    def make(role: Role, username: str | None = None, password: str = PASSWORD) -> User:
        with database.session() as session:
            return accounts.create_user(
                session, username=username or f"{role.value}-user", password=password, role=role
            )

    return make


@pytest.fixture
def logged_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[[Role], User]:
    def login_as(role: Role) -> User:
        user = make_user(role)
        assert log_in(client, user.username) == 302
        return user

    return login_as


@pytest.fixture
def api_token(database: Database) -> Callable[[Role], str]:
    def create(role: Role = Role.OPERATOR) -> str:
        """A token owned by an account of the same role (made once per role)."""
        with database.session() as session:
            owner = accounts.find_user(session, f"{role.value}-owner") or accounts.create_user(
                session, username=f"{role.value}-owner", password=PASSWORD, role=role
            )
            _token, clear = accounts.create_token(
                session, name=f"{role.value}-token", role=role, owner=owner
            )
        return clear

    return create


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A real PostgreSQL server, started once for the tests that ask for it."""
    from tests.postgres import postgresql_server

    with postgresql_server() as url:
        yield url
