"""Kaplan-Markov ("super-simple") comparison audits: published values reproduced.

Reference numbers: Lindeman & Stark (2012), "A gentle introduction to risk-limiting audits",
p. 5 formulas with γ = 1.03905, as tabulated by Neal McBurnett's ``rlacalc`` (``nmin`` doctests,
"based on p. 5 of gentle12") and Stark's Statistics 157 notebook (2017) for the New Hampshire
2016 presidential contest (``KM_P_value``, ``KM_Expected_sample_size`` doctests).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from papertally.audit.comparison import ErrorRates, clca_sample_size
from papertally.audit.kaplan_markov import (
    GAMMA,
    SUPER_SIMPLE_RATES,
    kaplan_markov_bet,
    kaplan_markov_next_round_size,
    kaplan_markov_p_value,
    kaplan_markov_risk,
    kaplan_markov_sample_size,
    kaplan_markov_stopping_size,
)
from papertally.errors import PapertallyError

NEW_HAMPSHIRE_2016 = (354040 - 337589) / (354040 + 337589 + 33234)
"""Clinton minus Trump over all ballots, New Hampshire 2016 (Stark, Statistics 157, 2017)."""


@pytest.mark.parametrize(
    ("margin", "alpha", "counts", "expected"),
    [
        (0.2, 0.1, {}, 24),
        (0.1, 0.1, {}, 48),
        (0.05, 0.1, {}, 96),
        (0.002, 0.1, {}, 2393),
        (0.05, 0.1, {"o1": 1}, 123),
        (0.005, 0.1, {"o1": 1, "u1": 1}, 1067),
        (0.05, 0.2, {}, 67),
    ],
)
def test_gentle_introduction_stopping_sizes(
    margin: float, alpha: float, counts: dict[str, int], expected: int
) -> None:
    """n = −2γ[ln α + Σ c_k ln(1 − e_k/(2γ))]/V (Lindeman & Stark 2012, p. 5; rlacalc nmin)."""
    assert kaplan_markov_stopping_size(margin, risk_limit=alpha, **counts) == expected


def test_gentle_introduction_rule_of_thumb() -> None:
    """With α = 10%: n ≈ 4.8/V, each o1 adds ≈ 1.4/V and each o2 ≈ 6.8/V (γ = 1.03905)."""
    assert -2 * GAMMA * math.log(0.1) == pytest.approx(4.785, abs=1e-3)
    base = kaplan_markov_stopping_size(0.01, risk_limit=0.1)
    assert kaplan_markov_stopping_size(0.01, risk_limit=0.1, o1=1) - base == pytest.approx(136, 1)
    assert kaplan_markov_stopping_size(0.01, risk_limit=0.1, o2=1) - base == pytest.approx(682, 1)


def test_new_hampshire_p_value() -> None:
    """200 cards with one o1: P = 0.21438 (Stark, Statistics 157 notebook; rlacalc KM_P_value)."""
    p = kaplan_markov_p_value(["o1"] + ["0"] * 199, margin=NEW_HAMPSHIRE_2016)
    assert p == pytest.approx(0.21438135077031842, rel=1e-12)


@pytest.mark.parametrize(
    ("margin", "rates", "expected"),
    [
        (0.05, ErrorRates(o1=0.001, u1=0.001), 125),
        (NEW_HAMPSHIRE_2016, ErrorRates(o1=0.001), 291),
        (0.05, ErrorRates(u2=0.05), 52),
    ],
)
def test_expected_sample_sizes_from_rates(margin: float, rates: ErrorRates, expected: int) -> None:
    """α = 5%, γ = 1.03905 (rlacalc KM_Expected_sample_size doctests, after Stark's notebook)."""
    assert kaplan_markov_sample_size(margin, risk_limit=0.05, error_rates=rates) == expected


def test_super_simple_planning_size_at_one_percent() -> None:
    """Issue 3: Arlo's super-simple needs about 534 cards at a 1% margin, α = 10%."""
    assert kaplan_markov_sample_size(0.01, risk_limit=0.1, error_rates=SUPER_SIMPLE_RATES) in (
        534,
        535,
        536,
    )


def test_rates_too_high_never_finish() -> None:
    with pytest.raises(PapertallyError, match="never"):
        kaplan_markov_sample_size(0.05, risk_limit=0.05, error_rates=ErrorRates(o1=0.05))


def test_sequential_risk_is_the_running_minimum_of_the_published_p_value() -> None:
    codes = ["0"] * 30 + ["o1"] + ["0"] * 60 + ["u1", "o2"] + ["0"] * 300
    risk = kaplan_markov_risk(codes, margin=0.05, risk_limit=0.05)
    published = np.array(
        [kaplan_markov_p_value(codes[:j], margin=0.05) for j in range(1, len(codes) + 1)]
    )
    np.testing.assert_allclose(risk.p_history, np.minimum.accumulate(published), rtol=1e-10)
    first = int(np.argmax(published <= 0.05)) + 1
    assert risk.stopped_at == first


def test_bet_is_below_everything_and_phantoms_are_two_vote() -> None:
    assert kaplan_markov_bet(0.05) < 2.0
    assert kaplan_markov_p_value(["phantom"], margin=0.1) == pytest.approx(
        kaplan_markov_p_value(["o2"], margin=0.1)
    )


def test_without_replacement_is_at_least_as_strong_with_no_errors() -> None:
    codes = ["0"] * 500
    plain = kaplan_markov_risk(codes, margin=0.02, risk_limit=0.1)
    exact = kaplan_markov_risk(codes, margin=0.02, risk_limit=0.1, population=1000)
    assert exact.stopped_at is not None and plain.stopped_at is not None
    assert exact.stopped_at <= plain.stopped_at


def test_no_error_kaplan_markov_is_not_better_than_the_adaptive_test() -> None:
    """Our CLCA bet lets a two-vote overstatement cost a factor 0.02 (KM: 0.038); never worse."""
    for margin in (0.2, 0.1, 0.05, 0.02, 0.01, 0.005):
        for alpha in (0.05, 0.1):
            km = kaplan_markov_sample_size(margin, risk_limit=alpha)
            assert clca_sample_size(margin, risk_limit=alpha, population=None) <= km


def test_next_round() -> None:
    codes = ["0"] * 100
    more = kaplan_markov_next_round_size(codes, margin=0.02, risk_limit=0.1)
    assert more == kaplan_markov_sample_size(0.02, risk_limit=0.1) - 100
    done = ["0"] * 300
    assert kaplan_markov_next_round_size(done, margin=0.02, risk_limit=0.1) == 0
    hurt = kaplan_markov_next_round_size(["o1", *codes], margin=0.02, risk_limit=0.1)
    assert hurt > more


def test_bad_gamma_and_counts() -> None:
    with pytest.raises(PapertallyError, match="γ"):
        kaplan_markov_p_value(["0"], margin=0.1, gamma=1.0)
    with pytest.raises(PapertallyError, match="negative"):
        kaplan_markov_stopping_size(0.1, risk_limit=0.1, o1=-1)


def test_phantoms_plan_as_two_vote_overstatements() -> None:
    with_phantoms = kaplan_markov_sample_size(0.02, risk_limit=0.1, phantoms=20, population=100_000)
    same = kaplan_markov_sample_size(0.02, risk_limit=0.1, error_rates=ErrorRates(o2=2e-4))
    assert with_phantoms == same > kaplan_markov_sample_size(0.02, risk_limit=0.1)
