"""NIST SP 1500-100 v2 election results reports (ERR), JSON or XML.

:func:`read_err_results` imports a report as results (every contest, unit by unit) for
``papertally import``/``inspect``. For the CVR round trip :func:`read_err_totals` reads only
each contest's votes per selection for the election's scope (the ``ElectionScopeId``
reporting unit, else the contest's ``ElectionDistrictId``). Where a selection has a ``total``
count for that unit it is used; otherwise its counts by vote type (election day, absentee, ...)
are summed. Selections are named as the CVR reader names them
(:func:`papertally.io.cvr.nist.selection_name`), so the totals compare with CVR tallies name
for name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from papertally.errors import FileLocation, InputFileError
from papertally.io.cvr.common import InputPart, load_json
from papertally.io.cvr.nist import element_to_dict, iter_xml, many, one, selection_name, text_of
from papertally.io.detect import NIST_ERR_FORMAT
from papertally.model.results import (
    BALLOTS_CAST,
    ORIGINAL_CANVASS,
    OVER_VOTES,
    UNDER_VOTES,
    Choice,
    Contest,
    ContestCount,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
    sum_votes,
    unit_id,
)
from papertally.types import ChoiceName, ContestName, ReportingUnitId


@dataclass
class ErrTotals:
    """Contest totals of one ERR file, by name and by NIST ids."""

    scope: str
    """The id of the reporting unit the totals are for."""
    votes: dict[ContestName, dict[ChoiceName, int]] = field(default_factory=dict)
    votes_by_id: dict[str, dict[str, int]] = field(default_factory=dict)
    """Contest id → selection id → votes."""

    def contest_counts(self, county: str, count_name: str = "err") -> list[ContestCount]:
        """Return the totals as results-model counts with one unit, the election's scope."""
        counts = []
        for contest, votes in self.votes.items():
            count = ContestCount(contest, count_name, status=ResultsStatus.UNOFFICIAL_COMPLETE)
            count.units[unit_id(county, self.scope)] = UnitTally(dict(votes))
            counts.append(count)
        return counts


def _load(path: Path) -> tuple[Any, list[Any], list[Any]]:
    """Return (election, parties, gp units) of an ERR file as JSON-like data."""
    part = InputPart(path, path)
    head = part.head(4096).lstrip()
    if not head:
        raise part.error("the file is empty")
    if head[:1] == b"<":
        election: Any = None
        parties: list[Any] = []
        units: list[Any] = []
        for tag, element in iter_xml(part, {"Election", "Party", "GpUnit"}):
            data = element_to_dict(element)
            if tag == "Election" and election is None:
                election = data
            elif tag == "Party":
                parties.append(data)
            elif tag == "GpUnit":
                units.append(data)
        return election, parties, units
    report = load_json(part)
    if not isinstance(report, dict):
        raise part.error("expected an ElectionReport object")
    return one(report, "Election"), many(report, "Party"), many(report, "GpUnit")


def read_err_totals(path: Path) -> ErrTotals:
    """Return the contest totals for the election's scope from an ERR JSON or XML file."""
    election, parties_node, _ = _load(path)
    if election is None:
        raise InputFileError(FileLocation(str(path)), "no 'Election' in the results report")
    candidates = {
        str(c.get("@id")): text_of(one(c, "BallotName")) or text_of(one(c, "Name")) or ""
        for c in many(election, "Candidate")
    }
    parties = {str(p.get("@id")): text_of(one(p, "Name")) or "" for p in parties_node}
    scope = text_of(one(election, "ElectionScopeId")) or ""
    totals = ErrTotals(scope)
    for contest in many(election, "Contest"):
        contest_id = str(contest.get("@id"))
        name = text_of(one(contest, "Name")) or contest_id
        unit = scope or text_of(one(contest, "ElectionDistrictId")) or ""
        by_name = totals.votes.setdefault(name, {})
        by_id = totals.votes_by_id.setdefault(contest_id, {})
        for selection in many(contest, "ContestSelection"):
            counts = [
                vc for vc in many(selection, "VoteCounts") if text_of(one(vc, "GpUnitId")) == unit
            ]
            total = [vc for vc in counts if text_of(one(vc, "Type")) == "total"]
            chosen = total or counts
            votes = sum(int(float(text_of(one(vc, "Count")) or 0)) for vc in chosen)
            choice = selection_name(selection, candidates, parties)
            by_name[choice] = by_name.get(choice, 0) + votes
            by_id[str(selection.get("@id"))] = votes
    return totals


_LEAF_TYPES = frozenset(
    {"precinct", "split-precinct", "ward", "polling-place", "vote-center", "ballot-batch"}
)
"""GpUnit types that are the smallest reporting units; counts of others (county, state,
``other``) aggregate them and are checked against their sum, not imported as units."""
_UNIT_TYPES = {
    "precinct": ReportingUnitType.PRECINCT,
    "split-precinct": ReportingUnitType.PRECINCT,
    "ward": ReportingUnitType.WARD,
    "county": ReportingUnitType.COUNTY,
    "municipality": ReportingUnitType.MUNICIPALITY,
    "town": ReportingUnitType.MUNICIPALITY,
    "city": ReportingUnitType.MUNICIPALITY,
    "state": ReportingUnitType.STATE,
}
_OTHER_COUNTS = {"overvotes": OVER_VOTES, "undervotes": UNDER_VOTES}


