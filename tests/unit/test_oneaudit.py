"""OneAudit (Stark 2023, "ONEAudit"): ONE CVRs, the overstatement assorter, bets, sizes.

The paper's §2.2 worked example fixes the four ``B`` values of a 900/100 and a 100/900 pool at
``v = 0.05``; the mean of ``B`` is ``u/(2u − v)`` when every tally is right; Table 2's sizes
(20,000 cards, 5% margin) are checked cheaply here (few trials; the full run is
``bench/bench_oneaudit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from papertally.audit.assertions import NO_VOTE, PHANTOM, AssorterPopulation, CardReading
from papertally.audit.comparison import clca_martingale
from papertally.audit.irv.raire import IrvAssertion
from papertally.audit.martingale import measure_risk
from papertally.audit.oneaudit import (
    IrvAssorter,
    OneAuditContest,
    OneAuditDraw,
    PairAssorter,
    Pool,
    SupermajorityAssorter,
    _seen_rows,
    draw_values,
    one_bets,
    one_prior,
    oneaudit_contest,
    oneaudit_risk,
    oneaudit_sample_sizes,
    ranking_population,
)
from papertally.audit.polling import AlphaSettings, alpha_martingale
from papertally.audit.simulate import SizeDistribution
from papertally.errors import PapertallyError

ALICE_BOB = PairAssorter("Alice", "Bob")


def table2_pools(high: int) -> list[Pool]:
    """20 pools of 1,000 cards: 10 at ``high``/``1000 − high`` for Alice, 9 the other way round,
    one mixed so that Alice has 10,500 votes and Bob 9,500 (margin 5%, mean assorter 0.525)."""
    low = 1000 - high
    pools = [Pool(f"A{i}", 1000, {"Alice": high, "Bob": low}) for i in range(10)]
    pools += [Pool(f"B{i}", 1000, {"Alice": low, "Bob": high}) for i in range(9)]
    alice = sum(p.votes["Alice"] for p in pools if p.votes)
    return [*pools, Pool("mixed", 1000, {"Alice": 10_500 - alice, "Bob": alice - 9_500})]


def test_worked_example_section_2_2() -> None:
    """Pool mean 0.9 → B(Alice) 0.5641, B(Bob) 0.0513; pool mean 0.1 → 0.9744, 0.4615."""
    contest = oneaudit_contest(ALICE_BOB, [], table2_pools(900))
    assert contest.margin == pytest.approx(0.05)
    assert contest.cvr_mean == pytest.approx(0.525)
    assert contest.pool_mean("A0") == pytest.approx(0.9)
    assert contest.pool_mean("B0") == pytest.approx(0.1)
    b = contest.overstatement_value
    assert b(0.9, 1.0) == pytest.approx(0.5641, abs=5e-5)
    assert b(0.9, 0.0) == pytest.approx(0.0513, abs=5e-5)
    assert b(0.1, 1.0) == pytest.approx(0.9744, abs=5e-5)
    assert b(0.1, 0.0) == pytest.approx(0.4615, abs=5e-5)
    draws = [
        OneAuditDraw("A3", None, "Alice"),
        OneAuditDraw("A3", None, "Bob"),
        OneAuditDraw("B1", None, "Alice"),
        OneAuditDraw("B1", None, "Bob"),
        OneAuditDraw("B1", None, PHANTOM),
    ]
    assert draw_values(contest, draws) == pytest.approx(
        [0.5641, 0.0513, 0.9744, 0.4615, 0.0], abs=5e-5
    )


@pytest.mark.parametrize("high", [900, 990, 600])
def test_mean_of_b_is_u_over_2u_minus_v_when_tallies_right(high: int) -> None:
    """With every CVR and pool tally right the mean of B over all cards is u/(2u − v)."""
    cvrs = ["Alice"] * 700 + ["Bob"] * 250 + [NO_VOTE] * 50
    pools = [*table2_pools(high), Pool("rural", 300, {"Alice": 100, "Bob": 150})]
    contest = oneaudit_contest(ALICE_BOB, cvrs, pools)
    population = contest.reported_population()
    assert population.size == contest.cards == 1000 + 20_000 + 300
    assert population.mean == pytest.approx(contest.noerror, rel=1e-9)
    assert contest.noerror == pytest.approx(1.0 / (2.0 - contest.margin))


def test_supermajority_mean_of_b_and_pool_means() -> None:
    """Supermajority (u = 1/(2f)): pool means from the tally, mean B = u/(2u − v)."""
    assorter = SupermajorityAssorter("Yes", 2 / 3)
    pools = [Pool("p1", 1000, {"Yes": 800, "No": 150}), Pool("p2", 500, {"Yes": 380, "No": 100})]
    contest = oneaudit_contest(assorter, ["Yes"] * 300 + ["No"] * 90 + [None] * 10, pools)
    u = 0.75
    assert contest.pool_mean("p1") == pytest.approx((800 * u + 50 * 0.5) / 1000)
    assert contest.reported_population().mean == pytest.approx(u / (2 * u - contest.margin))


def test_vote_for_two_pool_mean_uses_only_the_difference() -> None:
    """Vote for 2: the pool mean is ½ + (W − L)/(2·cards) even when cards show both."""
    contest = oneaudit_contest(
        PairAssorter("Alice", "Bob", votes_allowed=2),
        [("Alice", "Carol")] * 10,
        [Pool("p", 100, {"Alice": 90, "Bob": 60, "Carol": 50})],
    )
    assert contest.pool_mean("p") == pytest.approx(0.5 + 30 / 200)
    assert contest.reported_population().mean == pytest.approx(contest.noerror)


def test_unknown_pool_is_neutral_or_refused() -> None:
    """A pool without a tally (an IRV pool without rankings) gets u/2, or is refused."""
    pools = [Pool("known", 100, {"Alice": 70, "Bob": 30}), Pool("unknown", 50)]
    contest = oneaudit_contest(ALICE_BOB, ["Alice"] * 30, pools)
    assert contest.neutral_pools == ("unknown",)
    assert contest.pool_mean("unknown") == 0.5
    assert contest.reported_population().mean == pytest.approx(contest.noerror)
    with pytest.raises(PapertallyError, match="unknown"):
        oneaudit_contest(ALICE_BOB, ["Alice"] * 30, pools, unknown="refuse")


@dataclass(frozen=True)
class FirstPreference:
    """A toy ranked assorter (1 if ``A`` is ranked first, 0 if ``B`` is, else ½): any object with
    ``name``, ``upper_bound``, ``score`` and ``pool_population`` plugs into OneAudit."""

    name: str = "A first > B first"
    upper_bound: float = 1.0

    def score(self, reading: CardReading) -> float:
        if reading is None or isinstance(reading, str) or not reading:
            return 0.5
        return {"A": 1.0, "B": 0.0}.get(reading[0], 0.5)

    def pool_population(self, pool: Pool) -> AssorterPopulation | None:
        return ranking_population(self, pool)


def test_ranked_pools_use_their_ranking_distribution() -> None:
    """A ranked pool's values come from its rankings, blanks scoring as no vote; without a
    ranking distribution the pool is neutral (u/2) or refused."""
    assorter = FirstPreference()
    pool = Pool("ranked", 10, rankings={("A", "B"): 5, ("B",): 3, ("C", "A"): 1})
    population = ranking_population(assorter, pool)
    assert population is not None
    assert dict(zip(population.values, population.counts, strict=True)) == {
        1.0: 5,
        0.0: 3,
        0.5: 2,
    }
    bare = Pool("bare", 10)
    contest = oneaudit_contest(assorter, [("A", "C")] * 20 + [("B",)] * 5, [pool, bare])
    assert contest.pool_mean("ranked") == pytest.approx(0.6)
    assert contest.neutral_pools == ("bare",)
    assert contest.reported_population().mean == pytest.approx(contest.noerror)
    with pytest.raises(PapertallyError, match="ranking distribution"):
        oneaudit_contest(assorter, [("A",)] * 20, [pool, bare], unknown="refuse")


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([Pool("p", 10, {"Alice": 11})], "11 votes reported for one choice on 10 cards"),
        ([Pool("p", 10, {"Alice": 6}), Pool("p", 5, {"Bob": 1})], "listed more than once"),
        ([Pool("p", 10, {"Alice": 3, "Bob": 7})], "no margin"),
    ],
)
def test_bad_pools_are_one_clear_error(pools: list[Pool], message: str) -> None:
    """Impossible tallies, a pool named twice and no margin are each one clear error."""
    with pytest.raises(PapertallyError, match=message):
        oneaudit_contest(ALICE_BOB, [], pools)


def test_negative_pool_counts_refused() -> None:
    with pytest.raises(PapertallyError, match="must be 0 or more"):
        Pool("p", -1)
    with pytest.raises(PapertallyError, match="whole number"):
        Pool("p", 5, {"Alice": -2})


def test_full_cvrs_match_the_clca_path() -> None:
    """With every card linked and right, OneAudit stops where the exact CLCA limit says."""
    contest = oneaudit_contest(ALICE_BOB, AssorterPopulation((1.0, 0.0), (10_500, 9_500)), [])
    sizes = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=3)
    clean = np.full(400, contest.noerror)
    clca = measure_risk(clca_martingale(clean, margin=0.05, population=20_000), 0.05)
    assert clca.stopped_at is not None
    # the Kelly bet at the planning error rates sits a few cards above the CLCA clean cap
    assert clca.stopped_at <= sizes[0] <= 1.05 * clca.stopped_at
    assert 118 <= sizes[0] <= 130  # paper's CLCA with full CVRs: 125


def test_table_2_cheap() -> None:
    """Table 2's ordering at 20,000 cards: 990/10 pools near CLCA, 900/100 far more, a single
    contest-wide pool (ballot polling) the most. Means of a few trials; bench runs the rest."""
    sizes = {}
    for label, pools, trials in (
        ("990/10", table2_pools(990), 40),
        ("900/100", table2_pools(900), 30),
    ):
        contest = oneaudit_contest(ALICE_BOB, [], pools)
        run = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=trials)
        sizes[label] = SizeDistribution.of(run, contest.cards)
    assert 150 <= sizes["990/10"].mean <= 400  # paper 170; KL limit of this layout 268
    assert 600 <= sizes["900/100"].mean <= 1_400  # paper 800; KL limit of this layout 958
    assert sizes["990/10"].p90 > sizes["990/10"].p50  # OneAudit sizes vary widely


def test_one_bets_beat_clca_bets_on_pooled_cards() -> None:
    """The CLCA bets read pooled cards as discrepancies and bet badly; OneAudit's do not."""
    contest = oneaudit_contest(ALICE_BOB, [], table2_pools(990))
    population = contest.reported_population()
    values = np.repeat(population.values, population.counts)
    rng = np.random.default_rng(7)
    one, clca = [], []
    for _ in range(10):
        order = rng.permutation(values)[:3000]
        one.append(oneaudit_risk(order, contest, risk_limit=0.05).stopped_at or 20_000)
        path = clca_martingale(order, margin=contest.margin, population=20_000)
        clca.append(measure_risk(path, 0.05).stopped_at or 20_000)
    assert np.mean(one) < np.mean(clca)


