"""The same code on a real PostgreSQL server: migrations, accounts, and the app's API auth."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from gateway import accounts, migrate
from gateway.database import Database
from gateway.factory import create_app
from gateway.roles import Role
from gateway.tables import metadata
from tests.conftest import station_settings

pytestmark = pytest.mark.postgresql


def test_migrations_and_accounts_work_on_postgresql(postgresql_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(postgresql_url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(database)
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision(database)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata()) == []

    with database.session() as session:
        password = accounts.ensure_first_admin(session)
        owner = accounts.oldest_active_admin(session)
        assert owner is not None
        _token, clear = accounts.create_token(
            session, name="asterisk", role=Role.OPERATOR, owner=owner
        )
    assert password

    settings = station_settings(tmp_path, database={"url": postgresql_url})
    app = create_app(settings, database=database)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.json == {"name": "asterisk", "role": "operator"}
    database.dispose()
