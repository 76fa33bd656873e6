"""The recount's results for download: CSV (generic columns), JSON and NIST ERR v2 JSON."""

from __future__ import annotations

import io
import json

from papertally.csv_safe import csv_dict_writer
from papertally.io.err_writer import election_report
from papertally.io.generic_csv import COLUMNS, generic_rows
from papertally.model import ContestCount, Election, ResultsStatus
from papertally.reconcile import standing_of
from papertally.workflows.recount import RecountView


def _recount_election(view: RecountView, recount: ContestCount) -> Election:
    """Return an election holding just the recounted contest and its recount count."""
    units = {uid: view.election.units[uid] for uid in recount.units}
    return Election(
        view.election.name,
        view.election.date,
        view.election.state,
        {view.contest.name: view.contest},
        units,
        [recount],
    )


def results_csv(view: RecountView, recount: ContestCount) -> str:
    """Return the recount per ward in the generic results CSV (``docs/generic-csv.md``).

    Names that a spreadsheet would run as formulas are defused (:mod:`papertally.csv_safe`):
    this file is handed to the public.
    """
    buffer = io.StringIO()
    writer = csv_dict_writer(buffer, COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(generic_rows(_recount_election(view, recount)))
    return buffer.getvalue()


def results_json(view: RecountView, recount: ContestCount) -> str:
    """Return the recount's totals, standing and per-ward votes as JSON."""
    standing = standing_of(recount.totals(), view.choices, view.contest.votes_allowed)
    body = {
        "election": view.election.name,
        "contest": view.contest.name,
        "recount_id": view.recount.id,
        "status": view.recount.status,
        "certified_at": view.recount.certified_at,
        "standing": standing.to_json(),
        "wards": {
            uid: {
                "county": view.election.units[uid].county,
                "name": view.election.units[uid].name,
                "votes": tally.votes,
            }
            for uid, tally in recount.units.items()
        },
    }
    return json.dumps(body, indent=1, default=str)


def err_json(view: RecountView, recount: ContestCount) -> str:
    """Return the recount as a NIST SP 1500-100 v2 report with ``Status`` ``recount``."""
    report = election_report(
        _recount_election(view, recount), [recount], status=ResultsStatus.RECOUNT
    )
    return json.dumps(report, indent=1)
