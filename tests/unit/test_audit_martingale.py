"""The betting test supermartingale core: null means, martingale values, p-values, risk."""

from __future__ import annotations

import numpy as np
import pytest

from papertally.audit.martingale import (
    alpha_bets,
    betting_martingale,
    measure_risk,
    null_means,
    p_values,
)
from papertally.errors import PapertallyError


def test_null_means_without_replacement_by_hand() -> None:
    x = np.array([1.0, 0.0, 1.0])
    # N = 10, mu0 = 1/2: (5 − 0)/10, (5 − 1)/9, (5 − 1)/8
    assert null_means(x, population=10) == pytest.approx([0.5, 4 / 9, 0.5])


def test_null_means_with_replacement_are_constant() -> None:
    assert null_means(np.array([1.0, 1.0]), population=None, mu0=0.3).tolist() == [0.3, 0.3]


def test_betting_martingale_by_hand() -> None:
    x = np.array([1.0, 0.0, 0.5])
    lam = np.array([0.4, 0.4, 1.0])
    expected = np.cumprod([1 + 0.4 * 0.5, 1 - 0.4 * 0.5, 1.0])
    assert betting_martingale(x, lam, population=None) == pytest.approx(expected)


def test_alpha_bets_reproduce_the_alpha_factor() -> None:
    # Stark (2023), eq. 4: factor (x η/μ + (u − x)(u − η)/(u − μ)) / u
    eta, mu, u = 0.6, 0.45, 1.0
    lam = alpha_bets(np.array([eta]), np.array([mu]), upper_bound=u)[0]
    for x in (0.0, 0.3, 1.0):
        alpha_factor = (x * eta / mu + (u - x) * (u - eta) / (u - mu)) / u
        assert 1 + lam * (x - mu) == pytest.approx(alpha_factor)


def test_null_impossible_gives_infinity_and_certain_gives_zero() -> None:
    ones = np.ones(4)
    # N = 6, half-mean 3: after three 1s the remaining mean under the null would be 0 < x.
    path = betting_martingale(ones, np.full(4, 0.5), population=6)
    assert np.isinf(path[3]) and np.all(np.isfinite(path[:3]))
    zeros = np.zeros(4)
    path = betting_martingale(zeros, np.full(4, 0.5), population=6)
    assert path[3] == 0.0


def test_all_half_sample_gives_p_one() -> None:
    half = np.full(50, 0.5)
    for population in (None, 100):
        mu = null_means(half, population=population)
        lam = alpha_bets(np.full(50, 0.6), mu)
        risk = measure_risk(betting_martingale(half, lam, population=population), 0.05)
        assert risk.p_value == 1.0 and not risk.stop and risk.stopped_at is None


def test_p_values_are_running_and_capped_at_one() -> None:
    assert p_values(np.array([0.5, 4.0, 2.0, 10.0])).tolist() == [1.0, 0.25, 0.25, 0.1]


def test_measure_risk_reports_first_stop() -> None:
    risk = measure_risk(np.array([2.0, 25.0, 5.0]), 0.05)
    assert risk.stop and risk.stopped_at == 2 and risk.p_value == pytest.approx(0.04)
    assert risk.sample_size == 3


def test_empty_sample_has_risk_one() -> None:
    risk = measure_risk(np.array([]), 0.1)
    assert risk.p_value == 1.0 and not risk.stop


@pytest.mark.parametrize("limit", [0.0, 1.0, -0.1, 1.5])
def test_risk_limit_outside_unit_interval_is_refused(limit: float) -> None:
    with pytest.raises(PapertallyError, match="risk limit"):
        measure_risk(np.array([1.0]), limit)


def test_too_many_draws_without_replacement_is_refused() -> None:
    with pytest.raises(PapertallyError, match="population"):
        null_means(np.ones(5), population=4)


def test_rounding_never_makes_a_true_null_look_impossible() -> None:
    """A tie whose undrawn cards all score 0 must not stop the audit through rounding.

    Half the cards score ``2·mu0`` and half 0, so the mean is exactly ``mu0``; after the high
    cards are drawn, floating point leaves ``μ_j`` a hair below 0 (−1.5e-16 for N = 12). That is
    rounding, not evidence: the martingale must stay finite, and the null stays possible.
    """
    mu0 = 1 / (2 - 0.03)
    n = 12
    x = np.array([2 * mu0] * (n // 2) + [0.0] * (n // 2))
    assert (null_means(x, population=n, mu0=mu0)[n // 2 :] < 0).any()
    bets = np.full(n, 0.5)
    martingale = betting_martingale(x, bets, population=n, mu0=mu0, upper_bound=2 * mu0)
    assert np.isfinite(martingale).all()
    impossible = np.array([2 * mu0] * (n // 2 + 1) + [0.0] * (n // 2 - 1))
    assert np.isinf(
        betting_martingale(impossible, bets, population=n, mu0=mu0, upper_bound=2 * mu0)[-1]
    )
