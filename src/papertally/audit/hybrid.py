"""Hybrid audits: one contest, a stratum of cards with CVRs and a stratum without (stratified RLA).

A contest's cards are split into two strata sampled independently, each without replacement:
stratum 1 (``N1`` cards) has cast vote records, so its sampled cards are *compared* with their
CVRs; stratum 2 (``N2`` cards, e.g. hand-fed or older scanners) has only stratum totals, so its
sampled cards are *polled*. For the pair (reported winner ``w``, reported loser ``l``) the
plurality assorter ``A`` is 1 for ``w``, 0 for ``l`` and ½ otherwise, and the reported outcome is
right when ``w1·m1 + w2·m2 > ½``, with ``m_k`` the true mean of ``A`` in stratum ``k`` and
``w_k = N_k/N``. The complement, the null, is the *union* over allocations ``θ`` with
``w1·θ1 + w2·θ2 = ½`` of the *intersections* "``m1 ≤ θ1`` and ``m2 ≤ θ2``" (SUITE: Ottoboni,
Stark, Lindeman & McBurnett 2018, "Risk-limiting audits by stratified union-intersection tests
of elections"; Stark 2020, SHANGRLA §4.3 "stratified sampling"; Stark 2023, ALPHA §5).

Each intersection is tested by combining one p-value per stratum with Fisher's combining
function, ``P(θ) = q·(1 − ln q)`` for ``q = p1(θ1)·p2(θ2)`` (the χ² law with 4 degrees of
freedom of ``−2 ln q``), and the union is rejected only if every intersection is: the measured
risk is ``max_θ P(θ)``. The per-stratum tests are our one-stratum machinery:

* stratum 1: the CLCA betting martingale (:func:`papertally.audit.comparison.clca_martingale`)
  on the overstatement assorter ``B = (1 − ω)/(2 − v_θ)``, ``ω = A(CVR) − A(paper)``, with
  ``v_θ = 2(Ā1 − θ1)`` and ``Ā1`` the mean of ``A`` over the stratum's CVRs; then "mean of
  ``B`` ≤ ½" is exactly "``m1 ≤ θ1``" (SHANGRLA §3.2 with the null mean ``θ1`` for ½);
* stratum 2: ALPHA (:func:`papertally.audit.polling.alpha_martingale`) with null mean ``θ2``.

Why it is valid, for any number of rounds and any sample sizes chosen along the way: each
stratum's p-value ``1/max_j T_j`` only falls as draws are added, and its value after the whole
stratum is drawn depends only on that stratum's random order; those two limits are independent
and, by Ville's inequality, each is at most ``a`` with chance at most ``a`` under its null. As
Fisher's function increases in each p-value, the chance that it ever falls to ``α`` is at most
that of the two limits, at most ``α``. The maximum over ``θ`` runs over a grid of cells
``[a, b]`` of ``θ1``; a cell tests "``m1 ≤ b`` and ``m2 ≤ (½ − w1·a)/w2``", which contains every
true ``(m1, m2)`` with ``m1`` in the cell on or under the line, so no allocation is missed.

When one stratum is empty the test is the other stratum's own test at ``θ = ½`` (Fisher's
function with one p-value is the identity), with ALPHA's capped bets as in a polling audit.
With two strata ALPHA's bets are not capped at ``1/α``: a stratum's p-value must be free to go
below ``α`` for the combination to stop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_ndtr, ndtr

from papertally.audit.assertions import CardReading, check_sample_choices, score_card
from papertally.audit.comparison import (
    CELL_BLOCK,
    DEFAULT_BETTING,
    clca_log_peaks,
    clca_martingale,
    null_mean,
    overstatements_from_codes,
)
from papertally.audit.martingale import (
    ROUNDING,
    FloatArray,
    alpha_bets,
    check_risk_limit,
    decide_nulls,
    p_values,
    remaining_before,
)
from papertally.audit.polling import (
    ETA_CEILING,
    TRUST_MULTIPLE,
    AlphaSettings,
    alpha_martingale,
    shrinkage_etas,
)
from papertally.errors import PapertallyError
from papertally.types import ChoiceName

CELLS_PER_MARGIN = 40.0
"""The grid of allocations has cells at most ``margin/CELLS_PER_MARGIN`` wide in ``θ1``."""
MIN_CELLS = 100
MAX_CELLS = 2_000
PLANNING_CELLS = 60
"""How many of the measurement's cells :func:`hybrid_sample_size` plans with, evenly spread."""
BOUNDARY_CELLS = 20
"""The planner also takes the measurement's cells this close to ``θ1 = Ā1`` (either side)."""
MAX_PLANNING_HORIZON = 20_000
"""Polling draws planned at most; beyond that, a full hand count."""
DRIFT_POINTS = 80
"""Grid points (geometric) of polled sample sizes at which the planner evaluates its chances."""
CLOSEST_CELLS = 4
"""Cells per split and polled size for which the planner evaluates the first-passage law."""
SMALLEST_MARGIN = 1e-9
"""A CVR-stratum margin ``v_θ`` below this gives the stratum p-value 1 (nothing to bet on)."""


