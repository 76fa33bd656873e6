"""Upload jobs in the store: queued when the bytes are on disk, then parsing, done or failed.

A job is a row (:class:`~papertally.store.upload_schema.UploadJobRow`), so whichever app process
a page's poll reaches can answer it, and the worker that reads the file reports through it.
Each step is its own short transaction; the state only moves forward
(queued → parsing → done or failed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from papertally.errors import PapertallyError
from papertally.store.engine import reading, writing
from papertally.store.upload_schema import UPLOAD_PURPOSES, UploadJobRow

MAX_MESSAGE_CHARS = 2000
"""A job's message is cut to this length (a reader's error may quote a long cell)."""


@dataclass(frozen=True)
class UploadJob:
    """An upload being read, as a page shows it."""

    id: int
    purpose: str
    state: str
    target: dict[str, Any]
    message: str | None
    result: dict[str, Any] | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """True once the job is ``done`` or ``failed``."""
        return self.state in ("done", "failed")


class UploadJobs:
    """Create, advance and read upload jobs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, purpose: str, target: Mapping[str, Any], *, actor: str) -> int:
        """Record a new ``queued`` job for ``target`` (JSON-able); return its id."""
        if purpose not in UPLOAD_PURPOSES:
            raise PapertallyError(f"unknown kind of upload {purpose!r}")
        with writing(self.engine) as connection:
            job_id = connection.execute(
                insert(UploadJobRow)
                .values(
                    purpose=purpose,
                    state="queued",
                    target=json.dumps(dict(target)),
                    created_by=actor,
                    created_at=datetime.now(UTC),
                )
                .returning(UploadJobRow.id)
            ).scalar_one()
        return int(job_id)

    def start(self, job_id: int) -> UploadJob:
        """Move a ``queued`` job to ``parsing`` and return it; refuse any other state."""
        with writing(self.engine) as connection:
            moved = connection.execute(
                update(UploadJobRow)
                .where(UploadJobRow.id == job_id, UploadJobRow.state == "queued")
                .values(state="parsing")
            ).rowcount
        if moved != 1:
            raise PapertallyError(f"upload {job_id} is not waiting to be read")
        return self.job(job_id)

    def finish(self, job_id: int, message: str, result: Mapping[str, Any]) -> None:
        """Mark a job ``done`` with ``message`` for the user and its ``result``."""
        self._end(job_id, "done", message, dict(result))

    def fail(self, job_id: int, message: str) -> None:
        """Mark an unfinished job ``failed`` with ``message`` saying why."""
        self._end(job_id, "failed", message, None)

    def job(self, job_id: int) -> UploadJob:
        """Return job ``job_id``; an unknown id is a user error."""
        with reading(self.engine) as connection:
            row = connection.execute(
                select(UploadJobRow).where(UploadJobRow.id == job_id)
            ).one_or_none()
        if row is None:
            raise PapertallyError(f"there is no upload {job_id}")
        return UploadJob(
            id=row.id,
            purpose=row.purpose,
            state=row.state,
            target=json.loads(row.target),
            message=row.message,
            result=None if row.result is None else json.loads(row.result),
            created_by=row.created_by,
            created_at=_utc(row.created_at),
            finished_at=None if row.finished_at is None else _utc(row.finished_at),
        )

    def _end(self, job_id: int, state: str, message: str, result: dict[str, Any] | None) -> None:
        with writing(self.engine) as connection:
            connection.execute(
                update(UploadJobRow)
                .where(UploadJobRow.id == job_id, UploadJobRow.state.in_(("queued", "parsing")))
                .values(
                    state=state,
                    message=message[:MAX_MESSAGE_CHARS],
                    result=None if result is None else json.dumps(result),
                    finished_at=datetime.now(UTC),
                )
            )


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` as UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
