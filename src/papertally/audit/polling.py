"""Ballot-polling risk measurement: ALPHA with truncated shrinkage, and BRAVO as the reference.

ALPHA (Stark 2023, "ALPHA: Audit that learns from previously hand-audited ballots", Ann. Appl.
Stat. 17(1)) is the betting martingale of :mod:`papertally.audit.martingale` with the bet
``λ_j = (η_j/μ_j − 1)/(u − μ_j)`` (:func:`~papertally.audit.martingale.alpha_bets`), where the
alternative mean ``η_j`` is estimated from the draws before ``j`` by *truncated shrinkage*
(Stark 2023, §2.5.2)::

    η_j = clip( (d·η0 + Σ_{i<j} x_i) / (d + j − 1),  μ_j + c/√(d + j − 1),  μ_j + 0.999·(u − μ_j) )

``η0`` is the reported assorter mean, ``d`` how many draws' worth of trust the reported result
gets, ``c`` how far above the null mean ``η_j`` must stay. Our choice (tuned by the simulations in
``bench/bench_audit_efficiency.py``): ``d`` is 5 times the number of draws the reported margin would
need at the statistical limit ``ln(1/α)/KL``, so that ALPHA bets like BRAVO when the reported shares
are right and still learns when they are not; ``c = (η0 − 1/2)/2`` as in the paper.

One more refinement, which keeps the martingale valid (every bet is chosen before its draw is
seen and lies in ``[0, 1/μ_j]``): a bet is never larger than what it takes to reach ``1/α`` on the
best possible draw (*capped bets*). Near the finish a full bet only risks losing ground: with the
cap a loss costs less, and the audit stops no later than without it for two-candidate draws. This
removes most of the "overshoot" by which BRAVO exceeds ``ln(1/α)/KL``.

BRAVO (Lindeman, Stark & Yates 2012, "BRAVO: Ballot-polling risk-limiting audits to verify
outcomes", EVT/WOTE) is Wald's SPRT: sampling with replacement, ``T ← T·s_w/(1/2)`` for a vote
for the winner, ``T ← T·(1 − s_w)/(1/2)`` for the loser, unchanged otherwise, where ``s_w`` is the
winner's reported share of the two candidates' votes. It is the ALPHA martingale with replacement
and the fixed ``η = s_w`` on the two candidates' ballots, and is offered for compatibility and as
the yardstick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from papertally.audit.assertions import Assertion, AssorterPopulation
from papertally.audit.martingale import (
    FloatArray,
    RiskMeasurement,
    alpha_bets,
    betting_martingale,
    check_risk_limit,
    decide_nulls,
    measure_risk,
    null_means,
    remaining_before,
)
from papertally.errors import PapertallyError

ETA_CEILING = 0.999
"""η_j never exceeds ``μ_j + ETA_CEILING·(u − μ_j)``, so a draw of 0 never sends T to 0."""
CAP_SEARCH_WINDOW = 64
"""How many draws ahead :func:`capped_log_path` looks for the next cut before scanning further."""
TRUST_MULTIPLE = 3.0
"""``d`` is this many times the number of draws the reported margin needs at the limit.

