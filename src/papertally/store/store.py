"""The store: elections, their imports and results, kept in SQLite or PostgreSQL.

:class:`Store` is what the CLI and the web app use. Every import is one transaction: it is
saved whole or, on any error (bad data, a count already there, the process killed), not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import psycopg
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from papertally.errors import PapertallyError
from papertally.model.results import Election, ImportResult, ImportWarning
from papertally.store import integrity, reader, writer
from papertally.store import migrate as migrations
from papertally.store.engine import make_engine, reading, writing
from papertally.store.reader import ElectionSummary, ImportedFile
from papertally.store.schema import (
    CHOICES,
    CONTESTS,
    COUNTS,
    ELECTIONS,
    IMPORT_FILES,
    IMPORT_WARNINGS,
    IMPORTS,
    UNIT_TALLIES,
    UNITS,
    VOTES,
)
from papertally.types import ElectionId

R = TypeVar("R")


class Store:
    """Elections and their results in a database at ``url``.

    ``url`` is a SQLAlchemy URL: ``sqlite:///path/to/file.db`` (a bare path is taken as a
    SQLite file) or ``postgresql+psycopg://user:password@host/database``. Call :meth:`migrate`
    once at start (it is cheap when there is nothing to do).
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.url = self.engine.url.render_as_string(hide_password=True)
        self._schema_checked = False

    def close(self) -> None:
        """Close every pooled connection to the database."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        """Return the store, to be closed at the end of the ``with`` block."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Close the store's connections."""
        self.close()

    def migrate(self) -> None:
        """Bring the database's tables up to this papertally version (Alembic ``upgrade head``).

        Safe to call on every start, from several processes at once.
        """
        try:
            migrations.upgrade(self.engine)
        except OperationalError as error:
            raise PapertallyError(f"cannot open the store {self.url}: {error.orig}") from None
        self._schema_checked = True

    def save_import(
        self,
        result: ImportResult,
        *,
        election_name: str | None = None,
        into: ElectionId | None = None,
        file_digests: Mapping[str, str] | None = None,
        actor: str = "command line",
    ) -> ElectionId:
        """Save an import as a new election (or into election ``into``); return its id.

        ``election_name`` overrides the name read from the files. ``file_digests`` maps each
        file of ``result.files`` to the SHA-256 (hex) of its bytes as read; files not in it are
        hashed from disk where they exist. All or nothing: one transaction. A count the
        election already has is refused with a :class:`PapertallyError`. The import is logged
        as done by ``actor``, with the content hash of the election's canvass.
        """
        now = datetime.now(UTC)

        def save(connection: Connection) -> ElectionId:
            election_id = writer.save_import(
                connection,
                result,
                election_name=election_name,
                into=into,
                file_digests=file_digests or {},
                now=now,
            )
            writer.log_import(
                connection, result, election_id, actor=actor, file_digests=file_digests or {}
            )
            return election_id

        try:
            return self._write(save)
        except (IntegrityError, psycopg.IntegrityError) as error:
            reason = getattr(error, "orig", None) or error
            raise PapertallyError(
                "the store refused the import (another import may have saved the same count at "
                f"the same time); nothing was imported: {reason}"
            ) from None

    def load_election(self, election_id: ElectionId) -> Election:
        """Return election ``election_id`` as model objects, equal to what was saved."""
        return self._read(lambda c: reader.load_election(c, election_id))

    def election_version(self, election_id: ElectionId) -> tuple[str, int] | None:
        """Return what changes whenever election ``election_id``'s stored content does.

        An election's rows are written only by imports (a first one, then counts added to it)
        and removed only with the election, so its creation time and its newest import's id
        name its content; ``None`` when there is no such election. One cheap query, for caches
        of :meth:`load_election` that must never serve an outdated election.
        """

        def read(connection: Connection) -> tuple[str, int] | None:
            row = connection.execute(
                select(ELECTIONS.c.created_at, func.max(IMPORTS.c.id))
                .select_from(ELECTIONS.outerjoin(IMPORTS, IMPORTS.c.election_id == ELECTIONS.c.id))
                .where(ELECTIONS.c.id == election_id)
                .group_by(ELECTIONS.c.id, ELECTIONS.c.created_at)
            ).first()
            return None if row is None else (str(row[0]), int(row[1] or 0))

        return self._read(read)

    def list_elections(self) -> list[ElectionSummary]:
        """Return every stored election with the numbers of its contests, units and counts."""
        return self._read(reader.list_elections)

    def import_warnings(self, election_id: ElectionId) -> list[ImportWarning]:
        """Return the warnings found by every import into election ``election_id``."""
        return self._read(lambda c: reader.import_warnings(c, election_id))

    def imported_files(self, election_id: ElectionId) -> list[ImportedFile]:
        """Return the files imported into election ``election_id``, with SHA-256 and format."""
        return self._read(lambda c: reader.imported_files(c, election_id))

    def delete_election(self, election_id: ElectionId, *, actor: str = "command line") -> None:
        """Delete election ``election_id`` and everything imported into it, in one transaction.

        Logged with every row that goes (its recounts' too), so ``log verify`` knows they left.
        """

        def delete_logged(connection: Connection) -> None:
            gone = integrity.election_rows_deleted(connection, election_id)
            _delete_election(connection, election_id)
            integrity.append_entry(
                connection, actor, "election.delete", f"election/{election_id}", {}, gone
            )

        self._write(delete_logged)

    def _read(self, work: Callable[[Connection], R]) -> R:
        """Run ``work`` in a read transaction on a migrated store."""
        self._check_schema()
        with reading(self.engine) as connection:
            return work(connection)

    def _write(self, work: Callable[[Connection], R]) -> R:
        """Run ``work`` in one write transaction on a migrated store; roll back on any error."""
        self._check_schema()
        with writing(self.engine) as connection:
            return work(connection)

    def _check_schema(self) -> None:
        """Refuse to work on a database whose tables are not this version's."""
        if self._schema_checked:
            return
        try:
            current = migrations.current_revision(self.engine)
        except (OperationalError, ProgrammingError) as error:
            raise PapertallyError(f"cannot open the store {self.url}: {error.orig}") from None
        head = migrations.head_revision()
        if current != head:
            state = "has no papertally tables" if current is None else f"is at revision {current}"
            raise PapertallyError(
                f"the store {self.url} {state}; this papertally needs revision {head}: "
                "migrate it first (papertally migrates the store when it starts)"
            )
        self._schema_checked = True


