"""Reading several results files at once, recognising each by its content."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from papertally.errors import InputFileError, PapertallyError
from papertally.io import (
    GENERIC_FORMAT,
    OPENELECTIONS_FORMAT,
    WEC_FORMAT,
    detect_format,
    read_results,
    read_results_file,
)

WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"
WI_2016 = "wi/2016-04-05_presidential-preference_ward.xlsx"
OE_2016 = "openelections/20160405__wi__general__ward.csv"


def test_formats_are_recognised_by_content_not_name(shared_data: Path, tmp_path: Path) -> None:
    disguised = {
        WI_2011: tmp_path / "results.csv",
        WI_2016: tmp_path / "results.txt",
        OE_2016: tmp_path / "results.xlsx",
    }
    for source, target in disguised.items():
        shutil.copyfile(shared_data / source, target)
    assert detect_format(disguised[WI_2011]) == WEC_FORMAT
    assert detect_format(disguised[WI_2016]) == WEC_FORMAT
    assert detect_format(disguised[OE_2016]) == OPENELECTIONS_FORMAT


def test_wec_report_saved_as_csv_reads(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "MAYOR,,,,\n"
        ",,Total Votes Cast,ANN,SCATTERING\n"
        "DANE,CITY OF MADISON Ward 1,5,4,1\n"
        ",County Totals:,5,4,1\n",
        encoding="utf-8",
    )
    result = read_results_file(path)
    assert result.formats == [WEC_FORMAT]
    assert result.election.count("MAYOR", "original canvass").total_votes == 5


def test_several_files_merge_into_one_election(shared_data: Path) -> None:
    calls: list[tuple[int, int]] = []
    result = read_results(
        [shared_data / WI_2011, shared_data / OE_2016],
        progress=lambda done, total: calls.append((done, total)),
    )
    election = result.election
    assert result.files == [str(shared_data / WI_2011), str(shared_data / OE_2016)]
    assert result.formats == [WEC_FORMAT, OPENELECTIONS_FORMAT]
    assert election.name == "2011 SPRING ELECTION & RECOUNT"
    assert len(election.contests) == 46
    assert len(election.units) == 3602 + 3880
    assert result.warnings == []
    total = calls[-1][1]
    # the OpenElections file is streamed: its rows are estimated from its first megabyte
    assert abs(total - (3684 + 32870)) < 0.05 * (3684 + 32870)
    assert calls[-1] == (total, total)
    assert len(calls) > 10
    assert all(later[0] >= earlier[0] for earlier, later in itertools.pairwise(calls))


def test_the_same_count_in_two_files_is_refused(tmp_path: Path) -> None:
    text = "county,reporting_unit,contest,choice,votes\nDane,W1,Mayor,Ann,3\n"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(text, encoding="utf-8")
    second.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_results([first, second])
    assert caught.value.location.file == str(second)
    assert "more than one file" in caught.value.problem


def test_a_recount_in_a_second_file_joins_the_canvass(tmp_path: Path) -> None:
    header = "county,reporting_unit,contest,count,choice,votes\n"
    canvass, recount = tmp_path / "canvass.csv", tmp_path / "recount.csv"
    canvass.write_text(header + "Dane,W1,Mayor,,Ann,3\n", encoding="utf-8")
    recount.write_text(header + "Dane,W1,Mayor,recount,Ann,4\n", encoding="utf-8")
    result = read_results([canvass, recount])
    assert result.formats == [GENERIC_FORMAT, GENERIC_FORMAT]
    assert [c.name for c in result.election.counts_of("Mayor")] == ["original canvass", "recount"]


def test_missing_files_and_no_files_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_results([tmp_path / "nowhere.xls"])
    with pytest.raises(PapertallyError, match="no results file"):
        read_results([])


def test_binary_that_is_not_a_workbook_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "image.xls"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputFileError, match="neither a CSV text file nor an Excel workbook"):
        read_results([path])


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", "\t"), ("cp1252", "|")],
)
def test_csv_text_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    lines = ["county,reporting_unit,contest,choice,votes"]
    lines += [f"Dane,W{i},Mayor,Ann,{i}" for i in range(3000)]
    lines += ["Peña,Cañon Ward 1,Mayor,José  ,7", 'Dane,"Ward 2 ""old""\nhall",Mayor,Ann,1']
    path = tmp_path / "county.csv"
    path.write_bytes("\r\n".join(lines).replace(",", delimiter).encode(encoding))
    election = read_results_file(path).election
    count = election.count("Mayor", "original canvass")
    assert count.units["Peña|Cañon Ward 1"].votes == {"José": 7}
    assert count.units['Dane|Ward 2 "old"\nhall'].votes == {"Ann": 1}
    assert count.units["Dane|W2999"].votes == {"Ann": 2999}
    assert count.units["Peña|Cañon Ward 1"].source is not None
    assert count.units["Peña|Cañon Ward 1"].source.row == 3002
