"""OneAudit validity (issue 15): wrong outcomes hidden in pools are confirmed at most α of the time.

Exact on a tiny election (every order), simulated on three of the adversarial cases of
:mod:`papertally.audit.validity_oneaudit` (the full grid is ``bench/bench_audit_validity.py``).
Each case's paper is checked to be a tie or a loss, so the checks cannot pass vacuously; and the
harness is shown to catch an invalid audit (a margin taken from reports the CVR values do not
imply).
"""

from __future__ import annotations

import pytest

from papertally.audit.validity import exact_type_one, simulated_type_one
from papertally.audit.validity_oneaudit import (
    exact_case,
    oneaudit_confirms,
    oneaudit_rows,
    pooled_cases,
)


def test_every_case_is_a_wrong_outcome_reported_right() -> None:
    """The paper's mean is at most ½ while the reports give the winner a positive margin."""
    for label, election in [exact_case(), *pooled_cases(1000)]:
        assert election.paper_mean() <= 0.5 + 1e-12, label
        assert election.contest().margin > 0.05, label
        values = election.true_values()
        assert len(values) == election.contest().cards
        assert sum(values) / len(values) <= 0.5 + 1e-9, label


def test_exact_tiny_election() -> None:
    """Every order of the 8 cards: the chance of confirming is at most α."""
    label, election = exact_case()
    for alpha in (0.05, 0.2):
        result = exact_type_one(
            label,
            "OneAudit",
            alpha,
            election.true_values(),
            oneaudit_confirms(election.contest(), alpha),
        )
        assert result.trials == 1680  # 8!/(3!·2!·2!·1!) distinct orders
        assert result.holds, result


@pytest.mark.parametrize("index", [0, 2, 6])
def test_simulated_adversarial_cases(index: int) -> None:
    """Two-vote errors in every pool, one pool all wrong (B = 0), a ranked pool without its
    ranking distribution: type-I error within α + 3 SE at α = 10%."""
    label, election = pooled_cases(1000)[index]
    result = simulated_type_one(
        label,
        "OneAudit",
        0.1,
        election.true_values(),
        oneaudit_confirms(election.contest(), 0.1),
        trials=100,
        seed=index,
    )
    assert result.holds, result


def test_harness_catches_an_invalid_margin() -> None:
    """An audit whose margin ``v`` is not the one its CVR values imply (ONE CVRs of ½ for
    every card, but ``v`` from the reports) confirms the tie far more often than α."""
    label, election = pooled_cases(1000)[0]
    contest = election.contest()
    papers = [*election.cvr_papers, *(p for pool in election.pool_papers for p in pool)]
    values = [contest.overstatement_value(0.5, contest.assorter.score(p)) for p in papers]
    result = simulated_type_one(
        label, "broken", 0.1, values, oneaudit_confirms(contest, 0.1), trials=20, seed=1
    )
    assert result.rate > 0.5


def test_rows_for_the_bench_run() -> None:
    rows = oneaudit_rows(0.1, 100, 2, smoke=True)
    assert len(rows) == 1 + len(pooled_cases(100))
    last = rows[-1]()  # the exact row runs in test_exact_tiny_election
    assert last.trials == 2 and not last.exact and last.method == "OneAudit"
