"""The generic results CSV: reading it, writing it, and the round trip import → export → import."""

from __future__ import annotations

import csv
import dataclasses
import re
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertally.errors import InputFileError
from papertally.io import GENERIC_FORMAT, detect_format, read_results, write_generic_csv
from papertally.io.generic_csv import COLUMNS
from papertally.model import SCATTERING, Election, ReportingUnitType, ResultsStatus

DOCS = Path(__file__).resolve().parents[2] / "docs" / "generic-csv.md"
WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"
HEADER = "county,reporting_unit,contest,count,choice,party,votes,ballots_cast\n"
GOOD = (
    HEADER
    + "Dane,CITY OF MADISON Ward 1,Mayor,,Ann,DEM,10,16\n"
    + "Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,5,16\n"
    + "Dane,CITY OF MADISON Ward 2,Mayor,Recount,Ann,DEM,11,\n"
)


def write(tmp_path: Path, text: str, name: str = "county.csv") -> Path:
    """Write ``text`` to ``tmp_path / name`` and return the path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def without_sources(election: Election) -> Election:
    """Return a copy of ``election`` with the file rows its numbers came from left out."""
    copy = dataclasses.replace(
        election,
        counts=[
            dataclasses.replace(
                count,
                units={
                    uid: dataclasses.replace(tally, source=None)
                    for uid, tally in count.units.items()
                },
            )
            for count in election.counts
        ],
    )
    return copy


def test_example_in_the_documentation_reads(tmp_path: Path) -> None:
    example = re.search(r"```csv\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    path = write(tmp_path, example.group(1), "example.csv")
    assert detect_format(path) == GENERIC_FORMAT
    election = read_results([path]).election
    contest = "Justice of the Supreme Court"
    assert election.name == "example"
    original = election.count(contest, "original canvass")
    recount = election.count(contest, "recount")
    assert original.totals() == {
        "David T. Prosser": 247,
        "JoAnne F. Kloppenburg": 300,
        SCATTERING: 1,
    }
    assert recount.status is ResultsStatus.RECOUNT
    assert recount.units["ADAMS|TOWN OF ADAMS Wards 1 & 2"].ballots_cast == 256
    assert election.units["ADAMS|TOWN OF BIG FLATS Ward 1"].municipality == "TOWN OF BIG FLATS"


def test_defaults_for_optional_columns(tmp_path: Path) -> None:
    result = read_results([write(tmp_path, GOOD)])
    election = result.election
    assert result.formats == [GENERIC_FORMAT]
    assert [(c.contest, c.name) for c in election.counts] == [
        ("Mayor", "original canvass"),
        ("Mayor", "recount"),
    ]
    tally = election.count("Mayor", "original canvass").units["Dane|CITY OF MADISON Ward 1"]
    assert tally.votes == {"Ann": 10, "Bob": 5}
    assert tally.ballots_cast == 16
    unit = election.units["Dane|CITY OF MADISON Ward 1"]
    assert (unit.municipality, unit.type) == ("CITY OF MADISON", ReportingUnitType.WARD)
    assert election.contests["Mayor"].choices[0].party == "DEM"
    assert election.date is None and election.state is None


@pytest.mark.parametrize(
    ("bad_line", "column", "expected"),
    [
        ("Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,five,16", "votes", "'five'"),
        ("Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,-5,16", "votes", "negative"),
        ("Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,5,17", "ballots_cast", "16"),
        ("Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,5,x", "ballots_cast", "'x'"),
        ("Dane,CITY OF MADISON Ward 1,Mayor,original,Ann,,5,16", "reporting_unit", "twice"),
        (",CITY OF MADISON Ward 1,Mayor,,Bob,,5,16", "county", "expected a county"),
        ("Dane,CITY OF MADISON Ward 1,,,Bob,,5,16", "contest", "expected a contest"),
        ("Dane,CITY OF MADISON Ward 1,Mayor,,Bob,,,16", "votes", "empty"),
    ],
)
def test_bad_rows_are_errors_naming_row_and_column(
    tmp_path: Path, bad_line: str, column: str, expected: str
) -> None:
    lines = GOOD.splitlines()
    lines[2] = bad_line
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputFileError) as caught:
        read_results([path])
    assert (caught.value.location.file, caught.value.location.row) == (str(path), 3)
    assert caught.value.location.column == column
    assert expected in caught.value.problem


def many_units(units: int = 30) -> list[list[str]]:
    """Return the rows of a file of ``units`` wards, two choices, canvass then recount."""
    rows = [["county", "reporting_unit", "contest", "count", "choice", "votes", "ballots_cast"]]
    for count in ("original canvass", "recount"):
        for unit in range(units):
            for choice, votes in (("Ann", 10 + unit), ("Bob", 20)):
                rows.append(["Dane", f"W{unit}", "Mayor", count, choice, str(votes), "40"])
    return rows


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """Write ``rows`` as a CSV file at ``path``."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("row", "cells", "column", "expected"),
    [
        (100, {5: "five"}, "votes", "found the text 'five'"),
        (100, {5: "-3"}, "votes", "negative"),
        (100, {5: ""}, "votes", "found an empty cell"),
        (101, {6: "41"}, "ballots_cast", "expected 40 ballots cast"),
        (101, {6: "4x"}, "ballots_cast", "'4x'"),
        (101, {4: "Ann"}, "reporting_unit", "(first on row 100)"),
        (100, {1: "W18", 4: "Bob"}, "reporting_unit", "(first on row 99)"),
        (100, {2: ""}, "contest", "expected a contest"),
    ],
)
def test_errors_deep_in_a_statewide_file_name_their_cell(
    tmp_path: Path, row: int, cells: dict[int, str], column: str, expected: str
) -> None:
    rows = many_units()
    for position, value in cells.items():
        rows[row - 1][position] = value
    path = write_rows(tmp_path / "state.csv", rows)
    with pytest.raises(InputFileError) as caught:
        read_results([path])
    assert (caught.value.location.row, caught.value.location.column) == (row, column)
    assert expected in caught.value.problem


