"""Batch-level comparison audits: MACRO error bounds, PPEB weights, Kaplan-Markov risk and sizes.

A batch comparison audit hand-counts whole batches (precincts, tabulator batches) and compares
each count with the batch's reported subtotal. This module follows Stark's method, which Arlo
also uses for batch comparison:

* **MACRO** (Stark 2008, "A sharper discrepancy measure for post-election audits", *Annals of
  Applied Statistics* 2(3); Stark 2009, "Efficient post-election audits of multiple contests:
  2009 California tests"): for every contest ``c``, reported winner ``w`` and reported loser
  ``l``, with reported margin ``V_wl`` (votes, over all batches), batch ``p`` with ``b_p`` cards
  can overstate that margin by at most ``u_p = max_{c,w,l} (v_wp − v_lp + b_p) / V_wl``, its
  *error bound*. Its observed *maximum across-contest relative overstatement* is
  ``e_p = max_{c,w,l} ((v_wp − v_lp) − (a_wp − a_lp)) / V_wl`` (``a`` = audited votes), and
  its *taint* ``t_p = e_p / u_p ≤ 1``. Some reported outcome is wrong only if ``Σ_p e_p ≥ 1``.
* **PPEB** sampling (Aslam, Popa & Rivest 2008): batches are drawn with replacement with
  chance ``u_p / U``, ``U = Σ_p u_p`` (:func:`papertally.audit.sampling.draw_ppeb` draws them
  from these weights), so that under the null ``E[t] = Σ_p e_p / U ≥ 1/U``.
* **Kaplan-Markov** (Stark 2009, "Risk-limiting postelection audits: conservative P-values from
  common probability inequalities"): ``P_n = Π_{j ≤ n} (1 − 1/U) / (1 − t_j)``; ``1/P`` is a
  nonnegative supermartingale under the null, so its running minimum is a valid risk.

A batch the auditors cannot find counts as fully tainted (``t = 1``, the worst case), which
leaves the audit to a full hand count.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from papertally.audit.martingale import (
    RiskMeasurement,
    betting_martingale,
    check_risk_limit,
    measure_risk,
)
from papertally.errors import PapertallyError
from papertally.types import ChoiceName, ContestName

FloatArray = NDArray[np.float64]
K = TypeVar("K", bound=Hashable)

MAX_BATCH_SAMPLE = 10_000_000
"""Largest number of PPEB draws a sample size is searched up to before giving up."""


@dataclass(frozen=True)
class BatchContest(Generic[K]):
    """One contest's reported results batch by batch, for a batch comparison audit."""

    name: ContestName
    """The contest's name, as the audited counts refer to it."""
    winners: tuple[ChoiceName, ...]
    """The reported winners."""
    losers: tuple[ChoiceName, ...]
    """The reported losers (every other choice that received votes)."""
    reported: Mapping[K, Mapping[ChoiceName, int]]
    """Reported votes per batch and choice; a missing choice has 0 votes."""
    ballots: Mapping[K, int]
    """The number of cards in each batch that could contain the contest (``b_p``)."""


def _pair_margins(contest: BatchContest[K]) -> dict[tuple[ChoiceName, ChoiceName], int]:
    """Return ``V_wl`` for every (winner, loser) pair; each must be positive."""
    if not contest.winners or not contest.losers:
        raise PapertallyError(f"contest {contest.name!r}: give at least one winner and one loser")
    totals: dict[ChoiceName, int] = {}
    for batch, votes in contest.reported.items():
        if batch not in contest.ballots:
            raise PapertallyError(
                f"contest {contest.name!r}: batch {batch!r} has reported votes but no card count"
            )
        for choice, count in votes.items():
            if count < 0:
                raise PapertallyError(
                    f"contest {contest.name!r}, batch {batch!r}: negative votes for {choice!r}"
                )
            totals[choice] = totals.get(choice, 0) + count
    margins = {}
    for w in contest.winners:
        for loser in contest.losers:
            margin = totals.get(w, 0) - totals.get(loser, 0)
            if margin <= 0:
                raise PapertallyError(
                    f"contest {contest.name!r}: reported winner {w!r} does not lead {loser!r} "
                    f"({totals.get(w, 0)} to {totals.get(loser, 0)} votes); the outcome cannot "
                    "be audited as reported"
                )
            margins[(w, loser)] = margin
    return margins


def _net(votes: Mapping[ChoiceName, int] | None, w: ChoiceName, loser: ChoiceName) -> int:
    """Return winner's minus loser's votes in one batch (0 where the batch has none)."""
    if votes is None:
        return 0
    return int(votes.get(w, 0)) - int(votes.get(loser, 0))


