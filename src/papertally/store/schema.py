"""The tables of the store, as typed SQLAlchemy 2 declarative classes.

The election is the root: everything else hangs off it and goes with it when it is deleted.
Results are kept at the grain of the model (:mod:`papertally.model.results`): one row per vote
figure (count × reporting unit × choice) in ``votes``, and one row per count × unit in
``unit_tallies`` with the ballots cast and the file row the figures came from, so every number
stays traceable. Every save is an ``imports`` row, with its files (name, SHA-256, detected
format) and warnings, and every count points at the import that brought it.

Later capabilities (the recount web app's tally sheets and activity log, the audit workflow)
add their own tables in new Alembic revisions under ``migrations/versions``; the schema here
must always equal what the migrations build (a test compares the two on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from papertally.model.results import CountItemType, ReportingUnitType, ResultsStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names are fixed, so later migrations can name what they alter on every backend."""

MAX_VOTES = 2**31 - 1
"""The largest vote figure a column holds (PostgreSQL ``integer``); no unit comes near it."""


def _one_of(column: str, values: list[str]) -> str:
    """Return the SQL of a CHECK that ``column`` holds one of ``values``."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})"


class Base(DeclarativeBase):
    """The declarative base of every store table, with the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ElectionRow(Base):
    """An election: the root every other row of the results belongs to."""

    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str | None] = mapped_column(String(16))
    """Two-letter postal code of the state, where known."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportRow(Base):
    """One save into the store: the files read together and when (one transaction)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportFileRow(Base):
    """A file of an import: its name, SHA-256 digest and the format detected from its content."""

    __tablename__ = "import_files"
    __table_args__ = (
        UniqueConstraint("import_id", "position"),
        CheckConstraint("sha256 IS NULL OR length(sha256) = 64", name="sha256_hex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    """Lower-case hex SHA-256 of the file's bytes, so later readers can tell it is the same."""
    detected_format: Mapped[str | None] = mapped_column(String(64))


class ImportWarningRow(Base):
    """Something a file did not add up on, kept with its place in the file."""

    __tablename__ = "import_warnings"
    __table_args__ = (UniqueConstraint("import_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(Text)
    sheet: Mapped[str | None] = mapped_column(Text)
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


class ContestRow(Base):
    """An office or question on the ballot of an election."""

    __tablename__ = "contests"
    __table_args__ = (
        UniqueConstraint("election_id", "name"),
        CheckConstraint("votes_allowed >= 1", name="votes_allowed_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    office: Mapped[str | None] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(Text)
    votes_allowed: Mapped[int] = mapped_column(Integer)


class ChoiceRow(Base):
    """A candidate, write-in or scattering line, or answer of a contest, in ballot order."""

    __tablename__ = "choices"
    __table_args__ = (
        UniqueConstraint("contest_id", "name"),
        UniqueConstraint("contest_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    party: Mapped[str | None] = mapped_column(Text)
    is_write_in: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class ReportingUnitRow(Base):
    """A ward, precinct or other unit whose votes are reported on their own."""

    __tablename__ = "reporting_units"
    __table_args__ = (
        UniqueConstraint("election_id", "external_id"),
        CheckConstraint(_one_of("type", [t.value for t in ReportingUnitType]), name="type_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(Text)
    """The model's unit id, ``"<county>|<unit name>"``, unique within the election."""
    name: Mapped[str] = mapped_column(Text)
    county: Mapped[str] = mapped_column(Text)
    municipality: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(32))


class CountRow(Base):
    """One named tally of a contest (original canvass, recount, audit ...)."""

    __tablename__ = "counts"
    __table_args__ = (
        UniqueConstraint("contest_id", "name"),
        CheckConstraint(_one_of("status", [s.value for s in ResultsStatus]), name="status_known"),
        CheckConstraint(
            _one_of("count_item_type", [t.value for t in CountItemType]),
            name="count_item_type_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    """The import that brought this count, and so the files its numbers came from."""
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    count_item_type: Mapped[str] = mapped_column(String(32))


class UnitTallyRow(Base):
    """A count's figures for one reporting unit: ballots cast and the file row they came from."""

    __tablename__ = "unit_tallies"
    __table_args__ = (
        CheckConstraint("ballots_cast IS NULL OR ballots_cast >= 0", name="ballots_cast_nonneg"),
    )

    count_id: Mapped[int] = mapped_column(
        ForeignKey("counts.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    """Indexed so that deleting units does not scan every tally of every election."""
    ballots_cast: Mapped[int | None] = mapped_column(Integer)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_sheet: Mapped[str | None] = mapped_column(Text)
    source_row: Mapped[int | None] = mapped_column(Integer)
    source_column: Mapped[str | None] = mapped_column(Text)


class VoteRow(Base):
    """The votes for one choice in one reporting unit in one count."""

    __tablename__ = "votes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("votes >= 0", name="votes_nonneg"),
    )

    count_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice_id: Mapped[int] = mapped_column(
        ForeignKey("choices.id", ondelete="CASCADE"), primary_key=True
    )
    votes: Mapped[int] = mapped_column(Integer)


class TallyStatisticRow(Base):
    """A figure of one contest in one unit that is no choice's votes (under or over votes)."""

    __tablename__ = "tally_statistics"
    __table_args__ = (
        ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("value >= 0", name="value_nonneg"),
    )

    count_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class VoteBreakdownRow(Base):
    """The votes for one choice in one unit and count that were cast one way (absentee ...)."""

    __tablename__ = "vote_breakdowns"
    __table_args__ = (
        ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("votes >= 0", name="votes_nonneg"),
    )

    count_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice_id: Mapped[int] = mapped_column(
        ForeignKey("choices.id", ondelete="CASCADE"), primary_key=True
    )
    vote_type: Mapped[str] = mapped_column(Text, primary_key=True)
    votes: Mapped[int] = mapped_column(Integer)


class UnitStatisticRow(Base):
    """A figure of a whole unit (registered voters, ballots cast), as one import gave it."""

    __tablename__ = "unit_statistics"
    __table_args__ = (CheckConstraint("value >= 0", name="value_nonneg"),)

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


ELECTIONS: Table = ElectionRow.__table__  # type: ignore[assignment]
IMPORTS: Table = ImportRow.__table__  # type: ignore[assignment]
IMPORT_FILES: Table = ImportFileRow.__table__  # type: ignore[assignment]
IMPORT_WARNINGS: Table = ImportWarningRow.__table__  # type: ignore[assignment]
CONTESTS: Table = ContestRow.__table__  # type: ignore[assignment]
CHOICES: Table = ChoiceRow.__table__  # type: ignore[assignment]
UNITS: Table = ReportingUnitRow.__table__  # type: ignore[assignment]
COUNTS: Table = CountRow.__table__  # type: ignore[assignment]
UNIT_TALLIES: Table = UnitTallyRow.__table__  # type: ignore[assignment]
VOTES: Table = VoteRow.__table__  # type: ignore[assignment]
TALLY_STATISTICS: Table = TallyStatisticRow.__table__  # type: ignore[assignment]
VOTE_BREAKDOWNS: Table = VoteBreakdownRow.__table__  # type: ignore[assignment]
UNIT_STATISTICS: Table = UnitStatisticRow.__table__  # type: ignore[assignment]
"""The tables as SQLAlchemy Core objects, for bulk inserts and selects."""

__all__ = [
    "CHOICES",
    "CONTESTS",
    "COUNTS",
    "ELECTIONS",
    "IMPORTS",
    "IMPORT_FILES",
    "IMPORT_WARNINGS",
    "MAX_VOTES",
    "TALLY_STATISTICS",
    "UNITS",
    "UNIT_STATISTICS",
    "UNIT_TALLIES",
    "VOTES",
    "VOTE_BREAKDOWNS",
    "Base",
    "ChoiceRow",
    "ContestRow",
    "CountRow",
    "ElectionRow",
    "ImportFileRow",
    "ImportRow",
    "ImportWarningRow",
    "ReportingUnitRow",
    "TallyStatisticRow",
    "UnitStatisticRow",
    "UnitTallyRow",
    "VoteBreakdownRow",
    "VoteRow",
]
