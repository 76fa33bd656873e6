"""Hybrid (two-stratum) audits: golden cases, monotonicity, one-stratum agreement, validity."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pytest

from papertally.audit import (
    PHANTOM,
    alpha_risk,
    clca_risk,
    hybrid_risk,
    hybrid_sample_size,
)
from papertally.audit.comparison import clca_martingale, overstatements_from_codes
from papertally.audit.hybrid import (
    MAX_CELLS,
    MIN_CELLS,
    _clean_log_peaks,
    _clean_log_peaks_at,
    _comparison_p,
    _polling_p,
    allocation_cells,
    default_cells,
    fisher_combination,
    hybrid_contest,
    polling_settings,
)
from papertally.errors import PapertallyError

V1 = {"A": 5_500, "B": 4_500}
V2 = {"A": 1_100, "B": 900}
CODE = {1.0: "o2", 0.5: "o1", 0.0: "0", -0.5: "u1", -1.0: "u2"}
ASSORT = {"A": 1.0, "B": 0.0, "C": 0.5}


def measure(codes: Sequence[str], choices: Sequence[str | None], alpha: float = 0.05) -> float:
    return hybrid_risk(
        codes,
        choices,
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
        risk_limit=alpha,
    ).p_value


def test_no_evidence_gives_risk_one() -> None:
    assert measure([], []) == 1.0
    assert measure(["0"] * 5, []) == 1.0  # the polling stratum alone could hold the loser's win


def test_overwhelming_evidence_gives_small_risk() -> None:
    result = hybrid_risk(
        ["0"] * 400,
        ["A", "B", "A"] * 100,
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
        risk_limit=0.05,
    )
    assert result.stop and result.p_value < 1e-4
    theta1, theta2 = result.worst_allocation
    assert 0.0 <= theta1 <= 1.0 and 0.0 <= theta2 <= 1.0
    assert result.comparison.draws == 400 and result.polling.draws == 300


def test_risk_falls_with_clean_draws_and_rises_with_overstatements() -> None:
    polled = ["A", "B", "A", "A", "B"] * 20
    risks = [measure(["0"] * n, polled) for n in (50, 100, 200, 400)]
    assert all(b <= a for a, b in itertools.pairwise(risks))
    assert risks[-1] < risks[0]
    clean = measure(["0"] * 200, polled)
    assert measure(["0"] * 199 + ["o1"], polled) >= clean
    assert measure(["0"] * 199 + ["o2"], polled) >= measure(["0"] * 199 + ["o1"], polled)
    assert measure(["0"] * 199 + ["u2"], polled) <= clean
    assert measure(["0"] * 200, [*polled[:-1], "A"]) <= measure(["0"] * 200, polled)
    assert measure(["0"] * 200, [*polled[:-1], PHANTOM]) >= measure(["0"] * 200, polled)


def test_one_stratum_empty_agrees_with_the_one_stratum_methods() -> None:
    codes = ["0"] * 150 + ["o1"] + ["0"] * 100
    hybrid = hybrid_risk(
        codes,
        [],
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum={"A": 0, "B": 0},
        cards_cvr=10_000,
        cards_no_cvr=0,
        winner="A",
        loser="B",
        risk_limit=0.05,
    )
    alone = clca_risk(codes, margin=0.1, population=10_000, risk_limit=0.05)
    assert hybrid.p_value == pytest.approx(alone.p_value, rel=1e-9)
    polled = ["A", "B", "A", None, "A"] * 60
    hybrid = hybrid_risk(
        [],
        polled,
        votes_cvr_stratum={"A": 0, "B": 0},
        votes_no_cvr_stratum=V2,
        cards_cvr=0,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
        risk_limit=0.05,
    )
    contest = hybrid_contest(
        votes_cvr_stratum={"A": 0, "B": 0},
        votes_no_cvr_stratum=V2,
        cards_cvr=0,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
    )
    x = np.array([{"A": 1.0, "B": 0.0}.get(c or "", 0.5) for c in polled])
    settings = polling_settings(contest, 0.05)
    alone = alpha_risk(x, settings, population=2_000, risk_limit=0.05)
    assert hybrid.p_value == pytest.approx(alone.p_value, rel=1e-9)
    assert hybrid.stop == alone.stop


def test_two_strata_are_no_less_conservative_than_one() -> None:
    codes = ["0"] * 300
    only_cvr = clca_risk(codes, margin=0.1, population=10_000, risk_limit=0.05).p_value
    assert measure(codes, ["A"] * 10) >= only_cvr


def test_fisher_combination() -> None:
    assert float(fisher_combination(1.0, 1.0)) == 1.0
    assert float(fisher_combination(0.0, 0.3)) == 0.0
    q = 0.01 * 0.2
    assert float(fisher_combination(0.01, 0.2)) == pytest.approx(q * (1 - math.log(q)))
    assert float(fisher_combination(0.05, 1.0)) > 0.05


def test_allocation_cells_cover_the_null_line() -> None:
    contest = hybrid_contest(
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
    )
    theta1, theta2 = allocation_cells(contest, 50)
    w1 = contest.cvr_weight
    # each cell's null lies on or above the line w1·θ1 + w2·θ2 = ½
    assert np.all(w1 * theta1 + (1 - w1) * theta2 >= 0.5 - 1e-12)
    assert theta1.min() > 0.4 and theta1.max() == pytest.approx(0.5 / w1 if w1 > 0.5 else 1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"winner": "Z"}, "not a candidate"),
        ({"loser": "A"}, "must differ"),
        ({"cards_cvr": 100}, "more than its 100 cards"),
        ({"votes_no_cvr_stratum": {"A": -1, "B": 0}}, "whole number"),
        ({"votes_cvr_stratum": {"A": 4_000, "B": 6_000}, "cards_no_cvr": 2_000}, "does not lead"),
        ({"risk_limit": 1.5}, "risk limit"),
    ],
)
def test_bad_input_is_a_user_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "votes_cvr_stratum": V1,
        "votes_no_cvr_stratum": V2,
        "cards_cvr": 10_000,
        "cards_no_cvr": 2_000,
        "winner": "A",
        "loser": "B",
        "risk_limit": 0.05,
    }
    args.update(kwargs)
    with pytest.raises(PapertallyError, match=message):
        hybrid_risk([], [], **args)  # type: ignore[arg-type]


def test_too_many_draws_and_unknown_codes_are_user_errors() -> None:
    with pytest.raises(PapertallyError, match="only 2000"):
        measure([], ["A"] * 2_001)
    with pytest.raises(PapertallyError, match="unknown discrepancy"):
        measure(["0", "x9"], [])
    with pytest.raises(PapertallyError, match="draw 2 names 'Alcie'"):
        measure([], ["A", "Alcie"])


def test_sample_size_finishes_under_the_reported_results() -> None:
    plan = hybrid_sample_size(
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
        risk_limit=0.05,
    )
    assert plan.probability >= 0.9
    assert 0 < plan.comparison < 10_000 and 0 < plan.polling < 2_000
    rng = np.random.default_rng(7)
    stopped = 0
    pool = np.array(["A"] * 1_100 + ["B"] * 900)
    for _ in range(40):
        polled = list(rng.choice(pool, size=plan.polling, replace=False))
        stopped += measure(["0"] * plan.comparison, polled) <= 0.05
    assert stopped >= 30  # about 90% of 40, with room for the coarser planning grid
    wider = hybrid_sample_size(
        votes_cvr_stratum={"A": 6_000, "B": 4_000},
        votes_no_cvr_stratum={"A": 1_200, "B": 800},
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
        risk_limit=0.05,
    )
    assert wider.total < plan.total


# (CVR stratum as (CVR, paper) counts, no-CVR stratum true votes, reported no-CVR votes):
# every world is an exact tie between A and B over both strata.
WORLDS = [
    ({("A", "A"): 25, ("B", "B"): 20, ("A", "B"): 5}, {"A": 25, "B": 25}, {"A": 30, "B": 20}),
    ({("A", "A"): 30, ("B", "B"): 20}, {"A": 20, "B": 30}, {"A": 28, "B": 22}),
    (
        {("A", "A"): 18, ("B", "B"): 22, ("A", "B"): 8, ("A", "C"): 2},
        {"A": 31, "B": 27, "C": 2},
        {"A": 33, "B": 25, "C": 2},
    ),
    ({("A", "A"): 70, ("B", "B"): 70, ("A", "B"): 10}, {"A": 25, "B": 25}, {"A": 30, "B": 20}),
]


@pytest.mark.parametrize("alpha", [0.05, 0.10])
@pytest.mark.parametrize("world", range(len(WORLDS)))
def test_validity_when_the_reported_winner_did_not_win(alpha: float, world: int) -> None:
    """Drawing each whole stratum gives the most evidence any round schedule could: the audit
    stops (at some round) only if it stops at the end, so the stop rate bounds every schedule."""
    pairs, truth2, reported2 = WORLDS[world]
    cvr = [pair for pair, count in pairs.items() for _ in range(count)]
    polling = [name for name, count in truth2.items() for _ in range(count)]
    reported1 = {"A": 0, "B": 0, "C": 0}
    for on_cvr, _ in cvr:
        reported1[on_cvr] += 1
    codes = np.array([CODE[ASSORT[c] - ASSORT[p]] for c, p in cvr])
    true_a = sum(p == "A" for _, p in cvr) + truth2.get("A", 0)
    true_b = sum(p == "B" for _, p in cvr) + truth2.get("B", 0)
    assert true_a <= true_b
    rng = np.random.default_rng(1000 + world)
    trials = 300
    stops = 0
    for _ in range(trials):
        stops += hybrid_risk(
            list(rng.permutation(codes)),
            list(rng.permutation(polling)),
            votes_cvr_stratum=reported1,
            votes_no_cvr_stratum=reported2,
            cards_cvr=len(cvr),
            cards_no_cvr=len(polling),
            winner="A",
            loser="B",
            risk_limit=alpha,
            cells=20,
        ).stop
    tolerance = 3.0 * math.sqrt(alpha * (1 - alpha) * trials)
    assert stops <= alpha * trials + tolerance


def test_the_same_harness_stops_when_the_reported_winner_won() -> None:
    """The validity harness can fail: with the reported results true, it nearly always stops."""
    codes = ["0"] * 100
    polling = ["A"] * 35 + ["B"] * 15
    rng = np.random.default_rng(3)
    stops = sum(
        hybrid_risk(
            codes,
            list(rng.permutation(polling)),
            votes_cvr_stratum={"A": 65, "B": 35},
            votes_no_cvr_stratum={"A": 35, "B": 15},
            cards_cvr=100,
            cards_no_cvr=50,
            winner="A",
            loser="B",
            risk_limit=0.05,
            cells=20,
        ).stop
        for _ in range(20)
    )
    assert stops >= 18


def test_planning_clean_paths_match_the_clca_martingale() -> None:
    """The planner's closed-form clean path of the CVR stratum is the measurement's CLCA."""
    contest = hybrid_contest(
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
    )
    theta1, _ = allocation_cells(contest, 30)
    peaks = _clean_log_peaks(contest, theta1, 400)
    for k, t in enumerate(theta1):
        margin = min(2.0 * (contest.cvr_mean - float(t)), 2.0 - 1e-9)
        if margin < 1e-9:
            assert np.all(peaks[k] == 0.0)
            continue
        x = np.full(400, 1.0 / (2.0 - margin))
        path = clca_martingale(x, margin=margin, population=10_000)
        expected = np.log(np.maximum.accumulate(np.maximum(path, 1.0)))
        np.testing.assert_allclose(peaks[k, 1:], expected, rtol=1e-9, atol=1e-12)


def test_planning_clean_paths_in_blocks_match_the_exact_sums() -> None:
    """Beyond the first clean draws the planner sums blocks by the midpoint rule: within 1e-6."""
    contest = hybrid_contest(
        votes_cvr_stratum={"A": 505_000, "B": 495_000},
        votes_no_cvr_stratum={"A": 101_000, "B": 99_000},
        cards_cvr=1_000_000,
        cards_no_cvr=200_000,
        winner="A",
        loser="B",
    )
    theta1, _ = allocation_cells(contest, 40)
    draws = np.array([0, 5, 512, 513, 2_048, 7_777, 30_000])
    exact = _clean_log_peaks(contest, theta1, 30_000)[:, draws]
    np.testing.assert_allclose(
        _clean_log_peaks_at(contest, theta1, draws), exact, rtol=1e-6, atol=1e-9
    )


def test_the_grid_is_finer_for_narrower_margins() -> None:
    def cells(a1: int, a2: int) -> int:
        return default_cells(
            hybrid_contest(
                votes_cvr_stratum={"A": a1, "B": 10_000 - a1},
                votes_no_cvr_stratum={"A": a2, "B": 2_000 - a2},
                cards_cvr=10_000,
                cards_no_cvr=2_000,
                winner="A",
                loser="B",
            )
        )

    assert cells(6_000, 1_200) == MIN_CELLS
    assert MIN_CELLS < cells(5_100, 1_020) < cells(5_020, 1_004) <= MAX_CELLS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_cells_at_once_equal_the_cell_by_cell_p_values(seed: int) -> None:
    """The vectorised measurement gives, cell for cell, the one-stratum tests' own p-values: the
    risk is the largest Fisher combination of ``_comparison_p`` and ``_polling_p`` over cells."""
    rng = np.random.default_rng(seed)
    codes = list(rng.choice(["0", "o1", "o2", "u1"], size=300, p=[0.97, 0.015, 0.005, 0.01]))
    read = rng.choice(["A", "B", "C"], size=150, p=[0.52, 0.43, 0.05])
    choices = [None if c == "C" else str(c) for c in read]
    strata = dict(
        votes_cvr_stratum=V1,
        votes_no_cvr_stratum=V2,
        cards_cvr=10_000,
        cards_no_cvr=2_000,
        winner="A",
        loser="B",
    )
    result = hybrid_risk(codes, choices, **strata, risk_limit=0.05, cells=150)  # type: ignore[arg-type]
    contest = hybrid_contest(**strata)  # type: ignore[arg-type]
    theta1, theta2 = allocation_cells(contest, 150)
    settings = polling_settings(contest, 0.05)
    kappa = overstatements_from_codes(codes)
    x = np.array([ASSORT[str(c)] for c in read])
    expected = [
        float(
            fisher_combination(
                _comparison_p(kappa, contest, float(t1)),
                _polling_p(x, contest, float(t2), settings, False, 0.05),
            )
        )
        for t1, t2 in zip(theta1, theta2, strict=True)
    ]
    assert result.p_value == pytest.approx(max(expected), rel=1e-9, abs=1e-300)
    assert result.worst_allocation[0] == theta1[int(np.argmax(expected))]
