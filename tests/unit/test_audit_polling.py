"""Ballot polling: ALPHA by hand, exact validity on tiny populations, BRAVO's published formula."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from papertally.audit.assertions import AssorterPopulation, plurality_assertions
from papertally.audit.martingale import p_values
from papertally.audit.polling import (
    AlphaSettings,
    PollingState,
    _bravo_stopping_cdf,
    _drift_sample_size,
    alpha_martingale,
    alpha_risk,
    alpha_sample_size,
    alpha_settings,
    bravo_asn,
    bravo_martingale,
    bravo_sample_size,
    initial_state,
    limit_sample_size,
    simulate_stopping,
)


def test_alpha_by_hand_with_replacement() -> None:
    settings = AlphaSettings(eta0=0.6, d=10, c=0.0, cap_bets=False)
    x = np.array([1.0, 0.0])
    # η_1 = 0.6; η_2 = (10·0.6 + 1)/11; factors x η/μ + (1 − x)(1 − η)/(1 − μ), μ = 1/2
    eta2 = 7.0 / 11.0
    expected = [0.6 / 0.5, 0.6 / 0.5 * (1 - eta2) / 0.5]
    assert alpha_martingale(x, settings, population=None) == pytest.approx(expected)


def test_alpha_by_hand_without_replacement() -> None:
    settings = AlphaSettings(eta0=0.6, d=1e15, c=0.0, cap_bets=False)
    # N = 10: μ_1 = 1/2, μ_2 = (5 − 1)/9; η stays 0.6; factors η/μ for draws of 1
    path = alpha_martingale(np.array([1.0, 1.0]), settings, population=10)
    assert path == pytest.approx([1.2, 1.2 * 0.6 / (4 / 9)])


def test_capped_bets_land_exactly_on_the_risk_limit_and_never_stop_later() -> None:
    (assertion,) = plurality_assertions({"A": 600, "B": 400})
    settings = alpha_settings(assertion, 0.1)
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = (rng.random(400) < 0.6).astype(float)
        capped = alpha_risk(x, settings, population=1000, risk_limit=0.1)
        free = alpha_martingale(x, settings, population=1000)
        free_stop = np.flatnonzero(p_values(free) <= 0.1)
        if free_stop.size:
            assert capped.stop and capped.stopped_at is not None
            assert capped.stopped_at <= free_stop[0] + 1
            assert capped.p_value == pytest.approx(0.1)


def _all_orderings(ones: int, zeros: int) -> list[np.ndarray]:
    n = ones + zeros
    return [
        np.array([1.0 if i in chosen else 0.0 for i in range(n)])
        for chosen in map(set, itertools.combinations(range(n), ones))
    ]


@pytest.mark.parametrize(("ones", "zeros"), [(4, 4), (4, 5), (5, 5), (3, 6)])
def test_exact_validity_on_tiny_populations(ones: int, zeros: int) -> None:
    """Every ordering is equally likely: P(p ≤ t) ≤ t exactly, for ALPHA as used (capped)."""
    (reported,) = plurality_assertions({"A": ones + zeros - 2, "B": 2})
    orderings = _all_orderings(ones, zeros)
    for alpha in (0.05, 0.1, 0.2, 0.3):
        settings = alpha_settings(reported, alpha)
        population = ones + zeros
        p = np.array(
            [
                alpha_risk(x, settings, population=population, risk_limit=alpha).p_value
                for x in orderings
            ]
        )
        assert np.mean(p <= alpha * (1 + 1e-12)) <= alpha
        for t in np.linspace(0.01, 1.0, 25):
            assert np.mean(p <= t) <= t + 1e-12


def test_bravo_factors_by_hand() -> None:
    path = bravo_martingale(np.array([1.0, 0.0, 0.5, 1.0]), 0.6)
    assert path == pytest.approx([1.2, 1.2 * 0.8, 1.2 * 0.8, 1.2 * 0.8 * 1.2])


def test_bravo_asn_published_formula() -> None:
    """BRAVO (2012): ASN ≈ (ln 1/α + ln(2s_w)/2) / (p_w ln 2s_w + p_l ln(2 − 2s_w)).

    The formula as printed on Stark's ballot-polling tools page (stat.berkeley.edu/~stark/Vote/
    ballotPollTools.htm). A 10% margin at α = 10% gives 470 ballots; 60%–40% gives 119 (the value
    Arlo's BRAVO tests expect for that contest).
    """
    assert math.ceil(bravo_asn(0.55, 0.45, 0.1)) == 470
    assert math.ceil(bravo_asn(0.6, 0.4, 0.1)) == 119
    assert bravo_asn(0.5, 0.5, 0.1) == math.inf


def test_simulated_bravo_mean_matches_the_asn() -> None:
    truth = AssorterPopulation((1.0, 0.0, 0.5), (600_000, 400_000, 0))
    sizes = simulate_stopping(truth, 0.1, winner_share=0.6, trials=4000, seed=1)
    assert sizes.mean() == pytest.approx(bravo_asn(0.6, 0.4, 0.1), rel=0.06)


def test_bravo_stopping_law_against_enumeration() -> None:
    """F(m) = P(BRAVO stopped within m draws) by DP equals the sum over all 2^m sequences."""
    s_w, alpha, m_max = 0.7, 0.1, 14
    up, down, threshold = math.log(1.4), math.log(0.6), math.log(1 / alpha)
    cdf = _bravo_stopping_cdf(s_w, up, down, threshold, m_max)
    for m in (3, 7, 14):
        total = 0.0
        for seq in itertools.product((0, 1), repeat=m):
            log_t = np.cumsum([up if v else down for v in seq])
            if np.any(log_t >= threshold - 1e-12):
                k = sum(seq)
                total += s_w**k * (1 - s_w) ** (m - k)
        assert cdf[m] == pytest.approx(total, abs=1e-12)


def test_bravo_sample_size_is_exact_sequential_quantile() -> None:
    n = bravo_sample_size(0.6, 0.4, 0.1, 0.9)
    cdf = _bravo_stopping_cdf(0.6, math.log(1.2), math.log(0.8), math.log(10), 2000)
    assert cdf[n] >= 0.9 > cdf[n - 1]
    # the one-look binomial test (Arlo's computation) needs more: the sequential test stops sooner
    k = np.arange(n + 1)
    one_look = stats.binom.pmf(k, n, 0.6)[
        k * math.log(1.2) + (n - k) * math.log(0.8) >= math.log(10)
    ]
    assert one_look.sum() < 0.9


def test_bravo_sample_size_continues_from_earlier_round() -> None:
    assert bravo_sample_size(0.6, 0.4, 0.1, winner_so_far=20, loser_so_far=5) < bravo_sample_size(
        0.6, 0.4, 0.1
    )
    assert bravo_sample_size(0.6, 0.4, 0.1, winner_so_far=40, loser_so_far=0) == 0


def test_alpha_reaches_the_statistical_limit_when_reported_shares_are_true() -> None:
    (assertion,) = plurality_assertions({"A": 550_000, "B": 450_000})
    limit = limit_sample_size(assertion.population, 0.1)
    assert limit == pytest.approx(459.7, abs=0.1)
    sizes = simulate_stopping(
        assertion.population, 0.1, settings=alpha_settings(assertion, 0.1), trials=2000, seed=5
    )
    assert sizes.mean() <= 1.05 * limit


def test_drift_approximation_agrees_with_simulation() -> None:
    (assertion,) = plurality_assertions({"A": 525_000, "B": 475_000})
    settings = alpha_settings(assertion, 0.1)
    sizes = simulate_stopping(assertion.population, 0.1, settings=settings, trials=600, seed=3)
    for q in (0.5, 0.9):
        approx = _drift_sample_size(
            assertion.population,
            settings,
            0.1,
            q,
            initial_state(assertion.population),
            with_replacement=False,
        )
        assert approx == pytest.approx(np.quantile(sizes, q), rel=0.12)


def test_next_round_needs_fewer_after_good_draws() -> None:
    (assertion,) = plurality_assertions({"A": 5_500, "B": 4_500})
    settings = alpha_settings(assertion, 0.05)
    first = alpha_sample_size(assertion, 0.05)
    x = np.array([1.0] * 70 + [0.0] * 30)
    path = alpha_martingale(x, settings, population=10_000, risk_limit=0.05)
    state = PollingState(draws=100, drawn=(70, 30, 0), log_martingale=math.log(path[-1]))
    assert 0 < alpha_sample_size(assertion, 0.05, state=state) < first


def test_alpha_martingale_is_the_betting_martingale_with_alpha_bets() -> None:
    """ALPHA = betting martingale with λ_j = (η_j/μ_j − 1)/(u − μ_j), decided draws included."""
    from papertally.audit.martingale import alpha_bets, betting_martingale, null_means
    from papertally.audit.polling import shrinkage_etas

    settings = AlphaSettings(eta0=0.58, d=20, c=0.02, upper_bound=1.0, cap_bets=False)
    rng = np.random.default_rng(2)
    for population in (None, 40, 25):
        x = rng.choice([0.0, 0.5, 1.0], size=25, p=[0.2, 0.1, 0.7])
        mu = null_means(x, population=population)
        safe = np.clip(mu, 1e-9, 1 - 1e-9)
        bets = alpha_bets(shrinkage_etas(x, safe, settings), mu)
        expected = betting_martingale(x, bets, population=population)
        got = alpha_martingale(x, settings, population=population)
        assert np.allclose(got, expected, rtol=1e-12), population
