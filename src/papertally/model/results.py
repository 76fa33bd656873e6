"""Elections, contests, reporting units and counts (tallies of votes per choice per unit).

A *count* (:class:`ContestCount`) is one named tally of one contest over many reporting units:
the original canvass, the recount, later an audit's hand count. Reconciliation compares two
counts of the same contest unit by unit.
"""

from __future__ import annotations

from array import array
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import repeat
from typing import Any, ClassVar, TypeAlias

from papertally.errors import FileLocation, PapertallyError
from papertally.types import (
    ChoiceName,
    ContestName,
    CountName,
    CountyName,
    ReportingUnitId,
)

SCATTERING: ChoiceName = "Scattering"
"""Wisconsin's name for write-in votes for people who are not registered write-in candidates."""

ORIGINAL_CANVASS: CountName = "original canvass"
RECOUNT: CountName = "recount"

REGISTERED_VOTERS = "registered voters"
BALLOTS_CAST = "ballots cast"
UNDER_VOTES = "under votes"
OVER_VOTES = "over votes"
UNIT_STATISTICS = (REGISTERED_VOTERS, BALLOTS_CAST, UNDER_VOTES, OVER_VOTES)
"""Figures reported per unit that are not votes for a choice (NIST SP 1500-100 ``Counts``
other than votes: ``BallotsCast``, ``Overvotes``, ``Undervotes``, and registered voters)."""


class ReportingUnitType(StrEnum):
    """Kinds of jurisdiction (NIST SP 1500-100 ``ReportingUnitType``, the ones we use)."""

    STATE = "state"
    COUNTY = "county"
    MUNICIPALITY = "municipality"
    WARD = "ward"
    PRECINCT = "precinct"
    OTHER = "other"


class CountItemType(StrEnum):
    """How the ballots of a tally were cast (NIST SP 1500-100 ``CountItemType``)."""

    TOTAL = "total"
    ELECTION_DAY = "election-day"
    ABSENTEE = "absentee"
    EARLY = "early"
    PROVISIONAL = "provisional"


class ResultsStatus(StrEnum):
    """The standing of a count (NIST SP 1500-100 ``ResultsStatus``, plus ``audit``)."""

    UNOFFICIAL_COMPLETE = "unofficial-complete"
    CERTIFIED = "certified"
    RECOUNT = "recount"
    CORRECTION = "correction"
    AUDIT = "audit"


def unit_id(county: CountyName, name: str) -> ReportingUnitId:
    """Return the election-wide id of a reporting unit: county and unit name, ``|``-joined."""
    return f"{county.strip()}|{name.strip()}"


def standard_count_name(label: str) -> CountName:
    """Map the many ways files name a count onto ``original canvass`` or ``recount``.

    Other labels are kept as given, lower-cased and with runs of white space folded.
    """
    folded = " ".join(label.lower().split())
    if "recount" in folded:
        return RECOUNT
    if "original" in folded or "canvass" in folded or folded in {"", "total", "votes"}:
        return ORIGINAL_CANVASS
    return folded


@dataclass(frozen=True, slots=True)
class ReportingUnit:
    """A ward, precinct or other unit whose votes are reported on their own."""

    id: ReportingUnitId
    name: str
    """The name as the official report gives it, e.g. ``"TOWN OF ADAMS Wards 1-3"``."""
    county: CountyName
    municipality: str | None = None
    type: ReportingUnitType = ReportingUnitType.WARD

    @classmethod
    def of(
        cls,
        county: CountyName,
        name: str,
        municipality: str | None = None,
        type: ReportingUnitType = ReportingUnitType.WARD,
    ) -> ReportingUnit:
        """Build a unit whose id is derived from its county and name."""
        return cls(unit_id(county, name), name.strip(), county.strip(), municipality, type)


@dataclass(frozen=True)
class Choice:
    """A candidate (or ticket), write-in or scattering line, or a ballot-question answer."""

    name: ChoiceName
    party: str | None = None
    is_write_in: bool = False

    @property
    def short_name(self) -> str:
        """Return the first name of a ticket ("Jill Stein / Ajamu Baraka" → "Jill Stein")."""
        return self.name.split(" / ", 1)[0]


