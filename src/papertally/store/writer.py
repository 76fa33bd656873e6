"""Writing an import into the store: checked in memory first, then bulk-inserted.

Everything is checked before the first row is written, so a bad import is refused with a
message naming the count, unit and choice, and the database is never touched. Rows go in
in bulk as plain tuples, never one ORM object or parameter dict per vote: multi-row
``INSERT`` statements run with ``executemany`` in chunks on SQLite, ``COPY`` on PostgreSQL.
A 100,000-unit statewide election (800,000 vote figures) saves in about 3 s of CPU on SQLite,
in bounded memory (bench/bench_store.py). The caller runs all of it in one transaction
(:meth:`papertally.store.Store.save_import`, or the web app), which also logs it with the
content hash of the election's canvass (:func:`log_import`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice, repeat
from numbers import Integral
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, insert, select, update

from papertally.errors import PapertallyError
from papertally.model.results import Contest, ContestCount, Election, ImportResult, ImportWarning
from papertally.store.schema import (
    CHOICES,
    CONTESTS,
    COUNTS,
    ELECTIONS,
    IMPORT_FILES,
    IMPORT_WARNINGS,
    IMPORTS,
    MAX_VOTES,
    TALLY_STATISTICS,
    UNIT_STATISTICS,
    UNIT_TALLIES,
    UNITS,
    VOTE_BREAKDOWNS,
    VOTES,
)
from papertally.types import ContestName, CountName, ElectionId, ReportingUnitId

CHUNK_ROWS = 20_000
"""Rows per ``executemany`` call: large enough to be fast, small enough to bound memory."""

SHA256_HEX = re.compile(r"[0-9a-f]{64}")

T = TypeVar("T")


def chunked(rows: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    """Yield ``rows`` in lists of at most ``size``."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def unknown_election(connection: Connection, election_id: ElectionId) -> PapertallyError:
    """Return the error for an election id that is not in the store, naming those that are."""
    ids = [str(i) for i in connection.scalars(select(ELECTIONS.c.id).order_by(ELECTIONS.c.id))]
    known = ", ".join(ids) if ids else "none (the store is empty)"
    return PapertallyError(
        f"no election with id {election_id} in the store; elections are: {known}"
    )


def check_election(election: Election) -> None:
    """Refuse, before anything is written, an election the store could not keep whole.

    Every count must name a listed contest, every tally a listed unit, every vote a choice of
    the contest; figures must be whole numbers from 0 to 2,147,483,647; no count twice.
    """
    seen: set[tuple[ContestName, CountName]] = set()
    for contest in election.contests.values():
        names = contest.choice_names()
        if len(set(names)) != len(names):
            raise PapertallyError(f"contest {contest.name!r} lists a choice twice: {names}")
        if contest.votes_allowed < 1:
            raise PapertallyError(
                f"contest {contest.name!r} allows {contest.votes_allowed} votes; "
                "it must be 1 or more"
            )
    for count in election.counts:
        key = (count.contest, count.name)
        if key in seen:
            raise PapertallyError(
                f"count {count.name!r} of contest {count.contest!r} appears twice in the import"
            )
        seen.add(key)
        if count.contest not in election.contests:
            known = ", ".join(repr(n) for n in election.contests) or "none"
            raise PapertallyError(
                f"count {count.name!r} is of contest {count.contest!r}, which the election "
                f"does not list; contests are: {known}"
            )
        _check_count(election, election.contests[count.contest], count)
    for uid, figures in election.unit_statistics.items():
        if uid not in election.units:
            raise PapertallyError(f"statistics of unit {uid!r}, which is not among the units")
        _check_figures(f"unit {uid!r}", figures.items())


def _check_figures(
    where: str, figures: Iterable[tuple[str, object]], *, named: bool = True
) -> None:
    """Refuse a figure that is not a count, or (``named``) a statistic name over 64 characters."""
    for name, value in figures:
        if named and len(name) > STATISTIC_NAME_MAX:
            raise PapertallyError(f"{where}: the statistic name {name[:80]!r} is too long")
        if type(value) is not int or not 0 <= value <= MAX_VOTES:
            raise PapertallyError(
                f"{where}: {name} is {value!r}; expected a whole number from 0 to {MAX_VOTES:,}"
            )


