"""Test supermartingales for the mean of a bounded list, and the risk they measure.

Every audit method in :mod:`papertally.audit` reduces to one question (Stark 2020, "Sets of
half-average nulls generate risk-limiting audits: SHANGRLA"): is the mean of a list of numbers in
``[0, u]`` (the *assorter* values of all ballots) greater than ``mu0`` (usually 1/2)? The draws
``x_1, x_2, …`` come from the list in random order. Under the null hypothesis ``mean ≤ mu0``,
the product

    T_j = Π_{i ≤ j} (1 + λ_i (x_i − μ_i)),   0 ≤ λ_i ≤ 1/μ_i, λ_i chosen before x_i is seen,

is a nonnegative supermartingale with ``T_0 = 1`` (a *betting* martingale, Waudby-Smith & Ramdas
2023, "Estimating means of bounded random variables by betting"; Stark 2023, "ALPHA", §2), where
``μ_i`` is the mean of the not-yet-drawn part of the list when its total mean is exactly ``mu0``.
By Ville's inequality ``P(max_j T_j ≥ 1/α) ≤ α``, so ``1 / max_{i ≤ j} T_i`` is a valid
sequential p-value: the *measured risk*.

Shapes: ``x``, ``lambdas`` and all outputs are 1-D float arrays of the same length, one entry per
draw, in draw order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from papertally.errors import PapertallyError

FloatArray = NDArray[np.float64]
ROUNDING = 1e-12
"""Relative allowance for floating-point rounding when comparing a p-value with the risk limit."""


def null_means(x: FloatArray, *, population: int | None, mu0: float = 0.5) -> FloatArray:
    """Return ``μ_j``, the mean of the list still undrawn before draw ``j`` under the null.

    Sampling without replacement from ``population`` items (Stark 2023, ALPHA, §2.2):
    ``μ_j = (N·mu0 − Σ_{i<j} x_i) / (N − j + 1)``. With replacement (``population=None``) the
    list never changes, so ``μ_j = mu0``. Values below 0 mean the null is already impossible;
    values above the upper bound mean it is already certain (see :func:`betting_martingale`).
    """
    values = np.asarray(x, dtype=np.float64)
    n = values.size
    if population is None:
        return np.full(n, mu0, dtype=np.float64)
    if n > population:
        raise PapertallyError(
            f"{n} draws without replacement from a population of {population} ballots is "
            "impossible; check the number of ballots"
        )
    drawn_before = np.concatenate(([0.0], np.cumsum(values)[:-1])) if n else values
    remaining = population - np.arange(n, dtype=np.float64)
    return np.asarray((population * mu0 - drawn_before) / remaining, dtype=np.float64)


def betting_martingale(
    x: FloatArray,
    lambdas: FloatArray,
    *,
    population: int | None,
    mu0: float = 0.5,
    upper_bound: float = 1.0,
) -> FloatArray:
    """Return ``T_j = Π_{i≤j} (1 + λ_i (x_i − μ_i))`` for ``H0: mean ≤ mu0``, one value per draw.

    The test supermartingale of Waudby-Smith & Ramdas (2023) and Stark (2023, ALPHA, eq. 4),
    sampling without replacement from ``population`` items, or with replacement when ``None``.
    Where ``μ_i < 0`` (or ``μ_i = 0 < x_i``) the draws so far already exceed ``N·mu0``, so the
    null is impossible and ``T`` is ``inf`` from draw ``i`` on; where ``μ_i > upper_bound`` (or
    ``μ_i = upper_bound > x_i``) the rest of the list cannot reach ``mu0``, so the null is
    certainly true and ``T`` is 0 from draw ``i`` on. Bets must lie
    in ``[0, 1/μ_i]`` so that no factor is negative. Computed as a sum of logarithms, so that
    long samples neither overflow nor turn into NaN.
    """
    values = np.asarray(x, dtype=np.float64)
    bets = np.asarray(lambdas, dtype=np.float64)
    if values.shape != bets.shape or values.ndim != 1:
        raise ValueError("x and lambdas must be 1-D arrays of the same length")
    if values.size and (values.min() < 0 or values.max() > upper_bound):
        raise PapertallyError(f"assorter values must lie in [0, {upper_bound}]")
    mu, impossible, certain = decide_nulls(
        values,
        null_means(values, population=population, mu0=mu0),
        remaining_before(values.size, population),
        population=population,
        upper_bound=upper_bound,
    )
    decided = impossible | certain
    safe_mu = np.where(decided, mu0, mu)
    if np.any(bets < 0) or np.any(bets * safe_mu > 1.0 + 1e-12):
        raise ValueError("every bet λ_i must lie in [0, 1/μ_i]")
    factors = 1.0 + bets * (values - safe_mu)
    with np.errstate(divide="ignore", over="ignore"):
        log_t = np.cumsum(np.log(np.maximum(factors, 0.0)))
        martingale = np.exp(log_t)
    if decided.any():
        first = int(np.argmax(decided))
        martingale[first:] = np.inf if impossible[first] else 0.0
    return np.asarray(martingale, dtype=np.float64)


def remaining_before(n: int, population: int | None) -> FloatArray:
    """Return how many items are undrawn before each of ``n`` draws (1 with replacement)."""
    if population is None:
        return np.ones(n, dtype=np.float64)
    return np.asarray(population - np.arange(n, dtype=np.float64), dtype=np.float64)


MEAN_SLACK = 1e-10
"""Rounding allowance of a null mean: ``μ_j`` within ``MEAN_SLACK·u·N/(N − j + 1)`` of 0 or ``u``
is taken as exactly 0 or ``u`` (see :func:`decide_nulls`)."""


def decide_nulls(
    x: FloatArray,
    mu: FloatArray,
    remaining: FloatArray,
    *,
    population: int | None,
    upper_bound: float,
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Return ``(μ, impossible, certain)`` per draw, with ``μ`` cleaned of rounding noise.

    ``μ_j = (N·mu0 − Σ_{i<j} x_i) / (N − j + 1)`` is the null mean of the undrawn part and
    ``remaining`` is ``N − j + 1`` (1 with replacement); ``x``, ``mu`` and ``remaining`` are
    1-D per draw or 2-D ``(trials, draws)``. The running sum of up to ``N`` values in ``[0, u]``
    carries a rounding error far below ``MEAN_SLACK·N·u``, so a ``μ_j`` that close to
    0 (or ``u``) is taken as exactly 0 (or ``u``): otherwise a population whose undrawn cards all
    score 0 under the null (a supermajority share exactly at ``f``, a tied count) reads as
    impossible (``μ_j ≈ −1e-13``) and the audit stops wrongly. The null is *impossible* at draw
    ``j`` when ``μ_j < 0``, or ``μ_j = 0`` and ``x_j`` exceeds everything the undrawn part could
    hold, rounding included; it is *certain* when ``μ_j > u``, or ``μ_j = u`` and ``x_j < u``.
    ALPHA and BRAVO, the hybrid polled stratum and every :func:`betting_martingale` (Kaplan-Markov,
    batch comparison) decide through here, so they share one allowance, which errs toward keeping
    the null (conservative); card-level comparison also tests a null mean raised a hair above ½
    (:func:`papertally.audit.comparison.null_mean`), which keeps ``μ_j`` above 0 at a tie.
    """
    values = np.asarray(x, dtype=np.float64)
    left = np.asarray(remaining, dtype=np.float64)
    scale = MEAN_SLACK * upper_bound * (1 if population is None else population)
    slack = scale / left
    means = np.asarray(mu, dtype=np.float64)
    means = np.where(np.abs(means) <= slack, 0.0, means)
    means = np.where(np.abs(means - upper_bound) <= slack, upper_bound, means)
    impossible = (means < 0) | ((means == 0) & (values > slack * left))
    certain = (means > upper_bound) | ((means == upper_bound) & (values < upper_bound))
    return np.asarray(means, dtype=np.float64), impossible, certain