def match_choice_names(names: Iterable[ChoiceName], query: str) -> list[ChoiceName]:
    """Return the choice names ``query`` means, the most precise way that finds any.

    In turn: the whole name (case aside); a ticket's short name, its first part; the short names
    holding every word of ``query`` as a whole word; the short names holding ``query``. So
    ``Stein`` finds "Jill Stein / Ajamu Baraka" and not "Rocky Roque De La Fuente / Michael
    Steinberg", whose running mate only shares the letters.
    """
    listed = list(names)
    folded = " ".join(query.split()).casefold()
    words = folded.split()

    def short(name: str) -> str:
        return name.split(" / ", 1)[0].casefold()

    tiers = (
        lambda n: n.casefold() == folded,
        lambda n: short(n) == folded,
        lambda n: bool(words) and all(w in short(n).replace(",", " ").split() for w in words),
        lambda n: folded in short(n),
    )
    for tier in tiers:
        found = [n for n in listed if tier(n)]
        if found:
            return found
    return []


@dataclass
class Contest:
    """An office (or question) on the ballot and its choices, in the order the report lists them."""

    name: ContestName
    """The contest's full name, office plus district where there is one."""
    office: str | None = None
    district: str | None = None
    votes_allowed: int = 1
    choices: list[Choice] = field(default_factory=list)

    def choice_names(self) -> list[ChoiceName]:
        """Return the names of the choices in ballot order."""
        return [c.name for c in self.choices]

    def add_choice(self, choice: Choice) -> None:
        """Add ``choice`` unless a choice of that name is already there."""
        if choice.name not in self.choice_names():
            self.choices.append(choice)


_EMPTY = {"i": -(2**31), "q": -(2**63)}
"""The value that marks "no figure" in a column of machine integers, by type code."""

Column: TypeAlias = "array[int] | list[int | None]"
"""One figure per row of a :class:`TallyTable`: 32-bit integers, widened to 64 bits and then to
Python objects only when a figure needs it. A row past the column's end has no figure."""

Columns: TypeAlias = dict[str, Column]

_ROW_NUMBERS: list[int] = []
"""One int object per row number, shared by the row index of every table (a row number over 256
would otherwise be its own 28-byte object in each count)."""


def _row_number(row: int) -> int:
    """Return the shared int object for ``row``."""
    if row >= len(_ROW_NUMBERS):
        _ROW_NUMBERS.extend(range(len(_ROW_NUMBERS), 2 * row + 1024))
    return _ROW_NUMBERS[row]


def _read(column: Column, row: int) -> int | None:
    """Return the figure of ``row`` in ``column``, or ``None`` where it has none."""
    if row >= len(column):
        return None
    if isinstance(column, list):
        return column[row]
    value = column[row]
    return None if value == _EMPTY[column.typecode] else value


def _widen(column: Column, value: object) -> Column:
    """Return ``column`` in a type that can also hold ``value``: 64-bit integers, else objects."""
    if isinstance(column, list):
        return column
    empty = _EMPTY[column.typecode]
    wide = _EMPTY["q"]
    if column.typecode == "i" and type(value) is int and wide < value < -wide:
        return array("q", (wide if v == empty else v for v in column))
    return [None if v == empty else v for v in column]


def _write(columns: Columns, key: str, row: int, value: int | None) -> None:
    """Set the figure of ``row`` in the column ``key`` (``None``: leave the row without one)."""
    column = columns.get(key)
    if column is None:
        if value is None:
            return
        column = columns[key] = array("i")
    length = len(column)
    if not isinstance(column, list) and value is not None:
        if type(value) is not int:  # a bool or a NumPy integer is kept as it is, for checking
            column = columns[key] = _widen(column, value)
        elif row == length and value != _EMPTY[column.typecode]:
            try:
                column.append(value)
                return
            except OverflowError:
                pass
    if row >= length:
        if value is None:
            return
        if isinstance(column, list):
            column.extend([None] * (row + 1 - length))
        else:
            column.extend(repeat(_EMPTY[column.typecode], row + 1 - length))
    if isinstance(column, list):
        column[row] = value
        return
    empty = _EMPTY[column.typecode]
    try:
        if value is not None and value == empty:
            raise OverflowError(value)
        column[row] = empty if value is None else value
    except (OverflowError, TypeError):
        wider = columns[key] = _widen(column, value)
        if isinstance(wider, list):
            wider[row] = value
        else:
            wider[row] = _EMPTY[wider.typecode] if value is None else value