def batch_error_bounds(contests: Sequence[BatchContest[K]]) -> dict[K, float]:
    """Return MACRO's error bound ``u_p = max_{c,w,l} (v_wp − v_lp + b_p)/V_wl`` of every batch.

    The bounds are the PPEB weights (pass them, in manifest order, to
    :func:`papertally.audit.sampling.draw_ppeb`) and their sum ``U`` enters the risk
    (Stark 2008; 2009). A batch of a contest with ``b_p`` cards can change the margin between
    ``w`` and ``l`` by at most ``v_wp − v_lp + b_p`` votes.
    """
    if not contests:
        raise PapertallyError("a batch comparison audit needs at least one contest")
    bounds: dict[K, float] = {}
    for contest in contests:
        margins = _pair_margins(contest)
        for batch, cards in contest.ballots.items():
            if cards < 0:
                raise PapertallyError(
                    f"contest {contest.name!r}, batch {batch!r}: negative number of cards"
                )
            votes = contest.reported.get(batch)
            worst = max(
                (_net(votes, w, loser) + cards) / margin for (w, loser), margin in margins.items()
            )
            bounds[batch] = max(bounds.get(batch, 0.0), worst)
    return bounds


def batch_taint(
    contests: Sequence[BatchContest[K]],
    batch: K,
    audited: Mapping[ContestName, Mapping[ChoiceName, int]] | None,
) -> float:
    """Return the taint ``t_p = e_p/u_p`` of one hand-counted batch (MACRO, Stark 2008).

    ``audited`` maps each contest on the batch's cards to the hand-counted votes per choice;
    ``None`` means the batch was not found and gives the worst case, ``t = 1``. A contest the
    batch belongs to but ``audited`` leaves out is an error, not a zero count.
    """
    margins = [_pair_margins(contest) for contest in contests]
    return _taint(contests, margins, batch_error_bounds(contests), batch, audited)


def _taint(
    contests: Sequence[BatchContest[K]],
    margins: Sequence[Mapping[tuple[ChoiceName, ChoiceName], int]],
    bounds: Mapping[K, float],
    batch: K,
    audited: Mapping[ContestName, Mapping[ChoiceName, int]] | None,
) -> float:
    """Return the taint of ``batch`` given the contests' pair margins and the error bounds."""
    bound = bounds.get(batch, 0.0)
    if bound <= 0.0:
        raise PapertallyError(f"batch {batch!r} has no cards in any audited contest")
    if audited is None:
        return 1.0
    worst = -math.inf
    for contest, pairs in zip(contests, margins, strict=True):
        if batch not in contest.ballots:
            continue
        if contest.name not in audited:
            raise PapertallyError(
                f"batch {batch!r}: no hand count given for contest {contest.name!r}"
            )
        counted = audited[contest.name]
        cards = contest.ballots[batch]
        reported = contest.reported.get(batch)
        if any(v < 0 for v in counted.values()):
            raise PapertallyError(
                f"contest {contest.name!r}, batch {batch!r}: negative hand-counted votes"
            )
        for (w, loser), margin in pairs.items():
            found = _net(counted, w, loser)
            if abs(found) > cards:
                raise PapertallyError(
                    f"contest {contest.name!r}, batch {batch!r}: the hand count ({w!r} "
                    f"{counted.get(w, 0)}, {loser!r} {counted.get(loser, 0)}) does not fit in "
                    f"the batch's {cards} cards"
                )
            worst = max(worst, (_net(reported, w, loser) - found) / margin)
    return worst / bound


def total_error_bound(bounds: Mapping[K, float] | Sequence[float]) -> float:
    """Return ``U = Σ_p u_p``; it must exceed 1 for a meaningful audit."""
    values = list(bounds.values()) if isinstance(bounds, Mapping) else list(bounds)
    total = float(sum(values))
    if any(v < 0 for v in values) or not total > 1.0:
        raise PapertallyError(
            f"the batch error bounds must be non-negative and add up to more than 1, got {total}"
        )
    return total


