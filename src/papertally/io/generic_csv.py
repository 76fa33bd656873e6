"""The generic results CSV: one row per reporting unit × contest × count × choice.

For counties that make their own files, and papertally's own export format. The columns are
described in ``docs/generic-csv.md``; :func:`write_generic_csv` writes every count of every contest
so that reading the file back gives the same election.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from operator import itemgetter
from pathlib import Path
from typing import TypeVar, cast

from papertally.errors import FileLocation, InputFileError, PapertallyError
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.columns import map_header
from papertally.io.detect import GENERIC_FORMAT, GENERIC_REQUIRED
from papertally.io.naming import default_status, make_choice, municipality_of
from papertally.io.progress import RowProgress
from papertally.io.tables import Table
from papertally.model import (
    Choice,
    Contest,
    ContestCount,
    CountItemType,
    Election,
    ImportResult,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
    standard_count_name,
    unit_id,
)
from papertally.model.results import ORIGINAL_CANVASS
from papertally.types import ChoiceName, ContestName, CountName

COUNTY = "county"
MUNICIPALITY = "municipality"
REPORTING_UNIT = "reporting_unit"
CONTEST = "contest"
COUNT = "count"
CHOICE = "choice"
PARTY = "party"
VOTES = "votes"
BALLOTS_CAST = "ballots_cast"
ELECTION = "election"
ELECTION_DATE = "election_date"
STATE = "state"
UNIT_TYPE = "unit_type"
OFFICE = "office"
DISTRICT = "district"
VOTES_ALLOWED = "votes_allowed"
WRITE_IN = "write_in"
STATUS = "status"
COUNT_ITEM_TYPE = "count_item_type"

COLUMNS = (
    COUNTY,
    MUNICIPALITY,
    REPORTING_UNIT,
    CONTEST,
    COUNT,
    CHOICE,
    PARTY,
    VOTES,
    BALLOTS_CAST,
    ELECTION,
    ELECTION_DATE,
    STATE,
    UNIT_TYPE,
    OFFICE,
    DISTRICT,
    VOTES_ALLOWED,
    WRITE_IN,
    STATUS,
    COUNT_ITEM_TYPE,
)
"""Every column, in the order :func:`write_generic_csv` writes them."""


def _key(column: str) -> str:
    """Return a column name as headers are matched (``reporting_unit`` → ``reporting unit``)."""
    return column.replace("_", " ")


OPTIONAL = tuple(_key(c) for c in COLUMNS if (c,) not in GENERIC_REQUIRED)
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
E = TypeVar("E", bound=StrEnum)


UNIT_COLUMNS = (COUNTY, REPORTING_UNIT, MUNICIPALITY, UNIT_TYPE)
"""The columns that say which reporting unit a row is about."""
CHOICE_COLUMNS = (CHOICE, PARTY, WRITE_IN)
"""The columns that describe a row's choice."""
ROW_COLUMNS = (*UNIT_COLUMNS, *CHOICE_COLUMNS, VOTES, BALLOTS_CAST)
"""The columns that change from row to row; the others usually repeat for many rows."""


def _picker(positions: list[int]) -> Callable[[Sequence[str]], object]:
    """Return a function giving the cells at ``positions`` of a row, as a hashable key."""
    if not positions:
        return lambda _row: ()
    return itemgetter(*positions)


