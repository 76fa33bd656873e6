"""Properties of comparison audits over generated samples (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from papertally.audit.comparison import (
    ClcaBetting,
    _AuditState,
    _stopping_times,
    clca_assorter_values,
    clca_risk,
    noerror_value,
)
from papertally.audit.kaplan_markov import kaplan_markov_p_value
from papertally.audit.martingale import null_means

CODES = st.sampled_from(["0", "0", "0", "0", "0", "0", "o1", "o2", "u1", "u2", "phantom"])


@settings(max_examples=80, deadline=None)
@given(
    codes=st.lists(CODES, min_size=1, max_size=300),
    margin=st.floats(0.005, 0.5),
    population=st.one_of(st.none(), st.integers(300, 10**7)),
)
def test_risk_is_a_valid_running_p_value(
    codes: list[str], margin: float, population: int | None
) -> None:
    """p never rises, lies in [0, 1], and never beats Π min(1, μ_i/x_i), every bet's best case."""
    risk = clca_risk(codes, margin=margin, population=population, risk_limit=0.05)
    p = risk.p_history
    assert np.all(np.diff(p) <= 1e-15) and np.all((p >= 0) & (p <= 1))
    x = clca_assorter_values(codes, margin=margin)
    mu0 = 0.5 if population is None else 0.5 * (1 + 1e-8)
    mu = null_means(x, population=population, mu0=mu0)
    with np.errstate(divide="ignore"):
        bound = np.cumprod(np.minimum(1.0, mu / x))
    assert np.all(p >= bound * (1 - 1e-9))


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.integers(1, 400), st.integers(0, 3)), max_size=8, unique_by=lambda e: e[0]
    ),
    margin=st.floats(0.01, 0.3),
    population=st.one_of(st.none(), st.integers(1_000, 10**6)),
)
def test_simulation_engine_equals_the_martingale(
    events: list[tuple[int, int]], margin: float, population: int | None
) -> None:
    horizon = 600
    events.sort()
    positions = np.array([[p for p, _ in events] + [horizon + 5]], dtype=np.int64)
    kinds = np.array([[k for _, k in events] + [0]], dtype=np.int64)
    stop = _stopping_times(
        _AuditState(),
        positions,
        kinds,
        clean=noerror_value(margin),
        population=population,
        threshold=math.log(20),
        horizon=horizon,
        betting=ClcaBetting(),
    )[0]
    codes = ["0"] * horizon
    for position, kind in events:
        codes[position - 1] = ("o1", "o2", "u1", "u2")[kind]
    risk = clca_risk(codes, margin=margin, population=population, risk_limit=0.05)
    assert stop == (risk.stopped_at if risk.stopped_at is not None else horizon + 1)


@settings(max_examples=60, deadline=None)
@given(codes=st.lists(CODES, min_size=1, max_size=200), seed=st.integers(0, 1000))
def test_kaplan_markov_p_value_depends_only_on_the_counts(codes: list[str], seed: int) -> None:
    shuffled = list(np.random.default_rng(seed).permutation(codes))
    assert math.isclose(
        kaplan_markov_p_value(codes, margin=0.05),
        kaplan_markov_p_value(shuffled, margin=0.05),
        rel_tol=1e-9,
    )