def alpha_bets(eta: FloatArray, mu: FloatArray, *, upper_bound: float = 1.0) -> FloatArray:
    """Return the bets ``λ_i = (η_i/μ_i − 1) / (u − μ_i)`` that make a betting martingale ALPHA.

    ALPHA (Stark 2023, eq. 4) multiplies by ``(x_i·η_i/μ_i + (u − x_i)(u − η_i)/(u − μ_i)) / u``;
    that factor is linear in ``x_i`` and equals ``1 + λ_i (x_i − μ_i)`` with this ``λ_i``, for an
    alternative mean ``η_i ∈ [μ_i, u]``. ``η_i = μ_i`` gives no bet,
    ``η_i = u`` the largest bet ``1/μ_i``. Where ``μ_i`` is outside ``(0, u)`` the bet is 0 (the
    martingale decides such draws by itself).
    """
    eta_arr = np.asarray(eta, dtype=np.float64)
    mu_arr = np.asarray(mu, dtype=np.float64)
    inside = (mu_arr > 0) & (mu_arr < upper_bound)
    safe_mu = np.where(inside, mu_arr, 0.5 * upper_bound)
    bets = (eta_arr / safe_mu - 1.0) / (upper_bound - safe_mu)
    return np.asarray(np.where(inside, np.clip(bets, 0.0, 1.0 / safe_mu), 0.0), dtype=np.float64)