def _column_sum(column: Column) -> tuple[int, int]:
    """Return the sum of a column's figures and how many rows have one."""
    if isinstance(column, list):
        present = [v for v in column if v is not None]
        return sum(present), len(present)
    empty = _EMPTY[column.typecode]
    missing = column.count(empty)
    return sum(column) - missing * empty, len(column) - missing


class _Figures(MutableMapping[str, int]):
    """One row of a group of columns, as a mapping: a tally's votes per choice, its statistics,
    or its votes of one vote type. Reads and writes go to the table."""

    __slots__ = ("_columns", "_row")

    def __init__(self, columns: Columns, row: int) -> None:
        self._columns = columns
        self._row = row

    def __getitem__(self, key: str) -> int:
        column = self._columns.get(key)
        value = None if column is None else _read(column, self._row)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """Return the figure of ``key``, or ``default`` where there is none."""
        column = self._columns.get(key)
        value = None if column is None else _read(column, self._row)
        return default if value is None else value

    def __setitem__(self, key: str, value: int) -> None:
        _write(self._columns, key, self._row, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        _write(self._columns, key, self._row, None)

    def __contains__(self, key: object) -> bool:
        column = self._columns.get(key)  # type: ignore[call-overload]
        return column is not None and _read(column, self._row) is not None

    def present(self) -> dict[str, int]:
        """Return the row's figures as a dict, read in one pass over the columns."""
        row = self._row
        figures: dict[str, Any] = {}
        for key, column in self._columns.items():
            if row < len(column):
                value = column[row]
                if isinstance(column, list):
                    if value is not None:
                        figures[key] = value
                elif value != _EMPTY[column.typecode]:
                    figures[key] = value
        return figures

    def __iter__(self) -> Iterator[str]:
        return iter(self.present())

    def __len__(self) -> int:
        return len(self.present())

    def keys(self) -> KeysView[str]:
        """Return the keys that have a figure on this row."""
        return self.present().keys()

    def items(self) -> ItemsView[str, int]:
        """Return the (key, figure) pairs of this row."""
        return self.present().items()

    def values(self) -> ValuesView[int]:
        """Return the figures of this row."""
        return self.present().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.present() == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self.present())


class _ByType(MutableMapping[str, MutableMapping[ChoiceName, int]]):
    """One row's votes by vote type (``{kind: {choice: votes}}``) as a mapping over the table."""

    __slots__ = ("_row", "_types")

    def __init__(self, types: dict[str, Columns], row: int) -> None:
        self._types = types
        self._row = row

    def __getitem__(self, kind: str) -> MutableMapping[ChoiceName, int]:
        figures = _Figures(self._types.get(kind, {}), self._row)
        if not figures:
            raise KeyError(kind)
        return figures

    def __setitem__(self, kind: str, figures: Mapping[ChoiceName, int]) -> None:
        given = dict(figures)
        columns = self._types.setdefault(kind, {})
        for column in columns:
            _write(columns, column, self._row, None)
        for choice, votes in given.items():
            _write(columns, choice, self._row, votes)

    def setdefault(
        self, kind: str, default: Mapping[ChoiceName, int] | None = None
    ) -> MutableMapping[ChoiceName, int]:
        """Return the votes of ``kind``, first setting them to ``default`` where there are none.

        The mapping returned writes to the table (``by_type.setdefault(kind, {})[c] = n``)."""
        columns = self._types.get(kind)
        if columns is None:
            columns = self._types[kind] = {}
        if default and kind not in self:
            self[kind] = default
        return _Figures(columns, self._row)

    def __delitem__(self, kind: str) -> None:
        if kind not in self:
            raise KeyError(kind)
        self[kind] = {}

    def __contains__(self, kind: object) -> bool:
        return bool(_Figures(self._types.get(kind, {}), self._row))  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[str]:
        return iter([k for k, c in self._types.items() if _Figures(c, self._row).present()])

    def items(self) -> ItemsView[str, MutableMapping[ChoiceName, int]]:
        """Return each vote type that has figures on this row, with its figures."""
        row = self._row
        return {
            k: _Figures(c, row) for k, c in self._types.items() if _Figures(c, row).present()
        }.items()

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr({k: dict(v) for k, v in self.items()})


