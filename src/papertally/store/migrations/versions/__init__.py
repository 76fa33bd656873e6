"""Alembic revisions of the store, oldest first; each names the one before it."""