@dataclass(frozen=True)
class HybridContest:
    """The reported results of a two-stratum contest, for one (winner, loser) assertion."""

    cards_cvr: int
    """``N1``: ballot cards in the stratum with CVRs (0 if none)."""
    cards_no_cvr: int
    """``N2``: ballot cards in the stratum without CVRs (0 if none)."""
    cvr_mean: float
    """``Ā1``: mean plurality assorter over the CVR stratum's CVRs (½ if the stratum is empty)."""
    no_cvr_mean: float
    """``ā2``: reported mean plurality assorter in the no-CVR stratum (½ if empty)."""

    @property
    def cvr_weight(self) -> float:
        """``w1 = N1/N``: the CVR stratum's share of the contest's cards."""
        return self.cards_cvr / (self.cards_cvr + self.cards_no_cvr)

    @property
    def margin(self) -> float:
        """The overall reported diluted margin ``2(w1·Ā1 + w2·ā2) − 1``."""
        w1 = self.cvr_weight
        return 2.0 * (w1 * self.cvr_mean + (1.0 - w1) * self.no_cvr_mean) - 1.0


@dataclass(frozen=True)
class StratumRisk:
    """One stratum's part of a hybrid risk measurement, at the worst allocation."""

    cards: int
    """Ballot cards in the stratum."""
    draws: int
    """Cards sampled from it."""
    null_mean: float
    """The stratum mean the worst allocation assigns (``θ1`` or ``θ2``; ½ if alone)."""
    p_value: float
    """The stratum's p-value against that null (1 for an empty stratum)."""


@dataclass(frozen=True)
class HybridRiskMeasurement:
    """The measured risk of a hybrid (stratified) audit of one assertion (SUITE, Fisher)."""

    p_value: float
    """``max_θ`` Fisher's combination of the two strata's p-values: the measured risk."""
    risk_limit: float
    """The largest risk at which the assertion counts as confirmed."""
    stop: bool
    """Whether the risk fell to the limit."""
    comparison: StratumRisk
    """The CVR stratum (ballot comparison) at the worst allocation."""
    polling: StratumRisk
    """The no-CVR stratum (ballot polling) at the worst allocation."""
    worst_allocation: tuple[float, float]
    """``(θ1, θ2)`` tested in the cell where the combined p-value is largest."""
    cells: int
    """How many cells of allocations were examined."""


def _stratum_mean(
    votes: Mapping[ChoiceName, int], cards: int, winner: ChoiceName, loser: ChoiceName, name: str
) -> float:
    """Return the mean plurality assorter ``(N + W − L)/(2N)`` of a stratum (½ if empty)."""
    for choice, count in votes.items():
        if int(count) != count or count < 0:
            raise PapertallyError(
                f"{name}: votes for {choice!r} must be a whole number ≥ 0, got {count}"
            )
    if cards < 0 or int(cards) != cards:
        raise PapertallyError(
            f"{name}: the number of cards must be a whole number ≥ 0, got {cards}"
        )
    total = int(sum(votes.values()))
    if total > cards:
        raise PapertallyError(
            f"{name}: the votes add up to {total}, more than its {cards} cards allow (one vote "
            "per card); check the votes and the number of cards"
        )
    if cards == 0:
        return 0.5
    w, lo = int(votes.get(winner, 0)), int(votes.get(loser, 0))
    return (cards + w - lo) / (2.0 * cards)


def hybrid_contest(
    *,
    votes_cvr_stratum: Mapping[ChoiceName, int],
    votes_no_cvr_stratum: Mapping[ChoiceName, int],
    cards_cvr: int,
    cards_no_cvr: int,
    winner: ChoiceName,
    loser: ChoiceName,
) -> HybridContest:
    """Check the reported results of a two-stratum contest and return them as a HybridContest.

    ``votes_*`` are the reported votes per candidate in each stratum (for the CVR stratum, the
    tally of its CVRs); ``cards_*`` the ballot cards in each stratum (cards without a vote in the
    contest included). Raises a :class:`PapertallyError` for unknown names, negative or
    excessive votes, no cards at all, or a reported loser who does not trail overall.
    """
    if winner == loser:
        raise PapertallyError(f"the winner and the loser must differ, got {winner!r} twice")
    known = {*votes_cvr_stratum, *votes_no_cvr_stratum}
    for role, name in (("winner", winner), ("loser", loser)):
        if name not in known:
            raise PapertallyError(
                f"the reported {role} {name!r} is not a candidate in either stratum "
                f"({', '.join(sorted(known)) or 'no candidates'})"
            )
    mean1 = _stratum_mean(votes_cvr_stratum, cards_cvr, winner, loser, "the CVR stratum")
    mean2 = _stratum_mean(votes_no_cvr_stratum, cards_no_cvr, winner, loser, "the no-CVR stratum")
    if cards_cvr + cards_no_cvr == 0:
        raise PapertallyError("the contest has no ballot cards in either stratum")
    contest = HybridContest(int(cards_cvr), int(cards_no_cvr), mean1, mean2)
    if contest.margin <= 0:
        raise PapertallyError(
            f"{winner!r} does not lead {loser!r} over both strata together (reported margin "
            f"{contest.margin:.4f}); there is no reported outcome to confirm for this pair"
        )
    return contest


