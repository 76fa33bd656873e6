"""The cheap part of the validity grid (issue 9): every risk function on least-favourable
populations, exactly where every order can be enumerated, by simulation otherwise.

Each case is a population on which the reported outcome is wrong (a tie, or a loser seated by one
vote); the share of orders in which the audit ever confirms must be at most α (exact) or within
three standard errors of it (simulated). ``bench/bench_audit_validity.py`` runs the full grid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    CardReading,
    plurality_assertions,
    supermajority_assertion,
)
from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.validity import (
    HybridCase,
    TypeOneError,
    bravo_confirms,
    clca_confirms,
    distinct_orders,
    exact_type_one,
    kaplan_markov_confirms,
    polling_confirms,
    simulated_hybrid_type_one,
    simulated_type_one,
)
from papertally.workflows.measure import measure_rounds


def _cards(**counts: int) -> list[CardReading]:
    out: list[CardReading] = []
    for name, count in counts.items():
        out += [NO_VOTE if name == "blank" else PHANTOM if name == "phantom" else name] * count
    return out


def test_distinct_orders_of_a_multiset() -> None:
    orders = list(distinct_orders(["a", "a", "b", "c"]))
    assert len(orders) == len(set(orders)) == math.factorial(4) // 2


def test_type_one_error_verdicts() -> None:
    assert TypeOneError("c", "m", 0.05, 100, 5, exact=True).holds
    assert not TypeOneError("c", "m", 0.05, 100, 6, exact=True).holds
    simulated = TypeOneError("c", "m", 0.05, 400, 30, exact=False)
    assert simulated.standard_error == pytest.approx(math.sqrt(0.075 * 0.925 / 400))
    assert simulated.holds  # 7.5% ≤ 5% + 3·1.09%
    assert not TypeOneError("c", "m", 0.05, 400, 40, exact=False).holds


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize(
    ("reported", "ballots", "cards"),
    [
        ({"W": 7, "L": 3}, 10, _cards(W=5, L=5)),
        ({"W": 6, "L": 2}, 11, _cards(W=5, L=6)),
        ({"W": 5, "L": 1}, 7, _cards(W=2, L=2, blank=3)),
        ({"W": 6, "L": 2}, 9, _cards(W=4, L=4, phantom=1)),
    ],
    ids=["tie", "loser-seated-by-one", "tie-with-blanks", "tie-with-phantom"],
)
def test_alpha_exact(
    alpha: float, reported: dict[str, int], ballots: int, cards: list[str]
) -> None:
    phantoms = len(cards) - ballots
    (assertion,) = plurality_assertions(reported, ballots=ballots, phantoms=phantoms)
    result = exact_type_one("", "ALPHA", alpha, cards, polling_confirms([assertion], alpha))
    assert result.holds, result


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_bravo_exact_with_and_without_replacement(alpha: float) -> None:
    (assertion,) = plurality_assertions({"W": 6, "L": 4})
    with_replacement = exact_type_one(
        "", "BRAVO", alpha, _cards(W=1, L=1), bravo_confirms(assertion, alpha), draws=10
    )
    assert with_replacement.trials == 1024
    assert with_replacement.holds, with_replacement
    without = exact_type_one("", "BRAVO", alpha, _cards(W=6, L=6), bravo_confirms(assertion, alpha))
    assert without.holds, without


def test_bravo_with_a_zero_vote_loser_exact() -> None:
    # Reported W 6, Z 0; truly Z ties W. BRAVO doubles T per W and zeroes it on a Z: it stops
    # only if the first five relevant draws are all W (2^5 ≥ 20): chance 1/32.
    (assertion,) = plurality_assertions({"W": 6, "Z": 0}, ballots=10)
    result = exact_type_one(
        "", "BRAVO", 0.05, _cards(W=1, Z=1), bravo_confirms(assertion, 0.05), draws=10
    )
    assert result.rate == pytest.approx(1 / 32)


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_supermajority_exactly_at_the_threshold_exact(alpha: float) -> None:
    assertion = supermajority_assertion({"Yes": 8, "No": 2}, "Yes", 0.6)
    result = exact_type_one(
        "", "ALPHA", alpha, _cards(Yes=6, No=4), polling_confirms([assertion], alpha)
    )
    assert result.holds, result


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_vote_for_two_with_an_overvote_exact(alpha: float) -> None:
    # Truly A 3, B 2, C 2 (one overvote, one blank); reported A 4, B 4, C 1: B > C is a tie.
    cards: list[CardReading] = [*[("A", "C")] * 2, ("B",), ("A", "B", "C"), NO_VOTE, ("A", "B")]
    assertions = plurality_assertions({"A": 4, "B": 4, "C": 1}, 2, ballots=len(cards))
    result = exact_type_one("", "ALPHA", alpha, cards, polling_confirms(assertions, alpha))
    assert result.trials == math.factorial(6) // 2
    assert result.holds, result


def test_clca_and_kaplan_markov_exact_with_every_kind_of_error() -> None:
    codes = ["o2", "o1", "u1", "phantom", "0", "0", "0"]
    margin = 4 / 7  # mean overstatement 2/7 = margin/2: a tie
    for confirms in (
        clca_confirms(margin, 0.1, len(codes)),
        kaplan_markov_confirms(margin, 0.1, len(codes)),
    ):
        result = exact_type_one("", "", 0.1, codes, confirms)
        assert result.trials == 840
        assert result.holds, result


def test_alpha_simulated_on_a_seated_loser_with_a_zero_vote_candidate() -> None:
    assertions = plurality_assertions({"W": 120, "Z": 0, "L": 80})
    result = simulated_type_one(
        "",
        "ALPHA",
        0.1,
        _cards(W=99, L=100, blank=1),
        polling_confirms(assertions, 0.1),
        trials=400,
        seed=4,
    )
    assert result.holds, result


def test_hybrid_simulated_with_the_tie_hidden_in_the_cvrs() -> None:
    # N1 = 60 CVR cards reported A 36, N2 = 20 polled cards A 12 (right on paper); 8 CVRs for A
    # are really B votes: A 40, B 40 over the contest.
    contest = HybridCase(
        votes_cvr_stratum={"A": 36, "B": 24},
        votes_no_cvr_stratum={"A": 12, "B": 8},
        codes=tuple(["o2"] * 8 + ["0"] * 52),
        readings=tuple(["A"] * 12 + ["B"] * 8),
        winner="A",
        loser="B",
    )
    result = simulated_hybrid_type_one("", contest, 0.1, trials=40, seed=8)
    assert result.holds, result


def test_workflow_rounds_of_a_vote_for_two_polling_audit_with_a_seated_loser() -> None:
    # Truly A 100, C 80, B 79 on 200 cards; reported A 110, B 90, C 60.
    paper: list[tuple[str, ...]] = [
        *[("A", "C")] * 80,
        *[("A", "B")] * 20,
        *[("B",)] * 59,
        *[("A", "B", "C")] * 10,
        *[()] * 31,
    ]
    spec = ContestSpec(
        "Council",
        AuditType.BALLOT_POLLING,
        0.1,
        {"A": 110, "B": 90, "C": 60},
        len(paper),
        winners=2,
        votes_allowed=2,
    )
    rng = np.random.default_rng(12)
    trials = 20
    confirmed = 0
    for _ in range(trials):
        order = rng.permutation(len(paper))
        cards = [
            AuditedCard(i + 1, None, {"Council": paper[int(j)]}, True) for i, j in enumerate(order)
        ]
        rounds = measure_rounds([spec], cards, [25, 60, 200])
        confirmed += any(r.contests[0].confirmed for r in rounds)
    assert TypeOneError("", "", 0.1, trials, confirmed, exact=False).holds
