"""NIST SP 1500-100 v2 election results reports (ERR), JSON or XML: the contest totals.

Only what the CVR round trip needs is read: each contest's votes per selection for the
election's scope (the ``ElectionScopeId`` reporting unit, else the contest's
``ElectionDistrictId``). Where a selection has a ``total`` count for that unit it is used;
otherwise its counts by vote type (election day, absentee, ...) are summed. Selections are
named as the CVR reader names them (:func:`papertally.io.cvr.nist.selection_name`), so the
totals compare with CVR tallies name for name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertally.errors import FileLocation, InputFileError
from papertally.io.cvr.common import InputPart, load_json
from papertally.io.cvr.nist import element_to_dict, iter_xml, many, one, selection_name, text_of
from papertally.model.results import ContestCount, ResultsStatus, UnitTally, unit_id
from papertally.types import ChoiceName, ContestName


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