@dataclass
class _TallyFields:
    """The fields of :class:`UnitTally`, for :func:`dataclasses.replace` and ``fields``."""

    votes: dict[ChoiceName, int] = field(default_factory=dict)
    ballots_cast: int | None = None
    source: FileLocation | None = None
    statistics: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, dict[ChoiceName, int]] = field(default_factory=dict)


class UnitTally:
    """The votes for each choice in one reporting unit, and the ballots cast where known.

    A tally of a :class:`ContestCount` is a view of one row of the count's
    :class:`TallyTable` (its figures are kept in columns there, not in objects of their own);
    a tally built on its own holds plain dicts until it is put into a count.

    ``statistics``: figures of this contest in this unit that are no choice's votes
    (:data:`UNIT_STATISTICS`: under votes, over votes), kept apart so they never count as a
    candidate's votes. ``by_type``: votes per choice by how they were cast (``absentee by
    mail``, ``election day``, ...), where the file breaks them down (NIST SP 1500-100
    ``CountItemType``). ``source``: where the row came from, so every number can be traced.
    """

    __slots__ = ("_ballots", "_by_type", "_row", "_source", "_statistics", "_table", "_votes")
    __dataclass_fields__: ClassVar[dict[str, Any]] = _TallyFields.__dataclass_fields__
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        votes: Mapping[ChoiceName, int] | None = None,
        ballots_cast: int | None = None,
        source: FileLocation | None = None,
        statistics: Mapping[str, int] | None = None,
        by_type: Mapping[str, Mapping[ChoiceName, int]] | None = None,
    ) -> None:
        self._table: TallyTable | None = None
        self._row = 0
        self._votes: dict[ChoiceName, int] | None = _own(votes)
        self._ballots = ballots_cast
        self._source = source
        self._statistics: dict[str, int] | None = _own(statistics)
        self._by_type: dict[str, dict[ChoiceName, int]] | None = {
            kind: _own(figures) for kind, figures in (by_type or {}).items()
        }

    @property
    def votes(self) -> MutableMapping[ChoiceName, int]:
        """The votes of each choice."""
        if self._table is None:
            return self._votes  # type: ignore[return-value]
        return _Figures(self._table._votes, self._row)

    @votes.setter
    def votes(self, votes: MutableMapping[ChoiceName, int]) -> None:
        if self._table is None:
            self._votes = _own(votes)
        else:
            self._table._fill(self._table._votes, self._row, dict(votes))

    @property
    def ballots_cast(self) -> int | None:
        """The ballots cast in the unit (for this contest where the file says so)."""
        if self._table is None:
            return self._ballots
        return _read(self._table._ballots, self._row)

    @ballots_cast.setter
    def ballots_cast(self, value: int | None) -> None:
        if self._table is None:
            self._ballots = value
        else:
            self._table._set_ballots(self._row, value)

    @property
    def source(self) -> FileLocation | None:
        """Where in which file the tally was read."""
        if self._table is None:
            return self._source
        return self._table._source_of(self._row)

    @source.setter
    def source(self, value: FileLocation | None) -> None:
        if self._table is None:
            self._source = value
        else:
            self._table._set_source(self._row, value)

    @property
    def statistics(self) -> MutableMapping[str, int]:
        """Figures that are no choice's votes: under votes, over votes."""
        if self._table is None:
            return self._statistics  # type: ignore[return-value]
        return _Figures(self._table._statistics, self._row)

    @statistics.setter
    def statistics(self, figures: MutableMapping[str, int]) -> None:
        if self._table is None:
            self._statistics = _own(figures)
        else:
            self._table._fill(self._table._statistics, self._row, dict(figures))

    @property
    def by_type(self) -> MutableMapping[str, MutableMapping[ChoiceName, int]]:
        """Votes per choice by vote type."""
        if self._table is None:
            return self._by_type  # type: ignore[return-value]
        return _ByType(self._table._types, self._row)

    @by_type.setter
    def by_type(self, figures: MutableMapping[str, MutableMapping[ChoiceName, int]]) -> None:
        if self._table is None:
            self._by_type = {kind: _own(by_choice) for kind, by_choice in figures.items()}
        else:
            given = {kind: dict(by_choice) for kind, by_choice in figures.items()}
            view = _ByType(self._table._types, self._row)
            for kind in list(view):
                del view[kind]
            for kind, by_choice in given.items():
                view[kind] = by_choice

    @property
    def total_votes(self) -> int:
        """Return the sum of the votes over all choices."""
        return sum(self.votes.values())

    def _fields(self) -> tuple[object, ...]:
        """Return the tally's figures as plain values, for comparing, copying and showing."""
        table = self._table
        if table is None:
            by_type = {kind: dict(figures) for kind, figures in (self._by_type or {}).items()}
            votes, statistics = dict(self._votes or {}), dict(self._statistics or {})
            return votes, self._ballots, self._source, statistics, by_type
        row = self._row
        by_type = {}
        for kind, columns in table._types.items():
            figures = _Figures(columns, row).present()
            if figures:
                by_type[kind] = figures
        votes = _Figures(table._votes, row).present()
        statistics = _Figures(table._statistics, row).present()
        return votes, self.ballots_cast, self.source, statistics, by_type

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnitTally):
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        names = ("votes", "ballots_cast", "source", "statistics", "by_type")
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"UnitTally({shown})"


