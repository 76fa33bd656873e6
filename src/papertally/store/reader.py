"""Reading elections back out of the store as :mod:`papertally.model` objects.

Contests, units and counts come back in the order they were saved (row ids grow with each
insert), choices in ballot order, so a loaded election equals the one that was saved.
Units, tallies and votes are streamed in chunks straight from the driver's cursor (see
:func:`papertally.store.writer.stream_rows`), so a statewide election loads in under 2 s.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, func, select

from papertally.bulk import cyclic_gc_paused
from papertally.errors import FileLocation
from papertally.model.results import (
    Choice,
    Contest,
    ContestCount,
    CountItemType,
    Election,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
)
from papertally.store.schema import (
    CHOICES,
    CONTESTS,
    COUNTS,
    ELECTIONS,
    IMPORT_FILES,
    IMPORT_WARNINGS,
    IMPORTS,
    TALLY_STATISTICS,
    UNIT_STATISTICS,
    UNIT_TALLIES,
    UNITS,
    VOTE_BREAKDOWNS,
    VOTES,
)
from papertally.store.writer import stream_rows, unknown_election
from papertally.types import ElectionId


@dataclass(frozen=True)
class ElectionSummary:
    """One line of the list of stored elections: what it is and how big."""

    id: ElectionId
    name: str
    date: date | None
    state: str | None
    contests: int
    units: int
    counts: int
    created_at: datetime


@dataclass(frozen=True)
class ImportedFile:
    """A file of a stored import: name, SHA-256 (where known) and the format detected."""

    import_id: int
    imported_at: datetime
    file_name: str
    sha256: str | None
    detected_format: str | None


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC time (SQLite hands back naive times)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def load_election(connection: Connection, election_id: ElectionId) -> Election:
    """Return the stored election ``election_id`` with all its contests, units and counts."""
    with cyclic_gc_paused():
        return _load_election(connection, election_id)


def _load_election(connection: Connection, election_id: ElectionId) -> Election:
    """Read election ``election_id`` (see :func:`load_election`)."""
    row = connection.execute(select(ELECTIONS).where(ELECTIONS.c.id == election_id)).first()
    if row is None:
        raise unknown_election(connection, election_id)
    election = Election(row.name, row.date, row.state)
    contest_names: dict[int, str] = {}
    for contest in connection.execute(
        select(CONTESTS).where(CONTESTS.c.election_id == election_id).order_by(CONTESTS.c.id)
    ):
        election.contests[contest.name] = Contest(
            contest.name, contest.office, contest.district, contest.votes_allowed
        )
        contest_names[contest.id] = contest.name
    choice_names: dict[int, str] = {}
    for choice in connection.execute(
        select(CHOICES)
        .where(CHOICES.c.contest_id.in_(list(contest_names)))
        .order_by(CHOICES.c.contest_id, CHOICES.c.position)
    ):
        election.contests[contest_names[choice.contest_id]].choices.append(
            Choice(choice.name, choice.party, choice.is_write_in)
        )
        choice_names[choice.id] = choice.name
    unit_ids: dict[int, str] = {}
    unit_types = {kind.value: kind for kind in ReportingUnitType}
    units = election.units
    for row_id, external_id, name, county, municipality, kind in stream_rows(
        connection,
        select(
            UNITS.c.id,
            UNITS.c.external_id,
            UNITS.c.name,
            UNITS.c.county,
            UNITS.c.municipality,
            UNITS.c.type,
        )
        .where(UNITS.c.election_id == int(election_id))
        .order_by(UNITS.c.id),
    ):
        units[external_id] = ReportingUnit(
            external_id,
            name,
            county,
            municipality,
            unit_types.get(kind) or ReportingUnitType(kind),
        )
        unit_ids[row_id] = external_id
    counts: dict[int, ContestCount] = {}
    for count in connection.execute(
        select(COUNTS).where(COUNTS.c.contest_id.in_(list(contest_names))).order_by(COUNTS.c.id)
    ):
        counts[count.id] = ContestCount(
            contest_names[count.contest_id],
            count.name,
            ResultsStatus(count.status),
            CountItemType(count.count_item_type),
        )
    election.counts = list(counts.values())
    _load_tallies(connection, counts, unit_ids, choice_names)
    for unit_row, name, value in connection.execute(
        select(UNIT_STATISTICS.c.unit_id, UNIT_STATISTICS.c.name, UNIT_STATISTICS.c.value)
        .join(UNITS, UNITS.c.id == UNIT_STATISTICS.c.unit_id)
        .where(UNITS.c.election_id == int(election_id))
        .order_by(UNIT_STATISTICS.c.import_id, UNIT_STATISTICS.c.unit_id, UNIT_STATISTICS.c.name)
    ):
        election.unit_statistics.setdefault(unit_ids[unit_row], {})[name] = value
    return election


def _load_tallies(
    connection: Connection,
    counts: dict[int, ContestCount],
    unit_ids: dict[int, str],
    choice_names: dict[int, str],
) -> None:
    """Fill ``counts`` with their unit tallies and votes, streamed from the database."""
    tallies: dict[int, dict[int, UnitTally]] = {count_id: {} for count_id in counts}
    count_ids = list(counts)
    for count_id, unit_row, ballots_cast, file, sheet, row, column in stream_rows(
        connection,
        select(
            UNIT_TALLIES.c.count_id,
            UNIT_TALLIES.c.unit_id,
            UNIT_TALLIES.c.ballots_cast,
            UNIT_TALLIES.c.source_file,
            UNIT_TALLIES.c.source_sheet,
            UNIT_TALLIES.c.source_row,
            UNIT_TALLIES.c.source_column,
        )
        .where(UNIT_TALLIES.c.count_id.in_(count_ids))
        .order_by(UNIT_TALLIES.c.count_id, UNIT_TALLIES.c.unit_id),
    ):
        source = None if file is None else FileLocation(file, sheet, row, column)
        tally = UnitTally(ballots_cast=ballots_cast, source=source)
        tallies[count_id][unit_row] = tally
        counts[count_id].units[unit_ids[unit_row]] = tally
    last: tuple[int, int] | None = None
    votes: MutableMapping[str, int] = {}
    for count_id, unit_row, choice_id, figure in stream_rows(
        connection,
        select(VOTES.c.count_id, VOTES.c.unit_id, VOTES.c.choice_id, VOTES.c.votes)
        .where(VOTES.c.count_id.in_(count_ids))
        .order_by(VOTES.c.count_id, VOTES.c.unit_id, VOTES.c.choice_id),
    ):
        if (count_id, unit_row) != last:
            last = (count_id, unit_row)
            votes = tallies[count_id][unit_row].votes
        votes[choice_names[choice_id]] = figure
    for count_id, unit_row, name, value in connection.execute(
        select(TALLY_STATISTICS)
        .where(TALLY_STATISTICS.c.count_id.in_(count_ids))
        .order_by(*TALLY_STATISTICS.primary_key.columns)
    ):
        tallies[count_id][unit_row].statistics[name] = value
    for count_id, unit_row, choice_id, kind, figure in stream_rows(
        connection,
        select(
            VOTE_BREAKDOWNS.c.count_id,
            VOTE_BREAKDOWNS.c.unit_id,
            VOTE_BREAKDOWNS.c.choice_id,
            VOTE_BREAKDOWNS.c.vote_type,
            VOTE_BREAKDOWNS.c.votes,
        )
        .where(VOTE_BREAKDOWNS.c.count_id.in_(count_ids))
        .order_by(*VOTE_BREAKDOWNS.primary_key.columns),
    ):
        by_type = tallies[count_id][unit_row].by_type
        by_type.setdefault(kind, {})[choice_names[choice_id]] = figure


def list_elections(connection: Connection) -> list[ElectionSummary]:
    """Return a summary of every stored election, oldest first."""
    contests = (
        select(func.count())
        .select_from(CONTESTS)
        .where(CONTESTS.c.election_id == ELECTIONS.c.id)
        .scalar_subquery()
    )
    units = (
        select(func.count())
        .select_from(UNITS)
        .where(UNITS.c.election_id == ELECTIONS.c.id)
        .scalar_subquery()
    )
    counts = (
        select(func.count())
        .select_from(COUNTS)
        .join(CONTESTS, CONTESTS.c.id == COUNTS.c.contest_id)
        .where(CONTESTS.c.election_id == ELECTIONS.c.id)
        .scalar_subquery()
    )
    query = select(
        ELECTIONS.c.id,
        ELECTIONS.c.name,
        ELECTIONS.c.date,
        ELECTIONS.c.state,
        contests.label("contests"),
        units.label("units"),
        counts.label("counts"),
        ELECTIONS.c.created_at,
    ).order_by(ELECTIONS.c.id)
    return [
        ElectionSummary(
            r.id, r.name, r.date, r.state, r.contests, r.units, r.counts, as_utc(r.created_at)
        )
        for r in connection.execute(query)
    ]


def _require_election(connection: Connection, election_id: ElectionId) -> None:
    """Raise the unknown-election error unless ``election_id`` is stored."""
    found = connection.execute(select(ELECTIONS.c.id).where(ELECTIONS.c.id == election_id)).first()
    if found is None:
        raise unknown_election(connection, election_id)


def import_warnings(connection: Connection, election_id: ElectionId) -> list[ImportWarning]:
    """Return the warnings of every import into ``election_id``, in the order they were found."""
    _require_election(connection, election_id)
    rows = connection.execute(
        select(IMPORT_WARNINGS)
        .join(IMPORTS, IMPORTS.c.id == IMPORT_WARNINGS.c.import_id)
        .where(IMPORTS.c.election_id == election_id)
        .order_by(IMPORTS.c.id, IMPORT_WARNINGS.c.position)
    )
    return [ImportWarning(FileLocation(r.file, r.sheet, r.row, r.column), r.message) for r in rows]


def imported_files(connection: Connection, election_id: ElectionId) -> list[ImportedFile]:
    """Return the files of every import into ``election_id``, oldest import first."""
    _require_election(connection, election_id)
    rows = connection.execute(
        select(
            IMPORTS.c.id,
            IMPORTS.c.imported_at,
            IMPORT_FILES.c.file_name,
            IMPORT_FILES.c.sha256,
            IMPORT_FILES.c.detected_format,
        )
        .join(IMPORTS, IMPORTS.c.id == IMPORT_FILES.c.import_id)
        .where(IMPORTS.c.election_id == election_id)
        .order_by(IMPORTS.c.id, IMPORT_FILES.c.position)
    )
    return [
        ImportedFile(r.id, as_utc(r.imported_at), r.file_name, r.sha256, r.detected_format)
        for r in rows
    ]
