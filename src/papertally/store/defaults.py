"""Where the store is when no URL is given: plain constants, importable without SQLAlchemy
(the command line's options name them before any store is opened)."""

DB_ENV = "PAPERTALLY_DB"
"""The environment variable naming the store's URL."""
DEFAULT_DB_URL = "sqlite:///papertally.db"
"""The store used when neither ``--db`` nor ``$PAPERTALLY_DB`` names one: a file here."""
