"""Kaplan-Markov ("super-simple") ballot-level comparison audits, for compatibility with Colorado
and Arlo.

Stark (2009, "Risk-limiting postelection audits: conservative P-values from common probability
inequalities") and Stark (2010, "Super-simple simultaneous single-ballot risk-limiting audits")
bound the overstatement of each card by ``2γ/V`` votes' worth of margin, with an inflation
factor ``γ > 1``; Lindeman & Stark (2012, "A gentle introduction to risk-limiting audits", p. 5)
turn that into the P-value after ``n`` cards with ``o1``, ``o2``, ``u1``, ``u2`` discrepancies

    P = (1 − V/(2γ))^n · (1 − 1/(2γ))^(−o1) · (1 − 1/γ)^(−o2) · (1 + 1/(2γ))^(−u1) · (1 + 1/γ)^(−u2)

(``V`` the diluted margin) and the sample size needed to stop,

    n = −2γ [ln α + o1 ln(1 − 1/(2γ)) + o2 ln(1 − 1/γ) + u1 ln(1 + 1/(2γ)) + u2 ln(1 + 1/γ)] / V.

In SHANGRLA terms (Stark 2020, §3.2) the KM factor of one card is ``1 + λ(B − ½)`` with the
overstatement assorter ``B`` of :mod:`papertally.audit.comparison` and the fixed bet
``λ = 2(2 − V)/(2γ − V)``, so the risk is measured with the same martingale core. Colorado and
Arlo use ``γ = 1.03905``. Unlike the adaptive test of :func:`papertally.audit.comparison.clca_risk`,
the bet never adapts: with no errors KM needs about ``2γ ln(1/α)/V`` cards, ``γ`` times (4%
more than) the limit ``ln(1/α)/ln(2/(2 − V))`` at margins of 5% and less (5% more at 20%), and
Colorado's and Arlo's initial sizes, planned for :data:`SUPER_SIMPLE_RATES`, are 5–7% above the
limit at margins of 5% to 20%, 17% at 1% and 33% at 0.5% (α 5% and 10%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from papertally.audit.comparison import (
    NO_ERRORS,
    ErrorRates,
    FloatArray,
    check_margin,
    check_population,
    noerror_value,
    null_mean,
    overstatements_from_codes,
)
from papertally.audit.martingale import (
    RiskMeasurement,
    betting_martingale,
    check_risk_limit,
    measure_risk,
    null_means,
)
from papertally.errors import PapertallyError

GAMMA = 1.03905
"""The error inflation factor of Colorado's RLA tool, Arlo and Lindeman & Stark (2012)."""

SUPER_SIMPLE_RATES = ErrorRates(o1=0.001, o2=0.0001, u1=0.001, u2=0.0001)
"""The planning rates of Colorado's and Arlo's super-simple sample sizes: one-vote discrepancies
in 1 card of 1,000, two-vote ones in 1 of 10,000."""


def check_gamma(gamma: float) -> None:
    """Raise a :class:`PapertallyError` unless ``γ > 1`` (Stark 2010: ``γ = 1`` bets everything)."""
    if not (math.isfinite(gamma) and gamma > 1.0):
        raise PapertallyError(f"the error inflation factor γ must be greater than 1, got {gamma}")


def _log_factors(gamma: float) -> FloatArray:
    """Return ``ln(1 − e/(2γ))`` for ``e`` = 1, 2, −1, −2 (o1, o2, u1, u2)."""
    return np.log(1.0 - np.array([1.0, 2.0, -1.0, -2.0]) / (2.0 * gamma))


def kaplan_markov_p_value(
    discrepancies: Sequence[str], *, margin: float, gamma: float = GAMMA
) -> float:
    """Return the Kaplan-Markov P-value after all the draws (Lindeman & Stark 2012, p. 5).

    ``discrepancies``: one code per sampled card (``0``, ``o1``, ``o2``, ``u1``, ``u2``;
    ``phantom`` counts as ``o2``); ``margin``: the diluted margin ``V``. This is the published
    fixed-``n`` value, capped at 1; :func:`kaplan_markov_risk` gives the sequential risk
    (which may have reached the limit at an earlier draw).
    """
    check_margin(margin)
    check_gamma(gamma)
    kappa = overstatements_from_codes(discrepancies)
    votes = 2.0 * kappa
    log_p = kappa.size * math.log(1.0 - margin / (2.0 * gamma)) - float(
        np.sum(np.log(1.0 - votes / (2.0 * gamma)))
    )
    return min(1.0, math.exp(log_p))


def kaplan_markov_bet(margin: float, gamma: float = GAMMA, upper_bound: float = 1.0) -> float:
    """Return ``λ = 2(2 − v)/(2γ − v)`` (``v`` = margin/u), the bet that makes a betting
    martingale on the overstatement assorter equal to ``1/P`` of Kaplan-Markov."""
    check_margin(margin, upper_bound)
    check_gamma(gamma)
    v = margin / upper_bound
    return 2.0 * (2.0 - v) / (2.0 * gamma - v)


