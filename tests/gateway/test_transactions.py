"""SQLite transactions: a session's work is one transaction, savepoints included, writers queue
instead of failing, readers (health, metrics) never wait for a writer, and database errors never
carry the SQL parameters (phone numbers)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from prometheus_client import generate_latest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.database import Database, create_db_engine
from gateway.metrics import registry_for
from sms.models import Subscriber

PHONE = "+50255551234"


def _subscriber(phone: str) -> Subscriber:
    return Subscriber(phone=phone, region="San Marcos", region_key="san marcos", language="es")


def test_a_released_savepoint_is_undone_with_its_transaction(database: Database) -> None:
    session = database.sessionmaker()
    try:
        with session.begin_nested():
            session.add(_subscriber(PHONE))
        session.rollback()
    finally:
        session.close()
    with database.session() as check:
        assert check.scalars(select(Subscriber)).all() == []


def test_a_read_then_write_session_waits_for_another_writer_instead_of_failing(
    database: Database,
) -> None:
    """Under WAL a deferred transaction that read before another connection committed cannot
    write any more ("database is locked" at once); sessions begin IMMEDIATE and queue."""
    with database.session() as session:
        session.add(_subscriber(PHONE))
    holding = threading.Event()
    release = threading.Event()

    def other_writer() -> None:
        with database.session() as session:
            session.add(_subscriber("+50255550001"))
            session.flush()
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(5)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with database.session() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.phone == PHONE))
        assert found is not None
        found.region = "Sololá"
    thread.join()
    with database.session() as session:
        assert session.scalar(select(Subscriber.region).where(Subscriber.phone == PHONE)) == (
            "Sololá"
        )
        assert len(session.scalars(select(Subscriber)).all()) == 2


def test_a_database_error_does_not_show_the_subscribers_number(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with database.session() as session:
        session.add(_subscriber(PHONE))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        with (
            caplog.at_level(logging.INFO),
            pytest.raises(IntegrityError) as raised,
            database.session() as session,
        ):
            session.add(_subscriber(PHONE))
            session.flush()
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "UNIQUE" in str(raised.value)
    assert PHONE not in str(raised.value)
    assert PHONE not in caplog.text


def test_postgresql_engines_hide_parameters_too() -> None:
    engine = create_db_engine("postgresql://altavoz@127.0.0.1:1/altavoz")
    assert engine.hide_parameters


@contextmanager
def _writer_holding_the_lock(database: Database) -> Iterator[None]:
    """Another connection in the middle of a write transaction (a big import, say)."""
    url = database.engine.url.database
    assert url is not None
    writer = sqlite3.connect(url, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO subscribers (phone, region, region_key, language, opted_in,"
            " consent_channel, created_at) VALUES ('+50255550009', 'x', 'x', 'es', 1, '', '')"
        )
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_metrics_are_read_without_waiting_for_a_long_write(database: Database) -> None:
    """A scrape during a 100,000-row import must not wait for its write lock."""
    with _writer_holding_the_lock(database):
        started = time.monotonic()
        text = generate_latest(registry_for(database)).decode()
        assert time.monotonic() - started < 2
        assert "altavoz" in text


def test_healthz_answers_during_a_long_write(client: FlaskClient, database: Database) -> None:
    with _writer_holding_the_lock(database):
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 2