STATISTIC_NAME_MAX = 64
"""Length of the statistics' ``name`` columns."""

STATE_MAX, FORMAT_MAX = 16, 64
"""Lengths of the ``elections.state`` and ``import_files.detected_format`` columns."""


def check_text(result: ImportResult) -> None:
    """Refuse text the store cannot keep: NUL characters, an over-long state or format name.

    PostgreSQL text cannot hold NUL, so neither backend takes it (a file with NUL bytes is
    damaged anyway). The cheap test over all text runs first; the search for where comes after.
    """
    election = result.election
    labelled = list(_labelled_text(result))
    if "\x00" in "".join(text for _, text in labelled) or "\x00" in "".join(_bulk_text(election)):
        for what, text in [*labelled, *_labelled_bulk_text(election)]:
            if "\x00" in text:
                raise PapertallyError(f"{what} holds a NUL character ({text!r}); fix the file")
    if election.state is not None and len(election.state) > STATE_MAX:
        raise PapertallyError(
            f"the election's state is {election.state!r}; expected a postal code "
            f"(at most {STATE_MAX} characters)"
        )
    for fmt in result.formats:
        if len(fmt) > FORMAT_MAX:
            raise PapertallyError(f"format name {fmt!r} is longer than {FORMAT_MAX} characters")


def _kept_warnings(result: ImportResult) -> list[ImportWarning]:
    """Return the warnings an import keeps: the readers' warnings, then each contest a file
    held but the import left out (:attr:`ImportResult.errors`), marked ``left out:``."""
    left_out = [ImportWarning(e.location, f"left out: {e.message}") for e in result.errors]
    return [*result.warnings, *left_out]


def _labelled_text(result: ImportResult) -> Iterator[tuple[str, str]]:
    """Yield (what it is, text) for the few texts of an import outside its units and tallies."""
    election = result.election
    yield "the election's name", election.name
    yield "the election's state", election.state or ""
    for name in result.files:
        yield f"file name {name!r}", name
    for fmt in result.formats:
        yield "a format name", fmt
    for warning in _kept_warnings(result):
        location = warning.location
        for text in (location.file, location.sheet, location.column, warning.message):
            yield f"the warning {warning.message!r}", text or ""
    for contest in election.contests.values():
        for text in (contest.name, contest.office, contest.district):
            yield f"contest {contest.name!r}", text or ""
        for choice in contest.choices:
            yield f"choice {choice.name!r} of contest {contest.name!r}", choice.name
            yield f"the party of choice {choice.name!r}", choice.party or ""
    for count in election.counts:
        yield f"count {count.name!r} of contest {count.contest!r}", count.name


def _bulk_text(election: Election) -> Iterator[str]:
    """Yield the texts of every unit and every tally's source, fast."""
    for unit in election.units.values():
        yield unit.id
        yield unit.name
        yield unit.county
        yield unit.municipality or ""
    for count in election.counts:
        for tally in count.units.values():
            if tally.source is not None:
                yield tally.source.file
                yield tally.source.sheet or ""
                yield tally.source.column or ""


def _labelled_bulk_text(election: Election) -> Iterator[tuple[str, str]]:
    """Yield (what it is, text) for the texts of :func:`_bulk_text`, to say where one is bad."""
    for unit in election.units.values():
        for text in (unit.id, unit.name, unit.county, unit.municipality or ""):
            yield f"reporting unit {unit.id!r}", text
    for count in election.counts:
        for uid, tally in count.units.items():
            if tally.source is not None:
                for part in (tally.source.file, tally.source.sheet, tally.source.column):
                    yield f"the source of {_where(count, uid)}", part or ""


