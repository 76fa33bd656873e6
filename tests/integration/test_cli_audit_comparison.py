"""``papertally audit risk | simulate --type comparison`` measure every assertion of the contest.

Regression (issue 9): with A 4,000 / B 3,800 / C 2,200 the command measured only the closest
pair (A > B) and said "risk limit met" even when the cards showed that C, not A, had won.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()
VOTES = ("--votes", "A=4000", "--votes", "B=3800", "--votes", "C=2200", "--ballots", "10000")


def _risk(sample: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["audit", "risk", "--type", "comparison", "--risk-limit", "0.05", *VOTES,
         "--sample", str(sample), *extra],
    )  # fmt: skip
    return result.exit_code, result.output


def test_one_code_per_card_is_refused_when_the_contest_has_several_assertions(
    tmp_path: Path,
) -> None:
    sample = tmp_path / "codes.txt"
    sample.write_text("0\n" * 200 + "o1\n", encoding="utf-8")
    code, out = _risk(sample)
    assert code == 2, out
    assert "codes.txt" in out and "row 201" in out
    assert "A > B" in out and "A > C" in out
    assert "Traceback" not in out


def test_every_assertion_is_measured_and_the_risk_is_the_largest(tmp_path: Path) -> None:
    # The closest pair looks clean, but a third of the cards read C where the CVRs say A:
    # two-vote overstatements of A > C (and one-vote ones of A > B), the wrong outcome.
    sample = tmp_path / "codes.csv"
    rows = ["A > B,A > C"] + ["0,0", "0,0", "o1,o2"] * 100
    sample.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = _risk(sample, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert [a["assertion"] for a in data["assertions"]] == ["A > B", "A > C"]
    assert data["stop"] is False
    assert data["p_value"] == max(a["p_value"] for a in data["assertions"])
    assert data["p_value"] > 0.05 and data["sample_size"] == 300


def test_a_card_with_no_discrepancy_may_be_written_once_for_every_assertion(
    tmp_path: Path,
) -> None:
    sample = tmp_path / "codes.csv"
    sample.write_text("A > C,A > B\n" + "0\n" * 2000, encoding="utf-8")
    code, out = _risk(sample, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["stop"] is True and len(data["assertions"]) == 2


def test_simulate_comparison_sizes_every_assertion() -> None:
    result = runner.invoke(
        app,
        ["audit", "simulate", "--type", "comparison", "--risk-limit", "0.05", *VOTES, "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [a["assertion"] for a in data["assertions"]] == ["A > B", "A > C"]
    assert data["mean"] == max(a["mean"] for a in data["assertions"])


def test_simulate_polling_sizes_every_assertion_against_the_true_votes() -> None:
    # Reported A > B > C, but C truly won: only A > C is false, and it must send the audit to
    # a full hand count; the tightest pair (A > B, still true) alone would stop early.
    result = runner.invoke(
        app,
        ["audit", "simulate", "--type", "polling", "--risk-limit", "0.05", *VOTES,
         "--true-votes", "A=3000", "--true-votes", "B=2900", "--true-votes", "C=4100",
         "--trials", "20", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {a["assertion"]: a for a in data["assertions"]}
    assert set(rows) == {"A > B", "A > C"}
    assert rows["A > C"]["full_hand_counts"] == 1.0
    assert data["full_hand_counts"] == 1.0
