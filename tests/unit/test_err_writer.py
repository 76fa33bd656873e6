"""NIST SP 1500-100 v2 results reports written by papertally: valid, and read back equal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema

from papertally.io.err_writer import election_report
from papertally.io.nist_err import read_err_totals
from papertally.model import Choice, Contest, ContestCount, Election, ReportingUnit, ResultsStatus


def recount_election() -> tuple[Election, ContestCount]:
    election = Election("2016 General Election", date(2016, 11, 8), "WI")
    election.contests["President"] = Contest(
        "President", choices=[Choice("Trump"), Choice("Clinton"), Choice("Scattering", None, True)]
    )
    count = ContestCount("President", "recount", status=ResultsStatus.RECOUNT)
    for county, ward, trump, clinton in [("Adams", "1", 300, 250), ("Dane", "2", 150, 552)]:
        unit = election.add_unit(ReportingUnit.of(county, f"Ward {ward}"))
        count.set_votes(unit.id, "Trump", trump)
        count.set_votes(unit.id, "Clinton", clinton)
        count.set_votes(unit.id, "Scattering", 1)
    election.counts.append(count)
    return election, count


def test_the_report_is_valid_against_the_nist_schema(shared_data: Path) -> None:
    schema = json.loads(
        (shared_data / "nist" / "NIST_V2_election_results_reporting.json").read_text()
    )
    election, count = recount_election()
    report = election_report(election, [count], status=ResultsStatus.RECOUNT)
    jsonschema.Draft7Validator(schema).validate(report)
    assert report["Status"] == "recount"


def test_the_report_reads_back_with_the_same_totals(tmp_path: Path) -> None:
    election, count = recount_election()
    path = tmp_path / "err.json"
    path.write_text(json.dumps(election_report(election, [count], status=ResultsStatus.RECOUNT)))
    totals = read_err_totals(path)
    # The reader names every write-in selection "Write-in", as NIST CVR readers do.
    assert totals.votes["President"] == {"Trump": 450, "Clinton": 802, "Write-in": 2}


def test_an_election_without_a_date_says_so() -> None:
    election, count = recount_election()
    election.date = None
    report = election_report(election, [count], status=ResultsStatus.RECOUNT)
    assert "not known" in report["Notes"]
