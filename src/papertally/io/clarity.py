"""Clarity (Scytl) election-night results XML, ``detail.xml``: county or precinct detail.

The root ``ElectionResult`` names the election (``ElectionName``, ``ElectionDate``, ``Region``);
its turnout element lists the units, ``County`` elements in a state's file (the county is the
unit) or ``Precinct`` elements in a county's file (``Region`` is the county), with ballots cast
and registered voters. Each ``Contest`` holds ``Choice`` elements whose ``VoteType`` children
(election day, early, absentee, provisional...) give votes per unit: a unit's votes are their
sum, and each vote type is kept on :attr:`UnitTally.by_type`. ``VoteType`` elements directly under
a contest (undervotes, overvotes) become unit statistics. A choice's ``totalVotes`` is checked
against the sum of its units (a difference is an :class:`ImportWarning`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from papertally.errors import FileLocation, InputFileError
from papertally.io.detect import CLARITY_FORMAT
from papertally.io.naming import make_choice
from papertally.model.results import (
    BALLOTS_CAST,
    ORIGINAL_CANVASS,
    OVER_VOTES,
    REGISTERED_VOTERS,
    UNDER_VOTES,
    Contest,
    ContestCount,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
)
from papertally.types import ReportingUnitId

_STATISTICS = {"undervotes": UNDER_VOTES, "overvotes": OVER_VOTES}


def _number(element: ElementTree.Element, attribute: str, where: FileLocation) -> int:
    """Return a whole-number attribute of ``element``, or raise naming the element and attribute
    (as the location's column: ``Contest 'X' / Choice 'Y' / Election Day / Precinct 'Z'``)."""
    name = element.get("name") or element.get("text") or ""
    path = f"{where.column} / " if where.column else ""
    where = replace(where, column=f"{path}{element.tag} {name!r} {attribute}=".replace(" ''", ""))
    text = element.get(attribute, "")
    try:
        value = int(text.replace(",", ""))
    except ValueError:
        raise InputFileError(
            where, f"expected a whole number in {attribute}= of <{element.tag}>, found {text!r}"
        ) from None
    if value < 0:
        raise InputFileError(where, f"expected a count in {attribute}=, found {value}")
    return value


def read_clarity(path: Path) -> ImportResult:
    """Read a Clarity ``detail.xml`` file into one election with one count per contest."""
    where = FileLocation(str(path))
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        line, column = error.position
        raise InputFileError(
            FileLocation(str(path), row=line),
            f"broken XML at line {line}, column {column} (is the file truncated?)",
        ) from None
    region = (root.findtext("Region") or "").strip()
    text = (root.findtext("ElectionDate") or "").strip()
    try:
        day = datetime.strptime(text, "%m/%d/%Y").date() if text else None
    except ValueError:
        day = None
    state = region.upper() if len(region) == 2 else None
    election = Election(
        name=(root.findtext("ElectionName") or path.stem).strip(), date=day, state=state
    )
    turnout = root.find("ElectionVoterTurnout")
    if turnout is None:
        turnout = root.find("VoterTurnout")
    counties = turnout is not None and turnout.find("Counties") is not None
    tag = "County" if counties else "Precinct"
    kind = ReportingUnitType.COUNTY if counties else ReportingUnitType.PRECINCT

    def unit_of(name: str) -> ReportingUnitId:
        county = name if counties else region
        return election.add_unit(ReportingUnit.of(county, name, None, kind)).id

    if turnout is not None:
        for element in turnout.iter(tag):
            uid = unit_of(element.get("name", ""))
            figures = election.unit_statistics.setdefault(uid, {})
            figures[BALLOTS_CAST] = _number(element, "ballotsCast", where)
            voters = _number(element, "totalVoters", where)
            if voters:
                figures[REGISTERED_VOTERS] = voters
    warnings: list[ImportWarning] = []
    for contest_node in root.iter("Contest"):
        name = " ".join(contest_node.get("text", "").split())
        if not name:
            raise InputFileError(where, f"a <Contest key={contest_node.get('key')!r}> has no text=")
        allowed = contest_node.get("voteFor", "1")
        contest = election.contests.setdefault(
            name, Contest(name, office=name, votes_allowed=int(allowed) if allowed.isdigit() else 1)
        )
        count = ContestCount(name, ORIGINAL_CANVASS, ResultsStatus.UNOFFICIAL_COMPLETE)
        for vote_type in contest_node.findall("VoteType"):
            statistic = _STATISTICS.get(vote_type.get("name", "").casefold())
            if statistic is None:
                continue
            inside = replace(where, column=f"Contest {name!r} / {vote_type.get('name')}")
            for element in vote_type.findall(tag):
                tally = count.units.setdefault(unit_of(element.get("name", "")), UnitTally())
                tally.statistics[statistic] = _number(element, "votes", inside)
        for choice_node in contest_node.findall("Choice"):
            choice = make_choice(choice_node.get("text", ""), choice_node.get("party") or None)
            contest.add_choice(choice)
            total = 0
            for vote_type in choice_node.findall("VoteType"):
                label = " ".join(vote_type.get("name", "").split()).lower()
                inside = replace(
                    where, column=f"Contest {name!r} / Choice {choice.name!r} / {label}"
                )
                for element in vote_type.findall(tag):
                    votes = _number(element, "votes", inside)
                    tally = count.units.setdefault(
                        unit_of(element.get("name", "")), UnitTally(source=where)
                    )
                    tally.votes[choice.name] = tally.votes.get(choice.name, 0) + votes
                    tally.by_type.setdefault(label, {})[choice.name] = votes
                    total += votes
            stated = choice_node.get("totalVotes")
            within = replace(where, column=f"Contest {name!r}")
            if stated is not None and _number(choice_node, "totalVotes", within) != total:
                warnings.append(
                    ImportWarning(
                        where,
                        f"totalVotes of {choice.name!r} in {name!r} is {int(stated):,} but its "
                        f"units add up to {total:,}",
                    )
                )
        for uid, tally in count.units.items():
            figures = election.unit_statistics.get(uid, {})
            if BALLOTS_CAST in figures:
                tally.ballots_cast = figures[BALLOTS_CAST]
        election.counts.append(count)
    if not election.counts:
        raise InputFileError(where, "has no <Contest> in it; expected Clarity detail XML")
    return ImportResult(election, [str(path)], [CLARITY_FORMAT], warnings)