def test_risk_does_not_fall_on_a_tie_hidden_in_pools() -> None:
    """Pools that report 60/40 but hold 40/60 (true tie overall): the risk stays high."""
    pools = [Pool(f"p{i}", 100, {"Alice": 60, "Bob": 40}) for i in range(10)]
    contest = oneaudit_contest(ALICE_BOB, [], pools)
    truth = [contest.overstatement_value(0.6, 1.0)] * 500 + [
        contest.overstatement_value(0.6, 0.0)
    ] * 500
    rng = np.random.default_rng(3)
    stops = sum(
        oneaudit_risk(rng.permutation(truth), contest, risk_limit=0.1).stop for _ in range(60)
    )
    assert stops <= 6 + 3 * (60 * 0.1 * 0.9) ** 0.5


def test_prior_is_a_distribution_with_the_reported_mean() -> None:
    """The bets' prior sums to 1 and keeps the reported mean up to the planning errors."""
    contest = oneaudit_contest(ALICE_BOB, ["Alice"] * 10, table2_pools(900))
    prior = one_prior(contest)
    assert prior.prior.sum() == pytest.approx(1.0)
    assert prior.grid[0] == 0.0 and prior.grid[-1] == pytest.approx(contest.b_upper_bound)
    mean = float(np.dot(prior.grid, prior.prior))
    assert mean == pytest.approx(contest.noerror, rel=2e-3)