def _check_count(election: Election, contest: Contest, count: ContestCount) -> None:
    """Check the units, choices and figures of one count (see :func:`check_election`)."""
    choices = set(contest.choice_names())
    units = election.units
    for uid, tally in count.units.items():
        if uid not in units:
            raise PapertallyError(
                f"{_where(count, uid)}: the unit is not among the election's units"
            )
        if tally.ballots_cast is not None and not 0 <= tally.ballots_cast <= MAX_VOTES:
            raise PapertallyError(
                f"{_where(count, uid)}: ballots cast is {tally.ballots_cast}; "
                f"expected 0 to {MAX_VOTES:,}"
            )
        for choice, votes in tally.votes.items():
            if choice not in choices:
                raise PapertallyError(
                    f"{_where(count, uid)}: votes for {choice!r}, which is not a choice of the "
                    f"contest (choices are: {', '.join(repr(c) for c in contest.choice_names())})"
                )
            whole = type(votes) is int or (
                isinstance(votes, Integral) and not isinstance(votes, bool)
            )
            if not whole or not 0 <= votes <= MAX_VOTES:
                raise PapertallyError(
                    f"{_where(count, uid)}: {votes!r} votes for {choice!r}; expected a whole "
                    f"number from 0 to {MAX_VOTES:,}"
                )
        if tally.statistics:
            _check_figures(_where(count, uid), tally.statistics.items())
        for kind, by_choice in tally.by_type.items():
            unknown = [c for c in by_choice if c not in choices]
            if unknown:
                raise PapertallyError(
                    f"{_where(count, uid)}: {kind} votes for {unknown[0]!r}, which is not a "
                    "choice of the contest"
                )
            _check_figures(_where(count, uid), by_choice.items(), named=False)


def _where(count: ContestCount, uid: ReportingUnitId) -> str:
    """Return where a figure is, for messages: count, contest, unit and the file row if known."""
    where = f"count {count.name!r} of contest {count.contest!r}, unit {uid!r}"
    source = count.units[uid].source
    return where if source is None else f"{where} ({source.describe()})"


def file_digest(name: str, given: Mapping[str, str]) -> str | None:
    """Return the SHA-256 of file ``name``: as given, else read from disk if it is there."""
    if name in given:
        digest = given[name].strip().lower()
        if not SHA256_HEX.fullmatch(digest):
            raise PapertallyError(
                f"the SHA-256 given for {name!r} is {given[name]!r}; expected 64 hex digits"
            )
        return digest
    path = Path(name)
    if not path.is_file():
        return None
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


@dataclass
class _Target:
    """What the election being written to already holds (nothing for a new election)."""

    election_id: ElectionId
    contests: dict[ContestName, int] = field(default_factory=dict)
    votes_allowed: dict[ContestName, int] = field(default_factory=dict)
    choices: dict[int, dict[str, int]] = field(default_factory=dict)
    """Per contest row id: choice name → choice row id."""
    units: dict[ReportingUnitId, int] = field(default_factory=dict)
    counts: set[tuple[ContestName, CountName]] = field(default_factory=set)


def save_import(
    connection: Connection,
    result: ImportResult,
    *,
    election_name: str | None,
    into: ElectionId | None,
    file_digests: Mapping[str, str],
    now: datetime,
) -> ElectionId:
    """Write ``result`` as a new election, or into election ``into``; return the election id.

    Runs on ``connection`` inside the caller's transaction. Raises :class:`PapertallyError`
    (before writing anything) for a bad election, an unknown ``into`` or a count the target
    election already has.
    """
    election = result.election
    check_election(election)
    check_text(result)
    if into is not None and election_name is not None:
        raise PapertallyError("give either a name for a new election or an election to add to")
    digests = {name: file_digest(name, file_digests) for name in result.files}
    stray = sorted(set(file_digests) - set(result.files))
    if stray:
        raise PapertallyError(f"SHA-256 given for files not in the import: {', '.join(stray)}")
    if into is None:
        target = _new_election(connection, election, election_name, now)
    else:
        target = _existing_election(connection, into)
        _refuse_known_counts(connection, target, election)
        _fill_missing_details(connection, target.election_id, election)
    import_id = _write_import(connection, target.election_id, result, digests, now)
    _write_contests(connection, target, election)
    _write_units(connection, target, election)
    _write_counts(connection, target, election, import_id)
    _write_unit_statistics(connection, target, election, import_id)
    return target.election_id


def log_import(
    connection: Connection,
    result: ImportResult,
    election_id: ElectionId,
    *,
    actor: str,
    file_digests: Mapping[str, str],
) -> None:
    """Append the import to the activity log with the content hash of the election's canvass.

    Run in the import's own transaction, after :func:`save_import`: one hash over every row of
    the election (:func:`papertally.store.integrity.canvass_state`), so ``log verify`` proves
    the imported results without a log line per vote figure.
    """
    from papertally.store.integrity import append_entry, canvass_state

    append_entry(
        connection,
        actor,
        "import",
        f"election/{election_id}",
        {
            "files": [Path(f).name for f in result.files],
            "sha256": dict(file_digests),
            "formats": list(result.formats),
            "warnings": len(result.warnings),
        },
        [canvass_state(connection, election_id)],
    )


