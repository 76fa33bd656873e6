"""Reading OpenElections CSV results."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from papertally.errors import InputFileError
from papertally.io import OPENELECTIONS_FORMAT, detect_format, read_results_file
from papertally.model import SCATTERING, ReportingUnitType

OE_2016 = "openelections/20160405__wi__general__ward.csv"
HEADER = "county,ward,office,district,total votes,party,candidate,votes\n"
GOOD = (
    HEADER
    + "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,9\n"
    + "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,,Scattering,1\n"
    + "Adams,Village of Friendship Ward 1,Court of Appeals,4,5,NP,Ann Smith,5\n"
    + "Adams,Village of Friendship Ward 1,Supreme Court,,6,NP,Bob Jones,6\n"
)


def write(tmp_path: Path, text: str, name: str = "20200407__wi__spring__ward.csv") -> Path:
    """Write ``text`` to a file in ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stated_totals(path: Path) -> dict[str, int]:
    """Return, per office and district, the sum over units of the file's own total votes."""
    per_unit: dict[tuple[str, str, str, str], int] = {}
    with path.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            key = (row["county"], row["ward"], row["office"], row["district"])
            per_unit[key] = int(row["total votes"])
    totals: dict[str, int] = {}
    for (_, _, office, district), votes in per_unit.items():
        name = f"{office} District {district}" if district else office
        totals[name] = totals.get(name, 0) + votes
    return totals


def test_2016_file_imports_and_matches_its_own_total_column(shared_data: Path) -> None:
    path = shared_data / OE_2016
    result = read_results_file(path)
    election = result.election
    assert result.formats == [OPENELECTIONS_FORMAT]
    assert (election.state, str(election.date)) == ("WI", "2016-04-05")
    assert len(election.contests) == 45
    assert len(election.units) == 3880
    assert len(election.counties()) == 72
    assert result.warnings == []
    stated = stated_totals(path)
    assert {c.contest: c.total_votes for c in election.counts} == stated
    court = election.count("Supreme Court", "original canvass")
    assert court.totals() == {
        "JoAnne F. Kloppenburg": 929_377,
        "Rebecca G. Bradley": 1_020_092,
        SCATTERING: 3_678,
    }
    appeals = election.contests["Court of Appeals District 1"]
    assert (appeals.office, appeals.district) == ("Court of Appeals", "1")


def test_small_file_contests_units_and_choices(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert detect_format(path) == OPENELECTIONS_FORMAT
    result = read_results_file(path)
    election = result.election
    assert election.name == "WI spring election 2020-04-07"
    assert list(election.contests) == ["Court of Appeals District 4", "Supreme Court"]
    unit = election.units["Adams|Town of Adams Wards 1-3"]
    assert unit.municipality == "Town of Adams"
    assert unit.type is ReportingUnitType.WARD
    count = election.count("Court of Appeals District 4", "original canvass")
    assert count.totals() == {"Ann Smith": 14, SCATTERING: 1}
    ann, scattering = election.contests["Court of Appeals District 4"].choices
    assert (ann.party, ann.is_write_in) == ("NP", False)
    assert (scattering.party, scattering.is_write_in) == (None, True)
    assert result.warnings == []


def test_precinct_column_and_optional_columns(tmp_path: Path) -> None:
    text = "county,precinct,office,candidate,votes\nKing,P-1,Mayor,Ann,3\nKing,P-1,Mayor,Bob,4\n"
    election = read_results_file(write(tmp_path, text, "king.csv")).election
    assert election.name == "king"
    assert election.units["King|P-1"].type is ReportingUnitType.PRECINCT
    assert election.count("Mayor", "original canvass").total_votes == 7


def test_total_votes_that_disagree_with_candidates_are_warnings(tmp_path: Path) -> None:
    text = GOOD.replace("Court of Appeals,4,5,NP", "Court of Appeals,4,7,NP")
    result = read_results_file(write(tmp_path, text))
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert (warning.location.row, warning.location.column) == (4, "total votes")
    assert "7" in warning.message and "5" in warning.message
    assert "Village of Friendship Ward 1" in warning.message


@pytest.mark.parametrize(
    ("bad_line", "column", "expected"),
    [
        (
            "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,nine",
            "votes",
            "'nine'",
        ),
        (
            "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,-9",
            "votes",
            "negative",
        ),
        (
            "Adams,Town of Adams Wards 1-3,Court of Appeals,4,ten,NP,Ann Smith,9",
            "total votes",
            "ten",
        ),
        (",Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,9", "county", "empty"),
        ("Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,,9", "candidate", "empty"),
    ],
)
def test_bad_values_are_errors_naming_row_and_column(
    tmp_path: Path, bad_line: str, column: str, expected: str
) -> None:
    lines = GOOD.splitlines()
    lines[1] = bad_line
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputFileError) as caught:
        read_results_file(path)
    assert (caught.value.location.row, caught.value.location.column) == (2, column)
    assert caught.value.location.file == str(path)
    assert expected in caught.value.problem


