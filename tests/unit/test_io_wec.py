"""Reading Wisconsin Elections Commission ward-by-ward reports (.xls and .xlsx)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from papertally.errors import InputFileError
from papertally.io import WEC_FORMAT, detect_format, read_results, read_results_file
from papertally.io.wec import choice_from_header
from papertally.law.margins import ContestResults
from papertally.model import SCATTERING, ReportingUnitType, ResultsStatus
from papertally.model.results import match_choice_names

WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"
WI_2016 = "wi/2016-04-05_presidential-preference_ward.xlsx"
WI_2016_CSV = "wi/2016-11-08_president_recount-canvass_ward.csv"
SUPREME_COURT = "JUSTICE OF THE SUPREME COURT"
PROSSER = "DAVID T. PROSSER, JR."
KLOPPENBURG = "JOANNE F. KLOPPENBURG"


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    """Write ``rows`` as the only sheet of a new workbook at ``path``."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    """Write ``rows`` as a CSV file at ``path`` (empty cells for ``None``)."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(["" if c is None else c for c in row] for row in rows)
    return path


HEADER: list[list[object]] = [
    ["2020 SPRING ELECTION"],
    [],
    ["MAYOR"],
    [],
    ["", "", "Total Votes Cast", "ANN SMITH", "BOB JONES", "SCATTERING"],
]


def report(*wards: list[object]) -> list[list[object]]:
    """Return a small one-contest report: the header above, then ``wards``."""
    return [*HEADER, *wards]


GOOD_WARDS: list[list[object]] = [
    ["ADAMS ", "TOWN OF ADAMS Wards 1 & 2", 10, 6, 4, 0],
    ["", "CITY OF ADAMS Ward 1", 20, 5, 14, 1],
    ["", "County Totals:", 30, 11, 18, 1],
    ["BROWN", "VILLAGE OF ASHWAUBENON Ward 3", 7, 3, 4, 0],
    ["", "County Totals:", 7, 3, 4, 0],
    ["Office Totals:", "", 37, 14, 22, 1],
]


def test_2011_recount_file_has_both_counts_of_every_ward(shared_data: Path) -> None:
    result = read_results_file(shared_data / WI_2011)
    election = result.election
    assert result.formats == [WEC_FORMAT]
    assert election.name == "2011 SPRING ELECTION & RECOUNT"
    assert election.state == "WI"
    assert str(election.date) == "2011-04-05"
    assert list(election.contests) == [SUPREME_COURT]
    assert len(election.units) == 3602
    assert len(election.counties()) == 72
    original = election.count(SUPREME_COURT, "original canvass")
    recount = election.count(SUPREME_COURT, "recount")
    assert original.status is ResultsStatus.CERTIFIED
    assert recount.status is ResultsStatus.RECOUNT
    assert original.totals() == {PROSSER: 752_323, KLOPPENBURG: 745_007, SCATTERING: 1_550}
    assert original.total_votes == 1_498_880
    assert recount.totals() == {PROSSER: 752_694, KLOPPENBURG: 745_690, SCATTERING: 1_729}
    assert recount.total_votes == 1_500_113
    assert len(original.units) == len(recount.units) == 3602
    # The file's 72 county totals rows, its office totals row and every ward's Total Votes Cast
    # agree with the wards: the import reports no warning.
    assert result.warnings == []


def test_2011_units_carry_county_municipality_and_source(shared_data: Path) -> None:
    election = read_results_file(shared_data / WI_2011).election
    unit = election.units["ADAMS|TOWN OF ADAMS Wards 1 & 2"]
    assert unit.county == "ADAMS"
    assert unit.municipality == "TOWN OF ADAMS"
    assert unit.type is ReportingUnitType.WARD
    tally = election.count(SUPREME_COURT, "recount").units[unit.id]
    assert tally.votes == {PROSSER: 105, KLOPPENBURG: 148, SCATTERING: 1}
    assert tally.source is not None
    assert (tally.source.sheet, tally.source.row) == ("Sheet1", 10)
    scattering = election.contests[SUPREME_COURT].choices[-1]
    assert scattering.name == SCATTERING and scattering.is_write_in