def _new_election(
    connection: Connection, election: Election, name: str | None, now: datetime
) -> _Target:
    """Insert the election row and return an empty target for it."""
    values = {
        "name": name if name is not None else election.name,
        "date": election.date,
        "state": election.state,
        "created_at": now,
    }
    election_id = connection.execute(
        insert(ELECTIONS).returning(ELECTIONS.c.id), values
    ).scalar_one()
    return _Target(election_id)


def _existing_election(connection: Connection, election_id: ElectionId) -> _Target:
    """Read what election ``election_id`` already holds, refusing an unknown id."""
    found = connection.execute(
        select(ELECTIONS.c.id).where(ELECTIONS.c.id == election_id).with_for_update()
    ).first()
    if found is None:
        raise unknown_election(connection, election_id)
    target = _Target(election_id)
    for row in connection.execute(
        select(CONTESTS.c.id, CONTESTS.c.name, CONTESTS.c.votes_allowed).where(
            CONTESTS.c.election_id == election_id
        )
    ):
        target.contests[row.name] = row.id
        target.votes_allowed[row.name] = row.votes_allowed
        target.choices[row.id] = {}
    for choice in connection.execute(
        select(CHOICES.c.id, CHOICES.c.contest_id, CHOICES.c.name)
        .join(CONTESTS, CONTESTS.c.id == CHOICES.c.contest_id)
        .where(CONTESTS.c.election_id == election_id)
    ):
        target.choices[choice.contest_id][choice.name] = choice.id
    for unit in connection.execute(
        select(UNITS.c.id, UNITS.c.external_id).where(UNITS.c.election_id == election_id)
    ):
        target.units[unit.external_id] = unit.id
    for count in connection.execute(
        select(CONTESTS.c.name.label("contest"), COUNTS.c.name)
        .join(CONTESTS, CONTESTS.c.id == COUNTS.c.contest_id)
        .where(CONTESTS.c.election_id == election_id)
    ):
        target.counts.add((count.contest, count.name))
    return target


def _refuse_known_counts(connection: Connection, target: _Target, election: Election) -> None:
    """Refuse counts the target election already has, and contests whose votes allowed differ."""
    name = connection.execute(
        select(ELECTIONS.c.name).where(ELECTIONS.c.id == target.election_id)
    ).scalar_one()
    for count in election.counts:
        if (count.contest, count.name) in target.counts:
            raise PapertallyError(
                f"election {target.election_id} ({name!r}) already has count {count.name!r} "
                f"of contest {count.contest!r}; nothing was imported (delete that election, "
                "or import into a new one, to replace it)"
            )
    for contest in election.contests.values():
        stored = target.votes_allowed.get(contest.name)
        if stored is not None and stored != contest.votes_allowed:
            raise PapertallyError(
                f"contest {contest.name!r} allows {stored} votes in election "
                f"{target.election_id} but {contest.votes_allowed} in the import; "
                "nothing was imported"
            )


def _fill_missing_details(
    connection: Connection, election_id: ElectionId, election: Election
) -> None:
    """Set the stored election's date and state from the import where they are not known yet."""
    for column, value in (("date", election.date), ("state", election.state)):
        if value is not None:
            connection.execute(
                update(ELECTIONS)
                .where(ELECTIONS.c.id == election_id, ELECTIONS.c[column].is_(None))
                .values({column: value})
            )


def _write_import(
    connection: Connection,
    election_id: ElectionId,
    result: ImportResult,
    digests: Mapping[str, str | None],
    now: datetime,
) -> int:
    """Insert the import row with its files and warnings; return the import id."""
    import_id: int = connection.execute(
        insert(IMPORTS).returning(IMPORTS.c.id), {"election_id": election_id, "imported_at": now}
    ).scalar_one()
    files = [
        {
            "import_id": import_id,
            "position": position,
            "file_name": name,
            "sha256": digests[name],
            "detected_format": result.formats[position] if position < len(result.formats) else None,
        }
        for position, name in enumerate(result.files)
    ]
    if files:
        connection.execute(insert(IMPORT_FILES), files)
    warnings = (
        (
            import_id,
            position,
            warning.location.file,
            warning.location.sheet,
            warning.location.row,
            warning.location.column,
            warning.message,
        )
        for position, warning in enumerate(_kept_warnings(result))
    )
    _insert_rows(connection, IMPORT_WARNINGS, WARNING_COLUMNS, warnings)
    return import_id


