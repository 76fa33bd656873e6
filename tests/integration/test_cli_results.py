"""The results commands end to end through the real CLI: files → store → reconcile → report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.demo import generate_statewide_election
from papertally.io import write_generic_csv
from papertally.model import Election
from papertally.reconcile import reconcile_election

WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"
PROSSER, KLOPPENBURG = "DAVID T. PROSSER, JR.", "JOANNE F. KLOPPENBURG"

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    """Run ``papertally ARGS`` and return the exit code, standard output and standard error."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> object:
    """Run ``papertally ARGS --json``, check it succeeded and return the parsed output."""
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_reconcile_the_2011_wisconsin_recount(shared_data: Path, tmp_path: Path) -> None:
    data = run_json(
        "reconcile",
        str(shared_data / WI_2011),
        "--csv",
        str(tmp_path / "diff.csv"),
        "--html",
        str(tmp_path / "report.html"),
    )
    assert isinstance(data, dict)
    assert data["reporting_units"] == 3602
    assert len(data["counties"]) == 72
    assert data["changed_units"] == 1340
    assert (data["before"]["margin"], data["after"]["margin"]) == (7316, 7004)
    assert data["before"]["totals"] == {PROSSER: 752323, KLOPPENBURG: 745007, "Scattering": 1550}
    assert data["after"]["totals"] == {PROSSER: 752694, KLOPPENBURG: 745690, "Scattering": 1729}
    assert (data["before"]["total_votes"], data["after"]["total_votes"]) == (1498880, 1500113)
    assert data["before"]["winner"] == data["after"]["winner"] == PROSSER
    assert data["net_change"] == {PROSSER: 371, KLOPPENBURG: 683, "Scattering": 179}
    assert data["outcome_changed"] is False
    assert (data["from"], data["to"]) == ("original canvass", "recount")
    assert data["only_in_before"] == data["only_in_after"] == []
    assert sum(c["margin_change"] for c in data["counties"]) == 7004 - 7316
    assert {"unit", "county", "change"} <= set(data["largest_changes"][0])
    assert data["largest_changes"][0]["unit"] == "WAUPACA|TOWN OF LARRABEE Wards 1 & 2"
    assert data["flagged_units"]
    assert len((tmp_path / "diff.csv").read_text(encoding="utf-8").splitlines()) == 3603
    assert "The outcome stands." in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_inspect_reports_what_the_file_holds(shared_data: Path) -> None:
    data = run_json("inspect", str(shared_data / WI_2011))
    assert isinstance(data, dict)
    assert (data["reporting_units"], data["counties"]) == (3602, 72)
    assert data["files"][0]["format"] == "wec-ward-report"
    (contest,) = data["contests"]
    counts = {c["name"]: c for c in contest["counts"]}
    assert counts["original canvass"]["totals"][PROSSER] == 752323
    assert counts["recount"]["total_votes"] == 1500113
    assert isinstance(data["warnings"], list)
    code, out, _ = run("inspect", str(shared_data / WI_2011))
    assert code == 0 and "3,602 reporting units in 72 counties" in out


def split_counts(election: Election, tmp_path: Path) -> tuple[Path, Path]:
    """Write the canvass and the recount of ``election`` to two generic CSV files."""
    paths = []
    for index, count in enumerate(election.counts):
        part = Election(election.name, election.date, election.state, election.contests)
        part.units = election.units
        part.counts = [count]
        path = tmp_path / f"count{index}.csv"
        write_generic_csv(part, path)
        paths.append(path)
    return paths[0], paths[1]


def test_two_files_store_and_elections(tmp_path: Path) -> None:
    election = generate_statewide_election(3, counties=6, units=120)
    expected = reconcile_election(election).to_json()
    before, after = split_counts(election, tmp_path)
    from_files = run_json("reconcile", str(before), str(after))
    assert from_files == expected

    db = str(tmp_path / "store.db")
    imported = run_json("import", str(before), str(after), "--db", db, "--name", "Two files")
    assert isinstance(imported, dict)
    assert imported["election"] == "Two files"
    listed = run_json("elections", "--db", db)
    assert isinstance(listed, list)
    assert [(e["id"], e["name"], e["reporting_units"]) for e in listed] == [
        (imported["election_id"], "Two files", 120)
    ]
    stored = run_json("reconcile", "--election", str(imported["election_id"]), "--db", db)
    assert stored == expected
    code, out, _ = run("elections", "--db", db)
    assert code == 0 and "Two files" in out


def test_demo_goes_through_import_store_and_report(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    code, out, err = run(
        "demo", "--db", str(db), "--out", str(tmp_path / "demo"), "--units", "150",
        "--counties", "8", "--seed", "4",
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "demo" / "reconciliation.html").is_file()
    assert (tmp_path / "demo" / "unit-differences.csv").is_file()
    assert "reconciliation.html" in out and "The outcome" in out
    listed = run_json("elections", "--db", str(db))
    assert isinstance(listed, list) and listed[0]["reporting_units"] == 150


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reconcile"], "give one results file"),
        (["reconcile", "{csv}", "--contest", "Governor"], "no contest 'Governor'"),
        (["reconcile", "{csv}", "--from", "audit"], "has no count 'audit'"),
        (["reconcile", "{csv}", "--election", "1"], "not both"),
        (["reconcile", "{csv}", "{csv}", "{csv}"], "got 3 files"),
        (["inspect", "{bad}"], "bad.csv"),
        (["reconcile", "--election", "42", "--db", "{db}"], "no election"),
    ],
)
def test_user_errors_are_one_line_with_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    election = generate_statewide_election(1, counties=2, units=4)
    write_generic_csv(election, tmp_path / "ok.csv")
    (tmp_path / "bad.csv").write_text("this is not\na results file\n", encoding="utf-8")
    places = {"csv": tmp_path / "ok.csv", "bad": tmp_path / "bad.csv", "db": tmp_path / "s.db"}
    code, out, err = run(*(a.format(**places) for a in args))
    assert code == 2
    assert message in " ".join(err.split())
    assert "Traceback" not in out + err


def test_two_files_with_counts_of_the_same_name_are_told_apart(tmp_path: Path) -> None:
    election = generate_statewide_election(6, counties=3, units=30)
    before, after = split_counts(election, tmp_path)
    recount = election.counts[1]
    recount.name = "original canvass"  # e.g. a county's corrected canvass, named the same
    write_generic_csv(
        Election(election.name, election.date, None, election.contests, election.units, [recount]),
        after,
    )
    data = run_json("reconcile", str(before), str(after))
    assert isinstance(data, dict)
    assert (data["from"], data["to"]) == (
        "original canvass (count0.csv)",
        "original canvass (count1.csv)",
    )
    assert data["changed_units"] > 0


def test_a_file_with_one_count_per_contest_explains_what_is_missing(shared_data: Path) -> None:
    path = str(shared_data / "wi/2016-04-05_presidential-preference_ward.xlsx")
    code, _, err = run("reconcile", path)
    assert code == 2 and "--contest NAME" in err
    code, _, err = run("reconcile", path, "--contest", "democratic")
    assert code == 2 and "reconciling needs two" in " ".join(err.split())
    same = run_json("reconcile", path, path, "--contest", "republican")
    assert isinstance(same, dict)
    assert same["changed_units"] == 0 and same["outcome_changed"] is False