def test_2016_presidential_preference_one_contest_per_sheet(shared_data: Path) -> None:
    result = read_results_file(shared_data / WI_2016)
    election = result.election
    assert election.name == "2016 Spring Election and Presidential Preference Vote"
    republican = "PRESIDENT OF THE UNITED STATES - Republican"
    democratic = "PRESIDENT OF THE UNITED STATES - Democratic"
    assert list(election.contests) == [republican, democratic]
    rep = election.count(republican, "original canvass")
    dem = election.count(democratic, "original canvass")
    # The sheets' own "Office Totals:" rows.
    assert rep.total_votes == 1_105_944
    assert rep.totals()["Donald J. Trump"] == 387_295
    assert rep.totals()["Ted Cruz"] == 533_079
    assert rep.totals()[SCATTERING] == 1_381
    assert dem.total_votes == 1_007_600
    assert dem.totals()["Hillary Clinton"] == 433_739
    assert dem.totals()["Bernie Sanders"] == 570_192
    assert len(rep.units) == len(dem.units) == 3880
    assert len(election.counties()) == 72
    assert result.warnings == []
    trump = next(c for c in election.contests[republican].choices if c.name == "Donald J. Trump")
    assert trump.party == "REP" and not trump.is_write_in
    write_in = election.contests[democratic].choices[-2]
    assert write_in.name == "Roque Rocky De La Fuente (write-in)" and write_in.is_write_in


def test_small_report_reads_counties_carried_down(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "mayor.xlsx", report(*GOOD_WARDS))
    result = read_results_file(path)
    election = result.election
    assert detect_format(path) == WEC_FORMAT
    assert election.name == "2020 SPRING ELECTION"
    assert election.date is None
    assert list(election.units) == [
        "ADAMS|TOWN OF ADAMS Wards 1 & 2",
        "ADAMS|CITY OF ADAMS Ward 1",
        "BROWN|VILLAGE OF ASHWAUBENON Ward 3",
    ]
    count = election.count("MAYOR", "original canvass")
    assert count.totals() == {"ANN SMITH": 14, "BOB JONES": 22, SCATTERING: 1}
    assert result.warnings == []


def test_election_date_is_read_from_the_title(tmp_path: Path) -> None:
    rows = [["SPRING ELECTION April 7, 2020"], *report(*GOOD_WARDS)[1:]]
    election = read_results_file(write_xlsx(tmp_path / "report.xlsx", rows)).election
    assert (election.name, str(election.date)) == ("SPRING ELECTION April 7, 2020", "2020-04-07")


def test_totals_rows_that_disagree_become_warnings_with_location(tmp_path: Path) -> None:
    wards = [list(r) for r in GOOD_WARDS]
    wards[2] = ["", "County Totals:", 30, 12, 18, 1]
    wards[5] = ["Office Totals:", "", 37, 14, 22, 2]
    path = write_xlsx(tmp_path / "mayor.xlsx", report(*wards))
    result = read_results_file(path)
    assert [w.location.row for w in result.warnings] == [8, 11]
    county, office = result.warnings
    assert county.location.sheet == "Sheet1"
    assert county.location.column == "D (ANN SMITH)"
    assert "12" in county.message and "11" in county.message and "ADAMS" in county.message
    assert office.location.column == f"F ({SCATTERING})"
    assert "mayor.xlsx, sheet 'Sheet1', row 11" in office.describe()
    assert result.election.count("MAYOR", "original canvass").total_votes == 37


def test_total_votes_cast_that_disagrees_with_choices_is_a_warning(tmp_path: Path) -> None:
    wards = [list(r) for r in GOOD_WARDS]
    wards[0] = ["ADAMS ", "TOWN OF ADAMS Wards 1 & 2", 11, 6, 4, 0]
    path = write_xlsx(tmp_path / "mayor.xlsx", report(*wards))
    warnings = read_results_file(path).warnings
    assert warnings[0].location.row == 6
    assert warnings[0].location.column == "C (Total Votes Cast)"
    assert "11" in warnings[0].message and "10" in warnings[0].message
    # The county and office totals agree with the (wrong) Total Votes Cast of the ward above,
    # so those rows now differ from the wards' sums too.
    assert [w.location.row for w in warnings] == [6, 8, 11]


