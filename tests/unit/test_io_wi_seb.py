"""Reading the Wisconsin State Elections Board's flat layout of 2000–2010."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from papertally.errors import InputFileError
from papertally.io import detect_format, read_results_file
from papertally.io.tables import load_table
from papertally.io.wi_seb import WI_SEB_FORMAT

WI_2006 = "wi/2006-11-07_assembly_recount_ward.xls"
TOP = ["ELECTION", "OFFICE", "COUNTY", "MUNICIPALITY", "MUNICIPALITY", "REPORTING UNIT"]
BOTTOM = ["DATE", "NAME", "NAME", "TYPE", "NAME", "NAME"]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Write ``rows`` as the only sheet of a new workbook at ``path``."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "T"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_2006_assembly_file_every_office_and_its_total_row(shared_data: Path) -> None:
    path = shared_data / WI_2006
    assert detect_format(path) == WI_SEB_FORMAT
    result = read_results_file(path)
    election = result.election
    assert (election.name, str(election.date), election.state) == (
        "2006 Fall General Election",
        "2006-11-07",
        "WI",
    )
    assert len(election.contests) == 99
    assert len(election.counties()) == 72
    assert len(election.units) == 3563
    assert result.warnings == []
    # the file's own TOTAL rows, read here independently of the reader, add up to the counts
    rows = load_table(path).sheets[0].rows
    stated = sum(
        int(c) for r in rows if len(r) > 16 and r[16] == "TOTAL" for c in r[17:] if c != ""
    )
    assert sum(c.total_votes for c in election.counts) == stated
    first = election.count("State Assembly, District No. 1", "original canvass")
    assert first.totals() == {"Ame Grail": 11_888, "Garey Bies": 13_736, "Scattering": 23}
    assert "Brown|TOWN OF GREEN BAY Wards 1 & 2" in first.units
    parties = {c.name: c.party for c in election.contests["State Assembly, District No. 1"].choices}
    assert parties == {"Ame Grail": "Democratic", "Garey Bies": "Republican", "Scattering": None}


def block(office: str, names: list[str], *units: list[object]) -> list[list[object]]:
    """Return one office's header rows and unit rows."""
    return [
        [*TOP, *names],
        [*BOTTOM, *([""] * len(names))],
        *(["2004-11-02", office, *u] for u in units),
    ]


def test_headers_that_change_per_office_and_a_total_that_disagrees(tmp_path: Path) -> None:
    rows = [
        *block("Mayor", ["Ann", "Bo"], ["Dane", "City", "Madison", "Ward 1", 3, 4]),
        [" ", " ", " ", " ", " ", "TOTAL", 3, 5],
        *block("Clerk", ["Cy"], ["Dane", "Town", "Vienna", "", 7]),
        [" ", " ", " ", " ", " ", "TOTAL", 7],
    ]
    path = write_xlsx(tmp_path / "seb.xlsx", rows)
    result = read_results_file(path)
    election = result.election
    assert election.count("Mayor", "original canvass").totals() == {"Ann": 3, "Bo": 4}
    assert election.count("Clerk", "original canvass").units["Dane|TOWN OF VIENNA"].votes == {
        "Cy": 7
    }
    assert [(w.location.row, w.location.column) for w in result.warnings] == [(4, "H (Bo)")]
    assert "says 5" in result.warnings[0].message


def test_bad_vote_cell_names_sheet_row_and_column(tmp_path: Path) -> None:
    rows = block("Mayor", ["Ann", "Bo"], ["Dane", "City", "Madison", "Ward 1", 3, "x"])
    with pytest.raises(InputFileError) as caught:
        read_results_file(write_xlsx(tmp_path / "seb.xlsx", rows))
    where = caught.value.location
    assert (where.sheet, where.row, where.column) == ("T", 3, "H (Bo)")
