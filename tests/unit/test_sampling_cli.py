"""``papertally audit sample``: JSON, CSV retrieval list, the table, and clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import consistent_sampler
from typer.testing import CliRunner

from papertally.cli.main import app

SEED = "01234567890123456789"
runner = CliRunner()


def manifest_file(tmp_path: Path, name: str, text: str) -> Path:
    """Write a manifest CSV and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_sample_over_two_counties(tmp_path: Path) -> None:
    dane = manifest_file(
        tmp_path, "Dane - ballot manifest.csv", "Tabulator,Batch Name,Number of Ballots\nA,1,30\n"
    )
    iowa = manifest_file(tmp_path, "iowa.csv", "Container,Batch Name,Number of Ballots\nBox,7,20\n")
    result = runner.invoke(
        app,
        [
            "audit",
            "sample",
            "--seed",
            SEED,
            "--manifest",
            str(dane),
            "-m",
            f"Iowa={iowa}",
            "--size",
            "15",
            "--with-replacement",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seed"] == SEED and data["method"] == "consistent" and data["with_replacement"]
    assert data["manifest"]["ballots"] == 50
    assert data["manifest"]["jurisdictions"] == {
        "Dane": {"ballots": 30, "batches": 1},
        "Iowa": {"ballots": 20, "batches": 1},
    }
    ballots: list[tuple[tuple[str, str | None, str], int]]
    ballots = [(("Dane", "A", "1"), p) for p in range(1, 31)]
    ballots += [(("Iowa", None, "7"), p) for p in range(1, 21)]
    expected = list(
        consistent_sampler.sampler(ballots, seed=SEED, take=15, with_replacement=True, digits=18)
    )
    assert [d["ticket"] for d in data["draws"]] == [t for t, _, _ in expected]
    assert [(d["jurisdiction"], d["batch"], d["position"]) for d in data["draws"]] == [
        (item[0][0], item[0][2], item[1]) for _, item, _ in expected
    ]
    retrieved = sum(e["times_drawn"] for v in data["retrieval"].values() for e in v)
    assert retrieved == 15
    assert data["distinct_ballots"] == sum(len(v) for v in data["retrieval"].values())


def test_csv_retrieval_list_and_table(tmp_path: Path) -> None:
    path = manifest_file(tmp_path, "m.csv", "Batch Name,Number of Ballots\n1,10\n2,12\n")
    out = tmp_path / "pull.csv"
    result = runner.invoke(
        app,
        [
            "audit",
            "sample",
            "--seed",
            SEED,
            "-m",
            str(path),
            "-n",
            "5",
            "--method",
            "prng",
            "--csv",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Ballots to retrieve" in result.stdout and "prng" in result.stdout
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    assert {row["Jurisdiction"] for row in rows} == {"m"}
    assert all(row["Times Drawn"] == "1" for row in rows)
    assert [row["Batch Name"] for row in rows] == sorted(row["Batch Name"] for row in rows)


def test_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    good = manifest_file(tmp_path, "m.csv", "Batch Name,Number of Ballots\n1,10\n")
    bad = manifest_file(tmp_path, "bad.csv", "Batch Name,Ballot Count\n1,x\n")
    short_seed = runner.invoke(app, ["audit", "sample", "--seed", "42", "-m", str(good), "-n", "1"])
    assert short_seed.exit_code == 2
    assert "at least 20" in short_seed.stderr
    too_many = runner.invoke(app, ["audit", "sample", "--seed", SEED, "-m", str(good), "-n", "11"])
    assert too_many.exit_code == 2
    assert "full hand count" in too_many.stderr
    bad_count = runner.invoke(app, ["audit", "sample", "--seed", SEED, "-m", str(bad), "-n", "1"])
    assert bad_count.exit_code == 2
    assert "bad.csv, row 2, column 'Ballot Count'" in bad_count.stderr
    assert "Traceback" not in bad_count.output