def test_a_statewide_file_reads_the_same_from_a_workbook(tmp_path: Path) -> None:
    rows = many_units()
    rows[69][4] = "  Ann "
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    workbook.save(tmp_path / "state.xlsx")
    from_text = read_results([write_rows(tmp_path / "state.csv", rows)]).election
    from_workbook = read_results([tmp_path / "state.xlsx"]).election
    assert without_sources(from_workbook) == without_sources(from_text)
    recount = from_text.count("Mayor", "recount")
    assert recount.units["Dane|W29"].votes == {"Ann": 39, "Bob": 20}
    assert recount.units["Dane|W29"].source is not None
    assert recount.units["Dane|W29"].source.row == 120
    assert recount.totals() == {"Ann": sum(range(10, 40)), "Bob": 600}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("election_date", "5 April 2011", "YYYY-MM-DD"),
        ("unit_type", "hamlet", "ward, precinct"),
        ("status", "final", "certified"),
        ("write_in", "maybe", "yes or no"),
        ("votes_allowed", "0", "at least 1"),
    ],
)
def test_bad_optional_values_are_errors(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    text = f"county,reporting_unit,contest,choice,votes,{column}\nDane,W1,Mayor,Ann,3,{value}\n"
    with pytest.raises(InputFileError) as caught:
        read_results([write(tmp_path, text)])
    assert (caught.value.location.row, caught.value.location.column) == (2, column)
    assert expected in caught.value.problem


def test_contradicting_election_names_are_an_error(tmp_path: Path) -> None:
    text = "county,reporting_unit,contest,choice,votes,election\nD,W1,M,A,1,One\nD,W2,M,A,1,Two\n"
    with pytest.raises(InputFileError, match="expected 'One'"):
        read_results([write(tmp_path, text)])


def test_a_unit_described_two_ways_is_an_error(tmp_path: Path) -> None:
    text = (
        "county,municipality,reporting_unit,contest,choice,votes\n"
        "Dane,CITY OF MADISON,W1,Mayor,Ann,3\n"
        "Dane,TOWN OF MADISON,W1,Mayor,Bob,3\n"
    )
    with pytest.raises(InputFileError) as caught:
        read_results([write(tmp_path, text)])
    assert (caught.value.location.row, caught.value.location.column) == (3, "reporting_unit")
    assert "'TOWN OF MADISON'" in caught.value.problem
    assert "'CITY OF MADISON'" in caught.value.problem


def test_units_whose_ids_collide_are_an_error(tmp_path: Path) -> None:
    text = "county,reporting_unit,contest,choice,votes\nA|B,C,M,X,1\nA,B|C,M,X,1\n"
    with pytest.raises(InputFileError, match=re.escape("same id 'A|B|C'")):
        read_results([write(tmp_path, text)])


def test_missing_column_empty_and_truncated_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as caught:
        read_results([write(tmp_path, GOOD.replace("reporting_unit", "reportingunit"))])
    assert "lacks the column(s) 'reporting_unit'" in caught.value.problem
    assert "did you mean 'reportingunit'?" in caught.value.problem
    with pytest.raises(InputFileError, match="empty"):
        read_results([write(tmp_path, "\n\n", "blank.csv")])
    with pytest.raises(InputFileError, match="no rows of votes"):
        read_results([write(tmp_path, HEADER, "header-only.csv")])
    with pytest.raises(InputFileError, match="truncated") as truncated:
        read_results([write(tmp_path, GOOD[:-8], "cut.csv")])
    assert truncated.value.location.row == 4


def test_unknown_layout_lists_columns_found_and_layouts_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "name,amount\nx,1\n")
    with pytest.raises(InputFileError) as caught:
        detect_format(path)
    problem = caught.value.problem
    assert "unknown layout" in problem and "'name', 'amount'" in problem
    assert "Total Votes Cast" in problem and "OpenElections" in problem
    assert "reporting_unit" in problem