Chosen by simulation (``bench/bench_audit_efficiency.py``, N = 10⁶, α = 5%, margins 20% … 1%,
1,500 trials): with the reported margin true the mean sample is 0.99–1.01 times ``ln(1/α)/KL``;
with the true margin half the reported one it is at most 1.27 times that of the SPRT at the
true shares. 5 (the earlier value) trusted the report too long there (1.37–1.39 times)."""


@dataclass(frozen=True)
class AlphaSettings:
    """How ALPHA chooses ``η_j``: truncated shrinkage to the reported mean (Stark 2023 §2.5.2)."""

    eta0: float
    """The alternative mean before any draw: the reported assorter mean."""
    d: float
    """The weight of ``eta0``, in draws."""
    c: float
    """``η_j ≥ μ_j + c/√(d + j − 1)``: how far above the null mean the estimate stays."""
    upper_bound: float = 1.0
    """The largest assorter value ``u``."""
    cap_bets: bool = True
    """Never bet more than it takes to reach ``1/risk limit`` on the best possible draw."""


def kl_from_tie(population: AssorterPopulation, mu0: float = 0.5) -> float:
    """Return the largest expected log-growth per draw of any betting martingale for ``mean ≤ mu0``.

    That is ``max_λ E log(1 + λ(X − mu0))`` for ``X`` drawn from ``population`` (with replacement);
    for two candidates it is the Kullback-Leibler divergence between the true shares and a tie, and
    ``ln(1/α)`` divided by it is the statistical limit on the expected sample size (Wald).
    """
    values = np.asarray(population.values, dtype=np.float64)
    weights = np.asarray(population.counts, dtype=np.float64) / population.size
    if float(np.dot(values, weights)) <= mu0:
        return 0.0
    high = (1.0 / mu0) * (1 - 1e-12)

    def growth(lam: float) -> float:
        return float(np.dot(weights, np.log1p(lam * (values - mu0))))

    def slope(lam: float) -> float:
        return float(np.dot(weights, (values - mu0) / (1.0 + lam * (values - mu0))))

    if slope(high) >= 0:
        return growth(high)
    low = 0.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if slope(mid) > 0:
            low = mid
        else:
            high = mid
    return growth(low)


def limit_sample_size(population: AssorterPopulation, risk_limit: float) -> float:
    """Return ``ln(1/α) / KL``: the expected sample size no valid sequential test beats by much."""
    check_risk_limit(risk_limit)
    growth = kl_from_tie(population)
    return math.inf if growth <= 0 else math.log(1.0 / risk_limit) / growth


def alpha_settings(assertion: Assertion, risk_limit: float) -> AlphaSettings:
    """Return our default ALPHA settings for an assertion: shrink toward the reported mean.

    ``d = TRUST_MULTIPLE · ln(1/α)/KL(reported)`` draws (at least 10), ``c = (η0 − 1/2)/2``.
    """
    check_risk_limit(risk_limit)
    eta0 = assertion.reported_mean
    if eta0 <= 0.5:
        raise PapertallyError(
            f"assertion {assertion.name}: with any phantom cards counted for the loser, the "
            f"reported results leave no margin (assorter mean {eta0:.4f} ≤ 1/2); the outcome "
            "cannot be confirmed by sampling: count every card by hand"
        )
    limit = limit_sample_size(assertion.population, risk_limit)
    return AlphaSettings(
        eta0=eta0,
        d=max(10.0, TRUST_MULTIPLE * limit),
        c=(eta0 - 0.5) / 2.0,
        upper_bound=assertion.upper_bound,
    )


def shrinkage_etas(
    x: FloatArray,
    mu: FloatArray,
    settings: AlphaSettings,
    *,
    drawn_before: float | FloatArray = 0.0,
    start: int = 0,
) -> FloatArray:
    """Return ``η_j`` for each draw by truncated shrinkage (Stark 2023 §2.5.2, see module notes).

    Works on 1-D draws or 2-D ``(trials, draws)`` arrays; ``drawn_before`` (sum of earlier draws)
    and ``start`` (their number) continue an audit from an earlier round.
    """
    values = np.asarray(x, dtype=np.float64)
    sums = np.asarray(drawn_before, dtype=np.float64)
    before = np.cumsum(values, axis=-1) - values
    if values.ndim == 2 and sums.ndim == 1:
        sums = sums[:, None]
    before = before + sums
    weight = settings.d + start + np.arange(values.shape[-1], dtype=np.float64)
    estimate = (settings.d * settings.eta0 + before) / weight
    floor = mu + settings.c / np.sqrt(weight)
    ceiling = mu + ETA_CEILING * (settings.upper_bound - mu)
    return np.asarray(np.minimum(np.maximum(estimate, floor), ceiling), dtype=np.float64)


def capped_log_path(
    log_factors: FloatArray,
    log_best: FloatArray,
    x: FloatArray,
    mu: FloatArray,
    upper_bound: float,
    threshold: float,
    log_start: FloatArray | float = 0.0,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Apply capped bets to uncapped log-factors; return ``log T`` per draw and the stopping index.

    ``log_factors[r, j] = log(1 + λ_j(x_j − μ_j))`` for the uncapped bets and ``log_best`` the same
    for the best draw ``x = u``. Where ``log T_{j−1} + log_best_j`` would pass ``threshold``
    (``ln 1/α``), the bet is cut to ``(e^{threshold − log T_{j−1}} − 1)/(u − μ_j)``; a best draw
    then lands exactly on the threshold and betting stops (``λ = 0``). Later uncapped factors do not
    depend on ``T``, so each cut shifts the rest of the path by a constant: the loop runs once per
    cut (cuts are recorded as shifts and summed at the end). Returns ``(log T, stop)`` with
    ``stop[r]`` the 0-based draw where ``log T`` reached the threshold, or −1. Inputs are 2-D
    ``(trials, draws)``.
    """
    logf = np.asarray(log_factors, dtype=np.float64)
    rows_n, cols = logf.shape
    start_arr = np.broadcast_to(np.asarray(log_start, dtype=np.float64), (rows_n,)).copy()
    uncapped = start_arr[:, None] + np.cumsum(logf, axis=1)
    stop = np.full(rows_n, -1, dtype=np.int64)
    if cols == 0:
        return uncapped, stop
    before = np.concatenate((start_arr[:, None], uncapped[:, :-1]), axis=1)
    reach = before + log_best
    # a cut is due at draw j where reach + delta > threshold (delta: shift from earlier cuts)
    delta = np.zeros(rows_n)
    shifts = np.zeros_like(logf)
    col_index = np.arange(cols)
    window = np.arange(CAP_SEARCH_WINDOW)
    next_col = np.zeros(rows_n, dtype=np.int64)
    rows = np.arange(rows_n)
    tolerance = 1e-12
    while rows.size:
        # Cuts come in runs near the threshold: look a few draws ahead first, then further.
        ahead = next_col[rows, None] + window[None, :]
        due = (reach[rows[:, None], np.minimum(ahead, cols - 1)] + delta[rows, None]) > (
            threshold + tolerance
        )
        due &= ahead < cols
        found = due.any(axis=1)
        j = np.where(found, next_col[rows] + np.argmax(due, axis=1), -1)
        far = ~found & (next_col[rows] + CAP_SEARCH_WINDOW < cols)
        if far.any():
            far_rows = rows[far]
            late = (reach[far_rows] + delta[far_rows, None] > threshold + tolerance) & (
                col_index[None, :] >= (next_col[far_rows] + CAP_SEARCH_WINDOW)[:, None]
            )
            j[far] = np.where(late.any(axis=1), np.argmax(late, axis=1), -1)
        keep = j >= 0
        rows, j = rows[keep], j[keep]
        if not rows.size:
            break
        log_before = before[rows, j] + delta[rows]
        mu_j = mu[rows, j]
        needed = np.expm1(threshold - log_before)
        bet = np.maximum(needed, 0.0) / (upper_bound - mu_j)
        new_log = np.log1p(bet * (x[rows, j] - mu_j))
        shift = new_log - logf[rows, j]
        shifts[rows, j] += shift
        delta[rows] += shift
        reached = log_before + new_log >= threshold - tolerance
        stop[rows[reached]] = j[reached]
        next_col[rows] = j + 1
        rows = rows[~reached]
        rows = rows[next_col[rows] < cols]
    path = uncapped + np.cumsum(shifts, axis=1)
    frozen = (stop >= 0)[:, None] & (col_index[None, :] >= stop[:, None])
    return np.where(frozen, threshold, path), stop


