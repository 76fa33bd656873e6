"""Alembic environment: runs the store's migrations on the connection the store hands over.

:func:`papertally.store.migrate.upgrade` passes its open connection (already in a transaction)
as ``config.attributes["connection"]``, so no ``alembic.ini`` is needed at run time. For
developers, ``alembic -c src/papertally/store/alembic.ini ...`` works too: the URL then comes
from ``$PAPERTALLY_DB`` (default ``sqlite:///papertally.db``).
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from alembic import context
from sqlalchemy import Connection

import papertally.store
from papertally.store.engine import make_engine
from papertally.store.schema import Base

# Every module of the store whose name ends in "schema" declares tables on Base: import them
# all, so that autogenerate (``alembic revision --autogenerate``) compares every table.
for _module in pkgutil.iter_modules(papertally.store.__path__):
    if _module.name.endswith("schema"):
        importlib.import_module(f"papertally.store.{_module.name}")


def _run(connection: Connection) -> None:
    """Run the pending migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the given connection, or one opened from ``$PAPERTALLY_DB``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(os.environ.get("PAPERTALLY_DB", "sqlite:///papertally.db"))
    with engine.connect() as own:
        _run(own)
        own.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("papertally's migrations run online only (they need a database)")
run_migrations_online()
