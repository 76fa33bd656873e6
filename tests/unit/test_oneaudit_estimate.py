"""OneAudit sizes without simulating: the drift estimate against simulated audits.

The estimate (:func:`oneaudit_size_estimate`) replaces the app's planning simulation (seconds
per plan on large close contests); the simulation stays for the command line's quantiles. Each
check compares the estimate with simulated audits of the same contest.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from papertally.audit.assertions import AssorterPopulation
from papertally.audit.contests import AuditType, ContestSpec
from papertally.audit.oneaudit import (
    OneAuditContest,
    PairAssorter,
    Pool,
    _ig_cdf,
    _ig_quantile,
    oneaudit_contest,
    oneaudit_sample_sizes,
    oneaudit_size_estimate,
)
from papertally.audit.simulate import SizeDistribution
from papertally.workflows.oneaudit import method_choice, oneaudit_plan

AB = PairAssorter("A", "B")


def _pooled(cards: int, linked: float, margin: float, pools: int) -> list[Pool]:
    """Pools of equal size, alternately 80/20 for A and for B (one pool: its share of the
    margin)."""
    pooled = cards - round(cards * linked)
    if pools == 1:
        a = round(pooled * (1 + margin) / 2)
        return [Pool("rest", pooled, {"A": a, "B": pooled - a})]
    size = pooled // pools
    return [
        Pool(f"p{i}", size, {"A": 800 * size // 1000, "B": size - 800 * size // 1000})
        if i % 2 == 0
        else Pool(f"p{i}", size, {"A": size - 800 * size // 1000, "B": 800 * size // 1000})
        for i in range(pools)
    ]


def _contest(cards: int, linked: float, margin: float, pools: int) -> OneAuditContest:
    """A two-choice contest: ``linked`` of the cards with right CVRs, the rest pooled."""
    pool_list = _pooled(cards, linked, margin, pools)
    linked_cards = cards - sum(p.cards for p in pool_list)
    a_pooled = sum(int((p.votes or {}).get("A", 0)) for p in pool_list)
    a_linked = round(cards * (1 + margin) / 2) - a_pooled
    cvr = AssorterPopulation((1.0, 0.0), (a_linked, linked_cards - a_linked))
    return oneaudit_contest(AB, cvr, pool_list)


@pytest.mark.parametrize(
    ("cards", "linked", "margin", "pools", "trials"),
    [
        (10_000, 0.95, 0.05, 1, 80),
        (10_000, 0.8, 0.05, 20, 60),
        (10_000, 0.5, 0.08, 1, 60),
    ],
)
def test_estimate_tracks_simulated_audits(
    cards: int, linked: float, margin: float, pools: int, trials: int
) -> None:
    """Mean within 25% and the 90% quantile (what plans use) within 30% of simulated audits."""
    contest = _contest(cards, linked, margin, pools)
    estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
    simulated = SizeDistribution.of(
        oneaudit_sample_sizes(contest, risk_limit=0.05, trials=trials), contest.cards
    )
    assert estimate.trials == 0
    assert estimate.mean == pytest.approx(simulated.mean, rel=0.25)
    assert estimate.p90 == pytest.approx(simulated.p90, rel=0.30)
    assert estimate.p50 <= estimate.p90 <= estimate.p99 <= contest.cards


def test_full_cvrs_are_exact() -> None:
    """Every card linked and right: no spread; the size is the deterministic 121 cards."""
    contest = oneaudit_contest(AB, AssorterPopulation((1.0, 0.0), (10_500, 9_500)), [])
    estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
    (simulated,) = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=1)
    assert estimate.p50 == estimate.p99 == pytest.approx(simulated, abs=2)


def test_hopeless_contest_plans_nearly_a_full_count() -> None:
    """A margin of 2 cards in 400, all in one pool: simulated audits go to a full count 2 times
    in 3; the estimate plans over 90% of the cards (the null mean only falls near the end)."""
    contest = oneaudit_contest(AB, [], [Pool("all", 400, {"A": 201, "B": 199})])
    estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
    assert 360 <= estimate.p50 <= estimate.p90 <= 400


def test_inverse_gaussian_matches_scipy() -> None:
    """The first-passage law's CDF and quantiles, against scipy's inverse Gaussian."""
    for mean, shape in ((300.0, 50.0), (1000.0, 4000.0), (121.0, 1e7)):
        law = stats.invgauss(mu=mean / shape, scale=shape)
        for q in (0.1, 0.5, 0.9, 0.99):
            assert _ig_quantile(q, mean, shape) == pytest.approx(law.ppf(q), rel=1e-5)
        assert _ig_cdf(1.3 * mean, mean, shape) == pytest.approx(law.cdf(1.3 * mean), abs=1e-9)
    assert math.isclose(_ig_cdf(1e9, 300.0, 50.0), 1.0, abs_tol=1e-9)


def test_the_app_plans_by_estimate_and_the_cli_can_simulate() -> None:
    """The seed request's plan is the estimate (it simulated 200 trials per assertion before:
    1.7-21 s on large close contests); asked for trials, the plan simulates."""
    spec = ContestSpec(
        "Mayor",
        AuditType.HYBRID,
        0.05,
        {"A": 52_000, "B": 48_000},
        100_000,
        cvr_votes={"A": 41_600, "B": 38_400},
        cvr_cards=80_000,
    )
    plan = oneaudit_plan(spec)
    assert plan.sizes.trials == 0 and plan.draws == plan.sizes.p90
    assert method_choice(spec).oneaudit == plan
    simulated = oneaudit_plan(spec, trials=5)
    assert simulated.sizes.trials == 5
    assert plan.draws == pytest.approx(simulated.sizes.p90, rel=0.6)


def test_no_bet_at_first_is_not_a_one_card_plan() -> None:
    """A margin of 4 cards in 20,000, every card linked: at the prior's error rates the first
    bets are 0 and only sampling without replacement makes them positive. Simulated audits
    need about 18,900 cards (3 trials); the estimate once planned 1 card here."""
    contest = oneaudit_contest(AB, AssorterPopulation((1.0, 0.0), (10_002, 9_998)), [])
    estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
    assert 17_000 <= estimate.p50 <= estimate.p90 <= 20_000
