"""The WEC side-by-side writer, read back by the real WEC importer and by openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from papertally.demo import generate_statewide_election
from papertally.errors import PapertallyError
from papertally.io import detect_format, read_results_file, write_wec_report
from papertally.io.wec_writer import wec_rows
from papertally.reconcile import reconcile_election


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_the_wec_importer_reads_back_every_vote(tmp_path: Path, suffix: str) -> None:
    election = generate_statewide_election(9, counties=5, units=60)
    path = write_wec_report(election, tmp_path / f"2031-04-01_state.{suffix}")
    assert detect_format(path) == "wec-ward-report"
    result = read_results_file(path)
    assert result.warnings == []  # county and office totals rows agree with the wards
    back = result.election
    assert back.name == election.name
    assert back.date == election.date
    assert [u.id for u in back.units.values()] == list(election.units)
    assert [u.county for u in back.units.values()] == [u.county for u in election.units.values()]
    assert [(c.name, c.totals()) for c in back.counts] == [
        (c.name, c.totals()) for c in election.counts
    ]
    for original, read in zip(election.counts, back.counts, strict=True):
        assert {u: t.votes for u, t in read.units.items()} == {
            u: t.votes for u, t in original.units.items()
        }
    assert reconcile_election(back).changed_units != ()


def trimmed(row: list[object]) -> list[object]:
    """Return ``row`` without its empty cells at the end."""
    while row and row[-1] is None:
        row = row[:-1]
    return row


def test_the_workbook_holds_every_row_for_other_spreadsheet_readers(tmp_path: Path) -> None:
    election = generate_statewide_election(3, counties=3, units=12)
    election.name = "Spring & <Recount> 'election'  "
    path = write_wec_report(election, tmp_path / "state.xlsx")
    sheet = openpyxl.load_workbook(path, read_only=True)["Sheet1"]
    cells = [trimmed(list(row)) for row in sheet.iter_rows(values_only=True)]
    assert cells == [trimmed(row) for row in wec_rows(election)]
    assert cells[0][0] == "Spring & <Recount> 'election'  "
    assert isinstance(cells[-1][2], int)


def test_missing_unit_and_unknown_suffix_are_refused(tmp_path: Path) -> None:
    election = generate_statewide_election(9, counties=2, units=4)
    with pytest.raises(PapertallyError, match=r"\.xlsx or \.csv"):
        write_wec_report(election, tmp_path / "state.ods")
    election.counts[1].units.popitem()
    with pytest.raises(PapertallyError, match="missing from the 'recount' count"):
        write_wec_report(election, tmp_path / "state.csv")
    with pytest.raises(PapertallyError, match="missing from the 'recount' count"):
        write_wec_report(election, tmp_path / "state.xlsx")
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    election = generate_statewide_election(9, counties=2, units=4)
    path = write_wec_report(election, tmp_path / "state.xlsx")
    before = path.read_bytes()
    election.name = "bell \x07 in the title"
    with pytest.raises(PapertallyError, match="control character"):
        write_wec_report(election, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.xlsx"]
    with pytest.raises(PapertallyError, match="cannot write"):
        write_wec_report(election, tmp_path / "state.xlsx" / "inside.csv")