class _Reader:
    """Reads one generic CSV; nothing is returned unless the whole file is good.

    Each row is first read the careful way (:meth:`_read_row_carefully`), every cell checked and
    every error naming its cell. Statewide files repeat the same election, contest and count on
    thousands of rows and the same unit and choice on several, so the reader remembers what those
    cells gave once checked, and a row whose cells it has seen before only has its numbers read
    (:meth:`_read_row`). Both ways give the same election and the same errors.
    """

    def __init__(self, table: Table, progress: RowProgress) -> None:
        self.table = table
        self.progress = progress
        self.header = map_header(table, GENERIC_REQUIRED, OPTIONAL)
        self.election = Election(name="")
        self.counts: dict[tuple[ContestName, CountName], ContestCount] = {}
        self.columns = [
            (column, self.header.positions[_key(column)])
            for column in COLUMNS
            if _key(column) in self.header.positions
        ]
        self.texts: dict[str, str] = {}
        """The current row's cells as text, by column name (for rows read carefully)."""
        self.units: dict[tuple[str, ...], ReportingUnit] = {}
        self.count_names: dict[str, CountName] = {}
        self.election_given: tuple[str, str, str] | None = None
        self.choices: dict[tuple[str, str, str], Choice] = {}
        self.listed: set[tuple[ContestName, ChoiceName]] = set()
        """The choices already added to each contest."""
        present = dict(self.columns)
        self.position = present
        self.unit_position = present[REPORTING_UNIT]
        self.votes_position = present[VOTES]
        self.ballots_position = present.get(BALLOTS_CAST)
        self.pick_context = _picker(
            [position for column, position in self.columns if column not in ROW_COLUMNS]
        )
        self.pick_unit = _picker([present[c] for c in UNIT_COLUMNS if c in present])
        self.pick_choice = _picker([present[c] for c in CHOICE_COLUMNS if c in present])
        self.known_units: dict[object, ReportingUnit] = {}
        """Unit cells seen before → the unit they gave."""
        self.known_choices: dict[object, Choice] = {}
        """Choice cells seen before → the choice they gave."""
        self.context: object = None
        """The repeating cells of the last row of votes, and the contest and count they gave."""
        self.contest: Contest | None = None
        self.count: ContestCount | None = None

    def at(self, index: int, column: str | None = None) -> FileLocation:
        """Return the place of ``column`` on row ``index``, named as the file names it."""
        name = None if column is None else self.header.names.get(_key(column), column)
        return self.table.at(self.header.sheet, index, name)

    def text(self, column: str) -> str:
        """Return the stripped text of ``column`` on the current row (empty if no such column)."""
        return self.texts.get(column, "")

    def required(self, index: int, column: str) -> str:
        """Return the text of a column that must be filled in, or raise naming the cell."""
        text = self.text(column)
        if not text:
            raise InputFileError(self.at(index, column), f"expected a {column}, found nothing")
        return text

    def read(self) -> ImportResult:
        """Read every row and return the election."""
        sheet = self.header.sheet
        rows = sheet.rows
        self.progress.step(self.header.header_index + 1)
        data_rows = 0
        is_csv = self.table.kind == "csv"
        width = max(self.header.positions.values()) + 1
        for index in range(self.header.header_index + 1, len(rows)):
            self.progress.step()
            row = rows[index]
            if is_csv:
                if not any(row):
                    continue
                texts = cast(Sequence[str], row)
            else:
                if all(is_blank(c) for c in row):
                    continue
                texts = [cell_text(cell) for cell in row]
            if len(row) < width:
                self.header.check_width(index)
            if self._read_row(index, texts) or self._read_row_carefully(index, texts):
                data_rows += 1
        if data_rows == 0:
            raise InputFileError(
                self.table.at(sheet, self.header.header_index),
                "has a header row but no rows of votes under it",
            )
        self.election.name = self.election.name or self.table.path.stem
        self.election.counts = list(self.counts.values())
        return ImportResult(self.election, [str(self.table.path)], [GENERIC_FORMAT], [])

    def _cells(self, texts: Sequence[str]) -> dict[str, str]:
        """Return the known columns of a row's texts, by column name."""
        return {column: texts[position] for column, position in self.columns}

    def _read_row(self, index: int, texts: Sequence[str]) -> bool:
        """Read a row of votes whose election, contest, count, unit and choice were seen before.

        Return ``False``, having read nothing, for any other row.
        """
        if self.pick_context(texts) != self.context or not texts[self.unit_position]:
            return False
        unit = self.known_units.get(self.pick_unit(texts))
        choice = self.known_choices.get(self.pick_choice(texts))
        if unit is None or choice is None:
            return False
        contest, count = self.contest, self.count
        assert contest is not None and count is not None
        if (contest.name, choice.name) not in self.listed:
            self._list_choice(contest, choice)
        text = texts[self.votes_position]
        if text.isdigit() and text.isascii():
            votes = int(text)
        else:
            votes = self._number(index, texts, VOTES, "a number of votes")
        tally = count.units.get(unit.id)
        if (
            tally is None
            or choice.name in tally.votes
            or (self.ballots_position is not None and texts[self.ballots_position])
        ):
            self._record(index, texts, contest, count, unit, choice, votes)
        else:
            tally.votes[choice.name] = votes
        return True

    def _read_row_carefully(self, index: int, texts: Sequence[str]) -> bool:
        """Read any row, checking every cell; return whether it was a row of votes."""
        self.texts = self._cells(texts)
        self._read_election(index)
        contest = self._contest(index)
        if not self.text(REPORTING_UNIT) and not self.text(VOTES):
            self._declare(index, contest)
            return False
        unit = self._unit(index)
        choice = self._choice(index)
        self._list_choice(contest, choice)
        votes = self._number(index, texts, VOTES, "a number of votes")
        count = self._count(index, contest)
        self._record(index, texts, contest, count, unit, choice, votes)
        self.known_units[self.pick_unit(texts)] = unit
        self.known_choices[self.pick_choice(texts)] = choice
        self.context, self.contest, self.count = self.pick_context(texts), contest, count
        return True

    def _read_election(self, index: int) -> None:
        """Take the election's name, date and state from the row, refusing contradictions."""
        given = (self.text(ELECTION), self.text(ELECTION_DATE), self.text(STATE))
        if given == self.election_given:
            return
        self.election_given = given
        for column, current in (
            (ELECTION, self.election.name),
            (ELECTION_DATE, self.election.date.isoformat() if self.election.date else ""),
            (STATE, self.election.state or ""),
        ):
            value = self.text(column)
            if not value or value == current:
                continue
            if current:
                raise InputFileError(
                    self.at(index, column),
                    f"expected {current!r} as on the rows above, found {value!r}",
                )
            if column == ELECTION:
                self.election.name = value
            elif column == STATE:
                self.election.state = value
            else:
                try:
                    self.election.date = date.fromisoformat(value)
                except ValueError:
                    raise InputFileError(
                        self.at(index, column), f"expected a date as YYYY-MM-DD, found {value!r}"
                    ) from None

    def _enum(self, index: int, column: str, kind: type[E], default: E) -> E:
        """Return the value of an optional enumerated column, or ``default`` where it is empty."""
        value = self.text(column)
        if not value:
            return default
        try:
            return kind(value.lower())
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise InputFileError(
                self.at(index, column), f"expected one of {allowed}; found {value!r}"
            ) from None

    def _contest(self, index: int) -> Contest:
        """Return the row's contest, creating it with its office, district and votes allowed."""
        name = self.required(index, CONTEST)
        contest = self.election.contests.get(name)
        if contest is None:
            allowed = self.text(VOTES_ALLOWED)
            votes_allowed = (
                parse_count(allowed, self.at(index, VOTES_ALLOWED), "a number") if allowed else 1
            )
            if votes_allowed < 1:
                raise InputFileError(
                    self.at(index, VOTES_ALLOWED), "expected at least 1 vote allowed, found 0"
                )
            contest = Contest(
                name=name,
                office=self.text(OFFICE) or None,
                district=self.text(DISTRICT) or None,
                votes_allowed=votes_allowed,
            )
            self.election.contests[name] = contest
        return contest

    def _declare(self, index: int, contest: Contest) -> None:
        """Read a row with no unit and no votes: it lists a contest's choice in ballot order."""
        if self.text(CHOICE):
            contest.add_choice(self._choice(index))

    def _choice(self, index: int) -> Choice:
        """Return the row's choice with its party and write-in mark."""
        key = (self.required(index, CHOICE), self.text(PARTY), self.text(WRITE_IN).lower())
        choice = self.choices.get(key)
        if choice is None:
            name, party, written = key
            if written and written not in _YES | _NO:
                raise InputFileError(
                    self.at(index, WRITE_IN), f"expected yes or no, found {written!r}"
                )
            write_in = None if not written else written in _YES
            choice = self.choices[key] = make_choice(name, party or None, write_in)
        return choice

    def _unit(self, index: int) -> ReportingUnit:
        """Return the row's reporting unit, refusing one described two different ways."""
        county = self.required(index, COUNTY)
        name = self.required(index, REPORTING_UNIT)
        key = (county, name, self.text(MUNICIPALITY), self.text(UNIT_TYPE))
        known = self.units.get(key)
        if known is not None:
            return known
        municipality = self.text(MUNICIPALITY) or municipality_of(name)
        kind = self._enum(index, UNIT_TYPE, ReportingUnitType, ReportingUnitType.WARD)
        unit = ReportingUnit.of(county, name, municipality, kind)
        stored = self.election.add_unit(unit)
        if (stored.county, stored.name) != (unit.county, unit.name):
            raise InputFileError(
                self.at(index, REPORTING_UNIT),
                f"unit {unit.name!r} of county {unit.county!r} has the same id {unit.id!r} as "
                f"unit {stored.name!r} of county {stored.county!r}; expected no '|' in names",
            )
        if stored != unit:
            raise InputFileError(
                self.at(index, REPORTING_UNIT),
                f"unit {name!r} of county {county!r} is given as {unit.municipality!r} "
                f"({unit.type}) here but as {stored.municipality!r} ({stored.type}) above",
            )
        self.units[key] = stored
        return stored

    def _list_choice(self, contest: Contest, choice: Choice) -> None:
        """Add ``choice`` to ``contest`` unless it is there already."""
        if (contest.name, choice.name) not in self.listed:
            contest.add_choice(choice)
            self.listed.add((contest.name, choice.name))

    def _number(self, index: int, texts: Sequence[str], column: str, what: str) -> int:
        """Return the whole number in ``column``; plain digits go fast, the rest is checked."""
        text = texts[self.position[column]]
        if text.isdigit() and text.isascii():
            return int(text)
        cell = self.header.get(self.header.sheet.rows[index], _key(column))
        return parse_count(cell, self.at(index, column), what)

    def _count(self, index: int, contest: Contest) -> ContestCount:
        """Return the row's count of ``contest``, creating it with its status and type."""
        label = self.text(COUNT)
        count_name = self.count_names.get(label)
        if count_name is None:
            count_name = standard_count_name(label) if label else ORIGINAL_CANVASS
            self.count_names[label] = count_name
        count = self.counts.get((contest.name, count_name))
        if count is None:
            count = ContestCount(
                contest.name,
                count_name,
                self._enum(index, STATUS, ResultsStatus, default_status(count_name)),
                self._enum(index, COUNT_ITEM_TYPE, CountItemType, CountItemType.TOTAL),
            )
            self.counts[(contest.name, count_name)] = count
        return count

    def _record(
        self,
        index: int,
        texts: Sequence[str],
        contest: Contest,
        count: ContestCount,
        unit: ReportingUnit,
        choice: Choice,
        votes: int,
    ) -> None:
        """Keep a row's votes (and ballots cast) in the unit's tally of ``count``."""
        tally = count.units.get(unit.id)
        if tally is None:
            tally = UnitTally(source=self.at(index))
            count.units[unit.id] = tally
        elif choice.name in tally.votes:
            first = self._first_row(index, contest, count, unit, choice)
            raise InputFileError(
                self.at(index, REPORTING_UNIT),
                f"{choice.name!r} in {unit.name!r} of county {unit.county!r} appears twice in "
                f"the {count.name} of {contest.name!r} (first on row {first}); expected "
                "one row per reporting unit, contest, count and choice",
            )
        tally.votes[choice.name] = votes
        if BALLOTS_CAST in self.position and texts[self.position[BALLOTS_CAST]]:
            cast = self._number(index, texts, BALLOTS_CAST, "a number of ballots")
            if tally.ballots_cast is not None and tally.ballots_cast != cast:
                raise InputFileError(
                    self.at(index, BALLOTS_CAST),
                    f"expected {tally.ballots_cast:,} ballots cast as on the unit's rows above, "
                    f"found {cast:,}",
                )
            tally.ballots_cast = cast

    def _first_row(
        self, index: int, contest: Contest, count: ContestCount, unit: ReportingUnit, choice: Choice
    ) -> int:
        """Return the spreadsheet row of the earlier row giving ``choice`` in ``unit``.

        Only for the message about a duplicated row, so it searches rather than keeping an
        index of every row: from the unit's first row in ``count`` up to row ``index``.
        """
        source = count.units[unit.id].source
        start = source.row - 1 if source is not None and source.row is not None else 0
        rows = self.header.sheet.rows
        is_csv = self.table.kind == "csv"
        for earlier in range(start, index):
            row = rows[earlier]
            texts = cast(Sequence[str], row) if is_csv else [cell_text(cell) for cell in row]
            if len(texts) <= max(self.header.positions.values()):
                continue
            cells = self._cells(texts)
            label = cells.get(COUNT, "")
            name = standard_count_name(label) if label else ORIGINAL_CANVASS
            if (
                cells[CONTEST] == contest.name
                and name == count.name
                and unit_id(cells[COUNTY], cells[REPORTING_UNIT]) == unit.id
                and cells[CHOICE]
                and make_choice(cells[CHOICE]).name == choice.name
            ):
                return earlier + 1
        return index + 1