def alpha_martingale(
    x: FloatArray,
    settings: AlphaSettings,
    *,
    population: int | None,
    risk_limit: float | None = None,
    mu0: float = 0.5,
) -> FloatArray:
    """Return the ALPHA martingale ``T_j`` for draws ``x`` in order (Stark 2023, eq. 4 and §2.5.2).

    Sampling without replacement from ``population`` cards, or with replacement when ``None``.
    With ``risk_limit`` and ``settings.cap_bets`` the bets are capped at what reaching
    ``1/risk_limit`` takes (see the module notes); the p-values stay valid at every level.
    """
    values = np.asarray(x, dtype=np.float64)
    u = settings.upper_bound
    if values.size and (values.min() < 0 or values.max() > u):
        raise PapertallyError(f"assorter values must lie in [0, {u}]")
    # Where the null is already impossible (certain), T is inf (0) from there on, as in
    # betting_martingale (same rounding allowance); ALPHA's bets are computed for the draws
    # before that.
    mu, impossible, certain = decide_nulls(
        values,
        null_means(values, population=population, mu0=mu0),
        remaining_before(values.size, population),
        population=population,
        upper_bound=u,
    )
    decided = impossible | certain
    first_decided = int(np.argmax(decided)) if decided.any() else values.size
    live_x, live_mu = values[:first_decided], mu[:first_decided]
    bets = alpha_bets(shrinkage_etas(live_x, live_mu, settings), live_mu, upper_bound=u)
    with np.errstate(divide="ignore"):
        log_factors = np.log(np.maximum(1.0 + bets * (live_x - live_mu), 0.0))
    capped = risk_limit is not None and settings.cap_bets
    stop = -1
    if capped:
        assert risk_limit is not None
        check_risk_limit(risk_limit)
        log_best = np.log1p(bets * (u - live_mu))
        paths, stops = capped_log_path(
            log_factors[None, :],
            log_best[None, :],
            live_x[None, :],
            live_mu[None, :],
            u,
            math.log(1.0 / risk_limit),
        )
        path, stop = paths[0], int(stops[0])
    else:
        path = np.cumsum(log_factors)
    martingale = np.empty(values.size, dtype=np.float64)
    with np.errstate(over="ignore"):
        martingale[:first_decided] = np.exp(path)
    if capped and stop >= 0:
        assert risk_limit is not None
        martingale[stop:first_decided] = 1.0 / risk_limit
    if first_decided < values.size:
        martingale[first_decided:] = np.inf if impossible[first_decided] else 0.0
    return martingale