def test_side_by_side_counts_and_stacked_contests(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["2019 SPRING ELECTION & RECOUNT"],
        ["CONTEST ONE"],
        ["", "", "Original Canvass", "", "", "", "Recount Canvass Certification"],
        ["", "", "Total Votes Cast", "A", "B", "", "Total Votes Cast", "A", "B"],
        ["DANE", "CITY OF MADISON Ward 1", 3, 1, 2, "", 4, 2, 2],
        ["Office Totals:", "", 3, 1, 2, "", 4, 2, 2],
        [],
        ["CONTEST TWO Vote for 2"],
        ["", "", "Total Votes Cast", "C", "D"],
        ["DANE", "CITY OF MADISON Ward 1", 5, 2, 3],
    ]
    election = read_results_file(write_xlsx(tmp_path / "two.xlsx", rows)).election
    assert list(election.contests) == ["CONTEST ONE", "CONTEST TWO Vote for 2"]
    assert election.contests["CONTEST TWO Vote for 2"].votes_allowed == 2
    assert [(c.contest, c.name) for c in election.counts] == [
        ("CONTEST ONE", "original canvass"),
        ("CONTEST ONE", "recount"),
        ("CONTEST TWO Vote for 2", "original canvass"),
    ]
    assert election.count("CONTEST ONE", "recount").totals() == {"A": 2, "B": 2}


def test_header_repeated_after_a_page_break_continues_the_contest(tmp_path: Path) -> None:
    page_head = [["2020 SPRING ELECTION"], ["MAYOR"], *HEADER[4:]]
    rows: list[list[object]] = [
        *page_head,
        ["ADAMS ", "TOWN OF ADAMS Wards 1 & 2", 10, 6, 4, 0],
        [],
        *page_head,
        ["", "CITY OF ADAMS Ward 1", 20, 5, 14, 1],
        ["", "County Totals:", 30, 11, 18, 1],
        ["Office Totals:", "", 30, 11, 18, 1],
    ]
    result = read_results_file(write_xlsx(tmp_path / "pages.xlsx", rows))
    assert list(result.election.contests) == ["MAYOR"]
    assert result.election.units["ADAMS|CITY OF ADAMS Ward 1"].county == "ADAMS"
    assert result.election.count("MAYOR", "original canvass").total_votes == 30
    assert result.warnings == []


def test_two_line_headers_join_running_mates_and_take_parties() -> None:
    ticket = choice_from_header(["DEM", "Hillary Clinton", "Tim Kaine"])
    assert (ticket.name, ticket.party) == ("Hillary Clinton / Tim Kaine", "DEM")
    assert choice_from_header(["Donald J. Trump", "Michael R. Pence"]).name == (
        "Donald J. Trump / Michael R. Pence"
    )
    assert choice_from_header(["DAVID T. PROSSER,", "JR."]).name == "DAVID T. PROSSER, JR."
    assert choice_from_header(["Republican", "Ted Cruz"]).party == "Republican"
    scattering = choice_from_header(["SCATTERING"])
    assert (scattering.name, scattering.party, scattering.is_write_in) == (SCATTERING, None, True)


def test_presidential_ticket_over_two_header_lines_in_a_report(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["PRESIDENT"],
        ["", "", "Total Votes Cast", "DEM", "REP", ""],
        ["", "", "", "Hillary Clinton", "Donald J. Trump", "SCATTERING"],
        ["", "", "", "Tim Kaine", "Michael R. Pence", ""],
        ["ADAMS", "TOWN OF ADAMS Ward 1", 9, 4, 5, 0],
    ]
    election = read_results_file(write_xlsx(tmp_path / "p.xlsx", rows)).election
    names = election.contests["PRESIDENT"].choice_names()
    assert names == [
        "Hillary Clinton / Tim Kaine",
        "Donald J. Trump / Michael R. Pence",
        SCATTERING,
    ]