def kaplan_markov_risk(
    discrepancies: Sequence[str],
    *,
    margin: float,
    risk_limit: float,
    gamma: float = GAMMA,
    population: int | None = None,
) -> RiskMeasurement:
    """Measure the risk of a super-simple comparison audit, draw by draw (Stark 2009; 2010).

    With ``population=None`` (the published method, sampling with replacement) the martingale
    after draw ``j`` is exactly ``1/P_j`` of :func:`kaplan_markov_p_value`; the risk is
    ``min_{i ≤ j} P_i`` (Ville's inequality). With ``population=N`` the same bet is applied
    to the null means of sampling without replacement (and cut to ``1/μ_i`` where needed),
    which keeps the test exactly valid for such samples (null mean
    :func:`papertally.audit.comparison.null_mean`, a hair above ½ to absorb rounding).
    """
    check_risk_limit(risk_limit)
    kappa = overstatements_from_codes(discrepancies)
    check_population(population, kappa.size)
    clean = noerror_value(margin)
    x = (1.0 - kappa) * clean
    bet = kaplan_markov_bet(margin, gamma)
    mu0 = null_mean(population)
    mu = null_means(x, population=population, mu0=mu0)
    safe_mu = np.where(mu > 0, mu, 1.0)
    bets = np.where(mu > 0, np.minimum(bet, 1.0 / safe_mu), 0.0)
    martingale = betting_martingale(
        x, bets, population=population, mu0=mu0, upper_bound=2.0 * clean
    )
    return measure_risk(martingale, risk_limit)


def kaplan_markov_stopping_size(
    margin: float,
    *,
    risk_limit: float,
    gamma: float = GAMMA,
    o1: int = 0,
    o2: int = 0,
    u1: int = 0,
    u2: int = 0,
) -> int:
    """Return the number of cards at which a super-simple audit with these discrepancy counts
    may stop (Lindeman & Stark 2012, p. 5: ``n = −2γ[ln α + Σ_k c_k ln(1 − e_k/(2γ))]/V``).

    The formula uses ``−ln(1 − V/(2γ)) ≈ V/(2γ)``, which errs on the side of more cards. At least
    as many cards as discrepancies.
    """
    check_risk_limit(risk_limit)
    check_margin(margin)
    check_gamma(gamma)
    counts = np.array([o1, o2, u1, u2], dtype=np.float64)
    if np.any(counts < 0):
        raise PapertallyError(f"discrepancy counts must not be negative, got {counts.tolist()}")
    total = math.log(risk_limit) + float(np.dot(counts, _log_factors(gamma)))
    size = math.ceil(-2.0 * gamma * total / margin - 1e-9)
    return max(int(counts.sum()), size)


def _rate_denominator(margin: float, gamma: float, rates: ErrorRates) -> float:
    """Return the expected log KM factor of one card, ``ln(1 − V/(2γ)) − Σ_k r_k ln(1 − e_k/(2γ))``.

    Negative when the audit is expected to progress.
    """
    r = np.array([rates.o1, rates.o2, rates.u1, rates.u2])
    return math.log(1.0 - margin / (2.0 * gamma)) - float(np.dot(r, _log_factors(gamma)))


def kaplan_markov_sample_size(
    margin: float,
    *,
    risk_limit: float,
    gamma: float = GAMMA,
    error_rates: ErrorRates = NO_ERRORS,
    phantoms: int = 0,
    population: int | None = None,
) -> int:
    """Return the super-simple initial sample size when discrepancies occur at ``error_rates``.

    ``n = ⌈ln α / (ln(1 − V/(2γ)) − Σ_k r_k ln(1 − e_k/(2γ)))⌉``: the size at which the expected
    log P-value reaches ``ln α`` (Stark's Statistics 157 notes (2017) and ``rlacalc``; Colorado
    and Arlo plan with :data:`SUPER_SIMPLE_RATES`, giving about 535 cards at a 1% margin and
    α = 10%). Raises a :class:`PapertallyError` when the rates are so high that the audit is
    not expected to finish. ``phantoms`` cards without a CVR among ``population`` are planned
    as two-vote overstatements (:meth:`~papertally.audit.comparison.ErrorRates.with_phantoms`).
    """
    check_risk_limit(risk_limit)
    check_margin(margin)
    check_gamma(gamma)
    denominator = _rate_denominator(margin, gamma, error_rates.with_phantoms(phantoms, population))
    if denominator >= 0.0:
        raise PapertallyError(
            f"with these error rates a super-simple audit of margin {margin} is expected never "
            "to finish; count by hand"
        )
    return math.ceil(math.log(risk_limit) / denominator - 1e-9)


def kaplan_markov_next_round_size(
    discrepancies: Sequence[str],
    *,
    margin: float,
    risk_limit: float,
    gamma: float = GAMMA,
    error_rates: ErrorRates | None = None,
) -> int:
    """Return how many MORE cards a super-simple audit needs after rounds that did not finish.

    Future cards are assumed to show discrepancies at ``error_rates`` (default: the rates
    observed so far, as Colorado's tool extends the sample), so the expected log P-value falls
    by :func:`_rate_denominator` per card from its current value. 0 if the risk limit was met.
    """
    risk = kaplan_markov_risk(discrepancies, margin=margin, risk_limit=risk_limit, gamma=gamma)
    if risk.stop:
        return 0
    kappa = overstatements_from_codes(discrepancies)
    if error_rates is None:
        n = max(kappa.size, 1)
        error_rates = ErrorRates(
            o1=float(np.sum(kappa == 0.5)) / n,
            o2=float(np.sum(kappa == 1.0)) / n,
            u1=float(np.sum(kappa == -0.5)) / n,
            u2=float(np.sum(kappa == -1.0)) / n,
        )
    denominator = _rate_denominator(margin, gamma, error_rates)
    if denominator >= 0.0:
        raise PapertallyError(
            f"at the discrepancy rates seen so far a super-simple audit of margin {margin} is "
            "expected never to finish; count by hand"
        )
    current = kaplan_markov_p_value(discrepancies, margin=margin, gamma=gamma)
    return max(1, math.ceil((math.log(risk_limit) - math.log(current)) / denominator - 1e-9))