def _delete_election(connection: Connection, election_id: ElectionId) -> None:
    """Delete an election's rows, children first (so no backend depends on cascades)."""
    if (
        connection.execute(select(ELECTIONS.c.id).where(ELECTIONS.c.id == election_id)).first()
        is None
    ):
        raise writer.unknown_election(connection, election_id)
    contests = select(CONTESTS.c.id).where(CONTESTS.c.election_id == election_id)
    counts = select(COUNTS.c.id).where(COUNTS.c.contest_id.in_(contests))
    imports = select(IMPORTS.c.id).where(IMPORTS.c.election_id == election_id)
    connection.execute(delete(VOTES).where(VOTES.c.count_id.in_(counts)))
    connection.execute(delete(UNIT_TALLIES).where(UNIT_TALLIES.c.count_id.in_(counts)))
    connection.execute(delete(COUNTS).where(COUNTS.c.contest_id.in_(contests)))
    connection.execute(delete(CHOICES).where(CHOICES.c.contest_id.in_(contests)))
    connection.execute(delete(CONTESTS).where(CONTESTS.c.election_id == election_id))
    connection.execute(delete(UNITS).where(UNITS.c.election_id == election_id))
    connection.execute(delete(IMPORT_WARNINGS).where(IMPORT_WARNINGS.c.import_id.in_(imports)))
    connection.execute(delete(IMPORT_FILES).where(IMPORT_FILES.c.import_id.in_(imports)))
    connection.execute(delete(IMPORTS).where(IMPORTS.c.election_id == election_id))
    connection.execute(delete(ELECTIONS).where(ELECTIONS.c.id == election_id))
