"""Login throttling: counted before the password check, keyed so a lockout hits the guesser."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.accounts import User
from gateway.audit import AuditEntry
from gateway.database import Database
from gateway.roles import Role
from gateway.settings import Settings
from tests.conftest import station_settings
from tests.support import PASSWORD, csrf_token

ACCOUNT_LIMIT = 8


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return station_settings(tmp_path, web={"login_account_max_failures": ACCOUNT_LIMIT})


def attempt(
    client: FlaskClient, username: str, password: str = PASSWORD, address: str = "10.0.0.1"
) -> int:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_parallel_attempts_get_no_more_password_checks_than_the_limit(
    app: Flask, make_user: Callable[..., User], database: Database
) -> None:
    make_user(Role.OPERATOR, "lucia")
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_token(client) for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        start.wait()
        response = client.post(
            "/login",
            data={"username": "lucia", "password": "wrong guess 123", "csrf_token": token},
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [401, 429]
    assert 1 <= statuses.count(401) <= 5
    with database.session() as session:
        failures = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login.failed")
        ).all()
    assert len(failures) == statuses.count(401)


def test_failures_from_a_shared_address_do_not_lock_out_other_accounts(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    make_user(Role.OPERATOR, "rosa")
    for n in range(5):
        assert attempt(client, f"nobody{n}", "wrong guess 123") == 401
        assert attempt(client, "rosa", "wrong guess 123") == 401
    assert attempt(client, "rosa") == 429
    assert attempt(client, "lucia") == 302


def test_guessing_one_account_from_one_address_does_not_lock_its_owner_out_elsewhere(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    for _ in range(5):
        assert attempt(client, "lucia", "wrong guess 123", address="203.0.113.66") == 401
    assert attempt(client, "lucia", address="203.0.113.66") == 429
    assert attempt(client, "lucia", address="10.0.0.1") == 302


def test_guessing_from_many_addresses_locks_strangers_but_not_the_owners_usual_address(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    assert attempt(app.test_client(), "lucia", address="10.0.0.1") == 302
    for n in range(ACCOUNT_LIMIT):
        assert attempt(app.test_client(), "lucia", "wrong guess 123", f"203.0.113.{n}") == 401
    assert attempt(app.test_client(), "lucia", address="198.51.100.7") == 429
    assert attempt(app.test_client(), "lucia", address="10.0.0.1") == 302


def test_an_unknown_name_takes_as_long_to_refuse_as_a_known_one(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user(Role.OPERATOR, "lucia")
    timings: dict[str, list[float]] = {"lucia": [], "nadie": []}
    for n in range(4):
        for name, durations in timings.items():
            client = app.test_client()
            token = csrf_token(client)
            began = time.perf_counter()
            response = client.post(
                "/login",
                data={"username": name, "password": "wrong guess 123", "csrf_token": token},
                environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
            )
            durations.append(time.perf_counter() - began)
            assert response.status_code == 401
    known, unknown = (statistics.median(timings[name]) for name in ("lucia", "nadie"))
    # An argon2 verify takes tens of milliseconds; a lookup that finds nobody well under one.
    assert unknown > 0.6 * known, timings


def test_failed_login_audits_the_typed_name_only_when_such_an_account_exists(
    client: FlaskClient, make_user: Callable[..., User], database: Database
) -> None:
    lucia = make_user(Role.OPERATOR, "lucia")
    assert attempt(client, "LUCIA", "wrong guess 123") == 401
    assert attempt(client, "my secret password", "wrong guess 123") == 401
    with database.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login.failed").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor_id, e.actor_name) for e in entries] == [
            (lucia.id, "lucia"),
            (None, "(unknown)"),
        ]
        assert all("secret" not in (e.target + str(e.details)) for e in entries)
