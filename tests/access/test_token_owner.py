"""A token belongs to an account and never does more than that account may do now."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from gateway import accounts
from gateway.accounts import AccountError, ApiToken, User
from gateway.database import Database, utcnow
from gateway.roles import Role
from tests.support import PASSWORD, csrf_token

ALTAVOZ = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "altavoz")


def token_for(
    database: Database, owner_role: Role, token_role: Role, **options: object
) -> tuple[int, str]:
    """(owner's id, clear token) for a new account of `owner_role`."""
    with database.session() as session:
        owner = accounts.create_user(
            session, username=f"owner-{owner_role.value}", password=PASSWORD, role=owner_role
        )
        _token, clear = accounts.create_token(
            session,
            name="integration",
            role=token_role,
            owner=owner,
            **options,  # type: ignore[arg-type]
        )
        return owner.id, clear


def change_owner(database: Database, owner_id: int, *, role: Role, active: bool) -> None:
    with database.session() as session:
        owner = session.get(User, owner_id)
        assert owner is not None
        accounts.update_user(session, owner, role=role, active=active)


def me(client: FlaskClient, clear: str) -> tuple[int, str]:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    body = response.json or {}
    return response.status_code, body.get("role") or body["error"]["message"]


def test_a_disabled_owners_token_stops_working(client: FlaskClient, database: Database) -> None:
    owner_id, clear = token_for(database, Role.OPERATOR, Role.OPERATOR)
    assert me(client, clear) == (200, "operator")
    change_owner(database, owner_id, role=Role.OPERATOR, active=False)
    status, reason = me(client, clear)
    assert status == 401 and "disabled" in reason
    create = client.post(
        "/api/v1/subscribers",
        headers={"Authorization": f"Bearer {clear}"},
        json={"phone": "+50255551234", "region": "norte"},
    )
    assert create.status_code == 401


def test_a_token_acts_with_the_lesser_of_its_role_and_its_owners_current_role(
    client: FlaskClient, database: Database, make_user: Callable[..., User]
) -> None:
    make_user(Role.ADMIN, "spare-admin")
    owner_id, clear = token_for(database, Role.ADMIN, Role.ADMIN)
    assert me(client, clear) == (200, "admin")
    change_owner(database, owner_id, role=Role.MODERATOR, active=True)
    assert me(client, clear) == (200, "moderator")
    refused = client.post(
        "/api/v1/subscribers",
        headers={"Authorization": f"Bearer {clear}"},
        json={"phone": "+50255551234", "region": "norte"},
    )
    assert refused.status_code == 403


def test_an_owner_moved_to_a_role_without_the_tokens_loses_it(
    client: FlaskClient, database: Database, make_user: Callable[..., User]
) -> None:
    make_user(Role.ADMIN, "spare-admin")
    owner_id, clear = token_for(database, Role.ADMIN, Role.OPERATOR)
    assert me(client, clear) == (200, "operator")
    change_owner(database, owner_id, role=Role.MODERATOR, active=True)
    assert me(client, clear)[0] == 401


def test_no_account_can_make_a_token_above_itself(database: Database) -> None:
    with database.session() as session:
        owner = accounts.create_user(session, username="op", password=PASSWORD, role=Role.OPERATOR)
        for role in (Role.ADMIN, Role.MODERATOR):
            with pytest.raises(AccountError, match="cannot own"):
                accounts.create_token(session, name="x", role=role, owner=owner)
        with pytest.raises(AccountError, match="future"):
            accounts.create_token(session, name="x", owner=owner, expires_at=utcnow())


def test_an_expired_token_is_refused_and_says_so(client: FlaskClient, database: Database) -> None:
    _owner, clear = token_for(
        database, Role.OPERATOR, Role.OPERATOR, expires_at=utcnow() + timedelta(days=1)
    )
    assert me(client, clear)[0] == 200
    with database.session() as session:
        session.scalars(select(ApiToken)).one().expires_at = utcnow() - timedelta(seconds=1)
    status, reason = me(client, clear)
    assert status == 401 and "expired" in reason


def test_the_panel_makes_a_token_owned_by_the_admin_with_an_expiry_and_lists_its_use(
    client: FlaskClient, logged_in: Callable[[Role], User], database: Database
) -> None:
    admin = logged_in(Role.ADMIN)
    token = csrf_token(client, "/admin/tokens")
    bad = client.post(
        "/admin/tokens",
        data={"csrf_token": token, "name": "x", "role": "operator", "expires_in_days": "0"},
    )
    assert bad.status_code == 400
    made = client.post(
        "/admin/tokens",
        data={"csrf_token": token, "name": "asterisk", "role": "operator", "expires_in_days": "30"},
    )
    assert made.status_code == 201
    clear = re.search(r'<code id="new-token">([^<]+)</code>', made.get_data(as_text=True))
    assert clear is not None
    assert me(client, clear.group(1)) == (200, "operator")
    with database.session() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.created_by == admin.id
        assert stored.expires_at is not None
        assert timedelta(days=29) < stored.expires_at - utcnow() <= timedelta(days=30)
        assert stored.last_used_at is not None
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert admin.username in page
    assert page.count("—") == 0, "the last use is shown, not a dash"


@pytest.fixture
def station(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{tmp_path / 'altavoz.db'}",
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(tmp_path / "secret"),
        "ALTAVOZ_MEDIA__DIR": str(tmp_path / "media"),
    }


def altavoz(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALTAVOZ, *args], env=env, capture_output=True, text=True, timeout=120)


def test_the_cli_gives_tokens_an_owner_and_an_expiry(station: dict[str, str]) -> None:
    lonely = altavoz(station, "token", "create", "asterisk")
    assert lonely.returncode == 2
    assert lonely.stderr.strip() == (
        "altavoz: no active admin to own the token: run `altavoz init` or pass --owner"
    )
    assert altavoz(station, "init").returncode == 0
    nobody = altavoz(station, "token", "create", "asterisk", "--owner", "nadie")
    assert (nobody.returncode, nobody.stderr.strip()) == (2, "altavoz: no account named 'nadie'")
    made = altavoz(station, "token", "create", "asterisk", "--expires-in-days", "7")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("avz_")
    never = altavoz(station, "token", "create", "asterisk", "--expires-in-days", "0")
    assert never.returncode == 2 and "--expires-in-days" in never.stderr

    database = Database(station["ALTAVOZ_DATABASE__URL"])
    try:
        with database.session() as session:
            stored = session.scalars(select(ApiToken)).one()
            assert stored.owner is not None and stored.owner.username == "admin"
            assert stored.expires_at is not None
            assert timedelta(days=6) < stored.expires_at - utcnow() <= timedelta(days=7)
    finally:
        database.dispose()


def test_tokens_made_before_owners_existed_go_to_the_oldest_active_admin(tmp_path: Path) -> None:
    from alembic import command

    from gateway import migrate

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(migrate.alembic_config(database), "0004")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, active, created_at, "
                "session_generation) VALUES (7, 'jefa', 'x', 'admin', 1, '2026-01-01', 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (name, role, digest, display_prefix, created_at) "
                "VALUES ('viejo', 'operator', 'd', 'avz_xx', '2026-01-01')"
            )
        )
    migrate.upgrade(database)
    with database.session() as session:
        token = session.scalars(select(ApiToken)).one()
        assert (token.created_by, token.expires_at) == (7, None)
    database.dispose()