def _count(node: Any, location: FileLocation, contest: str) -> int:
    """Return a ``Count`` of a NIST node as a whole number, or raise naming the node (its path
    from the contest is the location's column)."""
    text = text_of(one(node, "Count"))
    try:
        value = float(text or "")
    except ValueError:
        value = -1.0
    if value < 0 or not value.is_integer():
        raise InputFileError(
            location, f"expected a whole count of votes in {contest!r}, found {text!r}"
        )
    return int(value)


def read_err_results(path: Path) -> ImportResult:
    """Read an ERR file (JSON or XML) as results: every contest, unit by unit.

    The units are the GpUnits of the smallest kind that has counts (precincts, wards...); where
    the file also gives a county's or the election's totals they are checked against the units'
    sum and any difference becomes an :class:`ImportWarning`. Counts by vote type are kept as
    the tallies' ``by_type``; ``OtherCounts`` over/under votes and ``BallotCounts`` ballots cast
    as unit statistics (NIST SP 1500-100 v2, ``VoteCounts``, ``OtherCounts``, ``BallotCounts``).
    """
    where = FileLocation(str(path))
    election_node, parties_node, units_node = _load(path)
    if election_node is None:
        raise InputFileError(where, "no 'Election' in the results report")
    gp: dict[str, tuple[str, str]] = {}
    for unit in units_node:
        ident = str(unit.get("@id")) if isinstance(unit, dict) else ""
        gp[ident] = (
            text_of(one(unit, "Name")) or ident,
            (text_of(one(unit, "Type")) or "").lower(),
        )
    candidates = {
        str(c.get("@id")): text_of(one(c, "BallotName")) or text_of(one(c, "Name")) or ""
        for c in many(election_node, "Candidate")
    }
    parties = {str(p.get("@id")): text_of(one(p, "Name")) or "" for p in parties_node}
    scope = text_of(one(election_node, "ElectionScopeId")) or ""
    county = gp.get(scope, (scope, ""))[0]
    start = text_of(one(election_node, "StartDate")) or ""
    try:
        day = date.fromisoformat(start[:10]) if start else None
    except ValueError:
        day = None
    election = Election(name=text_of(one(election_node, "Name")) or path.stem, date=day)
    warnings: list[ImportWarning] = []

    def unit_of(ident: str) -> ReportingUnitId:
        name, kind = gp.get(ident, (ident, ""))
        unit = ReportingUnit.of(county, name, None, _UNIT_TYPES.get(kind, ReportingUnitType.OTHER))
        return election.add_unit(unit).id

    for contest_node in many(election_node, "Contest"):
        name = text_of(one(contest_node, "Name")) or str(contest_node.get("@id"))
        allowed = text_of(one(contest_node, "VotesAllowed"))
        contest = Contest(name, office=name, votes_allowed=int(allowed) if allowed else 1)
        election.contests.setdefault(name, contest)
        by_unit: dict[str, dict[ChoiceName, dict[str, int]]] = {}
        for selection in many(contest_node, "ContestSelection"):
            choice = selection_name(selection, candidates, parties)
            contest.add_choice(Choice(choice, is_write_in=choice == "Write-in"))
            for vc in many(selection, "VoteCounts"):
                unit_id_ = text_of(one(vc, "GpUnitId")) or ""
                kind = text_of(one(vc, "Type")) or "total"
                figures = by_unit.setdefault(unit_id_, {}).setdefault(choice, {})
                node = f"Contest {name!r} / ContestSelection {choice!r} / VoteCounts {unit_id_!r}"
                counted = _count(vc, FileLocation(str(path), column=f"{node} / Count"), name)
                figures[kind] = figures.get(kind, 0) + counted
        leaves = [u for u in by_unit if gp.get(u, ("", ""))[1] in _LEAF_TYPES] or list(by_unit)
        count = ContestCount(name, ORIGINAL_CANVASS, ResultsStatus.CERTIFIED)
        for ident in leaves:
            tally = UnitTally(source=where)
            for choice, figures in by_unit[ident].items():
                parts = {k: v for k, v in figures.items() if k != "total"}
                tally.votes[choice] = figures.get("total", sum(parts.values()))
                for kind, votes in parts.items():
                    tally.by_type.setdefault(kind, {})[choice] = votes
            count.units[unit_of(ident)] = tally
        sums = sum_votes(count.units.values())
        for ident in by_unit.keys() - set(leaves):
            stated = {c: f.get("total", sum(f.values())) for c, f in by_unit[ident].items()}
            for choice, votes in stated.items():
                if votes != sums.get(choice, 0):
                    warnings.append(
                        ImportWarning(
                            where,
                            f"{gp.get(ident, (ident, ''))[0]!r} reports {votes:,} for {choice!r} "
                            f"in {name!r} but its units add up to {sums.get(choice, 0):,}",
                        )
                    )
        for other in many(contest_node, "OtherCounts"):
            ident = text_of(one(other, "GpUnitId")) or ""
            if ident not in leaves:
                continue
            tally = count.units[unit_of(ident)]
            for key, statistic in _OTHER_COUNTS.items():
                value = text_of(one(other, key.capitalize()))
                if value:
                    tally.statistics[statistic] = int(float(value))
        election.counts.append(count)
    for ballots in many(election_node, "BallotCounts"):
        ident = text_of(one(ballots, "GpUnitId")) or ""
        cast = text_of(one(ballots, "BallotsCast"))
        if cast and gp.get(ident, ("", ""))[1] in _LEAF_TYPES:
            uid = unit_of(ident)
            election.unit_statistics.setdefault(uid, {})[BALLOTS_CAST] = int(float(cast))
    if not election.counts:
        raise InputFileError(where, "the results report has no contest")
    return ImportResult(election, [str(path)], [NIST_ERR_FORMAT], warnings)