def test_export_of_the_2011_recount_reads_back_equal(shared_data: Path, tmp_path: Path) -> None:
    original = read_results([shared_data / WI_2011]).election
    exported = tmp_path / "export.csv"
    write_generic_csv(original, exported)
    again = read_results([exported])
    assert again.formats == [GENERIC_FORMAT]
    assert without_sources(again.election) == without_sources(original)
    with exported.open(newline="", encoding="utf-8") as stream:
        header = next(csv.reader(stream))
    assert tuple(header) == COLUMNS


def test_export_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    election = read_results([write(tmp_path, GOOD)]).election
    with pytest.raises(Exception, match="cannot write"):
        write_generic_csv(election, tmp_path / "no-such-folder" / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["county.csv"]


NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00|"),
    min_size=1,
    max_size=10,
).filter(lambda s: s.strip() != "")


def _choice_key(name: str) -> str:
    """Return what makes two choice names the same choice after import."""
    folded = " ".join(name.split())
    return SCATTERING if folded.casefold() == SCATTERING.casefold() else folded


@st.composite
def generic_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Draw the rows of a generic CSV: a few contests, counts and units, in shuffled order."""
    units = draw(
        st.lists(
            st.tuples(NAME, NAME),
            min_size=1,
            max_size=4,
            unique_by=lambda u: u[0].strip() + "|" + u[1].strip(),
        )
    )
    municipality = {u: draw(st.sampled_from(["", "TOWN OF X", "CITY OF Y"])) for u in units}
    count_labels = draw(
        st.lists(
            st.sampled_from(["", "original canvass", "Recount", "audit 1", "Hand Count"]),
            min_size=1,
            max_size=3,
            unique_by=lambda c: c.lower() if c not in ("", "original canvass") else "",
        )
    )
    rows: list[dict[str, str]] = []
    for contest in draw(st.lists(NAME, min_size=1, max_size=3, unique_by=str.strip)):
        choices = draw(st.lists(NAME, min_size=1, max_size=4, unique_by=_choice_key))
        parties = {c: draw(st.sampled_from(["", "DEM", "REP"])) for c in choices}
        for label in count_labels:
            for unit in draw(st.lists(st.sampled_from(units), min_size=1, unique=True)):
                ballots = draw(st.one_of(st.just(""), st.integers(0, 10**6).map(str)))
                for choice in draw(st.lists(st.sampled_from(choices), min_size=1, unique=True)):
                    rows.append(
                        {
                            "county": unit[0],
                            "municipality": municipality[unit],
                            "reporting_unit": unit[1],
                            "contest": contest,
                            "count": label,
                            "choice": choice,
                            "party": parties[choice],
                            "votes": str(draw(st.integers(0, 10**7))),
                            "ballots_cast": ballots,
                        }
                    )
    return draw(st.permutations(rows))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generic_rows())
def test_import_export_import_round_trips(rows: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        first_file = Path(folder) / "first.csv"
        with first_file.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        first = read_results([first_file]).election
        exported = Path(folder) / "exported.csv"
        write_generic_csv(first, exported)
        second = read_results([exported]).election
        assert without_sources(second) == without_sources(first)
        assert sum(c.total_votes for c in second.counts) == sum(int(r["votes"]) for r in rows)
        again = Path(folder) / "again.csv"
        write_generic_csv(second, again)
        assert again.read_bytes() == exported.read_bytes()
