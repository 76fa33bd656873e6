"""OpenElections CSV results: one row per reporting unit × office × candidate.

Columns ``county, ward|precinct, office, district, total votes, party, candidate, votes``
(https://github.com/openelections/specs); ``district``, ``total votes`` and ``party`` may be absent.
Each office (plus district) is a contest with one count, the original canvass. Where the file has
its own ``total votes`` column it is checked against the sum of the unit's candidates, and any
disagreement becomes an :class:`ImportWarning`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from papertally.errors import FileLocation, InputFileError
from papertally.io.cells import is_blank, parse_count
from papertally.io.columns import HeaderMap, map_header
from papertally.io.detect import OPENELECTIONS_FORMAT, OPENELECTIONS_REQUIRED
from papertally.io.naming import date_in_file_name, default_status, make_choice, municipality_of
from papertally.io.progress import RowProgress
from papertally.io.tables import Table
from papertally.model import (
    Contest,
    ContestCount,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    UnitTally,
)
from papertally.model.results import ORIGINAL_CANVASS
from papertally.types import ContestName, ReportingUnitId

OPTIONAL = ("district", "total votes", "party")
_FILE_NAME = re.compile(r"^(\d{8})__([a-z]{2})__([a-z_]+?)(?:__|$)", re.IGNORECASE)


def contest_name(office: str, district: str) -> ContestName:
    """Return a contest's name: the office, plus ``District N`` where a district is given."""
    if not district:
        return office
    if district[:1].isdigit():
        return f"{office} District {district}"
    return f"{office} {district}"


@dataclass
class _UnitTotal:
    """The ``total votes`` a file states for one unit of one contest, and where."""

    first_row: int
    stated: set[int] = field(default_factory=set)


def _election_of(table: Table) -> Election:
    """Name the election from an OpenElections file name, ``YYYYMMDD__st__type__...csv``."""
    stem = table.path.stem
    match = _FILE_NAME.match(stem)
    if not match:
        return Election(name=stem)
    day = date_in_file_name(match.group(1))
    state = match.group(2).upper()
    kind = match.group(3).replace("_", " ")
    name = f"{state} {kind} election" + (f" {day.isoformat()}" if day else "")
    return Election(name=name, date=day, state=state)


def read_openelections_csv(table: Table, progress: RowProgress) -> ImportResult:
    """Read an OpenElections CSV from ``table`` into one election with one count per contest."""
    header = map_header(table, OPENELECTIONS_REQUIRED, OPTIONAL)
    unit_column = "ward" if header.has("ward") else "precinct"
    unit_type = ReportingUnitType.WARD if unit_column == "ward" else ReportingUnitType.PRECINCT
    election = _election_of(table)
    counts: dict[ContestName, ContestCount] = {}
    stated: dict[tuple[ContestName, ReportingUnitId], _UnitTotal] = {}
    first_seen: dict[tuple[ContestName, ReportingUnitId, str], int] = {}
    sheet = header.sheet
    progress.step(header.header_index + 1)
    for index in range(header.header_index + 1, len(sheet.rows)):
        progress.step()
        row = sheet.rows[index]
        if all(is_blank(c) for c in row):
            continue
        header.check_width(index)
        county = _required(header, index, "county")
        ward = _required(header, index, unit_column)
        office = _required(header, index, "office")
        candidate = _required(header, index, "candidate")
        district = header.text(row, "district")
        votes = parse_count(header.get(row, "votes"), _at(header, index, "votes"))
        name = contest_name(office, district)
        contest = election.contests.get(name)
        if contest is None:
            contest = Contest(name=name, office=office, district=district or None)
            election.contests[name] = contest
            counts[name] = ContestCount(name, ORIGINAL_CANVASS, default_status(ORIGINAL_CANVASS))
        choice = make_choice(candidate, header.text(row, "party") or None)
        contest.add_choice(choice)
        unit = election.add_unit(ReportingUnit.of(county, ward, municipality_of(ward), unit_type))
        key = (name, unit.id, choice.name)
        if key in first_seen:
            raise InputFileError(
                _at(header, index, unit_column),
                f"{choice.name!r} in {unit.name!r} of county {unit.county!r} for {name!r} "
                f"appears twice (first on row {first_seen[key]}); expected one row per "
                "reporting unit and candidate",
            )
        first_seen[key] = index + 1
        tally = counts[name].units.get(unit.id)
        if tally is None:
            tally = UnitTally(source=table.at(sheet, index))
            counts[name].units[unit.id] = tally
        tally.votes[choice.name] = votes
        if header.has("total votes") and not is_blank(header.get(row, "total votes")):
            total = parse_count(
                header.get(row, "total votes"), _at(header, index, "total votes"), "a total"
            )
            stated.setdefault((name, unit.id), _UnitTotal(index)).stated.add(total)
    if not counts:
        raise InputFileError(
            table.at(sheet, header.header_index),
            "has a header row but no rows of votes under it",
        )
    election.counts = list(counts.values())
    warnings = _check_totals(header, counts, stated, election)
    return ImportResult(election, [str(table.path)], [OPENELECTIONS_FORMAT], warnings)


def _check_totals(
    header: HeaderMap,
    counts: dict[ContestName, ContestCount],
    stated: dict[tuple[ContestName, ReportingUnitId], _UnitTotal],
    election: Election,
) -> list[ImportWarning]:
    """Warn wherever a unit's ``total votes`` differs from the sum of its candidates' votes."""
    warnings = []
    for (name, uid), total in stated.items():
        actual = counts[name].units[uid].total_votes
        for value in sorted(total.stated):
            if value != actual:
                unit = election.units[uid]
                warnings.append(
                    ImportWarning(
                        _at(header, total.first_row, "total votes"),
                        f"total votes is {value:,} but the candidates of {name!r} in "
                        f"{unit.name!r} ({unit.county}) add up to {actual:,}",
                    )
                )
    return sorted(warnings, key=lambda w: w.location.row or 0)


def _at(header: HeaderMap, index: int, column: str) -> FileLocation:
    """Return the location of ``column`` on row ``index``, naming the column as the file does."""
    return header.table.at(header.sheet, index, header.names.get(column, column))


def _required(header: HeaderMap, index: int, column: str) -> str:
    """Return the text of a column that must not be empty, or raise naming the cell."""
    row = header.sheet.rows[index]
    text = header.text(row, column)
    if not text:
        raise InputFileError(
            _at(header, index, column), f"expected a {column}, found an empty cell"
        )
    return text
