"""``papertally cvr inspect | tally | check | manifest`` on the shared Dominion and Arlo files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()


def _cvr(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["cvr", *args])
    return result.exit_code, result.output


def test_inspect_and_tally_the_dominion_json_sample(shared_data: Path) -> None:
    folder = shared_data / "cvr" / "dominion"
    files = [
        str(folder / "test_5.10.50.85.Dominion.json"),
        str(folder / "test_5.2.18.2.Dominion.json"),
    ]
    code, out = _cvr("inspect", *files, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["cards"] == 6
    county = data["counties"]["all"]
    assert county["batches"] == 5 and county["counting_groups"] == ["1", "2"]
    assert county["contests"]["Contest 19"]["ranked"] is True
    code, out = _cvr("tally", *files, "--contest", "Contest 111", "--json")
    assert code == 0, out
    tally = json.loads(out)["contests"]["Contest 111"]
    assert tally["total"] == {"Candidate 6": 2}
    assert tally["by_counting_group"] == {"1": {"Candidate 6": 1}, "2": {"Candidate 6": 1}}


def test_check_against_a_manifest_finds_the_batch_that_differs(
    shared_data: Path, tmp_path: Path
) -> None:
    folder = shared_data / "arlo-small-election"
    cvrs = f"Siletz={folder / 'Siletz - cvrs.csv'}"
    code, out = _cvr(
        "check", cvrs, "--manifest", f"Siletz={folder / 'Siletz - ballot manifest.csv'}"
    )
    assert code == 0, out
    manifest = tmp_path / "manifest.csv"
    code, out = _cvr("manifest", cvrs, "--csv", str(manifest))
    assert code == 0, out
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines[1] = ",".join([*lines[1].split(",")[:-1], "999"])
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = _cvr("check", cvrs, "--manifest", f"Siletz={manifest}", "--json")
    assert code == 1, out
    findings = json.loads(out)["findings"]
    assert [f["check"] for f in findings] == ["batch-count"] and findings[0]["expected"] == 999


def test_an_unknown_contest_is_one_clear_line(shared_data: Path) -> None:
    path = shared_data / "cvr" / "dominion" / "test_5.2.18.2.Dominion.json"
    code, out = _cvr("tally", str(path), "--contest", "Contest 11")
    assert code == 2 and out.startswith("error: no CVR shows the contest 'Contest 11'"), out


def test_check_against_the_canvass_and_the_ballots_cast(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "arlo-small-election"
    canvass = tmp_path / "canvass.csv"
    canvass.write_text(
        "county,reporting_unit,contest,choice,votes\n"
        "Siletz,Ward 1,Minister of Farming,Erin George,41\n"
        "Siletz,Ward 1,Minister of Farming,Alex Hall,6\n",
        encoding="utf-8",
    )
    code, out = _cvr(
        "check", f"Siletz={folder / 'Siletz - cvrs.csv'}",
        "--manifest", f"Siletz={folder / 'Siletz - ballot manifest.csv'}",
        "--canvass", str(canvass), "--ballots-cast", "60", "--json",
    )  # fmt: skip
    assert code == 1, out
    found = {(f["check"], f["subject"]): f for f in json.loads(out)["findings"]}
    assert found["choice-tally", "Minister of Farming / Alex Hall"]["expected"] == 6
    assert found["choice-tally", "Minister of Farming / Alex Hall"]["found"] == 5
    assert found["manifest-total", "total"]["expected"] == 60
    assert ("choice-tally", "Minister of Farming / Erin George") not in found


def _top(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_inspect_recognises_a_dominion_folder_and_lists_what_it_skipped(
    shared_data: Path,
) -> None:
    import hashlib

    folder = shared_data / "cvr" / "dominion"
    code, out = _top("inspect", str(folder), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["kind"] == "cast vote records"
    assert [s["file"] for s in data["skipped"]] == ["README.txt"]
    county = data["counties"]["all"]
    assert county["cards"] == 27 and county["sessions"] == 26
    for file in county["files"]:
        assert file["sha256"] == hashlib.sha256(Path(file["path"]).read_bytes()).hexdigest()
    assert county["contests"]["Contest 111"]["tally"] == {"Candidate 6": 2}
    # The README says two of the files repeat a third: the pre-sample check says so too.
    findings = data["checks"]["findings"]
    assert [f["check"] for f in findings] == ["duplicate-position"] * 2


def test_inspect_text_on_hart_and_nist_cvrs_points_to_the_cvr_commands(
    shared_data: Path,
) -> None:
    code, out = _top("inspect", str(shared_data / "cvr" / "hart"))
    assert code == 0, out
    text = " ".join(out.split())
    assert "cast vote records (as papertally cvr inspect" in text
    assert "2 cards in 2 sessions" in text and "Hart_manifest.xlsx" in text
    code, out = _top("inspect", str(shared_data / "nist" / "cvr-gen-03.xml"), "--json")
    assert code == 0, out
    assert json.loads(out)["cards"] == 20


def test_a_zip_with_a_readme_and_images_reads_the_cvrs(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "export.zip"
    session = {
        "TabulatorId": 1, "BatchId": 2, "RecordId": 3, "CountingGroupId": 1,
        "Original": {"IsCurrent": True, "Cards": [
            {"Id": 9, "PaperIndex": 0, "Contests": [
                {"Id": 1, "Overvotes": 0, "Undervotes": 0,
                 "Marks": [{"CandidateId": 4, "Rank": 1, "IsVote": True}]}]}]},
    }  # fmt: skip
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("README.md", "# What this export holds\n")
        out.writestr("Images/0001.tif", b"II*\x00")
        out.writestr("CvrExport_0.json", json.dumps({"Version": "5.10", "Sessions": [session]}))
    code, out = _cvr("inspect", str(archive), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["cards"] == 1
    assert {s["file"] for s in data["skipped"]} == {
        "export.zip!README.md",
        "export.zip!Images/0001.tif",
    }
    code, out = _cvr("tally", str(archive))
    assert code == 0 and "Candidate 4 1" in out, out


def test_a_file_named_alone_is_still_refused_when_it_holds_no_cvrs(tmp_path: Path) -> None:
    readme = tmp_path / "README.txt"
    readme.write_text("These files hold the CVRs.\n", encoding="utf-8")
    code, out = _cvr("inspect", str(readme))
    assert code == 2 and out.startswith("error: README.txt"), out
    code, out = _top("inspect", str(readme))
    assert code == 2 and out.startswith("error: README.txt") and "Traceback" not in out, out
