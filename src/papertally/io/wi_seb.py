"""Wisconsin State Elections Board results in its flat layout of 2000–2010.

One row per reporting unit, with the election (date, type, subtype), the office (keyword, name,
congressional, senate, assembly and appeals districts), the county, the municipality (type,
number, name) and the unit's name in columns (an empty unit name: the whole municipality is one
unit), and the candidates' votes to the right. Each office
has its own two header rows, ``ELECTION / DATE``, ``OFFICE / NAME``, …, ``REPORTING UNIT / NAME``,
then the candidates over their parties; a ``TOTAL`` row closes the office and is checked against
the sum of its units (a difference becomes an :class:`ImportWarning`), never imported as a unit.

Units are named as the later WEC reports name them, ``TOWN OF GREEN BAY Wards 1 & 2``, so the
two kinds of file reconcile with each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from papertally.errors import FileLocation, InputFileError
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.naming import default_status, make_choice, normalize_header
from papertally.io.progress import RowProgress
from papertally.io.tables import Row, Sheet, Table, column_letter
from papertally.model import (
    Choice,
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
from papertally.types import ContestName

WI_SEB_FORMAT = "wi-seb-flat"
LAYOUT = (
    "a Wisconsin State Elections Board flat report: header rows 'ELECTION / DATE', 'OFFICE / "
    "NAME', 'COUNTY / NAME', 'MUNICIPALITY / TYPE', 'MUNICIPALITY / NAME', 'REPORTING UNIT / "
    "NAME', then the candidates"
)
_NEEDED = (
    "election date",
    "office name",
    "county name",
    "municipality name",
    "reporting unit name",
)
_TOTAL = "total"


def _header_names(top: Row, bottom: Row) -> list[str]:
    """Return each column's name from the two header rows, ``ELECTION`` + ``DATE`` → normalised."""
    width = max(len(top), len(bottom))
    return [
        normalize_header(
            f"{cell_text(top[j]) if j < len(top) else ''} "
            f"{cell_text(bottom[j]) if j < len(bottom) else ''}"
        )
        for j in range(width)
    ]


def is_header(rows: list[Row], index: int) -> bool:
    """Return whether rows ``index`` and ``index + 1`` are this layout's two header rows."""
    if index + 1 >= len(rows):
        return False
    names = _header_names(rows[index], rows[index + 1])
    return all(n in names for n in _NEEDED)


def looks_like_wi_seb(table: Table) -> bool:
    """Return whether a sheet of ``table`` starts (within its first rows) with this layout."""
    return any(
        is_header(sheet.rows, i) for sheet in table.sheets for i in range(min(20, len(sheet.rows)))
    )


@dataclass
class _Office:
    """One office's block: its header's columns and candidates, and running sums."""

    header_row: int
    columns: dict[str, int]
    choices: list[tuple[int, Choice]]
    contest: ContestName | None = None
    units: int = 0
    sums: list[int] | None = None


