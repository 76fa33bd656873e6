"""The tables of a recount run in the web app: users and their sessions, recounts, county
progress, tally sheets, paper records and the hash-chained activity log.

Nothing here is ever updated in place except the small status rows (``recount_counties``,
``recount_wards``), which carry a ``version`` for optimistic locking: a write states the version
it saw, and fails when another writer got there first. Tally sheets and paper records are
append-only; a correction adds a row that supersedes the old one, both kept with who, when and
why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from papertally.model.recount import CountyStatus, Role
from papertally.store.schema import Base, _one_of

RECOUNT_METHODS = ["hand", "machine"]
RECOUNT_STATUSES = ["open", "certified"]


class UserRow(Base):
    """A person who signs in: the state administrator, clerks, board members, observers.

    Ids are never reused (SQLite ``AUTOINCREMENT``; PostgreSQL sequences never go back), and a
    user is disabled rather than deleted, so nothing that names an id can come to mean someone
    else.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_one_of("role", [r.value for r in Role]), name="role_known"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(Text)
    """The county of a clerk or board member."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """A disabled user cannot sign in and has no session."""


class SessionRow(Base):
    """A signed-in browser or script: the cookie holds a random token, the table its SHA-256.

    Only the digest is stored, so a copy of the table opens no session. A session ends when it
    is revoked (sign-out; the user's password, role or status changed), when it has been idle
    too long (``last_seen_at``), or at ``expires_at``, whichever comes first.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    """The session's synchronizer token, sent back with every state-changing request."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When the session was last used, kept to the minute (not rewritten on every request)."""
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInThrottleRow(Base):
    """Failed sign-ins counted per account (``user:NAME``) or client address (``address:IP``).

    One row per key, claimed under a row lock before a password is checked, so parallel guesses
    cannot all slip under the limit (see :mod:`papertally.store.users`).
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    next_allowed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecountRow(Base):
    """A recount of one contest of an imported election."""

    __tablename__ = "recounts"
    __table_args__ = (CheckConstraint(_one_of("status", RECOUNT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    contest: Mapped[str] = mapped_column(Text)
    base_count: Mapped[str] = mapped_column(Text)
    """The count the recount is compared with, usually ``original canvass``."""
    reason: Mapped[str] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    """The law engine's findings (JSON) when the recount was opened, where available."""
    starts_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    certified_by: Mapped[str | None] = mapped_column(Text)
    certified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecountCountyRow(Base):
    """One county's part of a recount: method, cost estimate, status."""

    __tablename__ = "recount_counties"
    __table_args__ = (
        UniqueConstraint("recount_id", "county"),
        CheckConstraint(_one_of("method", RECOUNT_METHODS), name="method_known"),
        CheckConstraint(_one_of("status", [s.value for s in CountyStatus]), name="status_known"),
        CheckConstraint("cost_estimate_cents IS NULL OR cost_estimate_cents >= 0", name="cost"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recount_id: Mapped[int] = mapped_column(ForeignKey("recounts.id", ondelete="CASCADE"))
    county: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    cost_estimate_cents: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class RecountWardRow(Base):
    """A ward of a recount: the version every write to its sheets or records must state."""

    __tablename__ = "recount_wards"
    __table_args__ = (UniqueConstraint("recount_id", "unit_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recount_id: Mapped[int] = mapped_column(ForeignKey("recounts.id", ondelete="CASCADE"))
    unit_key: Mapped[str] = mapped_column(Text)
    """The reporting unit's election-wide id (``county|name``)."""
    county: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TallySheetRow(Base):
    """One count team's tally sheet for a ward; corrections supersede, never overwrite."""

    __tablename__ = "tally_sheets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(
        ForeignKey("recount_wards.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(Text)
    votes: Mapped[str] = mapped_column(Text)
    """Votes per choice as canonical JSON."""
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    """Why a correction was made (None for a first entry)."""
    voided: Mapped[bool] = mapped_column(Boolean)
    """True for a sheet withdrawn without a replacement."""


class PaperRecordRow(Base):
    """A ward's paper-record counts (poll book, ballots, absentee envelopes, challenges)."""

    __tablename__ = "paper_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(
        ForeignKey("recount_wards.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text)
    """The counts and challenged ballots as canonical JSON."""
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class ActivityRow(Base):
    """An entry of the hash-chained activity log (:mod:`papertally.model.activity`)."""

    __tablename__ = "activity_log"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    chain: Mapped[str] = mapped_column(String(200), primary_key=True, server_default="")
    """The chain of the entry (``""``: the main chain); ``sequence`` counts within it."""


class RecountSettingsRow(Base):
    """How a recount's wards are entered and its times shown (one row per recount).

    ``show_canvass`` false (the default) keeps the tally blind: the original canvass of a ward
    is hidden until its sheet is saved, so a count board cannot steer towards the expected
    figures. ``double_entry`` true makes every sheet wait for a second, blind entry by another
    person before the county may submit. ``time_zone`` is the IANA zone of the state
    (:mod:`papertally.law.timezones`) in which deadlines are entered and times shown.
    """

    __tablename__ = "recount_settings"

    recount_id: Mapped[int] = mapped_column(
        ForeignKey("recounts.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str] = mapped_column(String(64))
    show_canvass: Mapped[bool] = mapped_column(Boolean)
    double_entry: Mapped[bool] = mapped_column(Boolean)


class SheetCheckRow(Base):
    """A second, blind entry of a tally sheet by another person: the figures typed and whether
    they matched the sheet (a mismatch is settled by a correction, which needs its own check)."""

    __tablename__ = "sheet_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("tally_sheets.id", ondelete="CASCADE"), index=True
    )
    votes: Mapped[str] = mapped_column(Text)
    """The figures of the second entry, votes per choice as canonical JSON."""
    matched: Mapped[bool] = mapped_column(Boolean)
    checked_by: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
