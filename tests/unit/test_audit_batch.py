"""Batch comparison: MACRO error bounds and taints, Kaplan-Markov risk with PPEB, sample sizes.

The small election is worked by hand below (Stark 2008, MACRO; Stark 2009, Kaplan-Markov).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from papertally.audit.batch import (
    BatchContest,
    batch_comparison_next_round_size,
    batch_comparison_risk,
    batch_comparison_risk_from_counts,
    batch_comparison_sample_size,
    batch_error_bounds,
    batch_taint,
    total_error_bound,
)
from papertally.errors import PapertallyError

MAYOR = BatchContest(
    name="Mayor",
    winners=("Alice",),
    losers=("Bob",),
    reported={
        "b1": {"Alice": 60, "Bob": 30},
        "b2": {"Alice": 90, "Bob": 100},
        "b3": {"Alice": 30, "Bob": 10},
    },
    ballots={"b1": 100, "b2": 200, "b3": 50},
)
"""Alice 180, Bob 140: V = 40 votes."""

MEASURE = BatchContest(
    name="Measure A",
    winners=("Yes",),
    losers=("No",),
    reported={"b1": {"Yes": 70, "No": 20}, "b2": {"Yes": 100, "No": 90}},
    ballots={"b1": 100, "b2": 200},
)
"""Yes 170, No 110: V = 60 votes; not on the cards of batch b3."""


def test_error_bounds_by_hand() -> None:
    """u_p = (v_w − v_l + b_p)/V: b1 (30 + 100)/40, b2 (−10 + 200)/40, b3 (20 + 50)/40."""
    bounds = batch_error_bounds([MAYOR])
    assert bounds == pytest.approx({"b1": 3.25, "b2": 4.75, "b3": 1.75})
    assert total_error_bound(bounds) == pytest.approx(9.75)


def test_macro_takes_the_largest_bound_across_contests() -> None:
    """Measure A: b1 (50 + 100)/60 = 2.5 < 3.25; b2 (10 + 200)/60 = 3.5 < 4.75."""
    assert batch_error_bounds([MAYOR, MEASURE]) == pytest.approx(
        {"b1": 3.25, "b2": 4.75, "b3": 1.75}
    )
    small = BatchContest(
        name="Council",
        winners=("Eve",),
        losers=("Fay",),
        reported={"b1": {"Eve": 12, "Fay": 10}},
        ballots={"b1": 100},
    )
    assert batch_error_bounds([MAYOR, small])["b1"] == pytest.approx((2 + 100) / 2)


def test_taint_by_hand() -> None:
    """b1 counted Alice 59, Bob 31: e = (30 − 28)/40 = 0.05, t = 0.05/3.25."""
    audited = {"Mayor": {"Alice": 59, "Bob": 31}}
    assert batch_taint([MAYOR], "b1", audited) == pytest.approx(0.05 / 3.25)
    exact = {"Mayor": {"Alice": 30, "Bob": 10}}
    assert batch_taint([MAYOR], "b3", exact) == 0.0
    assert batch_taint([MAYOR], "b3", None) == 1.0
    worst = {"Mayor": {"Alice": 0, "Bob": 50}}
    assert batch_taint([MAYOR], "b3", worst) == pytest.approx(1.0)


def test_taint_across_contests_is_the_largest_relative_overstatement() -> None:
    audited = {"Mayor": {"Alice": 60, "Bob": 30}, "Measure A": {"Yes": 64, "No": 26}}
    assert batch_taint([MAYOR, MEASURE], "b1", audited) == pytest.approx((12 / 60) / 3.25)


def test_risk_by_hand() -> None:
    """P = (1 − 1/U)² / ((1 − t1)(1 − 0)) after drawing b1 (tainted) and b3 (clean)."""
    u = 9.75
    t1 = 0.05 / 3.25
    risk = batch_comparison_risk([t1, 0.0], total_error_bound=u, risk_limit=0.1)
    assert risk.p_history[0] == pytest.approx((1 - 1 / u) / (1 - t1))
    assert risk.p_value == pytest.approx(min(1.0, (1 - 1 / u) ** 2 / (1 - t1)))


def test_risk_from_counts_equals_risk_from_taints() -> None:
    audited = {
        "b1": {"Mayor": {"Alice": 59, "Bob": 31}},
        "b2": {"Mayor": {"Alice": 90, "Bob": 100}},
    }
    draws = ["b2", "b1", "b2", "b3"] * 8
    got = batch_comparison_risk_from_counts(
        [MAYOR], draws, audited, risk_limit=0.1, not_found={"b3"}
    )
    taints = {"b1": 0.05 / 3.25, "b2": 0.0, "b3": 1.0}
    expected = batch_comparison_risk(
        [taints[d] for d in draws], total_error_bound=9.75, risk_limit=0.1
    )
    np.testing.assert_allclose(got.p_history, expected.p_history)
    assert not got.stop, "a batch that cannot be found ends in a full hand count"
    assert np.all(got.p_history[3:] == got.p_history[3])


def test_clean_draws_stop_at_the_exact_size() -> None:
    """n = ⌈ln α / ln(1 − 1/U)⌉ = ⌈2.302585/0.108214⌉ = 22 at α = 10%, U = 9.75."""
    n = batch_comparison_sample_size(batch_error_bounds([MAYOR]), risk_limit=0.1)
    assert n == 22
    risk = batch_comparison_risk([0.0] * 30, total_error_bound=9.75, risk_limit=0.1)
    assert risk.stopped_at == 22


def test_expected_taint_and_simulated_sizes() -> None:
    bounds = batch_error_bounds([MAYOR])
    clean = batch_comparison_sample_size(bounds, risk_limit=0.05)
    tainted = batch_comparison_sample_size(bounds, risk_limit=0.05, expected_taint=0.02)
    assert tainted > clean
    simulated = batch_comparison_sample_size(
        bounds, risk_limit=0.05, taints={"b1": 0.0, "b2": 0.0, "b3": 0.0}
    )
    assert simulated == clean
    some = batch_comparison_sample_size(
        bounds, risk_limit=0.05, taints={"b1": 0.1, "b2": 0.0, "b3": 0.0}
    )
    again = batch_comparison_sample_size(
        bounds, risk_limit=0.05, taints={"b1": 0.1, "b2": 0.0, "b3": 0.0}
    )
    assert some == again > clean
    with pytest.raises(PapertallyError, match="never"):
        batch_comparison_sample_size(bounds, risk_limit=0.05, expected_taint=0.2)


def test_next_round() -> None:
    assert batch_comparison_next_round_size([0.0] * 10, total_error_bound=9.75, risk_limit=0.1) == (
        22 - 10
    )
    assert batch_comparison_next_round_size([0.0] * 22, total_error_bound=9.75, risk_limit=0.1) == 0
    with pytest.raises(PapertallyError, match="hand"):
        batch_comparison_next_round_size([1.0], total_error_bound=9.75, risk_limit=0.1)


def test_user_errors() -> None:
    losing = BatchContest(
        name="Sheriff",
        winners=("Gus",),
        losers=("Hal",),
        reported={"b1": {"Gus": 10, "Hal": 20}},
        ballots={"b1": 40},
    )
    with pytest.raises(PapertallyError, match="does not lead"):
        batch_error_bounds([losing])
    with pytest.raises(PapertallyError, match="no hand count"):
        batch_comparison_risk_from_counts([MAYOR], ["b1"], {}, risk_limit=0.1)
    with pytest.raises(PapertallyError, match="does not fit"):
        batch_taint([MAYOR], "b3", {"Mayor": {"Alice": 0, "Bob": 60}})
    with pytest.raises(PapertallyError, match="no hand count given for contest"):
        batch_taint([MAYOR, MEASURE], "b1", {"Mayor": {"Alice": 60, "Bob": 30}})
    with pytest.raises(PapertallyError, match="taints"):
        batch_comparison_risk([1.5], total_error_bound=9.75, risk_limit=0.1)


def test_clean_size_matches_the_closed_form_for_many_bounds() -> None:
    for u in (1.5, 4.0, 37.0, 1234.5):
        for alpha in (0.05, 0.1):
            n = batch_comparison_sample_size([u / 2, u / 2], risk_limit=alpha)
            assert n == math.ceil(math.log(alpha) / math.log(1 - 1 / u) - 1e-9)


def test_simulated_size_agrees_with_a_plain_simulation() -> None:
    """Event-by-event simulation versus drawing every batch (different random streams)."""
    rng = np.random.default_rng(8)
    bounds = rng.uniform(0.05, 0.3, size=200)
    taints = np.where(rng.random(200) < 0.1, rng.uniform(-0.2, 0.4, size=200), 0.0)
    n = batch_comparison_sample_size(list(bounds), risk_limit=0.05, taints=list(taints))
    u = bounds.sum()
    steps = np.log(1 - taints) - math.log(1 - 1 / u)
    picks = rng.choice(200, size=(4000, 3 * n), p=bounds / u)
    reached = np.cumsum(steps[picks], axis=1) >= math.log(20)
    stops = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, 3 * n + 1)
    assert abs(np.quantile(stops, 0.9) - n) <= 0.06 * n
