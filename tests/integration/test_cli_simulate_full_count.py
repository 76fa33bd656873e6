"""``audit simulate`` says at once when a margin means a full hand count (issue 11).

Before, a polling simulation of a 2-in-100,000 margin drew every card of every trial (64 s for
the default 1,000 trials) to report sizes equal to the whole population.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()


def _simulate(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["audit", "simulate", "--risk-limit", "0.1", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_tiny_margin_is_a_full_hand_count_without_simulating() -> None:
    data = _simulate("--votes", "A=5001", "--votes", "B=4999", "--trials", "50")
    assert data["full_hand_count"] is True
    assert data["trials"] == 0
    assert data["p50"] == data["p99"] == data["ballots"] == 10_000
    assert isinstance(data["limit_mean"], float) and data["limit_mean"] >= 10_000


def test_true_votes_against_the_reported_winner_mean_a_full_hand_count() -> None:
    data = _simulate(
        "--votes", "A=5200", "--votes", "B=4800",
        "--true-votes", "A=4800", "--true-votes", "B=5200", "--trials", "50",
    )  # fmt: skip
    assert data["full_hand_count"] is True
    assert data["limit_mean"] is None


def test_an_auditable_margin_is_still_simulated() -> None:
    data = _simulate("--votes", "A=5500", "--votes", "B=4500", "--trials", "50")
    assert "full_hand_count" not in data
    assert data["trials"] == 50
    assert isinstance(data["p99"], int) and data["p99"] < 10_000


def test_the_text_answer_names_the_full_hand_count() -> None:
    result = runner.invoke(
        app,
        ["audit", "simulate", "--risk-limit", "0.1", "--votes", "A=52", "--votes", "B=48",
         "--ballots", "100000"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "full hand count of 100,000 cards" in " ".join(result.output.split())
