"""Regression tests for the validity holes of issue 9: each failed before its fix.

* a supermajority share exactly at ``f`` read as "the null is impossible" through rounding;
* a reported loser with no votes made BRAVO's sample size raise (``log 0``);
* a hybrid audit whose polled cards were all reported for the winner crashed (``η0 = 1``);
* ``Sha256Prng.random()`` could return 1.0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from papertally.audit.assertions import supermajority_assertion
from papertally.audit.hybrid import hybrid_risk, hybrid_sample_size
from papertally.audit.martingale import decide_nulls
from papertally.audit.polling import (
    alpha_risk,
    alpha_settings,
    bravo_martingale,
    bravo_sample_size,
)
from papertally.audit.prng import HASH_BITS, Sha256Prng, unit_interval
from papertally.cli.audit import app


def _tolerance(alpha: float, trials: int) -> float:
    return alpha + 3.0 * math.sqrt(alpha * (1 - alpha) / trials)


def test_supermajority_at_exactly_the_threshold_never_reads_as_impossible() -> None:
    # f = 0.55, N = 1,000 and the winner's true share exactly 55%: the null mean 1/2 is true.
    # Before the fix the null mean of the undrawn zeros came out a hair below 0 in about half
    # of all orders, T jumped to infinity and the audit stopped (47% of audits).
    assertion = supermajority_assertion({"Yes": 600, "No": 400}, "Yes", 0.55)
    settings = alpha_settings(assertion, 0.05)
    cards = np.array([assertion.upper_bound] * 550 + [0.0] * 450)
    rng = np.random.default_rng(2026)
    trials = 300
    stops = 0
    for _ in range(trials):
        measured = alpha_risk(rng.permutation(cards), settings, population=1000, risk_limit=0.05)
        assert measured.p_value > 0.0
        stops += measured.stop
    assert stops / trials <= _tolerance(0.05, trials)


def test_null_means_within_rounding_of_zero_are_zero() -> None:
    x = np.array([0.0, 0.0, 0.5])
    mu, impossible, certain = decide_nulls(
        x,
        np.array([-1e-13, 1e-13, -1e-13]),
        np.array([3.0, 2.0, 1.0]),
        population=3,
        upper_bound=1.0,
    )
    assert mu.tolist() == [0.0, 0.0, 0.0]
    assert impossible.tolist() == [False, False, True]
    assert not certain.any()


def test_bravo_with_a_zero_vote_loser() -> None:
    assert bravo_sample_size(1.0, 0.0, 0.1) == 4
    assert bravo_sample_size(0.55, 0.0, 0.1) == 11
    assert bravo_sample_size(0.55, 0.0, 0.1, loser_so_far=1, max_size=500) == 500
    path = bravo_martingale(np.array([1.0, 1.0, 0.5, 1.0, 1.0, 0.0]), 1.0)
    assert path == pytest.approx([2.0, 4.0, 4.0, 8.0, 16.0, 0.0])


def test_cli_sample_size_with_a_zero_vote_loser_prints_sizes() -> None:
    result = CliRunner().invoke(
        app,
        [
            "sample-size",
            "--type",
            "polling",
            "--risk-limit",
            "0.1",
            "--votes",
            "A=550",
            "--votes",
            "B=0",
            "--ballots",
            "1000",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"bravo_sample_size": 11' in result.output


HYBRID = {
    "votes_cvr_stratum": {"A": 600, "B": 400},
    "votes_no_cvr_stratum": {"A": 100, "B": 0},
    "cards_cvr": 1000,
    "cards_no_cvr": 100,
    "winner": "A",
    "loser": "B",
    "risk_limit": 0.05,
}


def test_hybrid_with_every_polled_card_reported_for_the_winner() -> None:
    measured = hybrid_risk(["0"] * 50, ["A"] * 20, **HYBRID)  # type: ignore[arg-type]
    assert 0.0 < measured.p_value < 0.05
    plan = hybrid_sample_size(**HYBRID)  # type: ignore[arg-type]
    assert plan.total > 0


def test_prng_draws_lie_in_the_unit_interval_even_at_the_largest_output() -> None:
    largest = 2**HASH_BITS - 1
    assert float(largest) * 2.0**-HASH_BITS == 1.0  # cryptorandom's scaling rounds up to 1
    assert unit_interval(largest) < 1.0
    assert unit_interval(largest) == math.nextafter(1.0, 0.0)
    assert unit_interval(0) == 0.0
    assert unit_interval(2**255) == 0.5
    prng = Sha256Prng("12345678901234567890")
    draws = prng.randoms(1000)
    assert ((draws >= 0.0) & (draws < 1.0)).all()


@pytest.mark.parametrize("value", [2**256 - 2**202, 2**256 - 2**203 + 1, 2**200 + 12345])
def test_unit_interval_matches_cryptorandom_below_one(value: int) -> None:
    scaled = float(value) * 2.0**-HASH_BITS
    assert unit_interval(value) == (scaled if scaled < 1.0 else math.nextafter(1.0, 0.0))