def alpha_risk(
    x: FloatArray,
    settings: AlphaSettings,
    *,
    population: int | None,
    risk_limit: float,
    mu0: float = 0.5,
) -> RiskMeasurement:
    """Measure the risk of an assertion from ballot-polling draws with ALPHA (Stark 2023)."""
    check_risk_limit(risk_limit)
    martingale = alpha_martingale(
        x, settings, population=population, risk_limit=risk_limit, mu0=mu0
    )
    return measure_risk(martingale, risk_limit)


def bravo_share(assertion: Assertion) -> float:
    """Return ``s_w``: the winner's reported share of the votes for the winner and the loser.

    For a supermajority assertion the loser side is every valid vote for someone else.
    """
    counts = dict(zip(assertion.population.values, assertion.population.counts, strict=True))
    w = counts.get(assertion.upper_bound, 0)
    lo = counts.get(0.0, 0)
    if w + lo == 0:
        raise PapertallyError(f"assertion {assertion.name}: no votes for either side")
    return w / (w + lo)


def bravo_martingale(x: FloatArray, winner_share: float) -> FloatArray:
    """Return BRAVO's test statistic ``T_j`` after each draw (Lindeman, Stark & Yates 2012, §4).

    ``x`` holds plurality assorter values: 1 for the winner, 0 for the loser, 1/2 otherwise; the
    factors are ``2 s_w``, ``2(1 − s_w)`` and 1. A reported loser with no votes (``s_w = 1``) is
    valid: one vote for that loser sends ``T`` to 0 for good (a full hand count). That is the
    betting martingale with replacement and the ALPHA bet for the fixed ``η = s_w`` at
    ``μ = 1/2``. Sampling is with replacement (BRAVO's design); applied to a sample drawn without
    replacement it is conservative.
    """
    if not 0.5 < winner_share <= 1.0:
        raise PapertallyError(f"BRAVO needs a winner share in (1/2, 1], got {winner_share}")
    values = np.asarray(x, dtype=np.float64)
    bet = float(alpha_bets(np.array([winner_share]), np.array([0.5]))[0])
    return betting_martingale(values, np.full(values.size, bet), population=None)


def bravo_risk(x: FloatArray, winner_share: float, *, risk_limit: float) -> RiskMeasurement:
    """Measure the risk with BRAVO (Lindeman, Stark & Yates 2012): ``1 / max_j T_j``."""
    return measure_risk(bravo_martingale(x, winner_share), risk_limit)


def bravo_asn(p_winner: float, p_loser: float, risk_limit: float) -> float:
    """Return BRAVO's average sample number (Lindeman, Stark & Yates 2012, eq. for ASN).

    ``ASN ≈ (ln(1/α) + ln(2 s_w)/2) / (p_w ln(2 s_w) + p_l ln(2 − 2 s_w))`` with ``p_w, p_l`` the
    shares of *all* ballots for the winner and the loser and ``s_w = p_w/(p_w + p_l)``; the same
    formula is on Stark's ballot-polling tools page (stat.berkeley.edu/~stark/Vote/
    ballotPollTools.htm). Returns ``inf`` when the winner does not lead.
    """
    check_risk_limit(risk_limit)
    if p_winner <= p_loser:
        return math.inf
    s_w = p_winner / (p_winner + p_loser)
    z_w = math.log(2.0 * s_w)
    z_l = math.log(2.0 - 2.0 * s_w) if s_w < 1 else 0.0
    return (math.log(1.0 / risk_limit) + z_w / 2.0) / (p_winner * z_w + p_loser * z_l)


