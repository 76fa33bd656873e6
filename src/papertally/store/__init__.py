"""The store: elections, imports and results in SQLite (by default) or PostgreSQL.

SQLAlchemy 2 tables (:mod:`papertally.store.schema`) and Alembic migrations shipped in the
package (``migrations/``, run by :meth:`Store.migrate`). Every import is one transaction.
Names are imported on first use (:mod:`papertally.lazy`), so :mod:`papertally.store.defaults`
costs no SQLAlchemy; :class:`Store` brings every table module (audit and recount included)
into the metadata.
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.store import audit_schema, recount_schema
    from papertally.store.reader import ElectionSummary, ImportedFile
    from papertally.store.store import Store
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {"reader": ("ElectionSummary", "ImportedFile"), "store": ("Store",)},
        submodules=("audit_schema", "recount_schema"),
    )

__all__ = ["ElectionSummary", "ImportedFile", "Store", "audit_schema", "recount_schema"]
