"""Properties of the risk measurement, checked on generated samples (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from papertally.audit.martingale import p_values
from papertally.audit.polling import AlphaSettings, alpha_martingale

draws = st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=1, max_size=300)
two_valued = st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=300)
alphas = st.sampled_from([0.01, 0.05, 0.1, 0.2])
shrinkage = st.builds(
    AlphaSettings,
    eta0=st.floats(0.51, 0.95),
    d=st.floats(1.0, 5000.0),
    c=st.floats(0.0, 0.2),
)


@settings(max_examples=150, deadline=None)
@given(x=draws, config=shrinkage, alpha=alphas, extra=st.integers(0, 500))
def test_p_values_lie_in_unit_interval_and_never_rise(
    x: list[float], config: AlphaSettings, alpha: float, extra: int
) -> None:
    for population in (None, len(x) + extra):
        p = p_values(alpha_martingale(np.array(x), config, population=population, risk_limit=alpha))
        assert np.all((p >= 0) & (p <= 1))
        assert np.all(np.diff(p) <= 1e-15)


@settings(max_examples=150, deadline=None)
@given(x=two_valued, config=shrinkage, alpha=alphas, extra=st.integers(0, 500))
def test_capped_bets_stop_no_later_for_two_candidate_draws(
    x: list[float], config: AlphaSettings, alpha: float, extra: int
) -> None:
    values = np.array(x)
    for population in (None, len(x) + extra):
        free = p_values(alpha_martingale(values, config, population=population))
        capped = p_values(alpha_martingale(values, config, population=population, risk_limit=alpha))
        free_stop = np.flatnonzero(free <= alpha)
        capped_stop = np.flatnonzero(capped <= alpha * (1 + 1e-12))
        if free_stop.size:
            assert capped_stop.size and capped_stop[0] <= free_stop[0]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 400), config=shrinkage, alpha=alphas)
def test_all_half_samples_never_move_the_risk(n: int, config: AlphaSettings, alpha: float) -> None:
    half = np.full(n, 0.5)
    for population in (None, 2 * n):
        path = alpha_martingale(half, config, population=population, risk_limit=alpha)
        assert np.allclose(path, 1.0)
