"""Wisconsin Elections Commission (WEC, formerly G.A.B.) ward-by-ward canvass reports.

The reports are Excel workbooks laid out for printing, not for machines: a title, the contest's
name, then a header row holding ``Total Votes Cast`` and the choices (a party code or a running
mate may sit on a second header line), then one row per reporting unit with the county named only
on its first ward. ``County Totals:`` rows close each county and an ``Office Totals:`` row closes
the contest. Recount reports put a second block of columns, ``Recount Canvass Certification``,
beside the ``Original Canvass``: each block is one count of the contest.

Totals rows are never imported as units; they are checked against the sum of the wards, as is
``Total Votes Cast`` against the sum of the choices, and any disagreement becomes an
:class:`ImportWarning` naming sheet, row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import add

from papertally.errors import FileLocation, InputFileError
from papertally.io.cells import cell_text, is_blank, is_number, parse_count
from papertally.io.naming import (
    date_in_file_name,
    date_in_text,
    default_status,
    make_choice,
    municipality_of,
)
from papertally.io.progress import RowProgress
from papertally.io.tables import Cell, Row, Sheet, Table, column_letter
from papertally.model import (
    Choice,
    Contest,
    ContestCount,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    UnitTally,
    standard_count_name,
)
from papertally.model.results import ORIGINAL_CANVASS
from papertally.types import ContestName, CountName, CountyName

WEC_FORMAT = "wec-ward-report"
TOTAL_VOTES_CAST = "Total Votes Cast"
COUNTY_TOTALS = "County Totals:"
OFFICE_TOTALS = "Office Totals:"
LAYOUT = (
    "a WEC ward-by-ward report: a header row with 'Total Votes Cast' followed by the choices, "
    "then rows of county (column A), reporting unit (column B) and votes"
)

_TOTALS_ROW = re.compile(r"^(county|office|state|statewide)\s+totals?\s*:?$", re.IGNORECASE)
_PARTY_CODE = re.compile(r"^[A-Z]{2,5}$")
_PARTY_NAMES = frozenset(
    {
        "democratic",
        "republican",
        "libertarian",
        "green",
        "wisconsin green",
        "constitution",
        "independent",
        "nonpartisan",
        "reform",
        "socialist",
    }
)
_BOILERPLATE = ("canvass reporting system", "ward by ward report")
_VOTES_ALLOWED = re.compile(r"vote\s+for\s+(?:not\s+more\s+than\s+|up\s+to\s+)?(\d+)", re.I)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_FIRST_DATA_COLUMN = 2


def _get(row: Row, column: int) -> Cell:
    """Return the cell at ``column``, or an empty cell past the end of a short row."""
    return row[column] if column < len(row) else ""


def _is_numeric(cell: Cell) -> bool:
    """Return whether a cell holds a number, as Excel stores it or as digits in text."""
    if is_number(cell):
        return True
    return isinstance(cell, str) and cell.strip().replace(",", "").lstrip("-").isdigit()


def total_votes_columns(row: Row) -> list[int]:
    """Return the columns (from C on) whose cell reads ``Total Votes Cast``: one per count."""
    shortest = len(TOTAL_VOTES_CAST)
    return [
        j
        for j in range(_FIRST_DATA_COLUMN, len(row))
        if isinstance(cell := row[j], str)
        and (len(cell) >= shortest or not cell.isascii())
        and _is_total_votes_cast(cell)
    ]


def _is_total_votes_cast(cell: Cell) -> bool:
    """Return whether a cell reads ``Total Votes Cast`` (any capitalisation and spacing).

    Folding spaces and case never lengthens ASCII text, so shorter ASCII cells (every number and
    most names) are passed over without folding them.
    """
    if not isinstance(cell, str) or (len(cell) < len(TOTAL_VOTES_CAST) and cell.isascii()):
        return False
    return " ".join(cell.split()).casefold() == "total votes cast"


def looks_like_wec_report(table: Table) -> bool:
    """Return whether any sheet of ``table`` has a WEC header row (``Total Votes Cast``)."""
    return any(total_votes_columns(row) for sheet in table.sheets for row in sheet.rows[:200])


def _title_rows(sheet: Sheet, start: int, stop: int) -> list[int]:
    """Return the rows in ``start:stop`` that hold a title: text starting in column A."""
    found = []
    for r in range(start, stop):
        row = sheet.rows[r]
        if row and not is_blank(row[0]) and not any(_is_numeric(c) for c in row):
            found.append(r)
    return found


def _title(sheet: Sheet, row: int) -> str:
    """Return the title in column A of ``row``, white space folded."""
    return " ".join(cell_text(sheet.rows[row][0]).split())


def _totals_kind(text: str) -> str | None:
    """Return ``"county"`` or ``"office"`` for a totals label such as ``County Totals:``."""
    match = _TOTALS_ROW.match(text)
    if not match:
        return None
    return "county" if match.group(1).lower() == "county" else "office"


def _is_party(text: str) -> bool:
    """Return whether a header line names a party (``DEM``, ``Republican``) rather than a person."""
    folded = text.casefold().removesuffix(" party").strip()
    return bool(_PARTY_CODE.match(text)) or folded in _PARTY_NAMES


def choice_from_header(parts: list[str]) -> Choice:
    """Build a choice from the lines of its header cell(s), top to bottom.

    A party line (``DEM``) becomes the party; two name lines (two header rows, or two lines of
    one cell as WEC's reports write tickets) are joined, with ``" / "`` when they name two people
    (president and running mate: "Donald J. Trump / Michael R. Pence", whose first part is the
    short name, :attr:`Choice.short_name`) and with a space when the first line visibly continues
    (ends in ``,``, ``&`` or ``-``, or the next starts in lower case or ``(``).
    """
    party: str | None = None
    names: list[str] = []
    for part in parts:
        if party is None and len(parts) > 1 and _is_party(part):
            party = part
        else:
            names.append(part)
    if not names and party is not None:
        names, party = [party], None
    name = names[0]
    for line in names[1:]:
        continues = name.endswith((",", "&", "-", "/")) or line[:1].islower() or line[:1] == "("
        name = f"{name} {line}" if continues else f"{name} / {line}"
    return make_choice(name, party)


@dataclass
class _Group:
    """One block of columns under a ``Total Votes Cast`` cell: one count of the contest."""

    count: CountName
    total_column: int
    choices: list[tuple[int, Choice]]
    _columns: list[int] = field(init=False, repr=False)
    _names: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._columns = [self.total_column, *(j for j, _ in self.choices)]
        self._names = [choice.name for _, choice in self.choices]

    def columns(self) -> list[int]:
        """Return the total column then the choice columns."""
        return self._columns

    def choice_names(self) -> list[str]:
        """Return the names of the group's choices, left to right."""
        return self._names


@dataclass
class _Header:
    """The header rows of a contest and the count groups they define."""

    first: int
    last: int
    groups: list[_Group]
    labels: dict[int, str]
    """Column index → header text, for naming columns in messages."""

    def layout(self) -> list[tuple[int, list[tuple[int, str]]]]:
        """Return the columns and choices, to recognise a header repeated after a page break."""
        return [(g.total_column, [(j, c.name) for j, c in g.choices]) for g in self.groups]


@dataclass
class _Open:
    """The contest being read: its counts, running sums and the place of its header."""

    contest: Contest
    header: _Header
    counts: list[ContestCount]
    known_columns: set[int]
    units_read: int = 0
    county: CountyName | None = None
    county_first_row: int | None = None
    county_sums: list[list[int]] = field(default_factory=list)
    office_sums: list[list[int]] = field(default_factory=list)
    last_row: int = 0
    wards: list[list[list[int]]] = field(default_factory=list)
    """Per count group, the figures of the wards read but not yet added to the sums."""
    unexpected: dict[int, list[int]] = field(default_factory=dict)
    """Row width → the columns from C on with no choice above them (cells that must be empty)."""

    def add_up(self) -> None:
        """Add the figures of the wards read since the last call to the county and office sums."""
        for number, pending in enumerate(self.wards):
            if pending:
                column_sums = [sum(column) for column in zip(*pending, strict=True)]
                for sums in (self.county_sums[number], self.office_sums[number]):
                    sums[:] = map(add, sums, column_sums)
                pending.clear()

    def columns_to_be_empty(self, width: int) -> list[int]:
        """Return the columns of a row of ``width`` cells that must be empty."""
        found = self.unexpected.get(width)
        if found is None:
            found = [j for j in range(_FIRST_DATA_COLUMN, width) if j not in self.known_columns]
            self.unexpected[width] = found
        return found


class _WecReader:
    """Reads one WEC workbook; holds what has been read until the whole file has passed."""

    def __init__(self, table: Table, progress: RowProgress) -> None:
        self.table = table
        self.progress = progress
        self.titles: list[str] = []
        self.dates: list[date] = []
        self.contests: dict[ContestName, Contest] = {}
        self.counts: dict[tuple[ContestName, CountName], ContestCount] = {}
        self.units: dict[str, ReportingUnit] = {}
        self.warnings: list[ImportWarning] = []
        self.failed: dict[ContestName, ImportWarning] = {}
        """Contests left out for conflicting duplicated units, with the first conflict."""

    def read(self) -> ImportResult:
        """Read every sheet and return the election, or raise :class:`InputFileError`."""
        for sheet in self.table.sheets:
            self._read_sheet(sheet)
        if not self.counts:
            raise InputFileError(
                FileLocation(str(self.table.path)),
                f"found no contest; expected {LAYOUT}",
            )
        for name in self.failed:
            self.contests.pop(name, None)
            self.counts = {k: v for k, v in self.counts.items() if k[0] != name}
        if not self.counts:
            error = next(iter(self.failed.values()))
            raise InputFileError(error.location, error.message)
        election = Election(
            name=self._election_name(),
            date=self.dates[0] if self.dates else date_in_file_name(self.table.path.stem),
            state="WI",
            contests=self.contests,
            units=self.units,
            counts=list(self.counts.values()),
        )
        return ImportResult(
            election,
            [str(self.table.path)],
            [WEC_FORMAT],
            self.warnings,
            errors=list(self.failed.values()),
        )

    def _election_name(self) -> str:
        """Return the report's election title, skipping the reporting system's boilerplate."""
        titles = [t for t in self.titles if not any(b in t.casefold() for b in _BOILERPLATE)]
        named = [t for t in titles if "election" in t.casefold()]
        dated = [t for t in titles if _YEAR.search(t)]
        for title in (*named, *dated):
            return title
        return titles[0] if titles else self.table.path.stem

    def _read_sheet(self, sheet: Sheet) -> None:
        """Read the contests of one sheet (none, one, or several one under the other)."""
        rows = sheet.rows
        region_start = 0
        current: _Open | None = None
        index = 0
        while index < len(rows):
            row = rows[index]
            if total_votes_columns(row):
                header = self._read_header(sheet, index)
                if current is not None and self._continues(sheet, current, header):
                    self.progress.step(header.last - index + 1)
                    index = header.last + 1
                    continue
                if current is not None:
                    self._close(sheet, current)
                    region_start = current.last_row + 1
                current = self._open(sheet, header, region_start)
                self.progress.step(header.last - index + 1)
                index = header.last + 1
                continue
            if current is not None and self._read_row(sheet, current, index):
                self._close(sheet, current)
                region_start = index + 1
                current = None
            self.progress.step()
            index += 1
        if current is not None:
            self._close(sheet, current)

    def _continues(self, sheet: Sheet, current: _Open, header: _Header) -> bool:
        """Return whether ``header`` repeats the current contest's header after a page break.

        It does when it has the same columns and choices and no other contest's title comes
        between the last ward and it; the county and the running sums then carry on.
        """
        if header.layout() != current.header.layout():
            return False
        titles = _title_rows(sheet, current.last_row + 1, header.first)
        return not titles or _title(sheet, titles[-1]) == current.contest.name

    def _read_header(self, sheet: Sheet, at: int) -> _Header:
        """Read the header lines around row ``at`` into count groups of choices."""
        rows = sheet.rows
        totals = total_votes_columns(rows[at])
        first = last = at
        while last + 1 < len(rows) and self._is_header_line(rows[last + 1], totals, below=True):
            last += 1
        while first - 1 >= 0 and self._is_header_line(rows[first - 1], totals, below=False):
            first -= 1
        width = max(len(r) for r in rows[first : last + 1])
        labels: dict[int, str] = {}
        groups: list[_Group] = []
        for number, total_column in enumerate(totals):
            end = totals[number + 1] if number + 1 < len(totals) else width
            choices: list[tuple[int, Choice]] = []
            for column in range(total_column + 1, end):
                parts = [
                    line.strip()
                    for r in range(first, last + 1)
                    if not is_blank(_get(rows[r], column))
                    for line in cell_text(_get(rows[r], column)).splitlines()
                    if line.strip()
                ]
                if not parts:
                    continue
                choice = choice_from_header(parts)
                if any(c.name == choice.name for _, c in choices):
                    raise InputFileError(
                        self.table.at(sheet, at, column_letter(column)),
                        f"the choice {choice.name!r} is listed twice in one block of columns",
                    )
                choices.append((column, choice))
                labels[column] = choice.name
            if not choices:
                raise InputFileError(
                    self.table.at(sheet, at, column_letter(total_column)),
                    "expected the choices' names to the right of 'Total Votes Cast'; found none",
                )
            labels[total_column] = TOTAL_VOTES_CAST
            groups.append(_Group("", total_column, choices))
        return _Header(first, last, groups, labels)

    @staticmethod
    def _is_header_line(row: Row, totals: list[int], *, below: bool) -> bool:
        """Return whether ``row`` continues the header: text only, in the choice columns."""
        if not (is_blank(_get(row, 0)) and is_blank(_get(row, 1))):
            return False
        filled = [j for j in range(len(row)) if not is_blank(row[j])]
        if not filled or any(_is_numeric(row[j]) for j in filled):
            return False
        if total_votes_columns(row):
            return False
        if below:
            return any(j > totals[0] for j in filled)
        return any(j > totals[0] and j not in totals for j in filled)

    def _open(self, sheet: Sheet, header: _Header, region_start: int) -> _Open:
        """Start a contest at ``header``, naming it and its counts from the rows above."""
        rows = sheet.rows
        title_rows = _title_rows(sheet, region_start, header.first)
        for r in title_rows:
            for cell in rows[r]:
                if isinstance(cell, datetime):
                    self.dates.append(cell.date())
                elif isinstance(cell, date):
                    self.dates.append(cell)
            found = date_in_text(" ".join(cell_text(c) for c in rows[r]))
            if found is not None:
                self.dates.append(found)
        if title_rows:
            title_row = title_rows[-1]
            name = _title(sheet, title_row)
            self.titles.extend(_title(sheet, r) for r in title_rows[:-1])
        else:
            title_row = region_start - 1
            name = sheet.name or self.table.path.stem
        votes_allowed = 1
        for r in range(max(title_row, region_start), header.first):
            match = _VOTES_ALLOWED.search(" ".join(cell_text(c) for c in rows[r]))
            if match:
                votes_allowed = int(match.group(1))
        self._name_counts(sheet, header, max(title_row + 1, region_start))
        contest = self.contests.get(name)
        if contest is None:
            contest = Contest(name=name, office=name, votes_allowed=votes_allowed)
            self.contests[name] = contest
        for group in header.groups:
            for _, choice in group.choices:
                contest.add_choice(choice)
        counts = []
        for group in header.groups:
            key = (name, group.count)
            if key not in self.counts:
                self.counts[key] = ContestCount(
                    contest=name, name=group.count, status=default_status(group.count)
                )
            counts.append(self.counts[key])
        known = {j for g in header.groups for j in g.columns()}
        sizes = [[0] * len(g.columns()) for g in header.groups]
        return _Open(
            contest,
            header,
            counts,
            known,
            county_sums=[list(s) for s in sizes],
            office_sums=[list(s) for s in sizes],
            wards=[[] for _ in sizes],
            last_row=header.last,
        )

    def _name_counts(self, sheet: Sheet, header: _Header, start: int) -> None:
        """Name each group from the label above its columns (``Recount Canvass ...``)."""
        rows = sheet.rows
        for number, group in enumerate(header.groups):
            end = (
                header.groups[number + 1].total_column
                if number + 1 < len(header.groups)
                else group.choices[-1][0] + 1
            )
            label = ""
            for r in range(header.first - 1, start - 1, -1):
                texts = [
                    cell_text(_get(rows[r], j))
                    for j in range(group.total_column, end)
                    if not is_blank(_get(rows[r], j))
                ]
                if texts:
                    label = " ".join(texts)
                    break
            group.count = standard_count_name(label) if label else ORIGINAL_CANVASS
        names = [g.count for g in header.groups]
        if len(set(names)) != len(names):
            raise InputFileError(
                self.table.at(sheet, header.first),
                f"the blocks of columns name the same count twice ({', '.join(names)}); expected "
                "labels such as 'Original Canvass' and 'Recount Canvass Certification' above them",
            )

    def _column(self, current: _Open, column: int) -> str:
        """Return a column's letter and header for messages, e.g. ``D (DAVID T. PROSSER, JR.)``."""
        label = current.header.labels.get(column)
        return f"{column_letter(column)} ({label})" if label else column_letter(column)

    def _read_row(self, sheet: Sheet, current: _Open, index: int) -> bool:
        """Read one row under a header; return ``True`` when it closes the contest."""
        row = sheet.rows[index]
        first, second = cell_text(_get(row, 0)), cell_text(_get(row, 1))
        kind = _totals_kind(first) or _totals_kind(second)
        if kind is not None:
            current.add_up()
        if kind == "county":
            self._check_totals(
                sheet, current, index, current.county_sums, f"county {current.county}"
            )
            current.county_sums = [[0] * len(s) for s in current.county_sums]
            current.last_row = index
            return False
        if kind == "office":
            self._check_totals(sheet, current, index, current.office_sums, "the whole contest")
            current.last_row = index
            return True
        if not second:
            if any(_is_numeric(_get(row, j)) for j in range(_FIRST_DATA_COLUMN, len(row))):
                raise InputFileError(
                    self.table.at(sheet, index, "B"),
                    "expected the name of a reporting unit in column B of this row of votes",
                )
            return False
        if first:
            self._start_county(current, first, index)
        if current.county is None:
            raise InputFileError(
                self.table.at(sheet, index, "A"),
                "expected a county name in column A, on this row or a row above it",
            )
        self._read_unit(sheet, current, index, current.county, second)
        current.last_row = index
        return False

    @staticmethod
    def _start_county(current: _Open, county: str, index: int) -> None:
        """Begin a new county: its wards are summed afresh for its totals row."""
        county = " ".join(county.split())
        if county != current.county:
            current.add_up()
            current.county = county
            current.county_first_row = index
            current.county_sums = [[0] * len(s) for s in current.county_sums]

    def _read_unit(
        self, sheet: Sheet, current: _Open, index: int, county: CountyName, name: str
    ) -> None:
        """Read one reporting unit's votes in every count group of the row."""
        row = sheet.rows[index]
        for column in current.columns_to_be_empty(len(row)):
            if not is_blank(row[column]):
                raise InputFileError(
                    self.table.at(sheet, index, column_letter(column)),
                    f"found {cell_text(row[column])!r} in a column with no choice above it; "
                    "expected this cell to be empty",
                )
        unit = ReportingUnit.of(county, name, municipality_of(name))
        unit = self.units.setdefault(unit.id, unit)
        where = self.table.at(sheet, index)
        figures = [self._counts(sheet, current, index, group) for group in current.header.groups]
        if unit.id in current.counts[0].units:
            self._repeated(sheet, current, index, unit, figures)
            return
        for number, (group, count, values) in enumerate(
            zip(current.header.groups, current.counts, figures, strict=True)
        ):
            votes = dict(zip(group.choice_names(), values[1:], strict=True))
            count.units[unit.id] = UnitTally(votes=votes, source=where)
            choices_sum = sum(values) - values[0]
            if values[0] != choices_sum:
                self.warnings.append(
                    ImportWarning(
                        self.table.at(sheet, index, self._column(current, group.total_column)),
                        f"{TOTAL_VOTES_CAST} is {values[0]:,} but the choices add up to "
                        f"{choices_sum:,} ({count.name}, {unit.name})",
                    )
                )
            current.wards[number].append(values)
        current.units_read += 1

    def _repeated(
        self,
        sheet: Sheet,
        current: _Open,
        index: int,
        unit: ReportingUnit,
        figures: list[list[int]],
    ) -> None:
        """Deal with a unit listed a second time in a contest (one sheet of a 54-sheet WEC
        workbook lists two wards twice, the second time all zeros).

        The same figures again, or all zeros either time, is a warning and the unit keeps the
        figures with votes. Different figures are an error for this contest only: it is left out
        of the import (:attr:`ImportResult.errors`), naming both rows.
        """
        tallies = [count.units[unit.id] for count in current.counts]
        source = tallies[0].source
        seen = f"row {source.row}" if source and source.row else "an earlier row"
        before = [v for tally in tallies for v in tally.votes.values()]
        after = [v for values in figures for v in values[1:]]
        where = self.table.at(sheet, index, "B")
        what = f"reporting unit {unit.name!r} of county {unit.county!r}"
        contest = current.contest.name
        if before == after or not any(after):
            same = "the same figures" if any(after) else "all zeros"
            message = f"is listed again (first on {seen}) with {same}; the first is kept"
        elif not any(before):
            for group, tally, values in zip(current.header.groups, tallies, figures, strict=True):
                tally.votes = dict(zip(group.choice_names(), values[1:], strict=True))
                tally.source = self.table.at(sheet, index)
            message = f"is listed with all zeros on {seen} and again with votes; those are kept"
        else:
            self.failed.setdefault(
                contest,
                ImportWarning(
                    where,
                    f"{what} is listed twice in contest {contest!r} with different figures "
                    f"(on {seen} and on row {index + 1}); the contest is left out",
                ),
            )
            return
        self.warnings.append(ImportWarning(where, f"{what} in contest {contest!r} {message}"))

    def _counts(self, sheet: Sheet, current: _Open, index: int, group: _Group) -> list[int]:
        """Return the numbers in a ward's cells of ``group``: total first, then each choice.

        The usual cells (a whole non-negative Excel number, or plain digits in a CSV) are
        converted at once; anything else goes through :func:`parse_count`, which names the cell.
        """
        row = sheet.rows[index]
        width = len(row)
        values: list[int] = []
        for column in group.columns():
            cell = row[column] if column < width else ""
            if type(cell) is float and cell >= 0 and cell.is_integer():
                values.append(int(cell))
                continue
            if type(cell) is str and cell.isdigit() and cell.isascii():
                values.append(int(cell))
                continue
            values.append(self._count(sheet, current, index, group, column))
        return values

    def _count(self, sheet: Sheet, current: _Open, index: int, group: _Group, column: int) -> int:
        """Return the number in a ward's cell, or raise an error naming the cell."""
        cell = _get(sheet.rows[index], column)
        return parse_count(
            cell,
            self.table.at(sheet, index, self._column(current, column)),
            "a number of votes" if column != group.total_column else "the total votes cast",
        )

    def _check_totals(
        self, sheet: Sheet, current: _Open, index: int, sums: list[list[int]], scope: str
    ) -> None:
        """Compare a totals row with the sums of the wards above it; warn where they differ."""
        row = sheet.rows[index]
        for group, group_sums in zip(current.header.groups, sums, strict=True):
            for column, actual in zip(group.columns(), group_sums, strict=True):
                where = self.table.at(sheet, index, self._column(current, column))
                stated = parse_count(_get(row, column), where, "a total")
                if stated != actual:
                    self.warnings.append(
                        ImportWarning(
                            where,
                            f"the totals row says {stated:,} but the wards of {scope} add up "
                            f"to {actual:,} ({group.count}, {current.header.labels[column]})",
                        )
                    )

    def _close(self, sheet: Sheet, current: _Open) -> None:
        """Finish a contest; one with a header but no reporting units is an error."""
        if current.units_read == 0:
            raise InputFileError(
                self.table.at(sheet, current.header.first),
                f"contest {current.contest.name!r} has a header row but no reporting units "
                "under it; expected rows of county, reporting unit and votes",
            )


def read_wec_report(table: Table, progress: RowProgress) -> ImportResult:
    """Read a WEC ward-by-ward report (one or two counts per contest) from ``table``."""
    return _WecReader(table, progress).read()
