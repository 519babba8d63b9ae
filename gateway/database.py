"""The database: engine, sessions and the declarative base every package's tables share.

The database is the one place where state lives; the web app and the worker processes each open
their own engine on the same URL and coordinate through rows, never through shared memory.
SQLite runs in WAL mode so that a reading connection never blocks a writer, nor a writer it.

Transactions on SQLite follow the recipe in SQLAlchemy's SQLite dialect documentation
("Enabling Non-Legacy SQLite Transactional Modes"): Python's sqlite3 module is told not to
manage transactions (`isolation_level = None`; in its legacy mode it emits no BEGIN before a
SELECT or a SAVEPOINT, so a SAVEPOINT ran as a transaction of its own and a "transaction" of
many rows committed row by row), and SQLAlchemy emits the BEGIN itself when a session starts
one. That BEGIN is IMMEDIATE by default: our sessions read and then write (claim a job, look a
subscriber up then update it), and under WAL a deferred transaction that read first cannot
become a writer once another connection has committed (SQLITE_BUSY_SNAPSHOT, reported as
"database is locked" at once, without waiting). An immediate transaction takes the write lock
up front and otherwise waits its turn for up to the busy timeout, so writers queue instead of
failing. Sessions that only read can ask for a deferred BEGIN (`session(write=False)`), which
never waits for a writer.

SQL parameters are kept out of error messages and logs (`hide_parameters`, and PostgreSQL's
DETAIL lines, which repeat a row's values): they are subscribers' and callers' phone numbers,
transcripts and the like.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC, so SQLite returns them aware as PostgreSQL does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


BUSY_TIMEOUT_S = 15
"""How long a connection waits for another's write lock before giving up ("database is
locked"); longer than any write transaction we hold (a 100,000-row import takes a few
seconds)."""

BEGIN_OPTION = "altavoz_sqlite_begin"
"""Execution option naming the kind of BEGIN a SQLite transaction starts with."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    kind = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {kind}")


def _without_row_values(context: ExceptionContext) -> None:
    """PostgreSQL repeats the offending row's values in a DETAIL line of its messages ("Key
    (phone)=(+502…) already exists"); drop that line from the exceptions that reach the log.
    The values stay available to code that asks for them (`orig.diag.message_detail`)."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            kept = [line for line in error.args[0].splitlines() if not line.startswith("DETAIL:")]
            error.args = ("\n".join(kept), *error.args[1:])


def normalise_url(url: str) -> str:
    """Use psycopg 3 for a plain postgresql:// URL (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def create_db_engine(url: str) -> Engine:
    """An engine for the URL; makes the folder of a SQLite file so a fresh install just works."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _without_row_values)
    return engine


class Database:
    """One engine and its session factory, owned by one process."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = sessionmaker(
            self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"}), expire_on_commit=False
        )

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises;
        `write=False` for a block that only reads (on SQLite it then never waits for a writer,
        and must not write: see the module's docstring)."""
        session = (self.sessionmaker if write else self.read_sessionmaker)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