def bravo_sample_size(
    p_winner: float,
    p_loser: float,
    risk_limit: float,
    probability: float = 0.9,
    *,
    winner_so_far: int = 0,
    loser_so_far: int = 0,
    max_size: int = 10_000_000,
) -> int:
    """Return the number of further draws with which BRAVO stops with at least ``probability``.

    Sampling with replacement (BRAVO's design, Lindeman, Stark & Yates 2012). Only draws for the
    winner or the loser move ``T``, and ``T`` depends only on their counts. Let ``M ~ Bin(n,
    p_w + p_l)`` be the number of such draws among ``n`` and ``F(m)`` the chance that the
    sequential test has stopped within ``m`` of them; then ``P(stop by n) = E F(M)``.

    * Exact: ``F`` by dynamic programming over the winner's count (absorbing the paths that
      reach ``1/α``), when the answer needs at most :data:`BRAVO_EXACT_DRAWS` such draws.
    * Beyond that, ``F(m) ≥ P(T_m ≥ 1/α) = P(K ≥ k*(m))``, ``K ~ Bin(m, s_w)`` (the one-look
      binomial test, as Arlo computes it), which gives a slightly conservative size.

    ``winner_so_far``/``loser_so_far`` continue from an earlier round. Returns ``max_size`` when
    not reachable below it.
    """
    check_risk_limit(risk_limit)
    _check_probability(probability)
    if p_winner <= p_loser:
        return max_size
    if p_loser <= 0.0:
        return _bravo_sample_size_no_loser_votes(
            p_winner, risk_limit, probability, winner_so_far, loser_so_far, max_size
        )
    s_w = p_winner / (p_winner + p_loser)
    up, down = math.log(2.0 * s_w), math.log(2.0 - 2.0 * s_w)
    log_now = winner_so_far * up + loser_so_far * down
    threshold = math.log(1.0 / risk_limit) - log_now
    if threshold <= 0:
        return 0
    p_either = p_winner + p_loser

    relevant_asn = threshold / (s_w * up + (1.0 - s_w) * down)
    # F is computed until it reaches `cover`; above that, F(last) stands in for F(m) (exact when
    # every draw moves T, slightly conservative in the mixture over M otherwise).
    cover = probability if p_either >= 1.0 else 1.0 - (1.0 - probability) / 4.0
    exact = (
        _bravo_stopping_cdf(s_w, up, down, threshold, BRAVO_EXACT_DRAWS, until=cover)
        if relevant_asn < BRAVO_EXACT_DRAWS / 2
        else np.zeros(1)
    )

    def stopped_within(m: NDArray[np.int64]) -> FloatArray:
        if m.size and exact[-1] >= cover:
            return np.asarray(exact[np.minimum(m, exact.size - 1)], dtype=np.float64)
        # need k·up + (m − k)·down ≥ threshold  ⇔  k ≥ (threshold − m·down)/(up − down)
        k_needed = np.ceil((threshold - m * down) / (up - down) - 1e-12)
        return np.asarray(stats.binom.sf(k_needed - 1, m, s_w), dtype=np.float64)

    def pass_probability(n: int) -> float:
        if p_either >= 1.0:
            return float(stopped_within(np.array([n]))[0])
        spread = 9.0 * math.sqrt(n * p_either * (1.0 - p_either)) + 2.0
        centre = n * p_either
        m = np.arange(max(0, int(centre - spread)), min(n, int(centre + spread)) + 1)
        return float(np.dot(stats.binom.pmf(m, n, p_either), stopped_within(m)))

    guess = threshold / (p_winner * up + p_loser * down)
    return _smallest_size(pass_probability, probability, guess, max_size)


def _bravo_sample_size_no_loser_votes(
    p_winner: float,
    risk_limit: float,
    probability: float,
    winner_so_far: int,
    loser_so_far: int,
    max_size: int,
) -> int:
    """Return BRAVO's sample size when the reported loser has no votes (``s_w = 1``).

    Each vote for the winner doubles ``T`` and a vote for the loser (impossible if the reported
    results are right) sets it to 0 for good, so the audit stops at the ``⌈log2(1/α)⌉``-th vote
    for the winner: ``n`` draws suffice with the chance that ``Bin(n, p_w)`` reaches that count.
    """
    if loser_so_far > 0:
        return max_size
    needed = max(0, math.ceil(math.log2(1.0 / risk_limit) - 1e-12) - winner_so_far)
    if needed == 0:
        return 0
    if p_winner >= 1.0:
        return min(needed, max_size)

    def pass_probability(n: int) -> float:
        return float(stats.binom.sf(needed - 1, n, p_winner))

    return _smallest_size(pass_probability, probability, needed / p_winner, max_size)


BRAVO_EXACT_DRAWS = 2_000
"""Up to this many winner-or-loser draws, BRAVO's sample sizes are exact (dynamic programming)."""


def _bravo_stopping_cdf(
    s_w: float, up: float, down: float, threshold: float, draws: int, *, until: float = 1.0
) -> FloatArray:
    """Return ``F[m]``: the chance BRAVO has stopped within ``m`` winner-or-loser draws.

    The state is the winner's count ``k`` among ``m`` draws; paths with ``k·up + (m − k)·down ≥
    threshold`` are absorbed (the audit stopped) and their mass added to ``F``. Runs up to
    ``draws`` draws, or until ``F`` reaches ``until`` (``F`` is constant from there on as far as
    any use below ``until`` is concerned: callers read ``F[min(m, last)]`` only when the last
    value reaches ``until``).
    """
    alive = np.zeros(draws + 2)
    alive[0] = 1.0
    stopped = np.zeros(draws + 1)
    total = 0.0
    spread = 14.0 * math.sqrt(s_w * (1.0 - s_w))
    low = 0
    high = 0
    # Mass lives in alive[low : high + 1]: below low it is under 1e-40 and dropped (which can
    # only make F smaller, hence the size larger), above high it has been absorbed.
    for m in range(1, draws + 1):
        top = min(high + 1, m)
        alive[low + 1 : top + 1] = alive[low + 1 : top + 1] * (1.0 - s_w) + alive[low:top] * s_w
        alive[low] *= 1.0 - s_w
        high = top
        first = max(0, math.ceil((threshold - m * down) / (up - down) - 1e-12))
        if first <= high:
            total += float(alive[first : high + 1].sum())
            alive[first : high + 1] = 0.0
            high = first - 1
        low = max(low, int(m * s_w - spread * math.sqrt(m)) - 1, 0)
        low = min(low, max(high, 0))
        stopped[m] = total
        if total >= until:
            return stopped[: m + 1]
    return stopped