def batch_comparison_risk(
    taints: Sequence[float], *, total_error_bound: float, risk_limit: float
) -> RiskMeasurement:
    """Measure the risk of a batch comparison audit from the taints of the PPEB draws, in order.

    Kaplan-Markov (Stark 2009): the martingale after draw ``j`` is ``Π_{i ≤ j} (1 − t_i)/(1 − 1/U)``
    (``U`` = :func:`total_error_bound`); a batch drawn twice counts twice. Written as the betting
    martingale of :mod:`papertally.audit.martingale` on ``x = (1 − t)/2 ∈ [0, 1]`` with null mean
    ``(1 − 1/U)/2`` and the bet ``1/μ`` (sampling with replacement), so one fully tainted
    batch (``t = 1``) sets it to 0 for good.
    """
    check_risk_limit(risk_limit)
    u = float(total_error_bound)
    if not u > 1.0:
        raise PapertallyError(f"the total error bound U must exceed 1, got {u}")
    t = np.asarray(taints, dtype=np.float64)
    if t.size and (t.max() > 1.0 + 1e-12 or t.min() < -1.0 - 1e-12):
        raise PapertallyError("taints must lie between -1 and 1")
    x = np.clip((1.0 - t) / 2.0, 0.0, 1.0)
    mu0 = (1.0 - 1.0 / u) / 2.0
    bets = np.full(x.size, 1.0 / mu0)
    martingale = betting_martingale(x, bets, population=None, mu0=mu0, upper_bound=1.0)
    return measure_risk(martingale, risk_limit)


def batch_comparison_risk_from_counts(
    contests: Sequence[BatchContest[K]],
    draws: Sequence[K],
    audited: Mapping[K, Mapping[ContestName, Mapping[ChoiceName, int]]],
    *,
    risk_limit: float,
    not_found: Collection[K] = (),
) -> RiskMeasurement:
    """Measure the risk from reported and hand-counted batch tallies.

    ``draws`` lists the PPEB-drawn batches in draw order (repeats included); ``audited`` holds
    each drawn batch's hand count per contest; batches in ``not_found`` count as fully tainted.
    """
    bounds = batch_error_bounds(contests)
    margins = [_pair_margins(contest) for contest in contests]
    taints: list[float] = []
    cache: dict[K, float] = {}
    for position, batch in enumerate(draws, start=1):
        if batch not in cache:
            if batch in not_found:
                cache[batch] = 1.0
            elif batch not in audited:
                raise PapertallyError(
                    f"draw {position}: batch {batch!r} has no hand count; list it as not found "
                    "if it cannot be located"
                )
            else:
                cache[batch] = _taint(contests, margins, bounds, batch, audited[batch])
        taints.append(cache[batch])
    return batch_comparison_risk(
        taints, total_error_bound=total_error_bound(bounds), risk_limit=risk_limit
    )


def batch_comparison_sample_size(
    error_bounds: Mapping[K, float] | Sequence[float],
    *,
    risk_limit: float,
    taints: Mapping[K, float] | Sequence[float] | None = None,
    expected_taint: float = 0.0,
    probability: float = 0.9,
    trials: int = 2000,
    seed: int = 20_081_104,
) -> int:
    """Return the number of PPEB draws a batch comparison audit needs.

    Without ``taints``, every drawn batch is assumed to show ``expected_taint`` (0: no errors),
    and the size is exact: ``⌈ln α / ln((1 − 1/U)/(1 − t))⌉`` (Stark 2009). With ``taints``
    (one hypothesised taint per batch, same order or keys as ``error_bounds``), it is the
    ``probability``-quantile of ``trials`` simulated PPEB samples (numpy, fixed ``seed``).
    """
    check_risk_limit(risk_limit)
    if isinstance(error_bounds, Mapping):
        keys = list(error_bounds)
        weights = np.array([error_bounds[k] for k in keys], dtype=np.float64)
    else:
        keys = []
        weights = np.asarray(error_bounds, dtype=np.float64)
    u = total_error_bound(list(weights))
    threshold = math.log(1.0 / risk_limit)
    if taints is None:
        if not -1.0 <= expected_taint < 1.0:
            raise PapertallyError(f"the expected taint must lie in [-1, 1), got {expected_taint}")
        growth = math.log((1.0 - expected_taint) / (1.0 - 1.0 / u))
        if growth <= 0.0:
            raise PapertallyError(
                f"with an expected taint of {expected_taint} per batch (1/U = {1 / u:.4g}) the "
                "audit is expected never to finish; count by hand"
            )
        return math.ceil(threshold / growth - 1e-9)
    if isinstance(taints, Mapping):
        if not keys:
            raise PapertallyError("give taints as a list when the error bounds are a list")
        t = np.array([taints.get(k, 0.0) for k in keys], dtype=np.float64)
    else:
        t = np.asarray(taints, dtype=np.float64)
    if t.shape != weights.shape:
        raise PapertallyError(f"{t.size} taints for {weights.size} batches: give one per batch")
    if not 0.0 < probability < 1.0:
        raise PapertallyError(f"the probability must lie in (0, 1), got {probability}")
    if t.size and (t.max() > 1.0 + 1e-12 or t.min() < -1.0 - 1e-12):
        raise PapertallyError("taints must lie between -1 and 1")
    clean = -math.log(1.0 - 1.0 / u)
    with np.errstate(divide="ignore"):
        steps = np.maximum(np.log(np.clip(1.0 - t, 0.0, 2.0)) + clean, -1e6)
    p = weights / weights.sum()
    growth = float(np.dot(p, steps))
    if growth <= 0.0:
        raise PapertallyError(
            "with these taints the batch audit is not expected to finish; count by hand"
        )
    horizon = math.ceil(3.0 * threshold / growth) + 20
    while True:
        stops = _batch_stopping_times(
            steps, p, clean=clean, threshold=threshold, horizon=horizon, trials=trials, seed=seed
        )
        needed = int(np.sort(stops)[math.ceil(probability * trials) - 1])
        if needed <= horizon:
            return needed
        if horizon >= MAX_BATCH_SAMPLE:
            raise PapertallyError(
                "with these taints the batch audit is not expected to finish; count by hand"
            )
        horizon *= 2


