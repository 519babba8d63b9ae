"""The same code on a real PostgreSQL server: migrations, accounts, the app's API auth, the
subscriber import, and errors without a row's values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gateway import accounts, migrate
from gateway.database import Database
from gateway.factory import create_app
from gateway.roles import Role
from gateway.tables import metadata
from sms import subscriber_csv, subscribers
from sms.models import Subscriber
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


def test_subscriber_import_and_a_hidden_number_on_postgresql(postgresql_url: str) -> None:
    database = Database(postgresql_url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(database)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    text_in = "phone,region,groups\n+50255550001,Sololá,radio\n+50255550002,Sololá,\n"
    with database.session() as session:
        report = subscriber_csv.import_csv(session, text_in, default_region="GT", now=now)
        subscribers.unsubscribe(session, phone_e164="+50255550002", now=now)
    assert report.added == 2
    with database.session() as session:
        exported = subscriber_csv.export_csv(session)
    with database.session() as session:
        again = subscriber_csv.import_csv(session, exported, default_region="GT", now=now)
    assert (again.added, again.updated, again.unchanged, len(again.skipped)) == (0, 0, 1, 1)
    with pytest.raises(IntegrityError) as raised, database.session() as session:
        session.add(Subscriber(phone="+50255550001", region="x", region_key="x"))
        session.flush()
    assert "duplicate key" in str(raised.value)
    assert "+50255550001" not in str(raised.value)
    assert "+50255550001" not in str(raised.value.orig)
    database.dispose()