def p_values(martingale: FloatArray) -> FloatArray:
    """Return the running p-value ``min(1, 1 / max_{i≤j} T_i)`` (Ville's inequality)."""
    values = np.asarray(martingale, dtype=np.float64)
    if values.size == 0:
        return values
    with np.errstate(divide="ignore"):
        return np.asarray(np.minimum(1.0, 1.0 / np.maximum.accumulate(values)), dtype=np.float64)


@dataclass(frozen=True)
class RiskMeasurement:
    """The measured risk of one assertion after a sequence of draws."""

    p_value: float
    """The risk after the last draw: 1 over the largest value of the martingale so far."""
    p_history: FloatArray
    """The risk after each draw (non-increasing)."""
    risk_limit: float
    """The largest risk at which the assertion counts as confirmed."""
    stop: bool
    """Whether the risk fell to the limit (the assertion is confirmed)."""
    stopped_at: int | None
    """1-based number of the first draw at which the risk fell to the limit, or ``None``."""
    sample_size: int
    """How many draws were measured."""


def check_risk_limit(risk_limit: float) -> None:
    """Raise a :class:`PapertallyError` unless ``0 < risk_limit < 1``."""
    if not 0.0 < risk_limit < 1.0:
        raise PapertallyError(
            f"the risk limit must lie strictly between 0 and 1 (e.g. 0.05), got {risk_limit}"
        )


def measure_risk(martingale: FloatArray, risk_limit: float) -> RiskMeasurement:
    """Turn a martingale path into the risk after each draw, and whether and when it stopped.

    An empty sample has risk 1. A relative rounding allowance of :data:`ROUNDING` lets a
    martingale that lands exactly on ``1/risk_limit`` (capped bets) count as stopped.
    ``stopped_at`` is the first draw ``j`` with ``1 / max_{i≤j} T_i ≤ risk_limit`` (Stark 2020,
    SHANGRLA §3: the audit may stop there).
    """
    check_risk_limit(risk_limit)
    history = p_values(martingale)
    p_value = float(history[-1]) if history.size else 1.0
    met = np.flatnonzero(history <= risk_limit * (1.0 + ROUNDING))
    stopped_at = int(met[0]) + 1 if met.size else None
    return RiskMeasurement(
        p_value=p_value,
        p_history=history,
        risk_limit=risk_limit,
        stop=stopped_at is not None,
        stopped_at=stopped_at,
        sample_size=int(history.size),
    )