def _theta1_range(contest: HybridContest) -> tuple[float, float]:
    """Return the ``θ1`` for which both ``θ1`` and ``θ2 = (½ − w1·θ1)/w2`` lie in ``[0, 1]``."""
    w1 = contest.cvr_weight
    return max(0.0, (0.5 - (1.0 - w1)) / w1), min(1.0, 0.5 / w1)


def default_cells(
    contest: HybridContest,
    per_margin: float = CELLS_PER_MARGIN,
    smallest: int = MIN_CELLS,
    largest: int = MAX_CELLS,
) -> int:
    """Return how many cells the allocation grid needs: each at most ``margin/per_margin`` wide.

    A cell ``[a, b]`` costs the CVR stratum up to ``2(b − a)`` of its margin (the null is
    ``m1 ≤ b``), so the width is tied to the overall reported margin; between ``smallest``
    and ``largest`` cells.
    """
    if contest.cards_cvr == 0 or contest.cards_no_cvr == 0:
        return 1
    low, high = _theta1_range(contest)
    wanted = math.ceil(per_margin * (high - low) / contest.margin)
    return int(min(largest, max(smallest, wanted)))


def allocation_cells(contest: HybridContest, cells: int) -> tuple[FloatArray, FloatArray]:
    """Return ``(θ1, θ2)`` per cell: the nulls "``m1 ≤ θ1`` and ``m2 ≤ θ2``" to reject (SUITE).

    The line ``w1·θ1 + w2·θ2 = ½`` with both means in ``[0, 1]`` is cut into ``cells`` equal
    intervals ``[a, b]`` of ``θ1``; each tests ``θ1 = b``, ``θ2 = (½ − w1·a)/w2`` (conservative
    at both ends, see the module notes). One stratum empty: the single null ``½`` (NaN for the
    empty stratum).
    """
    if cells < 1:
        raise PapertallyError(f"the allocation grid needs at least one cell, got {cells}")
    if contest.cards_no_cvr == 0:
        return np.array([0.5]), np.array([math.nan])
    if contest.cards_cvr == 0:
        return np.array([math.nan]), np.array([0.5])
    w1 = contest.cvr_weight
    w2 = 1.0 - w1
    low, high = _theta1_range(contest)
    edges = np.linspace(low, high, cells + 1)
    theta1 = edges[1:]
    theta2 = np.minimum((0.5 - w1 * edges[:-1]) / w2, 1.0)
    return np.asarray(theta1, dtype=np.float64), np.asarray(theta2, dtype=np.float64)


def planning_cells(contest: HybridContest) -> tuple[FloatArray, FloatArray]:
    """Return :data:`PLANNING_CELLS` of the cells :func:`hybrid_risk` uses, evenly spread, and
    every cell within :data:`BOUNDARY_CELLS` of ``θ1 = Ā1``.

    Same widths (so the same slack) as the measurement's grid, fewer of them. Around
    ``θ1 = Ā1`` the CVR stratum has (almost) no margin to reject, so the polled stratum must
    reject ``m2 ≤ θ2`` nearly alone, and ``θ2`` is largest there: the measured risk is usually
    set by one of those cells, so the planner takes them all.
    """
    theta1, theta2 = allocation_cells(contest, default_cells(contest))
    if theta1.size <= PLANNING_CELLS:
        return theta1, theta2
    keep = np.linspace(0, theta1.size - 1, PLANNING_CELLS).round().astype(np.int64)
    boundary = int(np.searchsorted(theta1, contest.cvr_mean))
    near = np.arange(boundary - BOUNDARY_CELLS, boundary + BOUNDARY_CELLS + 1)
    near = near[(near >= 0) & (near < theta1.size)]
    chosen = np.unique(np.concatenate((keep, near)))
    return theta1[chosen], theta2[chosen]


