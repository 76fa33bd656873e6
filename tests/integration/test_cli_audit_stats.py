"""``papertally audit sample-size | risk | simulate`` end to end, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.output


def test_sample_size_polling_json() -> None:
    code, out = _run(
        "sample-size", "--risk-limit", "0.1", "--votes", "A=55000", "--votes", "B=45000", "--json"
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["ballots"] == 100_000
    row = data["assertions"][0]
    assert row["bravo_asn"] == 470
    assert row["limit_mean"] < data["sample_size"] <= row["bravo_sample_size"]


def test_risk_polling_stops_and_reports_first_draw(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_text("# draws in order\n" + "A\n" * 30, encoding="utf-8")
    code, out = _run(
        "risk", "--risk-limit", "0.1", "--votes", "A=600", "--votes", "B=400",
        "--ballots", "1000", "--sample", str(sample), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["stop"] is True and data["p_value"] <= 0.1
    assert 1 <= data["stopped_at"] <= 30 and data["sample_size"] == 30


def test_risk_polling_not_stopped_gives_null(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_text("A\nB\n\nphantom\nA\n", encoding="utf-8")
    code, out = _run(
        "risk", "--risk-limit", "0.05", "--votes", "A=600", "--votes", "B=400",
        "--ballots", "1000", "--sample", str(sample), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["stop"] is False and data["stopped_at"] is None and data["sample_size"] == 5


def test_unknown_candidate_in_sample_is_a_clear_error(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_text("Alice\nAlise\n", encoding="utf-8")
    code, out = _run(
        "risk", "--risk-limit", "0.05", "--votes", "Alice=600", "--votes", "Bob=400",
        "--ballots", "1000", "--sample", str(sample),
    )  # fmt: skip
    assert code == 2
    assert "sample.txt, row 2" in out and "did you mean 'Alice'" in out
    assert "Traceback" not in out


def test_bad_inputs_get_messages_not_tracebacks() -> None:
    code, out = _run("sample-size", "--risk-limit", "1.2", "--votes", "A=5", "--votes", "B=4")
    assert code == 2 and "risk limit" in out
    code, out = _run(
        "sample-size", "--risk-limit", "0.1", "--votes", "A=5", "--votes", "B=4", "--ballots", "3"
    )
    assert code == 2 and "add up to 9" in out
    code, out = _run("sample-size", "--risk-limit", "0.1", "--votes", "A=5")
    assert code == 2 and "two candidates" in out
    code, out = _run("sample-size", "--risk-limit", "0.1", "--votes", "A5", "--votes", "B=4")
    assert code == 2 and "NAME=N" in out


def test_simulate_polling_reports_quantiles() -> None:
    code, out = _run(
        "simulate", "--risk-limit", "0.1", "--votes", "A=5500", "--votes", "B=4500",
        "--trials", "300", "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["trials"] == 300
    assert data["p50"] <= data["p90"] <= data["p99"] <= 10_000
    assert 300 < data["mean"] < 700


def test_comparison_sample_size_and_risk(tmp_path: Path) -> None:
    pytest.importorskip("papertally.audit.comparison")
    code, out = _run(
        "sample-size", "--type", "comparison", "--risk-limit", "0.1",
        "--votes", "A=505000", "--votes", "B=495000", "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    limit = data["assertions"][0]["limit_no_errors"]
    assert limit <= data["sample_size"] <= 1.06 * limit
    sample = tmp_path / "codes.txt"
    sample.write_text("0\n" * 600, encoding="utf-8")
    code, out = _run(
        "risk", "--type", "comparison", "--risk-limit", "0.1", "--votes", "A=505000",
        "--votes", "B=495000", "--ballots", "1000000", "--sample", str(sample), "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["stop"] is True


def test_batch_sample_size_without_errors() -> None:
    pytest.importorskip("papertally.audit.batch")
    code, out = _run(
        "sample-size", "--type", "batch", "--risk-limit", "0.1",
        "--votes", "A=505000", "--votes", "B=495000", "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    # U = (N + V)/V = 101; n = ⌈ln 10 / −ln(1 − 1/101)⌉ (Stark 2009)
    assert data["assertions"][0]["total_error_bound"] == pytest.approx(101.0)
    assert data["sample_size"] == 232


def test_phantoms_reduce_the_margin_and_can_force_a_hand_count() -> None:
    base = ["sample-size", "--risk-limit", "0.05", "--votes", "A=5500", "--votes", "B=4500"]
    code, out = _run(*base, "--json")
    plain = json.loads(out)["sample_size"]
    code, out = _run(*base, "--phantoms", "100", "--json")
    assert code == 0 and json.loads(out)["sample_size"] > plain
    code, out = _run(*base, "--phantoms", "1000")
    assert code == 2 and "count every card by hand" in out