def test_conflicting_duplicated_ward_is_an_error(tmp_path: Path) -> None:
    text = GOOD + "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,8\n"
    with pytest.raises(InputFileError) as caught:
        read_results_file(write(tmp_path, text))
    assert caught.value.location.row == 6
    assert (
        "appears twice with different votes (9 and 8; the unit's first row for this contest "
        "is row 2)" in caught.value.problem
    )


def test_identical_duplicated_row_is_a_warning_and_counted_once(tmp_path: Path) -> None:
    text = GOOD + "Adams,Town of Adams Wards 1-3,Court of Appeals,4,10,NP,Ann Smith,9\n"
    result = read_results_file(write(tmp_path, text))
    court = result.election.count("Court of Appeals District 4", "original canvass")
    assert court.totals()["Ann Smith"] == 14
    assert [w.location.row for w in result.warnings] == [6]
    assert "repeat an earlier row with the same votes (row 6)" in result.warnings[0].message


def test_missing_column_is_an_error_with_a_hint(tmp_path: Path) -> None:
    text = GOOD.replace("candidate,votes", "candidate,vote")
    with pytest.raises(InputFileError) as caught:
        read_results_file(write(tmp_path, text))
    assert caught.value.location.row == 1
    assert "lacks the column(s) 'votes'" in caught.value.problem
    assert "did you mean 'vote'?" in caught.value.problem


def test_truncated_file_is_an_error(tmp_path: Path) -> None:
    text = GOOD[: GOOD.rindex(",NP,Bob")]
    with pytest.raises(InputFileError) as caught:
        read_results_file(write(tmp_path, text))
    assert caught.value.location.row == 5
    assert "truncated" in caught.value.problem


def test_truncated_inside_quotes_is_an_error(tmp_path: Path) -> None:
    text = GOOD + 'Adams,"Town of Adams Wards 1-3'
    with pytest.raises(InputFileError, match="truncated"):
        read_results_file(write(tmp_path, text))


def test_header_only_and_empty_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no rows of votes"):
        read_results_file(write(tmp_path, HEADER))
    with pytest.raises(InputFileError, match="empty"):
        read_results_file(write(tmp_path, "", "empty.csv"))


def test_tallies_of_a_large_file_take_a_few_hundred_bytes_each(tmp_path: Path) -> None:
    """Issue 11: a 1 GB file must import in bounded memory; dict tallies took ~1,500 bytes."""
    lines = ["county,precinct,office,district,party,candidate,votes,absentee,election_day\n"]
    for precinct in range(3_000):
        for office in ("President", "Senate"):
            for party, candidate in (("REP", "Ann Lee"), ("DEM", "Bo Diaz")):
                early = precinct % 97
                lines.append(
                    f"C{precinct // 300},P{precinct},{office},,{party},{candidate},"
                    f"{early + 300},{early},300\n"
                )
    path = write(tmp_path, "".join(lines), "20201103__xx__general__precinct.csv")
    warm_up = write(tmp_path, GOOD)
    # Measured in a fresh interpreter: in a test worker, what earlier tests left behind (caches,
    # pending garbage) changes what tracemalloc attributes to this read.
    script = f"""
import gc, json, tracemalloc
from papertally.io import read_results_file
read_results_file({str(warm_up)!r})
gc.collect()
tracemalloc.start()
result = read_results_file({str(path)!r})
gc.collect()
held, _ = tracemalloc.get_traced_memory()
tracemalloc.stop()
count = result.election.count("Senate", "original canvass")
print(json.dumps({{
    "held": held,
    "tallies": sum(len(c.units) for c in result.election.counts),
    "by_type": {{k: dict(v) for k, v in count.units["C1|P301"].by_type.items()}},
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    measured = json.loads(done.stdout)
    held, tallies = measured["held"], measured["tallies"]
    assert tallies == 6_000
    assert measured["by_type"] == {
        "absentee": {"Ann Lee": 10, "Bo Diaz": 10},
        "election day": {"Ann Lee": 300, "Bo Diaz": 300},
    }
    assert held / tallies < 600, f"{held / tallies:,.0f} bytes per tally"
