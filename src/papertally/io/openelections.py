"""OpenElections CSV results: one row per reporting unit × office × candidate.

Columns ``county, ward|precinct|town, office, district, total votes, party, candidate, votes``
(https://github.com/openelections/specs), as the project publishes them across states:

- the unit column may be ``ward``, ``precinct`` or ``town`` (New Hampshire), or absent: a
  county-level file has the county as its unit;
- the candidate may be split into ``first_name``/``middle_name``/``last_name`` (Michigan);
- rows without a candidate (or without an office) carrying "Registered Voters", "Ballots Cast",
  "Under Votes" or "Over Votes" are unit statistics (NIST SP 1500-100 ``Counts``), never
  candidates: without an office, whole-unit figures on :attr:`Election.unit_statistics` (a
  unit's ballots cast then fills its tallies' ``ballots_cast``); under an office, that contest's
  figures on :attr:`UnitTally.statistics` (its ballots cast its ``ballots_cast``);
- vote-type columns (absentee, election day, early, provisional) are kept per unit and choice on
  :attr:`UnitTally.by_type`, and checked against the ``votes`` column;
- a row with an empty unit cell, or a unit called "Total", is a total row (Georgia's county
  totals): checked against the sum of the county's units, never counted as a unit;
- in a primary (``__primary__`` in the name, or, in a file named neither ``__primary__`` nor
  ``__general__``, two parties with several candidates each for one office in one unit) each
  party's contest of one office is its own contest, ``President (REP)``;
- candidate spellings differing only in case or spacing within one contest are one candidate;
- an empty votes cell leaves that figure out, with one warning counting them (never a zero).

Each office (plus district) is a contest with one count, the original canvass. A large file is
streamed row by row (:func:`papertally.io.tables.iter_csv_rows`): memory grows with the
election's units and contests, not with the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from papertally.errors import FileLocation, InputFileError
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.columns import HeaderMap, map_header
from papertally.io.detect import OPENELECTIONS_FORMAT, OPENELECTIONS_REQUIRED
from papertally.io.naming import date_in_file_name, default_status, make_choice, municipality_of
from papertally.io.progress import RowProgress
from papertally.io.tables import Row, Table, iter_csv_rows
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
from papertally.model.results import (
    BALLOTS_CAST,
    ORIGINAL_CANVASS,
    OVER_VOTES,
    REGISTERED_VOTERS,
    UNDER_VOTES,
    TallyTable,
)
from papertally.types import ChoiceName, ContestName, CountyName, ReportingUnitId

VOTE_TYPES = {
    "absentee": "absentee",
    "absentee by mail": "absentee by mail",
    "mail": "mail",
    "mail in": "mail",
    "election day": "election day",
    "early voting": "early",
    "early": "early",
    "advance in person": "advance in person",
    "one stop": "early",
    "provisional": "provisional",
}
"""Vote-type column headers (normalised) → the breakdown's name."""
UNIT_COLUMNS = (
    ("ward", ReportingUnitType.WARD),
    ("precinct", ReportingUnitType.PRECINCT),
    ("town", ReportingUnitType.MUNICIPALITY),
)
NAME_PARTS = ("first name", "middle name", "last name", "suffix")
OPTIONAL: tuple[str, ...] = (
    *("county", "ward", "precinct", "town", "district", "total votes", "party", "candidate"),
    *NAME_PARTS,
    *VOTE_TYPES,
)
STATISTICS = {
    "registered voters": REGISTERED_VOTERS,
    "registered": REGISTERED_VOTERS,
    "registration": REGISTERED_VOTERS,
    "ballots cast": BALLOTS_CAST,
    "total ballots cast": BALLOTS_CAST,
    "ballots": BALLOTS_CAST,
    "under votes": UNDER_VOTES,
    "undervotes": UNDER_VOTES,
    "under vote": UNDER_VOTES,
    "over votes": OVER_VOTES,
    "overvotes": OVER_VOTES,
    "over vote": OVER_VOTES,
}
"""What files call a unit statistic (folded) → its name in the model."""
WHOLE_UNIT = (REGISTERED_VOTERS, BALLOTS_CAST)
TOTAL_NAMES = frozenset({"total", "totals", "total votes", "county total", "county totals"})
_FILE_NAME = re.compile(r"^(\d{8})__([a-z]{2})__([a-z_]+?)(?:__|$)", re.IGNORECASE)
_SHOWN_ROWS = 5


