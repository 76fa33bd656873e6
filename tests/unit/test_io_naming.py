"""The small helpers the readers share: unit names, choices, dates and numbers in cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from papertally.errors import FileLocation, InputFileError
from papertally.io.cells import parse_count
from papertally.io.naming import (
    date_in_file_name,
    date_in_text,
    make_choice,
    municipality_of,
)
from papertally.io.tables import column_letter
from papertally.model import SCATTERING

HERE = FileLocation("f.xlsx", "Sheet1", 3, "D")


@pytest.mark.parametrize(
    ("name", "municipality"),
    [
        ("TOWN OF ADAMS Wards 1 & 2", "TOWN OF ADAMS"),
        ("CITY OF WISCONSIN RAPIDS Wards 6-15,24,26-29", "CITY OF WISCONSIN RAPIDS"),
        ("Village Of Bayside Wards 1,1S,3,3S", "Village Of Bayside"),
        ("TOWN OF BIG FLATS Ward 1-2", "TOWN OF BIG FLATS"),
        ("CITY OF MILWAUKEE  Ward 12", "CITY OF MILWAUKEE"),
        ("Springfield Precinct 4", "Springfield"),
        ("VILLAGE OF MAPLE BLUFF", "VILLAGE OF MAPLE BLUFF"),
        ("TOWN OF WARDSVILLE Ward 1", "TOWN OF WARDSVILLE"),
        ("P-1", None),
    ],
)
def test_municipality_is_the_name_before_the_ward_part(name: str, municipality: str | None) -> None:
    assert municipality_of(name) == municipality


def test_choices_mark_scattering_and_write_ins() -> None:
    assert make_choice("SCATTERING") == make_choice(" scattering ")
    assert make_choice("SCATTERING").name == SCATTERING
    assert make_choice("SCATTERING").is_write_in
    assert make_choice("Victor Williams (write-in)").is_write_in
    assert not make_choice("Ted  Cruz", "REP").is_write_in
    assert make_choice("Ted  Cruz", "REP").name == "Ted Cruz"
    assert not make_choice("Scattering", is_write_in=False).is_write_in
    assert make_choice("Ann", "").party is None


def test_dates_in_titles_and_file_names() -> None:
    assert date_in_text("SPRING ELECTION April 5, 2011") == date(2011, 4, 5)
    assert date_in_text("Election of 11/8/2016") == date(2016, 11, 8)
    assert date_in_text("2016 Spring Election and Presidential Preference Vote") is None
    assert date_in_text("held 31/31/2016") is None
    assert date_in_file_name("2011-04-05_supreme-court") == date(2011, 4, 5)
    assert date_in_file_name("20160405__wi__general__ward") == date(2016, 4, 5)
    assert date_in_file_name(Path("results_2016.csv").stem) is None
    assert date_in_file_name("20161345") is None


def test_spreadsheet_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


@pytest.mark.parametrize(
    ("cell", "votes"), [(12, 12), (12.0, 12), ("12", 12), (" 1,234 ", 1234), ("7.0", 7), (0, 0)]
)
def test_counts_read_from_numbers_and_text(cell: int | float | str, votes: int) -> None:
    assert parse_count(cell, HERE) == votes


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("", "found an empty cell"),
        ("twelve", "found the text 'twelve'"),
        ("1,23", "found the text '1,23'"),
        (-1, "negative count (-1)"),
        ("-3", "negative count (-3)"),
        (2.5, "whole number"),
        ("2.5", "whole number"),
        (True, "found True"),
        (float("nan"), "whole number"),
    ],
)
def test_bad_counts_name_the_cell(cell: object, problem: str) -> None:
    with pytest.raises(InputFileError) as caught:
        parse_count(cell, HERE)  # type: ignore[arg-type]
    assert caught.value.location == HERE
    assert problem in caught.value.problem
    assert str(caught.value).startswith("f.xlsx, sheet 'Sheet1', row 3, column 'D': expected")