def _own(figures: Mapping[str, int] | None) -> dict[str, int]:
    """Return ``figures`` as a dict of its own: the same dict if it is one, else a copy."""
    if figures is None:
        return {}
    return figures if type(figures) is dict else dict(figures)


class TallyTable(MutableMapping[ReportingUnitId, UnitTally]):
    """The unit tallies of one count, kept in columns: a mapping of unit id → :class:`UnitTally`.

    Each choice's votes, each statistic, each vote type's votes per choice, the ballots cast and
    the source row are one array of 32-bit integers with one entry per unit, rather than dicts
    per unit: a statewide precinct file's millions of tallies then take tens of bytes each
    instead of some 1.6 KB (issue 11, "a 1 GB OpenElections CSV imports in bounded memory").
    ``table[uid]`` is a view of the unit's row; ``table[uid] = tally`` copies a tally in (and
    makes ``tally`` that view).
    """

    __slots__ = (
        "_ballots",
        "_holes",
        "_next",
        "_origin_ids",
        "_origin_of",
        "_origins",
        "_rows",
        "_source_rows",
        "_statistics",
        "_types",
        "_votes",
    )

    def __init__(self, tallies: Mapping[ReportingUnitId, UnitTally] | None = None) -> None:
        self._rows: dict[ReportingUnitId, int] = {}
        self._next = 0
        self._holes = False
        self._votes: Columns = {}
        self._statistics: Columns = {}
        self._types: dict[str, Columns] = {}
        self._ballots: Column = array("i")
        self._source_rows: Column = array("i")
        self._origin_of: Column = array("i")
        self._origins: list[tuple[str, str | None, str | None]] = []
        self._origin_ids: dict[tuple[str, str | None, str | None], int] = {}
        if tallies:
            self.update(tallies)

    def row(self, uid: ReportingUnitId, source: FileLocation | None = None) -> int:
        """Return the row of ``uid``, adding an empty tally (from ``source``) if it has none."""
        row = self._rows.get(uid)
        if row is None:
            row = self._rows[uid] = _row_number(self._next)
            self._next += 1
            if source is not None:
                self._set_source(row, source)
        return row

    def row_of(self, uid: ReportingUnitId) -> int | None:
        """Return the row of ``uid``, or ``None`` where the table has no tally for it."""
        return self._rows.get(uid)

    def vote(self, row: int, choice: ChoiceName) -> int | None:
        """Return the votes of ``choice`` on ``row``, or ``None`` where there are none."""
        column = self._votes.get(choice)
        return None if column is None else _read(column, row)

    def set_vote(self, row: int, choice: ChoiceName, votes: int) -> None:
        """Set the votes of ``choice`` on ``row``."""
        _write(self._votes, choice, row, votes)

    def set_by_type(self, row: int, kind: str, choice: ChoiceName, votes: int) -> None:
        """Set the votes of ``choice`` of vote type ``kind`` on ``row``."""
        columns = self._types.get(kind)
        if columns is None:
            columns = self._types[kind] = {}
        _write(columns, choice, row, votes)

    def rows(self) -> ItemsView[ReportingUnitId, int]:
        """Return each unit id with its row, in the order the tallies were added."""
        return self._rows.items()

    def add_statistic(self, row: int, name: str, value: int) -> int:
        """Add ``value`` to the statistic ``name`` of ``row``; return the statistic's sum."""
        column = self._statistics.get(name)
        known = None if column is None else _read(column, row)
        total = value if known is None else known + value
        _write(self._statistics, name, row, total)
        return total

    def statistics_of(self, row: int) -> MutableMapping[str, int]:
        """Return the statistics of ``row`` as a mapping that reads and writes the columns
        (a whole unit's figures on :attr:`Election.unit_statistics`, without a dict per unit)."""
        return _Figures(self._statistics, row)

    def ballots_cast(self, row: int) -> int | None:
        """Return the ballots cast of ``row``, where known."""
        return _read(self._ballots, row)

    def set_ballots_cast(self, row: int, value: int | None) -> None:
        """Set the ballots cast of ``row`` (``None``: unknown)."""
        self._set_ballots(row, value)

    def source(self, row: int) -> FileLocation | None:
        """Return the place in a file the tally of ``row`` was read from."""
        return self._source_of(row)

    def __getitem__(self, uid: ReportingUnitId) -> UnitTally:
        row = self._rows[uid]
        tally = UnitTally.__new__(UnitTally)
        tally._table, tally._row = self, row
        tally._votes = tally._statistics = tally._by_type = None
        tally._ballots = tally._source = None
        return tally

    def __setitem__(self, uid: ReportingUnitId, tally: UnitTally) -> None:
        if tally._table is self and self._rows.get(uid) == tally._row:
            return
        votes, ballots, source, statistics, by_type = tally._fields()
        row = self._rows.get(uid)
        if row is None:
            row = self.row(uid)
        else:
            self._clear(row)
        for key, value in votes.items():  # type: ignore[attr-defined]
            _write(self._votes, key, row, value)
        for key, value in statistics.items():  # type: ignore[attr-defined]
            _write(self._statistics, key, row, value)
        for kind, figures in by_type.items():  # type: ignore[attr-defined]
            columns = self._types.setdefault(kind, {})
            for key, value in figures.items():
                _write(columns, key, row, value)
        if ballots is not None:
            self._set_ballots(row, ballots)  # type: ignore[arg-type]
        if source is not None:
            self._set_source(row, source)  # type: ignore[arg-type]
        tally._table, tally._row = self, row
        tally._votes = tally._statistics = tally._by_type = None
        tally._ballots = tally._source = None

    def __delitem__(self, uid: ReportingUnitId) -> None:
        row = self._rows.pop(uid)
        self._clear(row)
        self._holes = True

    def __contains__(self, uid: object) -> bool:
        return uid in self._rows

    def __iter__(self) -> Iterator[ReportingUnitId]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def keys(self) -> KeysView[ReportingUnitId]:
        """Return the unit ids, in the order the tallies were added."""
        return self._rows.keys()

    def __repr__(self) -> str:
        return f"TallyTable({dict(self.items())!r})"

    def totals(self) -> dict[ChoiceName, int]:
        """Return the votes per choice summed over all units, column by column."""
        totals: dict[ChoiceName, int] = {}
        for choice, column in self._votes.items():
            if self._holes:
                values = [_read(column, row) for row in self._rows.values()]
                present = [v for v in values if v is not None]
                total, count = sum(present), len(present)
            else:
                total, count = _column_sum(column)
            if count:
                totals[choice] = total
        return totals

    def _fill(self, columns: Columns, row: int, figures: Mapping[str, int]) -> None:
        """Make ``figures`` the figures of ``row`` in ``columns`` (others cleared)."""
        for key in columns:
            if key not in figures:
                _write(columns, key, row, None)
        for key, value in figures.items():
            _write(columns, key, row, value)

    def _clear(self, row: int) -> None:
        """Leave ``row`` without any figure."""
        for columns in (self._votes, self._statistics, *self._types.values()):
            self._fill(columns, row, {})
        self._set_ballots(row, None)
        self._set_source(row, None)

    def _set_ballots(self, row: int, value: int | None) -> None:
        holder = {"": self._ballots}
        _write(holder, "", row, value)
        self._ballots = holder[""]

    def _source_of(self, row: int) -> FileLocation | None:
        origin = _read(self._origin_of, row)
        if origin is None:
            return None
        file, sheet, column = self._origins[origin]
        return FileLocation(file, sheet, _read(self._source_rows, row), column)

    def _set_source(self, row: int, source: FileLocation | None) -> None:
        holder = {"origin": self._origin_of, "row": self._source_rows}
        if source is None:
            _write(holder, "origin", row, None)
            _write(holder, "row", row, None)
        else:
            key = (source.file, source.sheet, source.column)
            origin = self._origin_ids.get(key)
            if origin is None:
                origin = self._origin_ids[key] = len(self._origins)
                self._origins.append(key)
            _write(holder, "origin", row, origin)
            _write(holder, "row", row, source.row)
        self._origin_of, self._source_rows = holder["origin"], holder["row"]