class _SebReader:
    """Reads one flat-layout workbook into one election, office block by office block."""

    def __init__(self, table: Table, progress: RowProgress) -> None:
        self.table = table
        self.progress = progress
        self.election = Election(name=table.path.stem, state="WI")
        self.counts: dict[ContestName, ContestCount] = {}
        self.warnings: list[ImportWarning] = []

    def read(self) -> ImportResult:
        """Read every sheet; raise :class:`InputFileError` if no office block is found."""
        for sheet in self.table.sheets:
            self._sheet(sheet)
        if not self.counts:
            raise InputFileError(FileLocation(str(self.table.path)), f"expected {LAYOUT}")
        self.election.counts = list(self.counts.values())
        return ImportResult(self.election, [str(self.table.path)], [WI_SEB_FORMAT], self.warnings)

    def _sheet(self, sheet: Sheet) -> None:
        """Read the office blocks of one sheet."""
        rows = sheet.rows
        office: _Office | None = None
        index = 0
        while index < len(rows):
            row = rows[index]
            if is_header(rows, index):
                self._close(sheet, office)
                office = self._header(sheet, index)
                self.progress.step(2)
                index += 2
                continue
            self.progress.step()
            filled = any(not is_blank(c) for c in row)
            if office is not None and filled and self._row(sheet, office, index):
                self._close(sheet, office)
                office = None
            index += 1
        self._close(sheet, office)

    def _header(self, sheet: Sheet, index: int) -> _Office:
        """Read an office's two header rows: the named columns, then the candidates."""
        top, bottom = sheet.rows[index], sheet.rows[index + 1]
        names = _header_names(top, bottom)
        columns: dict[str, int] = {}
        for j, name in enumerate(names):
            columns.setdefault(name, j)
        first = columns["reporting unit name"] + 1
        choices: list[tuple[int, Choice]] = []
        for j in range(first, len(top)):
            name = cell_text(top[j])
            if not name:
                continue
            party = cell_text(bottom[j]) if j < len(bottom) else ""
            choices.append((j, make_choice(name, party or None)))
        if not choices:
            raise InputFileError(
                self.table.at(sheet, index, column_letter(first)),
                "expected the candidates' names to the right of 'REPORTING UNIT'; found none",
            )
        return _Office(index, columns, choices)

    def _text(self, row: Row, office: _Office, column: str) -> str:
        """Return the text of a named column in ``row``."""
        j = office.columns.get(column)
        return cell_text(row[j]) if j is not None and j < len(row) else ""

    def _row(self, sheet: Sheet, office: _Office, index: int) -> bool:
        """Read one unit's row, or check the ``TOTAL`` row (returning ``True``: block closed)."""
        row = sheet.rows[index]
        unit_name = self._text(row, office, "reporting unit name")
        values = [
            parse_count(
                row[j] if j < len(row) else "",
                self.table.at(sheet, index, f"{column_letter(j)} ({choice.name})"),
            )
            for j, choice in office.choices
        ]
        if unit_name.casefold() == _TOTAL:
            self._check_total(sheet, office, index, values)
            return True
        county = self._text(row, office, "county name")
        municipality = self._text(row, office, "municipality name")
        for column, text in (("county name", county), ("municipality name", municipality)):
            if not text:
                raise InputFileError(
                    self.table.at(sheet, index, column.upper()),
                    f"expected the {column} of this row of votes, found an empty cell",
                )
        kind = self._text(row, office, "municipality type")
        place = f"{kind} of {municipality}".upper() if kind else municipality
        unit = self.election.add_unit(
            ReportingUnit.of(
                county, f"{place} {unit_name}".strip(), place or None, ReportingUnitType.WARD
            )
        )
        contest = self._contest(sheet, office, index, row)
        count = self.counts[contest]
        if unit.id in count.units:
            first = count.units[unit.id].source
            raise InputFileError(
                self.table.at(sheet, index, "REPORTING UNIT NAME"),
                f"reporting unit {unit.name!r} of county {unit.county!r} appears twice in "
                f"{contest!r} (first on row {first.row if first else '?'})",
            )
        votes = {choice.name: v for (_, choice), v in zip(office.choices, values, strict=True)}
        count.units[unit.id] = UnitTally(votes=votes, source=self.table.at(sheet, index))
        office.units += 1
        office.sums = (
            values
            if office.sums is None
            else [a + b for a, b in zip(office.sums, values, strict=True)]
        )
        return False

    def _contest(self, sheet: Sheet, office: _Office, index: int, row: Row) -> ContestName:
        """Return the contest of the block (named on its first row), creating it if new."""
        if office.contest is not None:
            return office.contest
        name = " ".join(self._text(row, office, "office name").split())
        if not name:
            raise InputFileError(
                self.table.at(sheet, index, "OFFICE NAME"), "expected the office's name"
            )
        self._election(row, office)
        contest = self.election.contests.get(name)
        if contest is None:
            contest = Contest(name=name, office=name)
            self.election.contests[name] = contest
            self.counts[name] = ContestCount(
                name, ORIGINAL_CANVASS, default_status(ORIGINAL_CANVASS)
            )
        for _, choice in office.choices:
            contest.add_choice(choice)
        office.contest = name
        return name

    def _election(self, row: Row, office: _Office) -> None:
        """Name the election from the first row's date, type and subtype."""
        if self.election.date is not None:
            return
        j = office.columns.get("election date")
        cell = row[j] if j is not None and j < len(row) else ""
        day = (
            cell.date() if isinstance(cell, datetime) else cell if isinstance(cell, date) else None
        )
        kind = " ".join(
            t.title()
            for t in (
                self._text(row, office, "election type"),
                self._text(row, office, "election subtype"),
            )
            if t
        )
        if day is not None:
            self.election.date = day
            self.election.name = f"{day.year} {kind} Election".replace("  ", " ")

    def _check_total(self, sheet: Sheet, office: _Office, index: int, stated: list[int]) -> None:
        """Compare a ``TOTAL`` row with the sum of its office's units; warn where they differ."""
        sums = office.sums or [0] * len(stated)
        for (j, choice), told, actual in zip(office.choices, stated, sums, strict=True):
            if told != actual:
                self.warnings.append(
                    ImportWarning(
                        self.table.at(sheet, index, f"{column_letter(j)} ({choice.name})"),
                        f"the TOTAL row says {told:,} but the units of {office.contest!r} add "
                        f"up to {actual:,}",
                    )
                )

    def _close(self, sheet: Sheet, office: _Office | None) -> None:
        """Finish an office block; one with a header but no units is an error."""
        if office is not None and office.units == 0:
            raise InputFileError(
                self.table.at(sheet, office.header_row),
                "an office's header rows with no reporting units under them",
            )


def read_wi_seb(table: Table, progress: RowProgress) -> ImportResult:
    """Read a State Elections Board flat-layout workbook (or CSV) from ``table``."""
    return _SebReader(table, progress).read()