def contest_name(office: str, district: str) -> ContestName:
    """Return a contest's name: the office, plus ``District N`` where a district is given."""
    if not district:
        return office
    if district[:1].isdigit():
        return f"{office} District {district}"
    return f"{office} {district}"


def statistic_of(text: str) -> str | None:
    """Return the unit statistic a cell names ("Ballots Cast" → ``ballots cast``), or ``None``."""
    return STATISTICS.get(" ".join(text.replace("_", " ").split()).casefold())


@dataclass
class _UnitTotal:
    """The ``total votes`` a file states for one unit of one contest, and where."""

    first_row: int
    stated: set[int] = field(default_factory=set)


@dataclass
class _CountyTotal:
    """A total row's figure for one choice of one contest in one county, and where."""

    row: int
    votes: int


@dataclass
class _Rows:
    """Rows of a kind (an empty votes cell, a repeated row) counted for one warning."""

    count: int = 0
    rows: list[int] = field(default_factory=list)

    def add(self, row: int) -> None:
        """Count ``row`` (1-based), keeping the first few to show."""
        self.count += 1
        if len(self.rows) < _SHOWN_ROWS:
            self.rows.append(row)

    def shown(self) -> str:
        """Return ``rows 3, 9, 12, …`` for a message."""
        more = ", …" if self.count > len(self.rows) else ""
        return "row" + ("s " if self.count > 1 else " ") + ", ".join(map(str, self.rows)) + more


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


def _is_primary(table: Table, header: HeaderMap) -> bool:
    """Return whether the election is a party primary: by the file name, else by its rows.

    An OpenElections name says ``__primary__`` or ``__general__``. A file named otherwise (a
    renamed copy) is a primary when, in its first rows, two or more parties each have two or
    more candidates for one office in one unit: a general election's party nominates one
    candidate per seat, while each party's primary is its own contest (GA 2016 President: REP
    and DEM rows under one office name).
    """
    words = table.path.stem.casefold().split("__")
    if "primary" in words or "general" in words:
        return "primary" in words
    party = header.positions.get("party")
    candidate = header.positions.get("candidate")
    if party is None or candidate is None:
        return False
    names: dict[tuple[str, ...], dict[str, set[str]]] = {}
    units = tuple(
        header.positions[c]
        for c in ("county", "ward", "precinct", "town", "office", "district")
        if header.has(c)
    )
    needed = max(party, candidate, *units)
    for row in table.sheets[0].rows[header.header_index + 1 :]:
        if len(row) <= needed:
            continue
        name = cell_text(row[candidate]).strip()
        group = cell_text(row[party]).strip()
        if not group or not name or statistic_of(name) or name.casefold() in TOTAL_NAMES:
            continue
        by_party = names.setdefault(tuple(cell_text(row[i]).strip() for i in units), {})
        by_party.setdefault(group, set()).add(name.casefold())
        if sum(len(c) > 1 for c in by_party.values()) > 1:
            return True
    return False


