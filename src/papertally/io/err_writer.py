"""Write results as NIST SP 1500-100 version 2 election results reports (ERR), JSON form.

One ``ElectionReport`` holds the election, its candidates, one ``CandidateContest`` per contest
with a ``VoteCounts`` per choice for the state and for each reporting unit (``Type``
``total``), and the ``GpUnit``
tree state → county → ward/precinct. The report's ``Status`` says what the counts are, e.g.
``recount`` for a recount's results (ERR ``ResultsStatus``). Field names and ``@type`` values
follow the NIST JSON schema (``ElectionResults.*``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from papertally import __version__
from papertally.model import ContestCount, Election, ReportingUnitType, ResultsStatus

_NS = "ElectionResults."
_UNIT_TYPES = {
    ReportingUnitType.STATE: "state",
    ReportingUnitType.COUNTY: "county",
    ReportingUnitType.MUNICIPALITY: "municipality",
    ReportingUnitType.WARD: "ward",
    ReportingUnitType.PRECINCT: "precinct",
    ReportingUnitType.OTHER: "other",
}


def _text(content: str) -> dict[str, Any]:
    return {
        "@type": _NS + "InternationalizedText",
        "Text": [{"@type": _NS + "LanguageString", "Content": content, "Language": "en"}],
    }


def _vote_count(gp_unit: str, votes: int) -> dict[str, Any]:
    return {"@type": _NS + "VoteCounts", "GpUnitId": gp_unit, "Type": "total", "Count": votes}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def election_report(
    election: Election,
    counts: Sequence[ContestCount],
    *,
    status: ResultsStatus,
    issuer: str = "papertally",
    issuer_abbreviation: str = "PT",
    generated: datetime | None = None,
) -> dict[str, Any]:
    """Return an ERR ``ElectionReport`` of ``counts`` (one per contest) of ``election``.

    Where the election has no date, the report's own date stands in and a note says so.
    """
    state_id = "gpu-state"
    county_ids: dict[str, str] = {}
    unit_ids: dict[str, str] = {}
    units_of_county: dict[str, list[str]] = {}
    for uid in dict.fromkeys(u for count in counts for u in count.units):
        unit = election.units[uid]
        county_id = county_ids.setdefault(unit.county, f"gpu-county-{len(county_ids) + 1}")
        unit_ids[uid] = f"gpu-unit-{len(unit_ids) + 1}"
        units_of_county.setdefault(county_id, []).append(unit_ids[uid])
    gp_units: list[dict[str, Any]] = [
        {
            "@type": _NS + "ReportingUnit",
            "@id": state_id,
            "Type": "state",
            "Name": _text(election.state or "state"),
            "ComposingGpUnitIds": list(county_ids.values()),
        }
    ]
    for county, county_id in county_ids.items():
        gp_units.append(
            {
                "@type": _NS + "ReportingUnit",
                "@id": county_id,
                "Type": "county",
                "Name": _text(county),
                "ComposingGpUnitIds": units_of_county[county_id],
            }
        )
    for uid, gp_id in unit_ids.items():
        unit = election.units[uid]
        gp_units.append(
            {
                "@type": _NS + "ReportingUnit",
                "@id": gp_id,
                "Type": _UNIT_TYPES[unit.type],
                "Name": _text(unit.name),
                "ExternalIdentifier": [
                    {"@type": _NS + "ExternalIdentifier", "Type": "local-level", "Value": uid}
                ],
            }
        )

    candidates: list[dict[str, Any]] = []
    contests: list[dict[str, Any]] = []
    for index, count in enumerate(counts, start=1):
        contest = election.contests[count.contest]
        totals = count.totals()
        names = contest.choice_names() + [
            c for c in count.totals() if c not in contest.choice_names()
        ]
        selections = []
        for position, name in enumerate(names, start=1):
            candidate_id = f"cand-{index}-{position}"
            write_in = any(c.name == name and c.is_write_in for c in contest.choices)
            candidates.append(
                {"@type": _NS + "Candidate", "@id": candidate_id, "BallotName": _text(name)}
            )
            selections.append(
                {
                    "@type": _NS + "CandidateSelection",
                    "@id": f"sel-{index}-{position}",
                    "CandidateIds": [candidate_id],
                    "IsWriteIn": write_in,
                    "SequenceOrder": position,
                    "VoteCounts": [
                        _vote_count(state_id, totals.get(name, 0)),
                        *(
                            _vote_count(unit_ids[uid], tally.votes.get(name, 0))
                            for uid, tally in count.units.items()
                        ),
                    ],
                }
            )
        contests.append(
            {
                "@type": _NS + "CandidateContest",
                "@id": f"contest-{index}-{_slug(contest.name)}",
                "Name": contest.name,
                "ElectionDistrictId": state_id,
                "VotesAllowed": contest.votes_allowed,
                "ContestSelection": selections,
            }
        )
    moment = generated or datetime.now(UTC)
    day = (election.date or moment.date()).isoformat()
    report_election: dict[str, Any] = {
        "@type": _NS + "Election",
        "Name": _text(election.name),
        "ElectionScopeId": state_id,
        "StartDate": day,
        "EndDate": day,
        "Type": "general",
        "Candidate": candidates,
        "Contest": contests,
    }
    report: dict[str, Any] = {
        "@type": _NS + "ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": moment.isoformat(timespec="seconds"),
        "Issuer": issuer,
        "IssuerAbbreviation": issuer_abbreviation,
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": status.value,
        "VendorApplicationId": f"papertally {__version__}",
        "Election": [report_election],
        "GpUnit": gp_units,
    }
    if election.date is None:
        report["Notes"] = "The election's date was not known; StartDate is the report's date."
    return report
