"""Validity by simulation: when the reported winner lost or tied, polling audits rarely stop.

Each case simulates audits of a contest reported with a 10% margin whose cards really show a tie or
a loss; the share that stops (wrongly confirms) must not exceed α beyond binomial noise (three
standard errors). Sized to run in seconds; ``bench/`` runs larger versions.
"""

from __future__ import annotations

import math

import pytest

from papertally.audit.assertions import AssorterPopulation, plurality_assertions
from papertally.audit.polling import alpha_settings, simulate_stopping

TRIALS = 1500


def _tolerance(alpha: float, trials: int) -> float:
    return alpha + 3.0 * math.sqrt(alpha * (1 - alpha) / trials)


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize("population", [200, 1_000, 4_000])
@pytest.mark.parametrize("with_replacement", [False, True])
@pytest.mark.parametrize("winner_share", [0.5, 0.48])
def test_alpha_stops_at_most_alpha_when_outcome_is_wrong(
    alpha: float, population: int, with_replacement: bool, winner_share: float
) -> None:
    reported_w = round(population * 0.55)
    (assertion,) = plurality_assertions({"A": reported_w, "B": population - reported_w})
    true_w = round(population * winner_share)
    truth = AssorterPopulation((1.0, 0.0, 0.5), (true_w, population - true_w, 0))
    limit = population if not with_replacement else 2 * population
    sizes = simulate_stopping(
        truth,
        alpha,
        settings=alpha_settings(assertion, alpha),
        trials=TRIALS,
        seed=population + int(1000 * alpha),
        with_replacement=with_replacement,
        max_draws=limit,
    )
    stopped = float((sizes < limit).mean())
    assert stopped <= _tolerance(alpha, TRIALS)


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_bravo_stops_at_most_alpha_on_a_tie(alpha: float) -> None:
    truth = AssorterPopulation((1.0, 0.0, 0.5), (1_000, 1_000, 0))
    sizes = simulate_stopping(
        truth,
        alpha,
        winner_share=0.55,
        trials=TRIALS,
        seed=11,
        with_replacement=True,
        max_draws=3000,
    )
    assert float((sizes < 3000).mean()) <= _tolerance(alpha, TRIALS)


def test_wrong_outcome_with_other_votes_and_phantoms() -> None:
    # 3-way contest reported A 45%, B 40%, C 15%; the truth is A 40%, B 40%.
    (assertion, _) = plurality_assertions({"A": 900, "B": 800, "C": 300})
    truth = AssorterPopulation((1.0, 0.0, 0.5), (800, 800, 400))
    sizes = simulate_stopping(
        truth, 0.1, settings=alpha_settings(assertion, 0.1), trials=TRIALS, seed=5
    )
    assert float((sizes < 2000).mean()) <= _tolerance(0.1, TRIALS)