def _batch_stopping_times(
    steps: FloatArray,
    p: FloatArray,
    *,
    clean: float,
    threshold: float,
    horizon: int,
    trials: int,
    seed: int,
) -> NDArray[np.int64]:
    """Return the first PPEB draw at which ``Σ log factors ≥ threshold`` in simulated audits.

    ``steps[b]`` is the log factor of drawing batch ``b`` (``clean`` for an untainted one) and
    ``p`` the PPEB probabilities. Only draws of tainted batches are simulated (geometric gaps);
    between them the log martingale rises by ``clean`` per draw, so the crossing is found in
    closed form. ``horizon + 1`` for audits that do not stop within ``horizon`` draws.
    """
    never = horizon + 1
    tainted = np.flatnonzero(steps != clean)
    q = float(p[tainted].sum())
    stops = np.full(trials, never, dtype=np.int64)
    if q <= 0.0:
        stops[:] = min(never, math.ceil(threshold / clean - 1e-9))
        return stops
    rng = np.random.default_rng(seed)
    expected = q * horizon
    width = math.ceil(expected + 8.0 * math.sqrt(expected) + 12.0)
    positions = np.cumsum(rng.geometric(min(q, 1.0), size=(trials, width)), axis=1)
    while positions[:, -1].min() <= horizon:
        more = np.cumsum(rng.geometric(min(q, 1.0), size=(trials, width)), axis=1)
        positions = np.concatenate((positions, positions[:, -1:] + more), axis=1)
    chosen = rng.choice(tainted.size, size=positions.shape, p=p[tainted] / q)
    adjust = steps[tainted][chosen] - clean
    offset = np.zeros(trials)
    previous = np.zeros(trials, dtype=np.int64)
    active = np.ones(trials, dtype=bool)
    for k in range(positions.shape[1]):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        nxt = positions[rows, k]
        first = np.maximum(previous[rows] + 1, np.ceil((threshold - offset[rows]) / clean - 1e-9))
        hit = first < np.minimum(nxt, never)
        stops[rows[hit]] = first[hit].astype(np.int64)
        moving = rows[~hit & (nxt <= horizon)]
        active[rows[~(~hit & (nxt <= horizon))]] = False
        if moving.size == 0:
            break
        offset[moving] += adjust[moving, k]
        previous[moving] = positions[moving, k]
        reached = positions[moving, k] * clean + offset[moving] >= threshold
        stops[moving[reached]] = positions[moving[reached], k]
        active[moving[reached]] = False
    return stops


def batch_comparison_next_round_size(
    taints: Sequence[float],
    *,
    total_error_bound: float,
    risk_limit: float,
    expected_taint: float = 0.0,
) -> int:
    """Return how many MORE PPEB draws are needed after rounds that did not finish.

    Assumes every further batch shows ``expected_taint``; 0 if the risk limit was met, and an
    error if the audit can no longer stop (a fully tainted batch was drawn).
    """
    risk = batch_comparison_risk(taints, total_error_bound=total_error_bound, risk_limit=risk_limit)
    if risk.stop:
        return 0
    t = np.asarray(taints, dtype=np.float64)
    if t.size and t.max() >= 1.0:
        raise PapertallyError("a fully tainted batch was drawn: the audit must count by hand")
    u = float(total_error_bound)
    growth = math.log((1.0 - expected_taint) / (1.0 - 1.0 / u))
    if growth <= 0.0:
        raise PapertallyError("at this expected taint the audit is expected never to finish")
    log_t = float(np.sum(np.log(1.0 - t)) - t.size * math.log(1.0 - 1.0 / u)) if t.size else 0.0
    return max(1, math.ceil((math.log(1.0 / risk_limit) - log_t) / growth - 1e-9))
