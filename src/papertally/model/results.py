"""Elections, contests, reporting units and counts (tallies of votes per choice per unit).

A *count* (:class:`ContestCount`) is one named tally of one contest over many reporting units:
the original canvass, the recount, later an audit's hand count. Reconciliation compares two
counts of the same contest unit by unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

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


@dataclass(frozen=True)
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


@dataclass(slots=True)
class UnitTally:
    """The votes for each choice in one reporting unit, and the ballots cast where known."""

    votes: dict[ChoiceName, int] = field(default_factory=dict)
    ballots_cast: int | None = None
    source: FileLocation | None = None
    """Where this row came from, so every number can be traced back to a file row."""
    statistics: dict[str, int] = field(default_factory=dict)
    """Figures of this contest in this unit that are no choice's votes (:data:`UNIT_STATISTICS`:
    under votes, over votes), kept apart so they never count as a candidate's votes."""
    by_type: dict[str, dict[ChoiceName, int]] = field(default_factory=dict)
    """Votes per choice by how they were cast (``absentee by mail``, ``election day``, ...),
    where the file breaks them down (NIST SP 1500-100 ``CountItemType``)."""

    @property
    def total_votes(self) -> int:
        """Return the sum of the votes over all choices."""
        return sum(self.votes.values())


@dataclass
class ContestCount:
    """One named tally of a contest, unit by unit (e.g. the original canvass or the recount)."""

    contest: ContestName
    name: CountName
    status: ResultsStatus = ResultsStatus.CERTIFIED
    count_item_type: CountItemType = CountItemType.TOTAL
    units: dict[ReportingUnitId, UnitTally] = field(default_factory=dict)

    def totals(self) -> dict[ChoiceName, int]:
        """Return the votes per choice summed over all units."""
        return sum_votes(self.units.values())

    @property
    def total_votes(self) -> int:
        """Return the sum of all votes in all units."""
        return sum(t.total_votes for t in self.units.values())

    def set_votes(self, unit: ReportingUnitId, choice: ChoiceName, votes: int) -> None:
        """Record ``votes`` for ``choice`` in ``unit``, creating the unit's tally if needed."""
        self.units.setdefault(unit, UnitTally()).votes[choice] = votes


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
    unit_statistics: dict[ReportingUnitId, dict[str, int]] = field(default_factory=dict)
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