@pytest.mark.parametrize(
    ("ward", "row", "column", "expected"),
    [
        (["", "CITY OF ADAMS Ward 1", 20, "five", 14, 1], 7, "D (ANN SMITH)", "the text 'five'"),
        (["", "CITY OF ADAMS Ward 1", 20, 5, -14, 1], 7, "E (BOB JONES)", "negative count"),
        (["", "CITY OF ADAMS Ward 1", 20, 5, None, 1], 7, "E (BOB JONES)", "empty cell"),
        (["", "CITY OF ADAMS Ward 1", 20, 5.5, 14, 1], 7, "D (ANN SMITH)", "whole number"),
        (["", None, 20, 5, 14, 1], 7, "B", "reporting unit"),
        (["", "CITY OF ADAMS Ward 1", 20, 5, 14, 1, 3], 7, "G", "no choice above it"),
    ],
)
@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_bad_ward_rows_are_errors_naming_the_cell(
    tmp_path: Path, ward: list[object], row: int, column: str, expected: str, suffix: str
) -> None:
    wards = [list(r) for r in GOOD_WARDS]
    wards[1] = ward
    write = write_xlsx if suffix == "xlsx" else write_csv
    path = write(tmp_path / f"bad.{suffix}", report(*wards))
    with pytest.raises(InputFileError) as caught:
        read_results_file(path)
    location = caught.value.location
    assert (location.file, location.sheet, location.row, location.column) == (
        str(path),
        "Sheet1" if suffix == "xlsx" else None,
        row,
        column,
    )
    assert expected in caught.value.problem


def test_a_csv_report_reads_like_the_workbook(tmp_path: Path) -> None:
    wards = [list(r) for r in GOOD_WARDS]
    wards[0] = ["ADAMS ", "TOWN OF ADAMS Wards 1 & 2", 11, 6, 4, 0]
    wards[4] = ["", "County Totals:", 7, 3, 5, 0]
    workbook = read_results_file(write_xlsx(tmp_path / "mayor.xlsx", report(*wards)))
    text = read_results_file(write_csv(tmp_path / "mayor.csv", report(*wards)))
    assert text.election.units == workbook.election.units
    assert [(c.name, c.totals()) for c in text.election.counts] == [
        (c.name, c.totals()) for c in workbook.election.counts
    ]
    assert [(w.location.row, w.location.column, w.message) for w in text.warnings] == [
        (w.location.row, w.location.column, w.message) for w in workbook.warnings
    ]
    assert [w.location.row for w in text.warnings] == [6, 8, 10, 11]


def test_ward_before_any_county_is_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", report(["", "CITY OF ADAMS Ward 1", 1, 1, 0, 0]))
    with pytest.raises(InputFileError, match="expected a county name in column A"):
        read_results_file(path)


def test_header_without_wards_is_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", report(["Office Totals:", "", 0, 0, 0, 0]))
    with pytest.raises(InputFileError, match="no reporting units"):
        read_results_file(path)


def test_missing_total_votes_cast_column_is_an_unknown_layout(tmp_path: Path) -> None:
    rows = [["MAYOR"], ["", "", "Votes", "ANN SMITH"], ["ADAMS", "TOWN OF ADAMS Ward 1", 3, 3]]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(InputFileError) as caught:
        read_results_file(path)
    assert "unknown layout" in caught.value.problem
    assert "'MAYOR'" in caught.value.problem
    assert "Total Votes Cast" in caught.value.problem


def test_header_with_no_choices_is_an_error(tmp_path: Path) -> None:
    rows = [["MAYOR"], ["", "", "Total Votes Cast"], ["ADAMS", "TOWN OF ADAMS Ward 1", 3]]
    with pytest.raises(InputFileError, match="choices' names"):
        read_results_file(write_xlsx(tmp_path / "bad.xlsx", rows))


@pytest.mark.parametrize("keep", [100, 5000, 300_000])
def test_truncated_xls_is_an_error(shared_data: Path, tmp_path: Path, keep: int) -> None:
    truncated = tmp_path / "truncated.xls"
    truncated.write_bytes((shared_data / WI_2011).read_bytes()[:keep])
    with pytest.raises(InputFileError, match="truncated or damaged"):
        read_results_file(truncated)


