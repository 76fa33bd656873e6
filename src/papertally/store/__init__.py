"""The store: elections, imports and results in SQLite (by default) or PostgreSQL.

SQLAlchemy 2 tables (:mod:`papertally.store.schema`) and Alembic migrations shipped in the
package (``migrations/``, run by :meth:`Store.migrate`). Every import is one transaction.
"""

from papertally.store import (
    audit_schema,  # registers the audit tables in the metadata
    recount_schema,  # registers the recount tables in the metadata
)
from papertally.store.reader import ElectionSummary, ImportedFile
from papertally.store.store import Store

__all__ = ["ElectionSummary", "ImportedFile", "Store", "audit_schema", "recount_schema"]
