"""The results readers through the real command line: folders, --strict, --force, ERR."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.store import Store

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    """Run ``papertally ARGS`` and return the exit code, standard output and standard error."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def conflicting_workbook(path: Path) -> Path:
    """Write a two-contest WEC report whose first contest lists a ward twice, differently."""
    rows: list[list[object]] = [
        ["MAYOR"],
        ["", "", "Total Votes Cast", "ANN SMITH", "BOB JONES"],
        ["ADAMS", "TOWN OF ADAMS Ward 1", 10, 6, 4],
        ["", "TOWN OF ADAMS Ward 1", 11, 7, 4],
        ["CLERK"],
        ["", "", "Total Votes Cast", "CAL DAY"],
        ["ADAMS", "TOWN OF ADAMS Ward 1", 8, 8],
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_import_a_folder_of_county_files(shared_data: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    code, out, err = run("import", str(shared_data / "openelections" / "ga"), "--db", db, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["files"]) == 10
    assert data["errors"] == [] and data["warnings"] == []


def test_conflicting_duplicate_leaves_one_contest_out_unless_strict(tmp_path: Path) -> None:
    path = conflicting_workbook(tmp_path / "dup.xlsx")
    db = str(tmp_path / "t.db")
    code, out, err = run("import", str(path), "--db", db, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [c["name"] for c in data["contests"]] == ["CLERK"]
    assert [(e["sheet"], e["row"], e["column"]) for e in data["errors"]] == [("Sheet1", 4, "B")]
    assert "on row 3 and on row 4" in data["errors"][0]["message"]
    with Store(f"sqlite:///{db}") as store:
        kept = store.import_warnings(data["election_id"])
    assert [w.message for w in kept] == ["left out: " + data["errors"][0]["message"]]
    code, out, err = run("import", str(path), "--db", db, "--strict")
    assert code == 2
    assert "dup.xlsx, sheet 'Sheet1', row 4, column 'B'" in err + out


def test_reconcile_refuses_files_of_two_elections_unless_forced(shared_data: Path) -> None:
    before = str(shared_data / "wi/screening/2012-11-06_president_ward.csv")
    after = str(shared_data / "wi/2016-11-08_president_recount-canvass_ward.csv")
    code, out, err = run("reconcile", before, after, "--json")
    assert code == 2
    assert "different elections (2012-11-06 and 2016-11-08)" in err + out
    code, out, err = run("reconcile", before, after, "--json", "--force")
    assert code == 0, err
    assert json.loads(out)["warnings"] == [
        "the files are of different elections (2012-11-06 and 2016-11-08)"
    ]


def test_inspect_reads_an_err_and_a_clarity_file(shared_data: Path) -> None:
    for name, fmt in (("nist/err-gen-03.xml", "nist-err"), ("clarity/county.xml", "clarity-xml")):
        code, out, err = run("inspect", str(shared_data / name), "--json")
        assert code == 0, err
        assert json.loads(out)["files"][0]["format"] == fmt