def test_truncated_xlsx_is_an_error(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", report(*GOOD_WARDS))
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(whole.read_bytes()[:-200])
    with pytest.raises(InputFileError) as caught:
        read_results_file(truncated)
    assert caught.value.location.file == str(truncated)
    assert "truncated" in caught.value.problem


def test_empty_workbook_is_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(InputFileError, match="no data"):
        read_results_file(path)


def duplicated(*extra: list[object]) -> list[list[object]]:
    """Return a two-contest report whose MAYOR lists wards again as ``extra``."""
    second: list[list[object]] = [
        ["CLERK"],
        ["", "", "Total Votes Cast", "CAL DAY", "SCATTERING"],
        ["ADAMS", "TOWN OF ADAMS Wards 1 & 2", 8, 8, 0],
    ]
    wards = [list(r) for r in GOOD_WARDS]
    return report(*wards[:2], *extra, *wards[2:], *second)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("again", "said"),
    [
        (["", "CITY OF ADAMS Ward 1", 20, 5, 14, 1], "with the same figures"),
        (["", "CITY OF ADAMS Ward 1", 0, 0, 0, 0], "with all zeros"),
    ],
)
def test_identical_or_all_zero_duplicated_ward_is_a_warning(
    tmp_path: Path, suffix: str, again: list[object], said: str
) -> None:
    write = write_xlsx if suffix == "xlsx" else write_csv
    result = read_results_file(write(tmp_path / f"dup.{suffix}", duplicated(again)))
    mayor = result.election.count("MAYOR", "original canvass")
    assert mayor.totals() == {"ANN SMITH": 14, "BOB JONES": 22, SCATTERING: 1}
    assert result.errors == []
    assert [(w.location.row, w.location.column) for w in result.warnings] == [(8, "B")]
    assert said in result.warnings[0].message and "first on row 7" in result.warnings[0].message


def test_conflicting_duplicated_ward_leaves_out_only_its_contest(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dup.xlsx", duplicated(["", "CITY OF ADAMS Ward 1", 21, 6, 14, 1]))
    result = read_results_file(path)
    assert list(result.election.contests) == ["CLERK"]
    assert [c.contest for c in result.election.counts] == ["CLERK"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.location.file, error.location.sheet, error.location.row) == (
        str(path),
        "Sheet1",
        8,
    )
    assert "on row 7 and on row 8" in error.message and "'MAYOR'" in error.message
    with pytest.raises(InputFileError) as caught:
        read_results([path], strict=True)
    assert caught.value.location.row == 8


def test_2016_csv_report_reads_tickets_whole(shared_data: Path) -> None:
    result = read_results_file(shared_data / WI_2016_CSV)
    election = result.election
    assert len(election.units) == 3636
    count = election.count("PRESIDENT OF THE UNITED STATES", "original canvass")
    totals = count.totals()
    trump, clinton = "Donald J. Trump / Michael R. Pence", "Hillary Clinton / Tim Kaine"
    assert (totals[trump], totals[clinton]) == (1_405_284, 1_382_536)
    assert totals[trump] - totals[clinton] == 22_748
    choices = {c.name: c for c in election.contests["PRESIDENT OF THE UNITED STATES"].choices}
    assert choices[trump].short_name == "Donald J. Trump"
    assert "Rocky Roque De La Fuente / Michael Steinberg" in choices
    assert match_choice_names(choices, "Stein") == ["Jill Stein / Ajamu Baraka"]
    assert match_choice_names(choices, "trump") == [trump]
    assert match_choice_names(choices, "Donald J. Trump") == [trump]


def test_candidate_stein_is_not_michael_steinberg_in_the_recount_law(shared_data: Path) -> None:
    election = read_results_file(shared_data / WI_2016_CSV).election
    name = "PRESIDENT OF THE UNITED STATES"
    results = ContestResults.from_count(
        election.contests[name], election.count(name, "original canvass")
    )
    standing = results.standing("Stein")
    assert (standing.leader, standing.other) == (
        "Donald J. Trump / Michael R. Pence",
        "Jill Stein / Ajamu Baraka",
    )
    assert standing.other_votes == 31_072