def test_many_pools_are_binned_mean_preserving() -> None:
    """Thousands of distinct pool means: the prior bins them and keeps the mean."""
    pools = [Pool(f"p{i}", 100, {"Alice": 50 + i % 40, "Bob": 40 - i % 37}) for i in range(500)]
    contest = oneaudit_contest(ALICE_BOB, [], pools)
    prior = one_prior(contest)
    assert prior.grid.size < 100
    assert float(np.dot(prior.grid, prior.prior)) == pytest.approx(contest.noerror, rel=2e-3)


def test_bets_in_blocks_equal_bets_at_once() -> None:
    """Going on from the grid weights of earlier draws gives the same bets (the simulation's
    blocks) as computing every draw at once."""
    contest = oneaudit_contest(ALICE_BOB, ["Alice"] * 200, table2_pools(900))
    population = contest.reported_population()
    x = np.random.default_rng(4).permutation(np.repeat(population.values, population.counts))[:300]
    prior = one_prior(contest)
    mu = np.full(x.size, 0.5)
    whole = one_bets(x, mu, prior)
    seen = _seen_rows(prior.grid, x[:120]).sum(axis=0)
    parts = np.concatenate(
        (one_bets(x[:120], mu[:120], prior), one_bets(x[120:], mu[120:], prior, seen))
    )
    assert np.allclose(parts, whole, rtol=1e-9, atol=1e-12)
    assert whole.max() > 0


