"""Validity of comparison audits: when the reported winner really lost or tied, they rarely stop.

Two kinds of check:

* exact, on tiny populations: every order in which the cards can be drawn is enumerated, and the
  measured risk ``p`` must be super-uniform (``P(p ≤ x) ≤ x`` for every ``x``);
* by simulation: audits of a contest whose CVRs overstate the winner enough to hide a tie or a
  loss must stop (wrongly confirm) in at most a share α of trials, up to binomial noise (three
  standard errors), for α = 5% and 10% and several population sizes. Sized to run in seconds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from papertally.audit.batch import BatchContest, batch_comparison_risk, batch_error_bounds
from papertally.audit.comparison import clca_assorter_values, clca_risk_from_values
from papertally.audit.kaplan_markov import kaplan_markov_risk

TRIALS = 1200


def _tolerance(alpha: float, trials: int) -> float:
    return alpha + 3.0 * math.sqrt(alpha * (1 - alpha) / trials)


def _tie_population(population: int, margin: float, kind: str) -> list[str]:
    """Discrepancy codes of ``population`` cards whose true assorter mean is exactly ½ (a tie).

    The overstatements must average ``margin/2`` in units of ``u``: ``two-vote`` uses o2 only,
    ``one-vote`` o1 only, ``mixed`` adds understatements offset by more two-vote
    overstatements and phantoms.
    """
    need = margin * population / 2
    if kind == "two-vote":
        bad = ["o2"] * round(need)
    elif kind == "one-vote":
        bad = ["o1"] * round(2 * need)
    else:
        under = population // 5
        bad = ["u2"] * under + ["o2"] * (under + round(need) - 3) + ["phantom"] * 3
    assert len(bad) <= population
    return bad + ["0"] * (population - len(bad))


def _distinct_orders(codes: list[str]) -> list[tuple[str, ...]]:
    """Every distinct order of the multiset ``codes`` (each equally likely without replacement)."""
    counts: dict[str, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    orders: list[tuple[str, ...]] = []

    def extend(prefix: list[str]) -> None:
        if len(prefix) == len(codes):
            orders.append(tuple(prefix))
            return
        for code, left in counts.items():
            if left:
                counts[code] = left - 1
                extend([*prefix, code])
                counts[code] = left

    extend([])
    return orders


def _super_uniform(p_values: list[float]) -> bool:
    """Whether equally likely ``p_values`` satisfy ``P(p ≤ x) ≤ x`` at every ``x``."""
    ordered = np.sort(np.asarray(p_values))
    k = np.arange(1, ordered.size + 1)
    return bool(np.all(ordered * ordered.size >= k * (1 - 1e-12)))


@pytest.mark.parametrize(
    ("codes", "margin"),
    [
        (["o2", "0", "0", "0", "0", "0", "0", "0", "0", "0"], 0.2),
        (["o2", "o2", "0", "0", "0", "0", "0", "0", "0", "0"], 0.4),
        (["o1", "o1", "0", "0", "0", "0", "0", "0", "0", "0"], 0.2),
        (["o1", "o2", "u1", "0", "0", "0", "0", "0"], 0.25),
        (["phantom", "o1", "o1", "u2", "0", "0", "0", "0"], 0.25),
    ],
)
def test_clca_exact_without_replacement_on_tiny_ties(codes: list[str], margin: float) -> None:
    orders = _distinct_orders(codes)
    multinomial = math.factorial(len(codes))
    for code in set(codes):
        multinomial //= math.factorial(codes.count(code))
    assert len(orders) == multinomial
    p_values = []
    for order in orders:
        x = clca_assorter_values(list(order), margin=margin)
        assert x.mean() == pytest.approx(0.5)
        risk = clca_risk_from_values(x, margin=margin, population=len(codes), risk_limit=0.05)
        p_values.append(risk.p_value)
    assert _super_uniform(p_values)


@pytest.mark.parametrize("draws", [3, 5])
def test_clca_exact_with_replacement_on_a_tiny_tie(draws: int) -> None:
    codes = ["o2", "0", "0", "0", "0"]
    margin = 0.4
    p_values = []
    for sequence in itertools.product(codes, repeat=draws):
        x = clca_assorter_values(list(sequence), margin=margin)
        risk = clca_risk_from_values(x, margin=margin, population=None, risk_limit=0.05)
        p_values.append(risk.p_value)
    assert _super_uniform(p_values)


def test_kaplan_markov_exact_on_tiny_ties() -> None:
    codes = ["o2", "0", "0", "0", "0"]
    margin = 0.4
    with_replacement = [
        kaplan_markov_risk(list(s), margin=margin, risk_limit=0.05).p_value
        for s in itertools.product(codes, repeat=5)
    ]
    assert _super_uniform(with_replacement)
    ten = ["o2", "o1", "0", "0", "0", "0", "0", "0", "0", "0"]
    orders = _distinct_orders(ten)
    assert len(orders) == 90
    without = [
        kaplan_markov_risk(list(o), margin=0.3, risk_limit=0.05, population=10).p_value
        for o in orders
    ]
    assert _super_uniform(without)


def _share_stopped_clca(
    codes: list[str], margin: float, alpha: float, *, with_replacement: bool, seed: int
) -> float:
    rng = np.random.default_rng(seed)
    population = len(codes)
    x_all = clca_assorter_values(codes, margin=margin)
    assert x_all.mean() <= 0.5 + 1e-12
    stops = 0
    for _ in range(TRIALS):
        if with_replacement:
            x = x_all[rng.integers(0, population, size=2 * population)]
            risk = clca_risk_from_values(x, margin=margin, population=None, risk_limit=alpha)
        else:
            x = rng.permutation(x_all)
            risk = clca_risk_from_values(x, margin=margin, population=population, risk_limit=alpha)
        stops += risk.stop
    return stops / TRIALS


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize(
    ("population", "kind", "with_replacement"),
    [
        (200, "two-vote", False),
        (1_000, "one-vote", False),
        (3_000, "mixed", False),
        (200, "mixed", True),
        (1_000, "two-vote", True),
    ],
)
def test_clca_stops_at_most_alpha_when_cvrs_hide_a_tie(
    alpha: float, population: int, kind: str, with_replacement: bool
) -> None:
    codes = _tie_population(population, 0.1, kind)
    share = _share_stopped_clca(
        codes, 0.1, alpha, with_replacement=with_replacement, seed=population + len(kind)
    )
    assert share <= _tolerance(alpha, TRIALS)


def test_clca_stops_rarely_when_the_reported_winner_lost() -> None:
    codes = ["o2"] * 30 + ["o1"] * 10 + ["0"] * 460
    share = _share_stopped_clca(codes, 0.1, 0.1, with_replacement=False, seed=3)
    assert share <= 0.1


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize("population", [500, 2_000])
def test_kaplan_markov_stops_at_most_alpha_on_a_tie(alpha: float, population: int) -> None:
    """Published KM (with replacement) and its exact without-replacement form."""
    codes = np.array(_tie_population(population, 0.1, "two-vote"), dtype=object)
    rng = np.random.default_rng(population)
    with_replacement = without = 0
    for _ in range(TRIALS // 2):
        drawn = codes[rng.integers(0, population, size=2 * population)]
        with_replacement += kaplan_markov_risk(list(drawn), margin=0.1, risk_limit=alpha).stop
        order = rng.permutation(codes)
        without += kaplan_markov_risk(
            list(order), margin=0.1, risk_limit=alpha, population=population
        ).stop
    assert with_replacement / (TRIALS // 2) <= _tolerance(alpha, TRIALS // 2)
    assert without / (TRIALS // 2) <= _tolerance(alpha, TRIALS // 2)


def _wrong_batch_election(batches: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return PPEB weights and true taints of an election whose reported winner only tied.

    Reported: winner 52%, loser 44% in every batch. Truth: votes moved from the winner to the
    loser in a random set of batches until the true margin is exactly 0.
    """
    rng = np.random.default_rng(seed)
    cards = rng.integers(50, 400, size=batches)
    win = np.round(cards * 0.52).astype(int)
    lose = np.round(cards * 0.44).astype(int)
    keys = [f"p{i}" for i in range(batches)]
    contest = BatchContest(
        name="Governor",
        winners=("W",),
        losers=("L",),
        reported={k: {"W": int(w), "L": int(v)} for k, w, v in zip(keys, win, lose, strict=True)},
        ballots={k: int(c) for k, c in zip(keys, cards, strict=True)},
    )
    bounds = batch_error_bounds([contest])
    weights = np.array([bounds[k] for k in keys])
    margin = int(win.sum() - lose.sum())
    shifted = np.zeros(batches, dtype=int)
    remaining = margin
    for i in rng.permutation(batches):
        if remaining <= 0:
            break
        move = min(int(win[i]), (remaining + 1) // 2)
        shifted[i] = move
        remaining -= 2 * move
    overstatement = 2 * shifted / margin
    assert overstatement.sum() >= 1.0
    return weights, overstatement / weights


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize("batches", [40, 300])
def test_batch_comparison_stops_at_most_alpha_when_the_outcome_is_wrong(
    alpha: float, batches: int
) -> None:
    weights, taints = _wrong_batch_election(batches, seed=batches)
    u = float(weights.sum())
    rng = np.random.default_rng(batches + 1)
    p = weights / u
    stops = 0
    for _ in range(TRIALS):
        drawn = taints[rng.choice(batches, size=400, p=p)]
        stops += batch_comparison_risk(list(drawn), total_error_bound=u, risk_limit=alpha).stop
    assert stops / TRIALS <= _tolerance(alpha, TRIALS)
