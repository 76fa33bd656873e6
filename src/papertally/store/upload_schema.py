"""The table of upload jobs: a file received, then read off the request in a worker.

An upload is answered as soon as its bytes are on disk (:mod:`papertally.store.files`); reading
and checking it (a CVR zip can take minutes) runs in a worker process, and the page polls the
job's ``state``: ``queued``, ``parsing``, ``done`` or ``failed`` with a message for the user. The
job is a row, not process memory, so any app process can answer the poll.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from papertally.store.schema import Base, _one_of

UPLOAD_PURPOSES = ["audit file", "canvass"]
UPLOAD_STATES = ["queued", "parsing", "done", "failed"]


class UploadJobRow(Base):
    """One upload being read: what it is for, its files on disk, its state and outcome."""

    __tablename__ = "upload_jobs"
    __table_args__ = (
        CheckConstraint(_one_of("purpose", UPLOAD_PURPOSES), name="purpose_known"),
        CheckConstraint(_one_of("state", UPLOAD_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    """JSON: where the upload goes (audit, county, kind, contest; or the election's name) and
    its files (name, key, SHA-256, size)."""
    message: Mapped[str | None] = mapped_column(Text)
    """For the user: what was read, or why the upload was refused."""
    result: Mapped[str | None] = mapped_column(Text)
    """JSON: the stored file's or imported election's id once ``done``."""
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