class _Reader:
    """Reads one OpenElections file row by row into one election."""

    def __init__(self, table: Table, header: HeaderMap) -> None:
        self.table = table
        self.header = header
        self.election = _election_of(table)
        self.primary = _is_primary(table, header)
        found: tuple[str | None, ReportingUnitType] = next(
            ((c, t) for c, t in UNIT_COLUMNS if header.has(c)), (None, ReportingUnitType.COUNTY)
        )
        self.unit_column, self.unit_type = found
        self.vote_types = [c for c in VOTE_TYPES if header.has(c)]
        self.type_positions = [(c, header.positions[c], VOTE_TYPES[c]) for c in self.vote_types]
        self.statistics: dict[str, str | None] = {}
        self.needed = max(header.positions.values()) + 1
        self.counts: dict[ContestName, ContestCount] = {}
        self.tables: dict[ContestName, TallyTable] = {}
        self.whole_units = TallyTable()
        """Whole-unit statistics (registered voters, ballots cast) in columns; each unit's
        :attr:`Election.unit_statistics` entry is a view of its row."""
        self.stated: dict[tuple[ContestName, ReportingUnitId], _UnitTotal] = {}
        self.positions = header.positions
        self.votes_position = header.positions["votes"]
        self.county_position = header.positions.get("county")
        self.total_position = header.positions.get("total votes")
        self.candidate_position = header.positions.get("candidate")
        self.file = str(table.path)
        self.sheet_name = header.sheet.name
        self.unit_ids: dict[tuple[CountyName, str], ReportingUnitId] = {}
        self.choices: dict[tuple[ContestName, str, str], ChoiceName] = {}
        self.contest_names: dict[tuple[str, str, str], ContestName] = {}
        self.county_totals: dict[tuple[ContestName, CountyName, ChoiceName], _CountyTotal] = {}
        self.spellings: dict[ContestName, dict[str, list[str]]] = {}
        self.empty_votes = _Rows()
        self.repeated = _Rows()
        self.warnings: list[ImportWarning] = []

    def at(self, index: int, column: str | None = None) -> FileLocation:
        """Return the location of ``column`` on row ``index``, naming it as the file does."""
        name = None if column is None else self.header.names.get(column, column)
        return self.table.at(self.header.sheet, index, name)

    def read(self, rows: Iterable[tuple[int, Row]], progress: RowProgress) -> ImportResult:
        """Read every row after the header and return the election and its warnings."""
        for index, row in rows:
            progress.step()
            if len(row) < self.needed:
                if all(is_blank(c) for c in row):
                    continue
                raise InputFileError(
                    self.at(index),
                    f"has {len(row)} values but the header has "
                    f"{len(self.header.sheet.rows[self.header.header_index])}; expected a value "
                    "under every column (the file may be truncated)",
                )
            self._row(index, row)
        if not self.counts and not self.election.unit_statistics:
            raise InputFileError(
                self.at(self.header.header_index),
                "has a header row but no rows of votes under it",
            )
        self.election.counts = list(self.counts.values())
        self._fill_ballots_cast()
        self._check_totals()
        self._check_county_totals()
        self._note_rows()
        self._note_spellings()
        return ImportResult(
            self.election, [str(self.table.path)], [OPENELECTIONS_FORMAT], self.warnings
        )

    def _row(self, index: int, row: Row) -> None:
        """Read one row: a candidate's votes, a unit statistic or a total row.

        Hot path of a statewide file: units, contests and choices already met are looked up in
        dicts by the row's own texts, and a plain count is converted at once.
        """
        header = self.header
        text = self._text
        county = text(row, "county")
        unit_name = text(row, self.unit_column) if self.unit_column else county
        office = text(row, "office")
        candidate = self._candidate(row)
        if not office and not candidate and all(is_blank(c) for c in row):
            return
        statistic = self._statistic(candidate) if candidate else None
        if not candidate and office:
            statistic = self._statistic(office)
            if statistic in WHOLE_UNIT:
                office = ""
        if statistic is None and not office:
            raise InputFileError(
                self.at(index, "office"), "expected an office, found an empty cell"
            )
        if statistic is None and not candidate:
            column = "candidate" if header.has("candidate") else "last name"
            raise InputFileError(
                self.at(index, column),
                f"expected a candidate (or a statistic such as 'Ballots Cast') for {office!r}, "
                "found an empty cell",
            )
        if not county and self.county_position is not None:
            raise InputFileError(self.at(index, "county"), "expected a county, found an empty cell")
        cell = row[self.votes_position]
        if type(cell) is str and cell.isdigit() and cell.isascii():
            votes = int(cell)
        elif is_blank(cell):
            self.empty_votes.add(index + 1)
            return
        else:
            votes = parse_count(cell, self.at(index, "votes"))
        if self.unit_column and (not unit_name or unit_name.casefold() in TOTAL_NAMES):
            if statistic is None:
                self._county_total(index, row, county, office, candidate, votes)
            return
        uid = self._unit(county, unit_name)
        if statistic is not None and not office:
            whole = self.whole_units
            at = whole.row_of(uid)
            if at is None:
                at = whole.row(uid)
                self.election.unit_statistics[uid] = whole.statistics_of(at)
            whole.add_statistic(at, statistic, votes)
            return
        name = self._contest(row, office)
        table = self.tables[name]
        at = table.row_of(uid)
        if at is None:
            at = table.row(uid, FileLocation(self.file, self.sheet_name, index + 1))
        if statistic is not None:
            total = table.add_statistic(at, statistic, votes)
            if statistic == BALLOTS_CAST:
                table.set_ballots_cast(at, total)
            return
        if candidate.casefold() in TOTAL_NAMES:
            self.stated.setdefault((name, uid), _UnitTotal(index)).stated.add(votes)
            return
        choice = self._choice(name, candidate, text(row, "party"))
        known = table.vote(at, choice)
        if known is not None:
            if known == votes:
                self.repeated.add(index + 1)
                return
            unit = self.election.units[uid]
            source = table.source(at)
            first = source.row if source else None
            raise InputFileError(
                self.at(index, self.unit_column or "county"),
                f"{choice!r} in {unit.name!r} of county {unit.county!r} for {name!r} "
                f"appears twice with different votes ({known:,} and {votes:,}; the unit's "
                f"first row for this contest is row {first}); expected one row per reporting "
                "unit and candidate",
            )
        table.set_vote(at, choice, votes)
        if self.vote_types:
            self._breakdown(index, row, table, at, choice, votes)
        if self.total_position is not None and not is_blank(header.get(row, "total votes")):
            total = parse_count(header.get(row, "total votes"), self.at(index, "total votes"))
            self.stated.setdefault((name, uid), _UnitTotal(index)).stated.add(total)

    def _statistic(self, text: str) -> str | None:
        """Return :func:`statistic_of` ``text``, remembered for the names met before."""
        try:
            return self.statistics[text]
        except KeyError:
            found = self.statistics[text] = statistic_of(text)
            return found

    def _text(self, row: Row, column: str | None) -> str:
        """Return the stripped text of ``column`` in ``row`` (empty where there is none)."""
        position = self.positions.get(column) if column else None
        if position is None:
            return ""
        cell = row[position]
        return cell.strip() if type(cell) is str else cell_text(cell)

    def _unit(self, county: CountyName, unit_name: str) -> ReportingUnitId:
        """Return the id of a unit, adding the unit to the election the first time it is met."""
        key = (county, unit_name)
        uid = self.unit_ids.get(key)
        if uid is None:
            unit = ReportingUnit.of(
                county, unit_name, self._municipality(unit_name), self.unit_type
            )
            uid = self.election.add_unit(unit).id
            self.unit_ids[key] = uid
        return uid

    def _choice(self, contest: ContestName, candidate: str, party: str) -> ChoiceName:
        """Return the name of a contest's choice, adding the choice the first time it is met."""
        key = (contest, candidate, party)
        name = self.choices.get(key)
        if name is None:
            choice = make_choice(self._spelling(contest, candidate), party or None)
            self.election.contests[contest].add_choice(choice)
            name = self.choices[key] = choice.name
        return name

    def _candidate(self, row: Row) -> str:
        """Return the candidate's name, joined from its parts where the file splits it."""
        if self.candidate_position is not None:
            cell = row[self.candidate_position]
            return cell.strip() if type(cell) is str else cell_text(cell)
        return " ".join(p for p in (self._text(row, c) for c in NAME_PARTS) if p)

    def _municipality(self, unit_name: str) -> str | None:
        """Return the municipality of a unit: a town is its own, else from a ward's name."""
        if self.unit_type is ReportingUnitType.MUNICIPALITY:
            return unit_name
        if self.unit_type is ReportingUnitType.COUNTY:
            return None
        return municipality_of(unit_name)

    def _contest(self, row: Row, office: str) -> ContestName:
        """Return (creating it if new) the contest of a row: office, district, primary's party."""
        district = self._text(row, "district")
        party = self._text(row, "party") if self.primary else ""
        key = (office, district, party)
        known = self.contest_names.get(key)
        if known is not None:
            return known
        name = contest_name(office, district)
        if party:
            name = f"{name} ({party})"
        if name not in self.election.contests:
            self.election.contests[name] = Contest(
                name=name, office=office, district=district or None
            )
            count = ContestCount(name, ORIGINAL_CANVASS, default_status(ORIGINAL_CANVASS))
            self.counts[name] = count
            self.tables[name] = count.table
        self.contest_names[key] = name
        return name

    def _spelling(self, contest: ContestName, candidate: str) -> str:
        """Return the first spelling seen of a candidate in ``contest`` (case and spaces aside)."""
        clean = " ".join(candidate.split())
        known = self.spellings.setdefault(contest, {}).setdefault(clean.casefold(), [])
        if clean not in known:
            known.append(clean)
        return known[0]

    def _breakdown(
        self, index: int, row: Row, table: TallyTable, at: int, choice: ChoiceName, votes: int
    ) -> None:
        """Keep a choice's votes by vote type; warn where they do not add up to its votes."""
        parts = 0
        complete = True
        for column, position, kind in self.type_positions:
            cell = row[position]
            if type(cell) is str and cell.isdigit() and cell.isascii():
                value = int(cell)
            elif is_blank(cell):
                complete = False
                continue
            else:
                value = parse_count(cell, self.at(index, column))
            table.set_by_type(at, kind, choice, value)
            parts += value
        if complete and parts != votes:
            shown = ", ".join(self.header.names[c] for c in self.vote_types)
            self.warnings.append(
                ImportWarning(
                    self.at(index, "votes"),
                    f"votes is {votes:,} but {shown} add up to {parts:,} ({choice})",
                )
            )

    def _county_total(
        self, index: int, row: Row, county: CountyName, office: str, candidate: str, votes: int
    ) -> None:
        """Keep a total row's figure, to check against the sum of the county's units."""
        name = self._contest(row, office)
        choice = self._choice(name, candidate, self._text(row, "party"))
        key = (name, county, choice)
        if key not in self.county_totals:
            self.county_totals[key] = _CountyTotal(index, votes)

    def _fill_ballots_cast(self) -> None:
        """Give each tally its unit's ballots cast, where the file reports them."""
        statistics = self.election.unit_statistics
        if not statistics:
            return
        for table in self.tables.values():
            for uid, at in table.rows():
                figures = statistics.get(uid)
                if figures and BALLOTS_CAST in figures and table.ballots_cast(at) is None:
                    table.set_ballots_cast(at, figures[BALLOTS_CAST])

    def _check_totals(self) -> None:
        """Warn wherever a unit's ``total votes`` differs from the sum of its candidates' votes."""
        warnings = []
        for (name, uid), total in self.stated.items():
            actual = self.counts[name].units[uid].total_votes
            for value in sorted(total.stated):
                if value != actual:
                    unit = self.election.units[uid]
                    warnings.append(
                        ImportWarning(
                            self.at(total.first_row, "total votes"),
                            f"total votes is {value:,} but the candidates of {name!r} in "
                            f"{unit.name!r} ({unit.county}) add up to {actual:,}",
                        )
                    )
        self.warnings.extend(sorted(warnings, key=lambda w: w.location.row or 0))

    def _check_county_totals(self) -> None:
        """Compare each total row with the sum of its county's units; warn where they differ."""
        if not self.county_totals:
            return
        sums: dict[tuple[ContestName, CountyName, ChoiceName], int] = {}
        counties: set[tuple[ContestName, CountyName]] = set()
        units = self.election.units
        for name, table in self.tables.items():
            choices = [c.name for c in self.election.contests[name].choices]
            for uid, at in table.rows():
                county = units[uid].county
                counties.add((name, county))
                for choice in choices:
                    votes = table.vote(at, choice)
                    if votes is not None:
                        key = (name, county, choice)
                        sums[key] = sums.get(key, 0) + votes
        whole: dict[tuple[ContestName, CountyName], int] = {}
        for (name, county, choice), total in self.county_totals.items():
            if (name, county) not in counties:
                self._whole_county(name, county, choice, total, whole)
                continue
            actual = sums.get((name, county, choice), 0)
            if actual != total.votes:
                self.warnings.append(
                    ImportWarning(
                        self.at(total.row, "votes"),
                        f"the total row says {total.votes:,} for {choice!r} in {name!r} but the "
                        f"units of county {county!r} add up to {actual:,}",
                    )
                )

    def _whole_county(
        self,
        name: ContestName,
        county: CountyName,
        choice: ChoiceName,
        total: _CountyTotal,
        first_rows: dict[tuple[ContestName, CountyName], int],
    ) -> None:
        """Import a county that has only a total row for a contest as one unit, the county.

        OpenElections precinct files list some counties by their county totals alone; their
        votes are kept (one warning per county and contest) rather than lost.
        """
        uid = self.election.add_unit(
            ReportingUnit.of(county, county, None, ReportingUnitType.COUNTY)
        ).id
        units = self.counts[name].units
        if uid not in units:
            location = FileLocation(self.file, self.sheet_name, total.row + 1)
            units[uid] = UnitTally(source=location)
            first_rows[(name, county)] = total.row
            self.warnings.append(
                ImportWarning(
                    self.at(total.row, self.unit_column),
                    f"county {county!r} has only a total row for {name!r}, no units: its votes "
                    "are imported with the county as one unit",
                )
            )
        units[uid].votes[choice] = total.votes

    def _note_rows(self) -> None:
        """Add the warnings counting empty votes cells and repeated rows."""
        where = self.at(self.header.header_index, "votes")
        if self.empty_votes.count:
            self.warnings.append(
                ImportWarning(
                    FileLocation(where.file, where.sheet, self.empty_votes.rows[0], where.column),
                    f"{self.empty_votes.count:,} row(s) have an empty votes cell "
                    f"({self.empty_votes.shown()}); they are left out, not counted as zero",
                )
            )
        if self.repeated.count:
            self.warnings.append(
                ImportWarning(
                    FileLocation(where.file, where.sheet, self.repeated.rows[0]),
                    f"{self.repeated.count:,} row(s) repeat an earlier row with the same votes "
                    f"({self.repeated.shown()}); each is counted once",
                )
            )

    def _note_spellings(self) -> None:
        """Warn, per contest, about candidate spellings merged as one candidate."""
        where = self.at(self.header.header_index, "candidate")
        for contest, spellings in self.spellings.items():
            merged = [s for s in spellings.values() if len(s) > 1]
            if merged:
                listed = "; ".join(" = ".join(repr(n) for n in names) for names in merged)
                self.warnings.append(
                    ImportWarning(
                        where,
                        f"candidate spellings differing only in case or spacing in {contest!r} "
                        f"are counted as one candidate: {listed}",
                    )
                )


