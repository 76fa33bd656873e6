"""IRV assorters audited by CLCA and ALPHA, and the validity of the whole IRV audit."""

from __future__ import annotations

import numpy as np
import pytest

from papertally.audit.comparison import ErrorRates, clca_risk
from papertally.audit.irv.audit import (
    assort,
    assorter_population,
    comparison_next_round_size,
    comparison_risk,
    discrepancy_codes,
    polling_risk,
    sample_sizes,
)
from papertally.audit.irv.ballots import RankedBallots
from papertally.audit.irv.raire import IrvAssertion, find_assertions
from papertally.audit.validity import simulated_type_one
from papertally.audit.validity_irv import (
    WrongIrvWinner,
    check_case,
    comparison_confirms,
    polling_confirms,
)
from papertally.errors import PapertallyError

A, B, C, D = 0, 1, 2, 3


def guide_ballots() -> RankedBallots:
    """ "A Guide to RAIRE", the running example: 13,500 ballots, Chuan (2) wins."""
    return RankedBallots.from_lists(
        ["Alice", "Bob", "Chuan", "Diego"],
        [([2, 1, 0], 5000), ([1, 2, 3], 1000), ([3, 0], 1500), ([0, 3], 4000), ([3], 2000)],
    )


@pytest.mark.parametrize(
    ("ranking", "neb", "nen"),
    [
        ((A, B), 1.0, 1.0),  # A first
        ((B, A), 0.0, 0.0),  # B above A
        ((C, A), 0.5, 1.0),  # NEB: A not first, B not ranked; NEN: C is not in S, A is first
        ((D, B), 0.0, 0.0),  # B ranked, A not: B above A
        ((D,), 0.5, 0.5),  # neither
        ((), 0.5, 0.5),  # blank
        (None, 0.0, 0.0),  # missing card: worst case
    ],
)
def test_assorter_values(ranking: tuple[int, ...] | None, neb: float, nen: float) -> None:
    assert assort(IrvAssertion("NEB", A, B), ranking) == neb
    nen_assertion = IrvAssertion("NEN", A, B, frozenset({A, B}))
    assert assort(nen_assertion, ranking) == nen


def test_nen_assorter_uses_the_first_continuing_candidate() -> None:
    among = IrvAssertion("NEN", A, B, frozenset({A, B, C}))
    assert assort(among, (D, C, B)) == 0.5  # C is first of S: neither w nor l
    assert assort(among, (D, B, A)) == 0.0
    assert assort(among, (D, A, B)) == 1.0


def test_assorter_margin_is_the_assertion_margin_over_the_cards() -> None:
    ballots = guide_ballots()
    result = find_assertions(ballots, "Chuan")
    for scored in result.assertions:
        population = assorter_population(scored.assertion, ballots)
        assert population.size == 13500
        assert 2 * population.mean - 1 == pytest.approx(scored.margin / 13500)
        assert (population.mean > 0.5) == (scored.margin > 0)
    # cards without a CVR count 0 in the polling population
    padded = assorter_population(result.assertions[0].assertion, ballots, cards=13600)
    assert padded.size == 13600 and padded.counts[1] >= 100


def test_comparison_audit_of_correct_cvrs_confirms_at_the_planned_size() -> None:
    ballots = guide_ballots()
    result = find_assertions(ballots, "Chuan")
    planned = max(sample_sizes(result, ballots, risk_limit=0.05).values())
    rng = np.random.default_rng(5)
    cards = [r for r, n in zip(ballots.rankings, ballots.counts, strict=True) for _ in range(n)]
    drawn = [cards[int(i)] for i in rng.permutation(len(cards))[:planned]]
    risk = comparison_risk(result, ballots, drawn, drawn, risk_limit=0.05)
    assert risk.confirmed
    assert risk.risk <= 0.05
    assert risk.risk == max(a.measurement.p_value for a in risk.assertions)
    short = comparison_risk(result, ballots, drawn[:10], drawn[:10], risk_limit=0.05)
    assert not short.confirmed and short.risk > 0.05
    # the hardest assertion (difficulty 27, v = 1/27) sets the size: ln(20)/ln(2/(2 − v)) ≈ 159
    assert 159 <= planned <= 165


def test_comparison_overstatement_raises_the_risk() -> None:
    ballots = guide_ballots()
    result = find_assertions(ballots, "Chuan")
    clean = [(C, B, A)] * 200
    found = comparison_risk(result, ballots, clean, clean, risk_limit=0.05)
    assert found.confirmed
    # the first card's CVR says Chuan first; the paper says Alice: a two-vote overstatement of
    # the hardest assertion (Chuan beats Alice when only they continue)
    papers = [(A,), *clean[1:]]
    misread = comparison_risk(result, ballots, clean, papers, risk_limit=0.05)
    missing = comparison_risk(result, ballots, clean, [None, *clean[1:]], risk_limit=0.05)
    hardest = [r.assertions[0].measurement.p_value for r in (found, misread, missing)]
    assert hardest[0] < hardest[1] <= hardest[2]
    # the same paper is an understatement of "Alice not eliminated next among Alice, Chuan,
    # Diego" (CVR ½, paper 1), whose risk falls
    other = [r.assertions[1].measurement for r in (found, misread)]
    assert other[1].p_value < other[0].p_value
    assert misread.risk > found.risk
    assert missing.risk == 1.0 and missing.assertions[1].measurement.p_value == 1.0