def test_irv_assorter_plugs_in_with_ranking_distributions() -> None:
    """RAIRE's NEB and NEN assorters (the IRV module's ``assort``) on rankings by name; a ranked
    pool's ONE CVR comes from its rankings; mean B is u/(2u − v) when they are right."""
    names = ("Alice", "Bob", "Carol")
    neb = IrvAssorter(IrvAssertion("NEB", 0, 1), names)
    nen = IrvAssorter(IrvAssertion("NEN", 0, 1, frozenset({0, 1})), names)
    assert [neb.score(r) for r in (("Alice",), ("Carol", "Bob", "Alice"), ("Carol",))] == [
        1.0,
        0.0,
        0.5,
    ]
    assert [nen.score(r) for r in (("Carol", "Alice"), ("Carol", "Bob"), ("Carol",))] == [
        1.0,
        0.0,
        0.5,
    ]
    assert neb.score(PHANTOM) == 0.0 and neb.score(None) == 0.5
    assert neb.score(("Zed", "Alice")) == 1.0  # a name that is no candidate is skipped
    assert neb.name == "NEB: Alice not eliminated before Bob"
    pool = Pool("ranked", 100, rankings={("Carol", "Alice"): 60, ("Bob",): 30})
    contest = oneaudit_contest(nen, [("Alice",)] * 50 + [("Bob",)] * 30, [pool])
    assert contest.pool_mean("ranked") == pytest.approx((60 + 0.5 * 10) / 100)
    assert contest.reported_population().mean == pytest.approx(contest.noerror)


def paper_layout(high: int) -> OneAuditContest:
    """Table 2 as ONEAudit's numerical example builds it: 10,000 linked CVRs (5,000 Alice, 4,000
    Bob, 1,000 undervotes) and 10 precincts of 1,000 cards, 5 at ``high``/``1000 − high`` for
    Alice and 5 the other way round (10,000 to 9,000, margin 5%)."""
    low = 1000 - high
    pools = [Pool(f"A{i}", 1000, {"Alice": high, "Bob": low}) for i in range(5)]
    pools += [Pool(f"B{i}", 1000, {"Alice": low, "Bob": high}) for i in range(5)]
    linked = AssorterPopulation((1.0, 0.0, 0.5), (5_000, 4_000, 1_000))
    return oneaudit_contest(ALICE_BOB, linked, pools)


def _alpha_mean(contest: OneAuditContest, d: int, trials: int) -> float:
    """Mean cards of ALPHA audits with the paper's bets: truncated shrinkage, η0 = 2u/(2u − v)
    (the largest ``B``), c = ½, weight ``d``."""
    top = contest.b_upper_bound
    settings = AlphaSettings(eta0=top, d=d, c=0.5, upper_bound=top, cap_bets=False)
    population = contest.reported_population()
    values = np.repeat(population.values, population.counts)
    rng = np.random.default_rng(4)
    sizes = [
        measure_risk(
            alpha_martingale(rng.permutation(values), settings, population=values.size), 0.05
        ).stopped_at
        or values.size
        for _ in range(trials)
    ]
    return float(np.mean(sizes))


def test_table_2_with_the_papers_design() -> None:
    """The paper's layout and ALPHA bets reproduce Table 2 (125, 800, 170) within simulation
    error; our Kelly bets need fewer cards on the same layout."""
    assert paper_layout(900).pool_mean("A0") == pytest.approx(0.9)
    assert paper_layout(900).margin == pytest.approx(0.05)
    full = oneaudit_contest(
        ALICE_BOB, AssorterPopulation((1.0, 0.0, 0.5), (10_000, 9_000, 1_000)), []
    )
    assert _alpha_mean(full, 1000, 1) == 125  # paper: 125 (every B equal: no randomness)
    assert 130 <= _alpha_mean(paper_layout(990), 1000, 40) <= 200  # paper: 170
    alpha_900 = _alpha_mean(paper_layout(900), 300, 30)
    assert 550 <= alpha_900 <= 1_050  # paper: 800
    ours = oneaudit_sample_sizes(paper_layout(900), risk_limit=0.05, trials=30)
    assert float(np.mean(ours)) < 0.8 * alpha_900
