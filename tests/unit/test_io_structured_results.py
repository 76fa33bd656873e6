"""NIST SP 1500-100 ERR (JSON and XML) and Clarity XML through the results readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertally.errors import InputFileError
from papertally.io import detect_format, read_results, read_results_file
from papertally.model.results import BALLOTS_CAST, REGISTERED_VOTERS, UNDER_VOTES

CANVASS = "original canvass"
PRESIDENT = "President of the United States"


@pytest.mark.parametrize("name", ["err-gen-03.json", "err-gen-03.xml"])
def test_gen_03_err_reads_per_precinct_as_its_test_deck(shared_data: Path, name: str) -> None:
    result = read_results_file(shared_data / "nist" / name)
    election = result.election
    assert result.formats == ["nist-err"]
    assert str(election.date) == "2004-11-02"
    assert len(election.contests) == 8
    units = election.count(PRESIDENT, CANVASS).units
    # gen-03-README.md test deck: Fire Station 23 and Aldersgate Church, ten ballots each
    assert units["Test County|Fire Station 23"].votes == {
        "Arthur Kumar": 5,
        "Brian Getz": 4,
        "Write-in": 1,
    }
    assert units["Test County|Aldersgate Church"].votes == {"Arthur Kumar": 5, "Brian Getz": 5}
    # the county's own totals in the file agree with its precincts: no warning
    assert result.warnings == []


def test_cambridge_err_reads_every_precinct_of_every_contest(shared_data: Path) -> None:
    path = shared_data / "nist" / "err-2022-11-08-Massachusetts-Cambridge.json"
    result = read_results_file(path)
    election = result.election
    assert len(election.units) == 42
    assert len(election.contests) == 17
    # every VoteCounts of the file, summed here without the reader: precincts only in Cambridge
    report = json.loads(path.read_text(encoding="utf-8"))
    expected = {
        contest["Name"]: sum(
            vc["Count"] for s in contest["ContestSelection"] for vc in s.get("VoteCounts", [])
        )
        for contest in report["Election"][0]["Contest"]
    }
    assert {c.contest: c.total_votes for c in election.counts} == expected
    assert result.warnings == []
    governor = election.count("GOVERNOR AND LIEUTENANT GOVERNOR", CANVASS).totals()
    assert governor["HEALEY AND DRISCOLL"] == 33_312


def test_clarity_county_detail_keeps_vote_types_and_checks_total_votes(shared_data: Path) -> None:
    result = read_results_file(shared_data / "clarity" / "county.xml")
    election = result.election
    assert (election.name, str(election.date), election.state) == (
        "2014 General Election",
        "2014-11-04",
        "AR",
    )
    assert len(election.units) == 75
    count = election.count("U.S. Senate", CANVASS)
    arkansas = count.units["Arkansas|Arkansas"]
    assert sum(v["Tom Cotton"] for v in arkansas.by_type.values()) == arkansas.votes["Tom Cotton"]
    assert set(arkansas.by_type) == {"election day", "early vote", "absentee", "provisional"}
    assert election.unit_statistics["Arkansas|Arkansas"] == {
        BALLOTS_CAST: 5137,
        REGISTERED_VOTERS: 10196,
    }
    assert arkansas.ballots_cast == 5137
    # the file's own totalVotes (477,734) is more than its four vote types hold (462,123)
    assert count.totals() == {"Tom Cotton": 462_123}
    assert [w.message for w in result.warnings] == [
        "totalVotes of 'Tom Cotton' in 'U.S. Senate' is 477,734 but its units add up to 462,123"
    ]


def test_clarity_precinct_detail_has_the_region_as_county(shared_data: Path) -> None:
    result = read_results([shared_data / "clarity" / "precinct.xml"])
    election = result.election
    assert election.counties() == ["Greenup"]
    count = election.count("US Senator - REPUBLICAN", CANVASS)
    assert len(count.units) == 33
    assert count.totals()["Mitch McCONNELL"] == 1135
    assert all(UNDER_VOTES in t.statistics for t in count.units.values())
    assert result.warnings == []


def test_a_cvr_report_or_other_xml_is_refused_naming_the_file(
    shared_data: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputFileError, match="cast vote record report, not results"):
        read_results([shared_data / "nist" / "cvr-gen-03.xml"])
    other = tmp_path / "feed.xml"
    other.write_text("<?xml version='1.0'?><rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_results([other])
    assert caught.value.location.file == str(other)
    assert "not a results report" in caught.value.problem
    broken = tmp_path / "broken.xml"
    broken.write_text("<?xml version='1.0'?>\n<ElectionResult><Contest", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_results([broken])
    assert caught.value.location.row == 2


def test_a_bad_clarity_figure_names_the_element_and_attribute(
    shared_data: Path, tmp_path: Path
) -> None:
    text = (shared_data / "clarity" / "precinct.xml").read_text(encoding="utf-8")
    start = text.index('<Choice key="1" text="Matt BEVIN"')
    old = '<Precinct name="A101" votes="36" />'
    at = text.index(old, start)
    broken = text[:at] + '<Precinct name="A101" votes="x1" />' + text[at + len(old) :]
    path = tmp_path / "detail.xml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_results([path])
    assert caught.value.location.file == str(path)
    assert caught.value.location.column == (
        "Contest 'US Senator - REPUBLICAN' / Choice 'Matt BEVIN' / election / "
        "Precinct 'A101' votes="
    )


def test_a_bad_err_count_names_contest_selection_and_unit(
    shared_data: Path, tmp_path: Path
) -> None:
    report = json.loads((shared_data / "nist" / "err-gen-03.json").read_text(encoding="utf-8"))
    selection = report["Election"][0]["Contest"][0]["ContestSelection"][0]
    selection["VoteCounts"][1]["Count"] = -3
    path = tmp_path / "err.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_results([path])
    where = caught.value.location
    assert where.file == str(path)
    assert where.column == (
        f"Contest {PRESIDENT!r} / ContestSelection 'Arthur Kumar' / VoteCounts "
        f"{selection['VoteCounts'][1]['GpUnitId']!r} / Count"
    )
    assert "found '-3'" in caught.value.problem


def test_detect_format_names_err_and_clarity_files(shared_data: Path) -> None:
    assert detect_format(shared_data / "nist" / "err-gen-03.json") == "nist-err"
    assert detect_format(shared_data / "nist" / "err-gen-03.xml") == "nist-err"
    assert detect_format(shared_data / "clarity" / "precinct.xml") == "clarity-xml"