def test_polling_audit_confirms_a_wide_margin_and_not_a_short_sample() -> None:
    ballots = RankedBallots.from_named(
        ["A", "B", "C"], [(["A"], 600), (["B", "A"], 250), (["C", "B"], 150)]
    )
    result = find_assertions(ballots, "A", kind="polling")
    cards = [r for r, n in zip(ballots.rankings, ballots.counts, strict=True) for _ in range(n)]
    rng = np.random.default_rng(11)
    order = [cards[int(i)] for i in rng.permutation(len(cards))]
    assert polling_risk(result, ballots, order[:400], risk_limit=0.05).confirmed
    assert not polling_risk(result, ballots, order[:3], risk_limit=0.05).confirmed
    sizes = sample_sizes(result, ballots, risk_limit=0.05, polling=True)
    assert all(0 < n <= 1000 for n in sizes.values())


def test_mismatched_inputs_are_refused() -> None:
    ballots = guide_ballots()
    result = find_assertions(ballots, "Chuan")
    with pytest.raises(PapertallyError, match="2 CVRs but 1 paper"):
        comparison_risk(result, ballots, [(C,), (C,)], [(C,)], risk_limit=0.05)
    other = RankedBallots.from_named(["X", "Y"], [(["X"], 3), (["Y"], 1)])
    with pytest.raises(PapertallyError, match="other candidates"):
        comparison_risk(result, other, [], [], risk_limit=0.05)


@pytest.mark.parametrize(
    "case",
    [
        WrongIrvWinner(a_votes=66, c_votes=50, flipped=1),
        WrongIrvWinner(a_votes=66, c_votes=50, flipped=3, missing=2),
    ],
)
def test_wrong_irv_winner_is_confirmed_at_most_alpha_of_the_time(case: WrongIrvWinner) -> None:
    check_case(case)
    # the CVRs' assertions include one that is false on paper
    paper = case.paper_ballots()
    margins = [a.assertion.margin(paper) for a in case.assertions().assertions]
    assert min(margins) <= 0
    alpha = 0.1
    pairs = case.pairs()
    comparison = simulated_type_one(
        case.label(), "CLCA", alpha, pairs, comparison_confirms(case, alpha), trials=150, seed=3
    )
    assert comparison.holds, comparison
    papers = [p for _, p in pairs]
    polling = simulated_type_one(
        case.label(), "ALPHA", alpha, papers, polling_confirms(case, alpha), trials=150, seed=4
    )
    assert polling.holds, polling


def test_discrepancy_codes_give_the_same_risk_and_a_next_round_size() -> None:
    ballots = guide_ballots()
    result = find_assertions(ballots, "Chuan")
    cvrs: list[tuple[int, ...] | None] = [(C, B, A)] * 60 + [(A, D), None, (D,)]
    papers: list[tuple[int, ...] | None] = [(C, B, A)] * 60 + [(C,), (C,), None]
    measured = comparison_risk(result, ballots, cvrs, papers, risk_limit=0.05)
    for risk in measured.assertions:
        codes = discrepancy_codes(risk.assertion.assertion, cvrs, papers)
        assert codes[-3:][1:] == ["phantom", "phantom"]
        again = clca_risk(codes, margin=risk.diluted_margin, population=13500, risk_limit=0.05)
        assert again.p_value == pytest.approx(risk.measurement.p_value)
    assert not measured.confirmed
    more = comparison_next_round_size(result, ballots, cvrs, papers, risk_limit=0.05)
    assert more > 0
    clean = [(C, B, A)] * 300
    assert comparison_next_round_size(result, ballots, clean, clean, risk_limit=0.05) == 0


def test_sample_sizes_grow_with_expected_errors_and_cards_without_cvr() -> None:
    ballots = guide_ballots()
    clean = find_assertions(ballots, "Chuan")
    base = max(sample_sizes(clean, ballots, risk_limit=0.05).values())
    rates = ErrorRates(o1=0.001, o2=0.0001)
    noisy = max(sample_sizes(clean, ballots, risk_limit=0.05, error_rates=rates).values())
    padded = find_assertions(ballots, "Chuan", total_ballots=13600)
    missing = max(sample_sizes(padded, ballots, risk_limit=0.05).values())
    assert base < noisy and base < missing