def read_generic_csv(table: Table, progress: RowProgress) -> ImportResult:
    """Read a generic results CSV (``docs/generic-csv.md``) from ``table``."""
    return _Reader(table, progress).read()


def _yes_no(value: bool) -> str:
    """Return ``yes`` or ``no``."""
    return "yes" if value else "no"


def generic_rows(election: Election) -> list[dict[str, str]]:
    """Return the rows of the generic CSV of ``election``, as column → text (every column).

    First each contest's choices in ballot order (rows with no unit and no votes), so that the
    order survives a round trip, then every count unit by unit, choices in ballot order.
    """
    return [dict(zip(COLUMNS, record, strict=True)) for record in generic_records(election)]


def generic_records(election: Election) -> Iterator[list[str]]:
    """Yield the rows of :func:`generic_rows` as lists of texts in the order of :data:`COLUMNS`.

    Each row is made as it is written, so a statewide export needs no more memory than a row.
    """
    name = election.name
    day = election.date.isoformat() if election.date else ""
    state = election.state or ""
    for contest in election.contests.values():
        office, district = contest.office or "", contest.district or ""
        allowed = str(contest.votes_allowed)
        if not contest.choices:
            yield [
                *("", "", "", contest.name, "", "", "", "", ""),
                *(name, day, state, "", office, district, allowed, "", "", ""),
            ]
        for choice in contest.choices:
            yield [
                *("", "", "", contest.name, "", choice.name, choice.party or "", "", ""),
                *(name, day, state, "", office, district, allowed),
                *(_yes_no(choice.is_write_in), "", ""),
            ]
    for count in election.counts:
        contest = election.contests[count.contest]
        office, district = contest.office or "", contest.district or ""
        allowed = str(contest.votes_allowed)
        by_name = {c.name: c for c in contest.choices}
        status, item_type = count.status.value, count.count_item_type.value
        for uid, tally in count.units.items():
            unit = election.units[uid]
            county, municipality = unit.county, unit.municipality or ""
            unit_name, unit_type = unit.name, unit.type.value
            ballots = "" if tally.ballots_cast is None else str(tally.ballots_cast)
            votes = tally.votes
            ordered = [c for c in by_name if c in votes]
            if len(ordered) < len(votes):
                ordered += [c for c in votes if c not in by_name]
            for choice_name in ordered:
                choice = by_name.get(choice_name) or make_choice(choice_name)
                yield [
                    county,
                    municipality,
                    unit_name,
                    contest.name,
                    count.name,
                    choice.name,
                    choice.party or "",
                    str(votes[choice_name]),
                    ballots,
                    name,
                    day,
                    state,
                    unit_type,
                    office,
                    district,
                    allowed,
                    _yes_no(choice.is_write_in),
                    status,
                    item_type,
                ]


def write_generic_csv(election: Election, path: str | Path) -> None:
    """Write every count of every contest of ``election`` as a generic CSV at ``path``.

    Reading the file back with :func:`papertally.io.read_results` gives an equal election (but
    for the rows the numbers are traced to). The file is written whole or not at all.
    """
    target = Path(path)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(COLUMNS)
            writer.writerows(generic_records(election))
        os.chmod(temporary, _FILE_MODE & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise PapertallyError(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(temporary: str | None) -> None:
    """Remove a half-written temporary file, if there is one."""
    if temporary is not None and os.path.exists(temporary):
        os.unlink(temporary)


_FILE_MODE = 0o666


def _umask() -> int:
    """Return the process's file-creation mask, so the export gets the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