def _numbered(table: Table, start: int) -> Iterator[tuple[int, Row]]:
    """Yield the rows after the header with their 0-based index, streaming a large file."""
    sheet = table.sheets[0]
    if table.complete:
        yield from ((i, sheet.rows[i]) for i in range(start, len(sheet.rows)))
        return
    yield from enumerate(iter_csv_rows(table.path), start=0)


def read_openelections_csv(table: Table, progress: RowProgress) -> ImportResult:
    """Read an OpenElections CSV from ``table`` into one election with one count per contest.

    A table that holds only the file's first rows (:func:`~papertally.io.tables.load_table_head`)
    is read on from disk row by row; a file that is not UTF-8 is read again as Windows-1252.
    """
    header = map_header(table, OPENELECTIONS_REQUIRED, OPTIONAL)
    progress.step(header.header_index + 1)
    start = header.header_index + 1
    try:
        return _Reader(table, header).read(_after(table, start), progress)
    except UnicodeDecodeError:
        rows = enumerate(iter_csv_rows(table.path, "cp1252"))
        return _Reader(table, header).read(((i, r) for i, r in rows if i >= start), progress)


def _after(table: Table, start: int) -> Iterator[tuple[int, Row]]:
    """Yield the numbered rows from ``start`` on (see :func:`_numbered`)."""
    return ((i, r) for i, r in _numbered(table, start) if i >= start)