@dataclass
class ContestCount:
    """One named tally of a contest, unit by unit (e.g. the original canvass or the recount).

    ``units`` is a :class:`TallyTable` (a dict of tallies given is copied into one).
    """

    contest: ContestName
    name: CountName
    status: ResultsStatus = ResultsStatus.CERTIFIED
    count_item_type: CountItemType = CountItemType.TOTAL
    units: MutableMapping[ReportingUnitId, UnitTally] = field(default_factory=lambda: TallyTable())

    def __post_init__(self) -> None:
        if not isinstance(self.units, TallyTable):
            self.units = TallyTable(self.units)

    @property
    def table(self) -> TallyTable:
        """Return ``units`` as the :class:`TallyTable` it is (made one if it was replaced)."""
        if not isinstance(self.units, TallyTable):
            self.units = TallyTable(self.units)
        return self.units

    def totals(self) -> dict[ChoiceName, int]:
        """Return the votes per choice summed over all units."""
        return self.table.totals()

    @property
    def total_votes(self) -> int:
        """Return the sum of all votes in all units."""
        return sum(self.totals().values())

    def set_votes(self, unit: ReportingUnitId, choice: ChoiceName, votes: int) -> None:
        """Record ``votes`` for ``choice`` in ``unit``, creating the unit's tally if needed."""
        table = self.table
        table.set_vote(table.row(unit), choice, votes)