def _smallest_size(
    pass_probability: Callable[[int], float], probability: float, first_guess: float, max_size: int
) -> int:
    """Return the smallest ``n`` with ``pass_probability(n) ≥ probability`` by bisection."""
    high = max(1, int(first_guess))
    while pass_probability(high) < probability:
        if high >= max_size:
            return max_size
        high = min(max_size, high * 2)
    low = max(0, high // 2)
    if low and pass_probability(low) >= probability:
        low = 0
    while high - low > 1:
        mid = (low + high) // 2
        if pass_probability(mid) >= probability:
            high = mid
        else:
            low = mid
    return high


def _check_probability(probability: float) -> None:
    if not 0.0 < probability < 1.0:
        raise PapertallyError(
            f"the probability of finishing must lie strictly between 0 and 1, got {probability}"
        )


@dataclass(frozen=True)
class PollingState:
    """Where a ballot-polling audit of one assertion stands after some draws."""

    draws: int
    """How many cards have been drawn."""
    drawn: tuple[int, ...]
    """How many of them had each value of the assertion's population (same order)."""
    log_martingale: float
    """``log T`` after the last draw (ALPHA, capped), or BRAVO's ``log T`` for BRAVO."""


def initial_state(population: AssorterPopulation) -> PollingState:
    """Return the state of an audit that has drawn nothing yet."""
    return PollingState(draws=0, drawn=(0,) * len(population.values), log_martingale=0.0)


def _draw_block(
    rng: np.random.Generator,
    values: FloatArray,
    remaining: NDArray[np.int64] | None,
    shares: FloatArray,
    trials: int,
    size: int,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Draw ``size`` cards per trial; without replacement when ``remaining`` counts are given.

    Without replacement the counts per value in the block are successive hypergeometric draws
    given what remains, and their order within the block a uniform shuffle: exactly the law of
    ``size`` more draws from the urn. Returns the ``(trials, size)`` values and the counts taken.
    """
    kinds = np.arange(values.size)
    if remaining is None:
        codes = rng.choice(values.size, size=(trials, size), p=shares)
        taken = (codes[:, :, None] == kinds[None, None, :]).sum(axis=1)
        return values[codes], taken.astype(np.int64)
    taken = np.zeros_like(remaining)
    left = np.full(trials, size, dtype=np.int64)
    rest = remaining.sum(axis=1)
    for k in range(values.size - 1):
        rest = rest - remaining[:, k]
        good = remaining[:, k]
        sample = np.minimum(left, good + rest)
        ok = sample > 0
        count = np.where(
            ok,
            rng.hypergeometric(
                np.where(ok, good, 1), np.where(ok, rest, 0), np.where(ok, sample, 1)
            ),
            0,
        )
        taken[:, k] = count
        left = left - count
    taken[:, -1] = left
    edges = np.cumsum(taken, axis=1)
    position = np.arange(size)[None, :]
    codes = (position[:, :, None] >= edges[:, None, :-1]).sum(axis=2)
    codes = rng.permuted(codes, axis=1)
    return values[codes], taken


SIMULATION_TRIALS = 400
"""Trials behind a simulated sample size (fixed seed, so the same inputs give the same size)."""
SIMULATION_SEED = 20230101
SIMULATION_WORK = 30_000
"""Above this many expected draws × trials, sample sizes come from the drift approximation."""


def simulate_stopping(
    truth: AssorterPopulation,
    risk_limit: float,
    *,
    settings: AlphaSettings | None = None,
    winner_share: float | None = None,
    trials: int = SIMULATION_TRIALS,
    seed: int = SIMULATION_SEED,
    with_replacement: bool = False,
    max_draws: int | None = None,
    state: PollingState | None = None,
    mu0: float = 0.5,
) -> NDArray[np.int64]:
    """Simulate ballot-polling audits; return the further draws each needed to stop.

    The cards' true assorter values are ``truth`` (which may differ from the reported results:
    that is how validity and robustness are checked). With ``settings`` the audit is ALPHA
    (:func:`alpha_martingale`, capped bets); with ``winner_share`` it is BRAVO
    (:func:`bravo_martingale`). Draws are without replacement unless ``with_replacement``.
    A trial that does not stop within ``max_draws`` (default: the cards not yet drawn, i.e. a
    full hand count) gets ``max_draws``. Vectorized over trials and blocks of draws, exact draw by
    draw; continuing from ``state`` plans the next round.
    """
    check_risk_limit(risk_limit)
    if (settings is None) == (winner_share is None):
        raise ValueError("give either ALPHA settings or BRAVO's winner share")
    begun = state or initial_state(truth)
    values = np.asarray(truth.values, dtype=np.float64)
    size = truth.size
    left_total = size - begun.draws
    limit = max_draws if max_draws is not None else (size if with_replacement else left_total)
    rng = np.random.default_rng(seed)
    threshold = math.log(1.0 / risk_limit)
    upper = settings.upper_bound if settings is not None else 1.0
    remaining: NDArray[np.int64] | None = None
    if not with_replacement:
        left_counts = np.maximum(np.asarray(truth.counts) - np.asarray(begun.drawn), 0)
        remaining = np.tile(left_counts.astype(np.int64), (trials, 1))
    shares = np.asarray(truth.counts, dtype=np.float64) / size
    growth = kl_from_tie(truth, mu0)
    expected = threshold / growth if growth > 0 else float(limit)
    block = int(min(max(expected / 3.0, 256.0), 16_384.0))
    result = np.full(trials, limit, dtype=np.int64)
    active = np.arange(trials)
    sums = np.full(trials, float(np.dot(values, begun.drawn)))
    logs = np.full(trials, begun.log_martingale)
    done = 0
    if begun.log_martingale >= threshold - 1e-12:
        return np.zeros(trials, dtype=np.int64)
    while active.size and done < limit:
        width = min(block, limit - done)
        x, taken = _draw_block(
            rng,
            values,
            None if remaining is None else remaining[active],
            shares,
            active.size,
            width,
        )
        first = begun.draws + done + 1
        draw_no = first + np.arange(width, dtype=np.float64)[None, :]
        drawn_before = sums[active, None] + np.cumsum(x, axis=1) - x
        if settings is not None:
            if with_replacement:
                mu = np.full_like(x, mu0)
                left = np.ones_like(x)
            else:
                left = np.broadcast_to(size - draw_no + 1.0, x.shape)
                mu = (size * mu0 - drawn_before) / left
            mu, impossible, certain = decide_nulls(
                x, mu, left, population=None if with_replacement else size, upper_bound=upper
            )
            safe_mu = np.where(impossible | certain, mu0, mu)
            etas = shrinkage_etas(x, safe_mu, settings, drawn_before=sums[active], start=first - 1)
            bets = alpha_bets(etas, safe_mu, upper_bound=upper)
            with np.errstate(divide="ignore"):
                log_f = np.log(np.maximum(1.0 + bets * (x - safe_mu), 0.0))
            log_best = np.log1p(bets * (upper - safe_mu))
            log_f = np.where(impossible, 1e6, np.where(certain, -1e6, log_f))
            log_best = np.where(impossible | certain, 0.0, log_best)
            if settings.cap_bets:
                path, _ = capped_log_path(
                    log_f, log_best, x, safe_mu, upper, threshold, logs[active]
                )
            else:
                path = logs[active, None] + np.cumsum(log_f, axis=1)
        else:
            assert winner_share is not None
            bet = float(alpha_bets(np.array([winner_share]), np.array([0.5]))[0])
            with np.errstate(divide="ignore"):
                path = logs[active, None] + np.cumsum(np.log1p(bet * (x - 0.5)), axis=1)
        hit = path >= threshold - 1e-12
        stopped = hit.any(axis=1)
        result[active[stopped]] = done + 1 + np.argmax(hit[stopped], axis=1)
        sums[active] += x.sum(axis=1)
        logs[active] = path[:, -1]
        if remaining is not None:
            remaining[active] -= taken
        active = active[~stopped]
        done += width
    return result


def _first_passage_probability(mean: FloatArray, variance: FloatArray, level: float) -> FloatArray:
    """Return ``P(max_{t≤n} W_t ≥ level)`` for Brownian motion with mean and variance given at n.

    The classical first-passage law of Brownian motion with drift (Siegmund 1985, §3.2),
    ``Φ((M − a)/√V) + e^{2aM/V} Φ((−a − M)/√V)``, evaluated in the variance clock.
    """
    sd = np.sqrt(np.maximum(variance, 1e-300))
    first = stats.norm.cdf((mean - level) / sd)
    with np.errstate(over="ignore", invalid="ignore"):
        log_second = 2.0 * level * mean / np.maximum(variance, 1e-300) + stats.norm.logcdf(
            (-level - mean) / sd
        )
        second = np.exp(np.minimum(log_second, 0.0))
    return np.asarray(np.clip(first + second, 0.0, 1.0), dtype=np.float64)


def _drift_sample_size(
    truth: AssorterPopulation,
    settings: AlphaSettings,
    risk_limit: float,
    probability: float,
    state: PollingState,
    *,
    with_replacement: bool,
    mu0: float = 0.5,
) -> int:
    """Approximate ALPHA's sample size by the drift and variance of ``log T`` (large samples).

    Along the expected path (sample mean equal to the true mean, so ``η_j`` and ``μ_j`` follow
    their expected values) each draw adds to ``log T`` a term with mean ``g_j`` and variance
    ``v_j``; summed, they give ``log T_n`` ≈ Brownian motion whose first passage to ``ln(1/α)`` has
    a closed form. Capped bets leave no overshoot, so the approximation is close for the large
    samples where it is used (checked against simulation in the tests).
    """
    values = np.asarray(truth.values, dtype=np.float64)
    weights = np.asarray(truth.counts, dtype=np.float64) / truth.size
    true_mean = float(np.dot(values, weights))
    level = math.log(1.0 / risk_limit) - state.log_martingale
    size = truth.size
    horizon = size - state.draws if not with_replacement else size
    growth = kl_from_tie(truth, mu0)
    if growth <= 0:
        return horizon
    points = np.unique(np.clip(np.geomspace(1, horizon, 4000).astype(np.int64), 1, horizon)).astype(
        np.float64
    )
    sum_before = float(np.dot(values, state.drawn))
    draw_no = state.draws + points
    drawn_before = sum_before + (points - 1.0) * true_mean
    if with_replacement:
        mu = np.full(points.size, mu0)
    else:
        mu = (size * mu0 - drawn_before) / (size - draw_no + 1.0)
    mu = np.clip(mu, 1e-9, settings.upper_bound - 1e-9)
    weight = settings.d + draw_no - 1.0
    eta = (settings.d * settings.eta0 + drawn_before) / weight
    eta = np.minimum(
        np.maximum(eta, mu + settings.c / np.sqrt(weight)),
        mu + ETA_CEILING * (settings.upper_bound - mu),
    )
    bets = alpha_bets(eta, mu, upper_bound=settings.upper_bound)
    logs = np.log1p(bets[:, None] * (values[None, :] - mu[:, None]))
    step_mean = logs @ weights
    step_var = (logs**2) @ weights - step_mean**2
    gaps = np.diff(np.concatenate(([0.0], points)))
    cum_mean = np.cumsum(step_mean * gaps)
    cum_var = np.cumsum(step_var * gaps)
    chance = _first_passage_probability(cum_mean, cum_var, level)
    reached = np.flatnonzero(chance >= probability)
    if not reached.size:
        return horizon
    k = int(reached[0])
    if k == 0:
        return int(points[0])
    low, high = float(points[k - 1]), float(points[k])
    frac = float((probability - chance[k - 1]) / max(chance[k] - chance[k - 1], 1e-300))
    return math.ceil(low + frac * (high - low))


def alpha_sample_size(
    assertion: Assertion,
    risk_limit: float,
    probability: float = 0.9,
    *,
    truth: AssorterPopulation | None = None,
    state: PollingState | None = None,
    with_replacement: bool = False,
    settings: AlphaSettings | None = None,
) -> int:
    """Return the further draws with which ALPHA confirms ``assertion`` with ``probability``.

    The assumption is that the reported results are right (or that the cards' values are
    ``truth``). Small audits are simulated draw by draw (:func:`simulate_stopping`, fixed seed,
    :data:`SIMULATION_TRIALS` trials); large ones use the drift approximation, checked against
    simulation in the tests (within 12% at the median and the 90% quantile, 5% margin).
    ``state`` continues after a round that did not finish. Never more than the cards not yet
    drawn (a full hand count).
    """
    check_risk_limit(risk_limit)
    _check_probability(probability)
    chosen = settings or alpha_settings(assertion, risk_limit)
    population = truth or assertion.population
    begun = state or initial_state(population)
    limit = limit_sample_size(population, risk_limit)
    if limit * SIMULATION_TRIALS <= SIMULATION_WORK:
        sizes = simulate_stopping(
            population,
            risk_limit,
            settings=chosen,
            state=begun,
            with_replacement=with_replacement,
        )
        return int(np.quantile(sizes, probability, method="higher"))
    return _drift_sample_size(
        population, chosen, risk_limit, probability, begun, with_replacement=with_replacement
    )