def _write_contests(connection: Connection, target: _Target, election: Election) -> None:
    """Insert the contests and choices the target election does not have yet, in ballot order."""
    for contest in election.contests.values():
        contest_id = target.contests.get(contest.name)
        if contest_id is None:
            contest_id = connection.execute(
                insert(CONTESTS).returning(CONTESTS.c.id),
                {
                    "election_id": target.election_id,
                    "name": contest.name,
                    "office": contest.office,
                    "district": contest.district,
                    "votes_allowed": contest.votes_allowed,
                },
            ).scalar_one()
            target.contests[contest.name] = contest_id
            target.choices[contest_id] = {}
        known = target.choices[contest_id]
        new = [c for c in contest.choices if c.name not in known]
        if not new:
            continue
        rows = [
            {
                "contest_id": contest_id,
                "name": choice.name,
                "party": choice.party,
                "is_write_in": choice.is_write_in,
                "position": len(known) + offset,
            }
            for offset, choice in enumerate(new)
        ]
        ids = connection.execute(
            insert(CHOICES).returning(CHOICES.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        known.update(zip((c.name for c in new), ids, strict=True))


def _write_units(connection: Connection, target: _Target, election: Election) -> None:
    """Insert the reporting units the target election does not have yet, in the model's order."""
    election_id = target.election_id
    rows = (
        (election_id, unit.id, unit.name, unit.county, unit.municipality, unit.type.value)
        for uid, unit in election.units.items()
        if uid not in target.units
    )
    _insert_rows(connection, UNITS, UNIT_COLUMNS, rows)
    stored = stream_rows(
        connection,
        select(UNITS.c.external_id, UNITS.c.id).where(UNITS.c.election_id == int(election_id)),
    )
    target.units.update(stored)


def _write_counts(
    connection: Connection, target: _Target, election: Election, import_id: int
) -> None:
    """Insert each count, then its unit tallies and votes in bulk."""
    for count in election.counts:
        contest_id = target.contests[count.contest]
        count_id = connection.execute(
            insert(COUNTS).returning(COUNTS.c.id),
            {
                "contest_id": contest_id,
                "import_id": import_id,
                "name": count.name,
                "status": count.status.value,
                "count_item_type": count.count_item_type.value,
            },
        ).scalar_one()
        tallies = _tally_rows(count_id, count, target.units)
        _insert_rows(connection, UNIT_TALLIES, TALLY_COLUMNS, tallies)
        votes = _vote_rows(count_id, count, target.units, target.choices[contest_id])
        _insert_rows(connection, VOTES, VOTE_COLUMNS, votes)
        statistics = (
            (count_id, target.units[uid], name, value)
            for uid, tally in count.units.items()
            for name, value in tally.statistics.items()
        )
        _insert_rows(connection, TALLY_STATISTICS, STATISTIC_COLUMNS, statistics)
        choice_ids = target.choices[contest_id]
        breakdowns = (
            (count_id, target.units[uid], choice_ids[choice], kind, votes)
            for uid, tally in count.units.items()
            for kind, by_choice in tally.by_type.items()
            for choice, votes in by_choice.items()
        )
        _insert_rows(connection, VOTE_BREAKDOWNS, BREAKDOWN_COLUMNS, breakdowns)


def _write_unit_statistics(
    connection: Connection, target: _Target, election: Election, import_id: int
) -> None:
    """Insert the whole-unit figures of this import (registered voters, ballots cast)."""
    rows = (
        (import_id, target.units[uid], name, value)
        for uid, figures in election.unit_statistics.items()
        for name, value in figures.items()
    )
    _insert_rows(connection, UNIT_STATISTICS, UNIT_STATISTIC_COLUMNS, rows)


WARNING_COLUMNS = ("import_id", "position", "file", "sheet", "row", "column", "message")
UNIT_COLUMNS = ("election_id", "external_id", "name", "county", "municipality", "type")
TALLY_COLUMNS = (
    "count_id",
    "unit_id",
    "ballots_cast",
    "source_file",
    "source_sheet",
    "source_row",
    "source_column",
)
VOTE_COLUMNS = ("count_id", "unit_id", "choice_id", "votes")
STATISTIC_COLUMNS = ("count_id", "unit_id", "name", "value")
BREAKDOWN_COLUMNS = ("count_id", "unit_id", "choice_id", "vote_type", "votes")
UNIT_STATISTIC_COLUMNS = ("import_id", "unit_id", "name", "value")
"""The columns of the rows each bulk insert writes, in the order of the rows' values."""


def _tally_rows(
    count_id: int, count: ContestCount, unit_ids: Mapping[ReportingUnitId, int]
) -> Iterator[tuple[Any, ...]]:
    """Yield the ``unit_tallies`` rows of one count, as :data:`TALLY_COLUMNS`."""
    for uid, tally in count.units.items():
        source = tally.source
        if source is None:
            yield (count_id, unit_ids[uid], tally.ballots_cast, None, None, None, None)
        else:
            yield (
                count_id,
                unit_ids[uid],
                tally.ballots_cast,
                source.file,
                source.sheet,
                source.row,
                source.column,
            )


def _vote_rows(
    count_id: int,
    count: ContestCount,
    unit_ids: Mapping[ReportingUnitId, int],
    choice_ids: Mapping[str, int],
) -> Iterator[tuple[int, int, int, int]]:
    """Return the ``votes`` rows of one count, as :data:`VOTE_COLUMNS`, made as they are used.

    The rows of each tally are zipped together in C rather than built one by one in Python.
    """
    choice_id = choice_ids.__getitem__
    return chain.from_iterable(
        zip(
            repeat(count_id),
            repeat(unit_ids[uid]),
            map(choice_id, tally.votes),
            map(int, tally.votes.values()),
            strict=False,
        )
        for uid, tally in count.units.items()
    )


def _insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Insert ``rows`` (values of ``columns``, in order) into ``table`` in this transaction.

    SQLite: plain tuples (no per-row parameter dicts for SQLAlchemy to compile), a chunk at a
    time, many rows per ``INSERT ... VALUES (...), (...)`` statement, which halves SQLite's
    cost per row against one statement per row. PostgreSQL: ``COPY ... FROM STDIN``, its
    bulk-load path, about ten times faster there than ``executemany`` (see
    bench/bench_store.py). Either way the rows go in in the order given.
    """
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, columns, rows)
        return
    single = str(insert(table).compile(dialect=connection.dialect, column_keys=list(columns)))
    head, values = single.split(" VALUES ", 1)
    per_statement = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_PARAMETERS // len(columns)))
    several = f"{head} VALUES {', '.join([values] * per_statement)}"
    for chunk in chunked(rows):
        whole = len(chunk) - len(chunk) % per_statement
        if whole:
            flat = [
                tuple(chain.from_iterable(chunk[start : start + per_statement]))
                for start in range(0, whole, per_statement)
            ]
            connection.exec_driver_sql(several, flat)
        if whole < len(chunk):
            connection.exec_driver_sql(single, chunk[whole:])


SQLITE_ROWS_PER_INSERT = 200
"""Rows per multi-row ``INSERT`` on SQLite: beyond a few hundred nothing more is gained."""
SQLITE_MAX_PARAMETERS = 999
"""The fewest parameters any SQLite build allows in one statement (before 3.32.0)."""


def stream_rows(connection: Connection, statement: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of ``statement`` as the database driver's plain tuples, a chunk at a time.

    A statewide election has a million vote rows; SQLAlchemy's result rows would cost more than
    the database's own work, so the few bulk queries go to the driver's cursor directly, in the
    connection's transaction (on PostgreSQL a server-side cursor, so memory stays bounded). The
    statement's parameters must be our own integers (row ids): they are rendered inline.
    """
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="papertally_rows")
        cursor.itersize = CHUNK_ROWS
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield from rows
    finally:
        cursor.close()


def _copy_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Stream ``rows`` into ``table`` with PostgreSQL's ``COPY`` on the connection's transaction."""
    from psycopg import sql

    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        copy.write_row(first)
        for row in iterator:
            copy.write_row(row)