@dataclass
class Election:
    """An election: its contests, its reporting units and every count of every contest."""

    name: str
    date: date | None = None
    state: str | None = None
    """Two-letter postal code of the state, where known."""
    contests: dict[ContestName, Contest] = field(default_factory=dict)
    units: dict[ReportingUnitId, ReportingUnit] = field(default_factory=dict)
    counts: list[ContestCount] = field(default_factory=list)
    unit_statistics: dict[ReportingUnitId, MutableMapping[str, int]] = field(default_factory=dict)
    """Figures of a whole unit, not of one contest: registered voters and ballots cast."""

    def add_unit(self, unit: ReportingUnit) -> ReportingUnit:
        """Add ``unit`` if new and return the stored unit with its id."""
        return self.units.setdefault(unit.id, unit)

    def contest(self, name: ContestName) -> Contest:
        """Return the contest called ``name``; a case-insensitive or unique partial match works.

        Raises :class:`PapertallyError` naming the contests there are if none (or several) match.
        """
        if name in self.contests:
            return self.contests[name]
        folded = name.casefold()
        exact = [c for n, c in self.contests.items() if n.casefold() == folded]
        partial = exact or [c for n, c in self.contests.items() if folded in n.casefold()]
        if len(partial) == 1:
            return partial[0]
        known = ", ".join(repr(n) for n in self.contests) or "none"
        if partial:
            raise PapertallyError(f"contest {name!r} matches several contests: {known}")
        raise PapertallyError(f"no contest {name!r} in {self.name!r}; contests are: {known}")

    def counts_of(self, contest: ContestName) -> list[ContestCount]:
        """Return every count of ``contest`` in the order they were added."""
        return [c for c in self.counts if c.contest == contest]

    def count(self, contest: ContestName, name: CountName) -> ContestCount:
        """Return the count called ``name`` of ``contest``; raise a clear error if absent."""
        for candidate in self.counts_of(contest):
            if candidate.name == name:
                return candidate
        known = ", ".join(repr(c.name) for c in self.counts_of(contest)) or "none"
        raise PapertallyError(f"contest {contest!r} has no count {name!r}; counts are: {known}")

    def counties(self) -> list[CountyName]:
        """Return the counties of the election's reporting units, in the order first seen."""
        return list(dict.fromkeys(u.county for u in self.units.values()))

    def iter_unit_tallies(self) -> Iterator[tuple[ContestCount, ReportingUnit, UnitTally]]:
        """Yield every (count, unit, tally) triple, for writers and the store."""
        for count in self.counts:
            for uid, tally in count.units.items():
                yield count, self.units[uid], tally

    def merge(self, other: Election) -> None:
        """Add the contests, units and counts of ``other`` (e.g. a second file of one election).

        A count of the same contest and name in both (one election published as a file per
        county) becomes one count over the units of both, but only where no unit is in both:
        one file can never silently overwrite another's numbers.
        """
        mine = {(c.contest, c.name): c for c in self.counts}
        for count in other.counts:
            same = mine.get((count.contest, count.name))
            if same is None:
                continue
            shared = next((u for u in count.units if u in same.units), None)
            if shared is not None:
                raise PapertallyError(
                    f"count {count.name!r} of contest {count.contest!r} is in more than one file "
                    f"with the same reporting unit {shared!r}"
                )
        for name, contest in other.contests.items():
            kept = self.contests.setdefault(name, contest)
            for choice in contest.choices:
                kept.add_choice(choice)
        for unit in other.units.values():
            self.add_unit(unit)
        for count in other.counts:
            same = mine.get((count.contest, count.name))
            if same is None:
                self.counts.append(count)
            else:
                same.units.update(count.units)
        for uid, figures in other.unit_statistics.items():
            self.unit_statistics.setdefault(uid, {}).update(figures)
        self.date = self.date or other.date
        self.state = self.state or other.state


@dataclass(frozen=True)
class ImportWarning:
    """Something in a file that does not add up but does not stop the import."""

    location: FileLocation
    message: str

    def describe(self) -> str:
        """Return the warning with its place in the file."""
        return f"{self.location.describe()}: {self.message}"


@dataclass
class ImportResult:
    """What reading one or more files produced: the election and every warning found."""

    election: Election
    files: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    """The format detected for each file, e.g. ``"wec-ward-report"``."""
    warnings: list[ImportWarning] = field(default_factory=list)
    errors: list[ImportWarning] = field(default_factory=list)
    """Problems that left a contest out while the file's other contests were read (a unit
    listed twice with different figures); ``--strict`` refuses the files instead."""


def sum_votes(tallies: Iterable[UnitTally]) -> dict[ChoiceName, int]:
    """Return the votes per choice summed over ``tallies``."""
    totals: dict[ChoiceName, int] = {}
    for tally in tallies:
        for choice, votes in tally.votes.items():
            totals[choice] = totals.get(choice, 0) + votes
    return totals
