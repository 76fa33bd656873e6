"""Database connections: SQLite files by default, PostgreSQL by URL, real transactions on both.

Python's ``sqlite3`` module, left to itself, commits schema changes at once and starts a
transaction only before the first data change. The store needs every import to be one
all-or-nothing transaction, schema changes included, so on SQLite we open transactions
ourselves (SQLAlchemy's documented recipe for pysqlite): ``BEGIN`` for reads and
``BEGIN IMMEDIATE`` for writes, so two writers queue on the lock instead of failing halfway.
Foreign keys are switched on and the write-ahead log lets readers go on while one writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from papertally.errors import PapertallyError
from papertally.store.defaults import DB_ENV as DB_ENV
from papertally.store.defaults import DEFAULT_DB_URL as DEFAULT_DB_URL

WRITE_OPTION = "papertally_write"
"""Execution option marking a connection whose transaction will write (SQLite: lock at once)."""

SQLITE_CACHE_KB = 65_536
"""Page cache per SQLite connection (the default 2 MB makes a statewide import thrash)."""

POSTGRES_POOL_SIZE = 16
"""Connections an app process keeps open to PostgreSQL: above the requests it serves at once,
so that busy moments reuse connections instead of opening new ones (each costs a new server
process)."""

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another's transaction to end before giving up."""


def normalize_url(url: str) -> str:
    """Return ``url`` as a SQLAlchemy URL; a bare file path is taken as a SQLite file."""
    return url if "://" in url else f"sqlite:///{url}"


def make_engine(url: str) -> Engine:
    """Return an engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://...``).

    Raises :class:`PapertallyError` naming the URL (password hidden) when it cannot be used.
    """
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as error:
        raise PapertallyError(f"cannot read the store URL {url!r}: {error}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _install_sqlite_transactions(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_SIZE,
        )
    raise PapertallyError(
        f"the store works on SQLite and PostgreSQL, not {parsed.get_backend_name()!r} "
        f"(URL {parsed.render_as_string(hide_password=True)!r})"
    )


def _install_sqlite_transactions(engine: Engine) -> None:
    """Make SQLite transactions explicit and real (see the module docstring)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a write transaction: committed at the end, rolled back on error."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a read transaction, so what is read is one consistent state."""
    with engine.connect() as connection, connection.begin():
        yield connection
