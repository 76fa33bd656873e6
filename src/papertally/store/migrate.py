"""Bring a store's schema up to date with Alembic, from code, with no ``alembic.ini`` on disk.

The migrations ship inside the package (``papertally/store/migrations``). Upgrading runs in one
transaction (PostgreSQL and, through our explicit transactions, SQLite change their schema
transactionally), so a failed upgrade leaves the old schema. Several processes may start at
once (the web app behind a load balancer): on PostgreSQL they queue on an advisory lock, on
SQLite on the write lock, and all but the first find nothing left to do.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from papertally.store.engine import reading, writing

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

MIGRATION_LOCK_KEY = 0x70617065
"""PostgreSQL advisory lock key held while migrating (the bytes of ``"pape"``)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration pointing at the packaged migrations.

    With ``connection``, the migrations run on it (``migrations/env.py`` picks it up).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision this version of papertally knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or ``None`` for a database never migrated."""
    with reading(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Upgrade the database to the newest revision; do nothing when it is there already."""
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        command.upgrade(alembic_config(connection), "head")


def downgrade_to_base(engine: Engine) -> None:
    """Undo every migration, dropping the store's tables (for tests of the migrations)."""
    with writing(engine) as connection:
        command.downgrade(alembic_config(connection), "base")
