"""Alembic migrations of the store, run by :func:`papertally.store.migrate.upgrade`."""