def fisher_combination(p1: FloatArray | float, p2: FloatArray | float) -> FloatArray:
    """Return Fisher's combined p-value of two independent p-values: ``q(1 − ln q)``, ``q = p1·p2``.

    ``−2 ln(p1·p2)`` has the χ² law with 4 degrees of freedom when both are uniform, whose tail
    is ``e^{−x/2}(1 + x/2)`` (Fisher 1925; SUITE §3 combines strata this way).
    """
    q = np.clip(np.asarray(p1, dtype=np.float64) * np.asarray(p2, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(q > 0.0, q * (1.0 - np.log(np.where(q > 0.0, q, 1.0))), 0.0)
    return np.asarray(np.minimum(out, 1.0), dtype=np.float64)


def comparison_margin(contest: HybridContest, theta1: float) -> float:
    """Return ``v_θ = 2(Ā1 − θ1)``: the CVR stratum's margin against the null "``m1 ≤ θ1``"."""
    return 2.0 * (contest.cvr_mean - theta1)


def _comparison_p(kappa: FloatArray, contest: HybridContest, theta1: float) -> float:
    """Return the CVR stratum's p-value ``1/max T`` against "``m1 ≤ θ1``" (1 if no margin)."""
    margin = min(comparison_margin(contest, theta1), 2.0 - 1e-9)
    if margin < SMALLEST_MARGIN or kappa.size == 0:
        return 1.0
    x = (1.0 - kappa) / (2.0 - margin)
    history = p_values(clca_martingale(x, margin=margin, population=contest.cards_cvr))
    return float(history[-1])


def polling_settings(contest: HybridContest, risk_limit: float) -> AlphaSettings:
    """Return ALPHA's settings for the no-CVR stratum, fixed by the reported results only.

    ``η0`` is the stratum's reported mean (at least ½ + 0.01, so that ALPHA still bets when the
    stratum's reported winner is the other candidate), ``c = (η0 − ½)/2`` as in Stark (2023,
    §2.5.2), ``d`` = :data:`~papertally.audit.polling.TRUST_MULTIPLE` times the draws a
    two-candidate stratum with that mean needs at the limit ``ln(1/α)/KL`` (at least 10).
    """
    eta0 = max(contest.no_cvr_mean, 0.51)
    # KL(η0 ‖ ½), with 0·log 0 = 0: every polled card reported for the winner gives η0 = 1.
    kl = sum(share * math.log(2.0 * share) for share in (eta0, 1.0 - eta0) if share > 0.0)
    d = max(10.0, TRUST_MULTIPLE * math.log(1.0 / risk_limit) / kl)
    return AlphaSettings(eta0=eta0, d=d, c=(eta0 - 0.5) / 2.0)


def _polling_p(
    x: FloatArray,
    contest: HybridContest,
    theta2: float,
    settings: AlphaSettings,
    capped: bool,
    risk_limit: float,
) -> float:
    """Return the no-CVR stratum's ALPHA p-value ``1/max T`` against "``m2 ≤ θ2``"."""
    if theta2 >= 1.0 or x.size == 0:
        return 1.0
    martingale = alpha_martingale(
        x,
        settings,
        population=contest.cards_no_cvr,
        risk_limit=risk_limit if capped else None,
        mu0=theta2,
    )
    return float(p_values(martingale)[-1])


def _polling_log_peak_cells(
    x: FloatArray, contest: HybridContest, theta2: FloatArray, settings: AlphaSettings
) -> FloatArray:
    """Return ``ln max T`` of uncapped ALPHA against "``m2 ≤ θ2``" for every ``θ2`` at once.

    The same numbers as :func:`_polling_p` (``p = e^{−peak}``) for each cell, in numpy blocks of
    :data:`~papertally.audit.comparison.CELL_BLOCK` entries; ``θ2 ≥ 1`` gives 0 (``p = 1``).
    """
    out = np.zeros(theta2.size)
    n = x.size
    if n == 0:
        return out
    n2 = contest.cards_no_cvr
    left = remaining_before(n, n2)[None, :]
    draws = x[None, :]
    before = np.cumsum(x) - x
    block = max(1, CELL_BLOCK // n)
    for start in range(0, theta2.size, block):
        nulls = theta2[start : start + block, None]
        raw = (n2 * nulls - before[None, :]) / left
        mu, impossible, certain = decide_nulls(draws, raw, left, population=n2, upper_bound=1.0)
        decided = impossible | certain
        safe = np.where(decided, 0.5, mu)
        eta = shrinkage_etas(np.broadcast_to(x, safe.shape), safe, settings)
        bets = alpha_bets(eta, safe)
        with np.errstate(divide="ignore"):
            log_t = np.cumsum(np.log(np.maximum(1.0 + bets * (draws - safe), 0.0)), axis=1)
        ever = decided.any(axis=1)
        if ever.any():
            first = np.argmax(decided, axis=1)
            rows = np.flatnonzero(ever)
            fill = np.where(impossible[rows, first[rows]], np.inf, -np.inf)[:, None]
            cols = np.arange(n)[None, :]
            log_t[rows] = np.where(cols >= first[rows, None], fill, log_t[rows])
        peaks = np.maximum(log_t.max(axis=1), 0.0)
        out[start : start + block] = np.where(nulls[:, 0] >= 1.0, 0.0, peaks)
    return out


def polling_values(
    choices: Sequence[CardReading],
    winner: ChoiceName,
    loser: ChoiceName,
    votes_allowed: int = 1,
) -> FloatArray:
    """Return the plurality assorter value of each polled card, from the card's own marks.

    :func:`~papertally.audit.assertions.score_card`: 1 for the winner and not the loser, 0 for
    the loser and not the winner or a card not found (:data:`~papertally.audit.assertions.PHANTOM`),
    ½ otherwise (no valid vote, an overvote, both or neither).
    """
    return np.array(
        [
            score_card(reading, winner=winner, loser=loser, votes_allowed=votes_allowed)
            for reading in choices
        ],
        dtype=np.float64,
    )


def hybrid_risk(
    comparison_codes: Sequence[str],
    polling_choices: Sequence[CardReading],
    *,
    votes_cvr_stratum: Mapping[ChoiceName, int],
    votes_no_cvr_stratum: Mapping[ChoiceName, int],
    cards_cvr: int,
    cards_no_cvr: int,
    winner: ChoiceName,
    loser: ChoiceName,
    risk_limit: float,
    cells: int | None = None,
    votes_allowed: int = 1,
) -> HybridRiskMeasurement:
    """Measure the risk of "``winner`` beats ``loser``" from a hybrid (two-stratum) sample.

    ``comparison_codes``: one discrepancy code per card sampled from the CVR stratum, in draw
    order (``0``, ``o1``, ``o2``, ``u1``, ``u2``, ``phantom``: Lindeman & Stark 2012, for this
    pair); ``polling_choices``: what was read on each card polled from the no-CVR stratum (the
    choice or choices marked, up to ``votes_allowed``), in draw order (see
    :func:`polling_values`; a name that is no candidate is an error). Both
    strata are sampled without replacement, independently. The risk is ``max_θ`` of Fisher's
    combination of the CLCA and ALPHA p-values over a grid of ``cells`` allocations (default
    :func:`default_cells`; SUITE, Ottoboni et al. 2018; Stark 2023, ALPHA §5; see the module
    notes for why it is valid).
    """
    check_risk_limit(risk_limit)
    contest = hybrid_contest(
        votes_cvr_stratum=votes_cvr_stratum,
        votes_no_cvr_stratum=votes_no_cvr_stratum,
        cards_cvr=cards_cvr,
        cards_no_cvr=cards_no_cvr,
        winner=winner,
        loser=loser,
    )
    kappa = overstatements_from_codes(comparison_codes)
    candidates = list(dict.fromkeys([*votes_cvr_stratum, *votes_no_cvr_stratum]))
    checked = check_sample_choices(polling_choices, candidates, source="the polled cards")
    x = polling_values(checked, winner, loser, votes_allowed)
    for label, drawn, cards in (
        ("CVR", kappa.size, contest.cards_cvr),
        ("no-CVR", x.size, contest.cards_no_cvr),
    ):
        if drawn > cards:
            raise PapertallyError(
                f"{drawn} cards were sampled without replacement from the {label} stratum, "
                f"which has only {cards}; check the sample and the number of cards"
            )
    theta1, theta2 = allocation_cells(contest, cells or default_cells(contest))
    settings = polling_settings(contest, risk_limit)
    alone = contest.cards_cvr == 0 or contest.cards_no_cvr == 0
    worst = (-1.0, 1.0, 1.0, 0)
    if alone:
        p1 = 1.0 if contest.cards_cvr == 0 else _comparison_p(kappa, contest, float(theta1[0]))
        p2 = (
            1.0
            if contest.cards_no_cvr == 0
            else _polling_p(x, contest, float(theta2[0]), settings, alone, risk_limit)
        )
        worst = (min(p1, p2), p1, p2, 0)
    else:
        # Every cell at once (numpy); the same p-values as _comparison_p and _polling_p.
        margins = np.minimum(2.0 * (contest.cvr_mean - theta1), 2.0 - 1e-9)
        live = margins >= SMALLEST_MARGIN
        p1s = np.ones(theta1.size)
        p1s[live] = np.exp(-clca_log_peaks(kappa, margins[live], population=contest.cards_cvr))
        p2s = np.exp(-_polling_log_peak_cells(x, contest, theta2, settings))
        combined = fisher_combination(p1s, p2s)
        k = int(np.argmax(combined))
        worst = (float(combined[k]), float(p1s[k]), float(p2s[k]), k)
    p_value, p1, p2, k = worst
    return HybridRiskMeasurement(
        p_value=p_value,
        risk_limit=risk_limit,
        stop=p_value <= risk_limit * (1.0 + ROUNDING),
        comparison=StratumRisk(contest.cards_cvr, int(kappa.size), float(theta1[k]), p1),
        polling=StratumRisk(contest.cards_no_cvr, int(x.size), float(theta2[k]), p2),
        worst_allocation=(float(theta1[k]), float(theta2[k])),
        cells=int(theta1.size),
    )


@dataclass(frozen=True)
class HybridSampleSize:
    """Per-stratum sample sizes that finish a hybrid audit with the planned probability."""

    comparison: int
    """Cards to sample from the CVR stratum."""
    polling: int
    """Cards to poll from the no-CVR stratum."""
    probability: float
    """The planned chance (drift approximation, reported results right) that the audit stops
    with these sizes."""

    @property
    def total(self) -> int:
        """Cards to retrieve in all."""
        return self.comparison + self.polling


def _clean_steps(contest: HybridContest, margins: FloatArray, draw: FloatArray) -> FloatArray:
    """Return ``ln(1 + (1 − f₀)(a/μ_i − 1))`` for clean draws number ``draw`` (1-based), per
    margin (rows): the CLCA factor of a clean draw at the clean cap (:func:`clca_bets`), with
    the null mean ``μ_i`` after ``i − 1`` clean draws; ``inf`` once the null is impossible."""
    clean = 1.0 / (2.0 - margins[:, None])
    n1 = contest.cards_cvr
    before = (draw - 1.0)[None, :] * clean
    mu = (n1 * null_mean(n1) - before) / (n1 - draw + 1.0)[None, :]
    shrink = 1.0 - DEFAULT_BETTING.clean_factor(margins)[:, None]
    safe = np.where(mu > 0, mu, 1.0)
    steps = np.maximum(np.log1p(shrink * (clean / safe - 1.0)), 0.0)
    return np.asarray(np.where(mu > 0, steps, np.inf), dtype=np.float64)


def _clean_log_peaks(contest: HybridContest, theta1: FloatArray, horizon: int) -> FloatArray:
    """Return ``log max T`` of the CVR stratum after ``0 … horizon`` clean draws, per cell.

    With no discrepancy every CLCA bet is the clean cap (:func:`clca_bets`), so the path has a
    closed form per cell: ``Σ_i ln(1 + (1 − f₀)(a/μ_i − 1))`` with the null means ``μ_i`` of
    ``i − 1`` clean draws; the same numbers as :func:`clca_martingale` on clean draws (tested).
    """
    out = np.zeros((theta1.size, horizon + 1))
    margins = np.minimum(2.0 * (contest.cvr_mean - theta1), 2.0 - 1e-9)
    live = margins >= SMALLEST_MARGIN
    if horizon == 0 or not live.any():
        return out
    draw = np.arange(1.0, horizon + 1.0)
    out[live, 1:] = np.cumsum(_clean_steps(contest, margins[live], draw), axis=1)
    return out


EXACT_CLEAN_DRAWS = 512
"""Clean CVR draws the planner sums one by one; beyond, it sums blocks by the midpoint rule."""
CLEAN_BLOCKS = 400
"""Blocks of clean CVR draws past :data:`EXACT_CLEAN_DRAWS` (each summed by the midpoint rule)."""


def _clean_log_peaks_at(
    contest: HybridContest, theta1: FloatArray, draws: NDArray[np.int64]
) -> FloatArray:
    """Return :func:`_clean_log_peaks` after each number of ``draws`` (ascending), per cell.

    The first :data:`EXACT_CLEAN_DRAWS` factors are summed one by one; further ones in about
    :data:`CLEAN_BLOCKS` blocks, each its midpoint factor times its length (the factors change
    smoothly with the draw number, so the relative error stays below 1e-6), then interpolated.
    """
    horizon = int(draws.max()) if draws.size else 0
    if horizon <= EXACT_CLEAN_DRAWS:
        return _clean_log_peaks(contest, theta1, horizon)[:, draws]
    exact = _clean_log_peaks(contest, theta1, EXACT_CLEAN_DRAWS)
    margins = np.minimum(2.0 * (contest.cvr_mean - theta1), 2.0 - 1e-9)
    live = margins >= SMALLEST_MARGIN
    edges = np.unique(np.linspace(EXACT_CLEAN_DRAWS, horizon, CLEAN_BLOCKS + 1).round())
    middles = 0.5 * (edges[:-1] + edges[1:]) + 0.5
    tail = np.zeros((theta1.size, edges.size))
    if live.any():
        blocks = _clean_steps(contest, margins[live], middles) * np.diff(edges)[None, :]
        tail[live, 1:] = np.cumsum(blocks, axis=1)
    tail += exact[:, -1:]
    out = np.empty((theta1.size, draws.size))
    small = draws <= EXACT_CLEAN_DRAWS
    out[:, small] = exact[:, draws[small]]
    for k in range(theta1.size):
        out[k, ~small] = np.interp(draws[~small], edges, tail[k])
    return out


def _passage_chance(mean: FloatArray, variance: FloatArray, level: FloatArray) -> FloatArray:
    """Return ``P(max_{t≤n} W_t ≥ level)`` for Brownian motion with the given mean and variance
    at ``n`` (Siegmund 1985, §3.2: ``Φ((M − a)/√V) + e^{2aM/V} Φ((−a − M)/√V)``); 1 where the
    level is not positive. Arrays broadcast."""
    var = np.maximum(variance, 1e-12)
    sd = np.sqrt(var)
    with np.errstate(over="ignore", invalid="ignore"):
        first = np.nan_to_num(ndtr((mean - level) / sd), nan=0.0)
        log_second = 2.0 * level * mean / var + log_ndtr((-level - mean) / sd)
        second = np.exp(np.minimum(np.nan_to_num(log_second, nan=-np.inf), 0.0))
    chance = np.clip(first + second, 0.0, 1.0)
    return np.asarray(np.where(level <= 0.0, 1.0, chance), dtype=np.float64)


def _polling_drift(
    contest: HybridContest,
    votes: Mapping[ChoiceName, int],
    winner: ChoiceName,
    loser: ChoiceName,
    theta2: FloatArray,
    settings: AlphaSettings,
    points: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return the mean and variance of ALPHA's ``ln T`` after ``points`` polled draws, per cell.

    The drift approximation of :func:`papertally.audit.polling.alpha_sample_size` (checked
    against simulation there): the bets follow the path on which every draw has the stratum's
    reported mean, each draw's log factor has the mean and variance of a card drawn from the
    reported shares, and both add up between the grid ``points`` (``(cells, points)`` arrays).
    """
    cards = contest.cards_no_cvr
    w, lo = int(votes.get(winner, 0)), int(votes.get(loser, 0))
    values = np.array([1.0, 0.0, 0.5])
    shares = np.array([w, lo, cards - w - lo], dtype=np.float64) / cards
    mean_value = float(np.dot(values, shares))
    drawn_before = (points - 1.0) * mean_value
    nulls = np.minimum(theta2, 1.0)[:, None]
    mu = (cards * nulls - drawn_before[None, :]) / (cards - points + 1.0)[None, :]
    mu = np.clip(mu, 1e-9, 1.0 - 1e-9)
    weight = settings.d + points - 1.0
    estimate = (settings.d * settings.eta0 + drawn_before) / weight
    eta = np.minimum(
        np.maximum(estimate[None, :], mu + settings.c / np.sqrt(weight)[None, :]),
        mu + ETA_CEILING * (1.0 - mu),
    )
    bets = alpha_bets(eta, mu)
    logs = np.log1p(bets[..., None] * (values - mu[..., None]))
    step_mean = logs @ shares
    step_var = np.maximum((logs**2) @ shares - step_mean**2, 0.0)
    gaps = np.diff(np.concatenate(([0.0], points)))[None, :]
    mean = np.cumsum(step_mean * gaps, axis=1)
    variance = np.cumsum(step_var * gaps, axis=1)
    hopeless = theta2[:, None] >= 1.0
    return np.where(hopeless, -np.inf, mean), np.where(hopeless, 1.0, variance)


def _fisher_threshold(risk_limit: float) -> float:
    """Return ``q*`` with ``q*(1 − ln q*) = α``: Fisher's combination stops when ``p1·p2 ≤ q*``."""
    low, high = 0.0, risk_limit
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid * (1.0 - math.log(mid)) <= risk_limit:
            low = mid
        else:
            high = mid
    return low


def hybrid_sample_size(
    *,
    votes_cvr_stratum: Mapping[ChoiceName, int],
    votes_no_cvr_stratum: Mapping[ChoiceName, int],
    cards_cvr: int,
    cards_no_cvr: int,
    winner: ChoiceName,
    loser: ChoiceName,
    risk_limit: float,
    probability: float = 0.9,
) -> HybridSampleSize:
    """Return per-stratum sample sizes with which a hybrid audit stops with ``probability``.

    Assumes the reported results are right: CVRs without errors, polled cards drawn without
    replacement from the stratum's reported votes. Among splits with ``n1`` on a geometric grid
    (up to 20 times what a comparison audit of the whole contest would need) it returns the one
    with the fewest cards in all (SUITE §4 chooses the split similarly). The CVR stratum's path
    is exact (:func:`_clean_log_peaks`); the polled stratum's chance of reaching the gap left in
    each cell of :func:`planning_cells` comes from the drift approximation
    (:func:`_polling_drift`, Brownian first passage), and the split's chance is the smallest
    over the cells (the cells' tests move together, as they see the same draws). No
    simulation, so a plan takes milliseconds; it is a guide, not a guarantee
    (``bench/bench_audit_efficiency.py`` and the tests check it by simulated audits). If no split up
    to :data:`MAX_PLANNING_HORIZON` polled cards finishes, the answer is a full hand count.
    """
    check_risk_limit(risk_limit)
    if not 0.0 < probability < 1.0:
        raise PapertallyError(
            f"the probability must lie strictly between 0 and 1, got {probability}"
        )
    contest = hybrid_contest(
        votes_cvr_stratum=votes_cvr_stratum,
        votes_no_cvr_stratum=votes_no_cvr_stratum,
        cards_cvr=cards_cvr,
        cards_no_cvr=cards_no_cvr,
        winner=winner,
        loser=loser,
    )
    theta1, theta2 = planning_cells(contest)
    n1_max, n2_max = contest.cards_cvr, contest.cards_no_cvr
    alone = n1_max == 0 or n2_max == 0
    target = math.log(1.0 / (risk_limit if alone else _fisher_threshold(risk_limit)))
    target -= 1e-12
    clean_horizon = min(n1_max, _comparison_horizon(contest, target))
    if n2_max == 0:
        path = _clean_log_peaks(contest, theta1, clean_horizon)
        reached = np.flatnonzero(path[0] >= target)
        n1 = int(reached[0]) if reached.size else n1_max
        return HybridSampleSize(n1, 0, 1.0)
    settings = polling_settings(contest, risk_limit)
    candidates = np.unique(
        np.concatenate(([0], np.geomspace(1, max(clean_horizon, 1), 40).astype(np.int64)))
    )
    candidates = candidates[candidates <= clean_horizon]
    clean = (
        _clean_log_peaks_at(contest, theta1, candidates)
        if n1_max
        else np.zeros((1, candidates.size))
    )
    horizon = min(n2_max, MAX_PLANNING_HORIZON)
    points = np.unique(np.geomspace(1, horizon, DRIFT_POINTS).round()).astype(np.float64)
    mean, variance = _polling_drift(
        contest, votes_no_cvr_stratum, winner, loser, theta2, settings, points
    )
    rows = slice(None) if n1_max else slice(0, 1)
    gaps = target - clean[rows].T  # (candidates, cells)
    # Every cell must reject: the split's chance is the smallest over the cells. The first
    # passage law is evaluated only for the few cells furthest from their gap in standard
    # deviations (the smallest chances come from there), not for all of them.
    # Cells are the last axis, (candidates, points, cells), so that the partial sort runs
    # along contiguous memory.
    mean_t, variance_t = mean.T, variance.T
    spread = np.sqrt(np.maximum(variance_t, 1e-12))[None, :, :]
    with np.errstate(invalid="ignore"):
        z = (mean_t[None, :, :] - gaps[:, None, :]) / spread
    z[np.broadcast_to(gaps[:, None, :] <= 0.0, z.shape)] = np.inf  # a rejected cell never binds
    few = min(CLOSEST_CELLS, z.shape[2])
    # The few smallest by repeated minima: a handful of fast passes instead of a partial sort.
    picked = np.empty((*z.shape[:2], few), dtype=np.intp)
    for i in range(few):
        picked[:, :, i] = np.argmin(z, axis=2)
        np.put_along_axis(z, picked[:, :, i : i + 1], np.inf, axis=2)
    chance = _passage_chance(
        np.take_along_axis(np.broadcast_to(mean_t[None], z.shape), picked, axis=2),
        np.take_along_axis(np.broadcast_to(variance_t[None], z.shape), picked, axis=2),
        np.take_along_axis(np.broadcast_to(gaps[:, None, :], z.shape), picked, axis=2),
    )
    worst = chance.min(axis=2)  # (candidates, points)
    enough = worst >= probability
    first = np.where(enough.any(axis=1), np.argmax(enough, axis=1), -1)
    if not (first >= 0).any():
        return HybridSampleSize(n1_max, n2_max, 1.0)
    needed = np.full(candidates.size, np.inf)
    for c in np.flatnonzero(first >= 0):
        k = int(first[c])
        if k == 0 or gaps[c].max() <= 0.0:
            needed[c] = 0.0 if gaps[c].max() <= 0.0 else points[0]
            continue
        low, high = points[k - 1], points[k]
        frac = (probability - worst[c, k - 1]) / max(worst[c, k] - worst[c, k - 1], 1e-300)
        needed[c] = math.ceil(low + frac * (high - low))
    totals = candidates + needed
    best = int(np.argmin(totals))
    n2 = int(needed[best])
    where = int(np.searchsorted(points, max(n2, 1)))
    share = float(worst[best, min(where, points.size - 1)]) if n2 else 1.0
    return HybridSampleSize(int(candidates[best]), n2, max(share, probability))


def _comparison_horizon(contest: HybridContest, target: float) -> int:
    """Return how many CVR-stratum draws planning looks at: 20 times what a comparison audit of
    the whole contest's margin would need with no errors (at least 2,000)."""
    margin = min(contest.margin, 1.0)
    return max(2_000, math.ceil(20.0 * target / math.log(2.0 / (2.0 - margin))))
