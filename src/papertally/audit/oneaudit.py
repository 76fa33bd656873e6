"""OneAudit: one card-level comparison audit of a contest whose cards partly lack linked CVRs.

Stark (2023), "Overstatement-Net-Equivalent Risk-Limiting Audit: ONEAudit". Cards counted in a
*pool* with a reported tally (a batch, a precinct's vote-by-mail, a county's election-day total)
but without a CVR linked to each card get an *ONE CVR* whose assorter value is the pool's mean
``Ā_p`` under its reported tally. Every card then has a CVR value ``c`` (its own CVR's, or its
pool's mean), and the whole contest is audited as one card-level comparison (SHANGRLA §3.2)::

    B(card) = (u + A(paper) − c) / (2u − v),   v = 2·mean(c over all N cards) − 1.

Why it is valid whatever the pools' tallies say (ONEAudit §2): the mean of ``B`` over the
``N`` cards is ``(u + Ā(paper) − (1 + v)/2)/(2u − v)``, which exceeds ½ exactly when the paper's
mean ``Ā(paper)`` exceeds ½, i.e. when the assertion is true. Only ``v`` must be computed from the
same CVR values the audit uses (this module always does); the pool means and CVRs may be wrong
by any amount. Wrong values cost cards, never risk. When every tally is right the mean of ``B``
is ``u/(2u − v)`` (:attr:`OneAuditContest.noerror`), the value of a card whose CVR is right.

A sampled card that cannot be found, and a card of the manifest that has neither a CVR nor a
pool (a phantom, counted with ``c = 0`` in ``v``), scores ``B = 0``, the smallest possible value
(Bañuelos & Stark 2012).

*Assorters.* Anything with an upper bound ``u``, a value for a card's marks
(:meth:`Assorter.score`) and, for a pool, the distribution of the values its reported content
implies (:meth:`Assorter.pool_population`) plugs in: :class:`PairAssorter` (plurality, vote for
``k``; SHANGRLA §2.1), :class:`SupermajorityAssorter` (§2.3) and :class:`IrvAssorter` here; an
IRV assertion's NEB/NEN assorter (RAIRE; Blom, Stuckey & Teague 2019) needs the pool's
distribution of *rankings* (:attr:`Pool.rankings`), because its value depends on the whole
ranking, not on first choices.
Without it (or without any tally) the pool's ONE CVR is ``u/2`` for every card: the
"no-information" value, which makes those cards a ballot-polling stratum inside the comparison
(ONEAudit §3: ballot polling is CLCA against ONE CVRs). It is valid like any other ONE CVR (see
above) but dilutes the margin; ``unknown="refuse"`` refuses such a pool instead.

*Bets.* Pooled cards give ``B`` values spread over ``[0, 2u/(2u − v)]``, so the CLCA bets of
:mod:`papertally.audit.comparison` (which expect the discrepancy values ``a``, ``a/2``, 0) bet
badly on them (measured: a mean of 17,110 cards instead of about 1,000 on Table 2's 900/100
pools). :func:`one_bets` bets instead the Kelly bet (Kelly 1956; Spertus 2023, COBRA) for the
distribution of ``B`` that the reported results imply, mixed with the CLCA planning error rates
(:class:`~papertally.audit.comparison.ClcaBetting`) and, draw by draw, with the values seen so far
(weight :attr:`~papertally.audit.comparison.ClcaBetting.prior_weight`). The martingale is the
shared betting core (:func:`~papertally.audit.martingale.betting_martingale`); the bets are
predictable and lie in ``[0, (1 − f)/μ_j]``, so the test is valid for any bet rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from papertally.audit.assertions import (
    Assertion,
    AssorterPopulation,
    CardReading,
    card_marks,
    pair_population,
    score_card,
)
from papertally.audit.comparison import DEFAULT_BETTING, ClcaBetting, noerror_value, null_mean
from papertally.audit.martingale import (
    FloatArray,
    RiskMeasurement,
    betting_martingale,
    check_risk_limit,
    decide_nulls,
    measure_risk,
    null_means,
    remaining_before,
)
from papertally.audit.simulate import SizeDistribution
from papertally.errors import PapertallyError
from papertally.types import ChoiceName

if TYPE_CHECKING:
    from papertally.audit.irv.raire import IrvAssertion

Ranking = tuple[ChoiceName, ...]
"""An IRV card's ranking, most preferred first."""


@dataclass(frozen=True)
class Pool:
    """Cards without linked CVRs counted together, with what was reported for them.

    ``votes`` is the pool's reported tally (valid votes per choice); ``rankings``, for ranked
    contests, how many of its cards show each ranking. ``votes`` ``None`` and ``rankings``
    ``None``: nothing is known but the number of cards.
    """

    name: str
    cards: int
    votes: Mapping[ChoiceName, int] | None = None
    rankings: Mapping[Ranking, int] | None = None

    def __post_init__(self) -> None:
        """Refuse negative counts, and tallies that name more cards than the pool has."""
        if self.cards < 0:
            raise PapertallyError(f"pool {self.name!r}: {self.cards} cards; must be 0 or more")
        for label, counts in (("votes", self.votes), ("rankings", self.rankings)):
            for key, count in (counts or {}).items():
                if int(count) != count or count < 0:
                    raise PapertallyError(
                        f"pool {self.name!r}: {label} of {key!r} is {count}; must be a whole "
                        "number ≥ 0"
                    )
        if self.rankings is not None and sum(self.rankings.values()) > self.cards:
            raise PapertallyError(
                f"pool {self.name!r}: {sum(self.rankings.values())} ranked cards reported, but "
                f"the pool has {self.cards} cards"
            )


class Assorter(Protocol):
    """A SHANGRLA assorter: a function of one card's marks in ``[0, upper_bound]``.

    The assertion it supports is "its mean over all cards exceeds ½".
    """

    @property
    def name(self) -> str:
        """A short label such as ``"Alice > Bob"``."""
        ...

    @property
    def upper_bound(self) -> float:
        """``u``, the largest value."""
        ...

    def score(self, reading: CardReading) -> float:
        """Return the value of a card with these marks (a phantom scores 0)."""
        ...

    def pool_population(self, pool: Pool) -> AssorterPopulation | None:
        """Return the values the pool's cards have if its reported content is right, or
        ``None`` when the report does not determine them."""
        ...


@dataclass(frozen=True)
class PairAssorter:
    """Plurality (vote for ``k``): winner ``w`` beats loser ``l`` (SHANGRLA §2.1, ``u = 1``).

    A pool's mean is ``½ + (W − L)/(2·cards)`` from its tally alone: the cards marked for both
    cancel; their number is taken as small as the tally allows
    (:func:`~papertally.audit.assertions.pair_population`).
    """

    winner: ChoiceName
    loser: ChoiceName
    votes_allowed: int = 1

    @property
    def name(self) -> str:
        """``"w > l"``."""
        return f"{self.winner} > {self.loser}"

    @property
    def upper_bound(self) -> float:
        """1."""
        return 1.0

    def score(self, reading: CardReading) -> float:
        """Return 1, 0 or ½ (:func:`~papertally.audit.assertions.score_card`)."""
        return score_card(
            reading, winner=self.winner, loser=self.loser, votes_allowed=self.votes_allowed
        )

    def pool_population(self, pool: Pool) -> AssorterPopulation | None:
        """Return the pool's values under its tally, or ``None`` without a tally."""
        if pool.votes is None:
            return None
        w, lo = int(pool.votes.get(self.winner, 0)), int(pool.votes.get(self.loser, 0))
        if max(w, lo) > pool.cards:
            raise PapertallyError(
                f"pool {pool.name!r}: {max(w, lo):,} votes reported for one choice on "
                f"{pool.cards:,} cards"
            )
        return pair_population(w, lo, pool.cards)


@dataclass(frozen=True)
class SupermajorityAssorter:
    """``winner`` has more than a share ``f`` of the valid votes (SHANGRLA §2.3, vote for 1).

    ``u = 1/(2f)`` for a vote for the winner, 0 for a valid vote for anyone else, ½ for a card
    without a valid vote.
    """

    winner: ChoiceName
    share: float

    @property
    def name(self) -> str:
        """``"w > f of valid votes"``."""
        return f"{self.winner} > {self.share:g} of valid votes"

    @property
    def upper_bound(self) -> float:
        """``1/(2f)``."""
        return 1.0 / (2.0 * self.share)

    def score(self, reading: CardReading) -> float:
        """Return ``u``, 0 or ½ (:func:`~papertally.audit.assertions.score_card`)."""
        return score_card(reading, winner=self.winner, loser=None, upper_bound=self.upper_bound)

    def pool_population(self, pool: Pool) -> AssorterPopulation | None:
        """Return the pool's values under its tally, or ``None`` without a tally."""
        if pool.votes is None:
            return None
        w = int(pool.votes.get(self.winner, 0))
        valid = int(sum(pool.votes.values()))
        if valid > pool.cards:
            raise PapertallyError(
                f"pool {pool.name!r}: {valid:,} valid votes reported on {pool.cards:,} cards "
                "(vote for 1)"
            )
        return AssorterPopulation(
            values=(self.upper_bound, 0.0, 0.5), counts=(w, valid - w, pool.cards - valid)
        )


def assorter_of(assertion: Assertion) -> PairAssorter | SupermajorityAssorter:
    """Return the assorter of a plurality or supermajority :class:`Assertion`."""
    if assertion.loser is not None:
        return PairAssorter(assertion.winner, assertion.loser, assertion.votes_allowed)
    if assertion.share is None:
        raise PapertallyError(f"assertion {assertion.name}: neither a loser nor a share")
    return SupermajorityAssorter(assertion.winner, assertion.share)


@dataclass(frozen=True)
class IrvAssorter:
    """A RAIRE assertion's assorter (NEB or NEN; ``(1 + w(b) − l(b))/2``, ``u = 1``) on rankings
    by candidate name, scored by :func:`papertally.audit.irv.audit.assort`.

    A pool's values come from its ranking distribution (:func:`ranking_population`); a pool
    without one is neutral or refused (see the module notes). A name that is no candidate of
    the contest is skipped in a ranking, as an unranked write-in.
    """

    assertion: IrvAssertion
    candidates: tuple[ChoiceName, ...]

    @property
    def name(self) -> str:
        """The assertion in words, e.g. ``NEB: Alice not eliminated before Bob``."""
        return self.assertion.describe(self.candidates)

    @property
    def upper_bound(self) -> float:
        """1."""
        return 1.0

    def score(self, reading: CardReading) -> float:
        """Return 1, 0 or ½ for a ranking (names, most preferred first); a phantom scores 0."""
        from papertally.audit.irv.audit import assort

        marks = card_marks(reading)
        if marks is None:
            return float(assort(self.assertion, None))
        names = () if reading is None or isinstance(reading, str) else tuple(reading)
        index = {name: i for i, name in enumerate(self.candidates)}
        ranking = tuple(index[n] for n in names if n in index)
        return float(assort(self.assertion, ranking))

    def pool_population(self, pool: Pool) -> AssorterPopulation | None:
        """Return the pool's values from its ranking distribution, or ``None`` without one."""
        return ranking_population(self, pool)


def ranking_population(assorter: Assorter, pool: Pool) -> AssorterPopulation | None:
    """Return a ranked pool's values from its ranking distribution (IRV pools), or ``None``.

    Each ranking is scored by ``assorter.score``; the pool's cards beyond the rankings counted
    score as cards with no valid vote. An IRV assorter's :meth:`Assorter.pool_population` can
    return this.
    """
    if pool.rankings is None:
        return None
    values: dict[float, int] = {}
    for ranking, count in pool.rankings.items():
        value = float(assorter.score(tuple(ranking)))
        values[value] = values.get(value, 0) + int(count)
    blank = pool.cards - sum(pool.rankings.values())
    if blank:
        value = float(assorter.score(None))
        values[value] = values.get(value, 0) + blank
    return AssorterPopulation(tuple(values), tuple(values.values()))


def _population_from(values: Mapping[float, int]) -> AssorterPopulation:
    """Return a population from a value → count mapping, without empty entries."""
    kept = {v: c for v, c in values.items() if c > 0}
    return AssorterPopulation(tuple(kept), tuple(kept.values()))


@dataclass(frozen=True)
class OneAuditContest:
    """One assertion audited by OneAudit: CVR values of the linked cards, ONE CVRs of the pools.

    Built by :func:`oneaudit_contest`. ``cvr_population`` holds the assorter values of the
    linked cards' CVRs; ``pool_means`` the ONE CVR value of each pool's cards;
    ``pool_populations`` what each pool's cards score if its report is right (``None``:
    unknown, planned as ``u/2`` each).
    """

    assorter: Assorter
    cvr_population: AssorterPopulation
    pools: tuple[Pool, ...]
    pool_means: tuple[float, ...]
    pool_populations: tuple[AssorterPopulation | None, ...]
    phantoms: int = 0
    neutral_pools: tuple[str, ...] = field(default=())
    """Pools whose content the report does not determine, given the ONE CVR ``u/2``."""

    @property
    def upper_bound(self) -> float:
        """``u``."""
        return float(self.assorter.upper_bound)

    @property
    def cvr_cards(self) -> int:
        """Cards with linked CVRs."""
        return self.cvr_population.size

    @property
    def pooled_cards(self) -> int:
        """Cards in pools."""
        return int(sum(p.cards for p in self.pools))

    @property
    def cards(self) -> int:
        """``N``: linked, pooled and phantom cards."""
        return self.cvr_cards + self.pooled_cards + self.phantoms

    @cached_property
    def cvr_mean(self) -> float:
        """The mean CVR value over all ``N`` cards (ONE CVRs for pools, 0 for phantoms; computed
        once: every card's ``B`` needs it, and it sums over every pool)."""
        total = float(np.dot(self.cvr_population.values, self.cvr_population.counts))
        total += sum(m * p.cards for m, p in zip(self.pool_means, self.pools, strict=True))
        return total / self.cards

    @property
    def margin(self) -> float:
        """``v = 2·mean(c) − 1``, the reported assorter margin the CVR values imply."""
        return 2.0 * self.cvr_mean - 1.0

    @property
    def diluted_margin(self) -> float:
        """``v/u``."""
        return self.margin / self.upper_bound

    @property
    def noerror(self) -> float:
        """``u/(2u − v)``: ``B`` of a card whose CVR is right, and the mean of ``B`` when every
        CVR and pool tally is right (ONEAudit §2)."""
        return noerror_value(self.margin, self.upper_bound)

    @property
    def b_upper_bound(self) -> float:
        """The largest ``B``: ``2u/(2u − v)``."""
        return 2.0 * self.noerror

    def overstatement_value(self, cvr_value: float, paper_value: float | None) -> float:
        """Return ``B = (u + A(paper) − c)/(2u − v)``; 0 for a card not found (``None``)."""
        if paper_value is None:
            return 0.0
        u = self.upper_bound
        for label, value in (("CVR", cvr_value), ("paper", paper_value)):
            if not 0.0 <= value <= u:
                raise PapertallyError(
                    f"{self.assorter.name}: the {label} assorter value {value} is outside "
                    f"[0, {u:g}]"
                )
        return (1.0 - (cvr_value - paper_value) / u) * self.noerror

    @cached_property
    def _means_by_name(self) -> dict[str, float]:
        return {pool.name: mean for pool, mean in zip(self.pools, self.pool_means, strict=True)}

    def pool_mean(self, name: str) -> float:
        """Return the ONE CVR value of the pool called ``name``."""
        mean = self._means_by_name.get(name)
        if mean is None:
            raise PapertallyError(f"{self.assorter.name}: no pool {name!r}")
        return mean

    @cached_property
    def _reported(self) -> AssorterPopulation:
        values: dict[float, int] = {self.noerror: self.cvr_cards}
        for pool, mean, population in zip(
            self.pools, self.pool_means, self.pool_populations, strict=True
        ):
            paper = population or AssorterPopulation((mean,), (pool.cards,))
            for value, count in zip(paper.values, paper.counts, strict=True):
                b = round(self.overstatement_value(mean, value), 12)
                values[b] = values.get(b, 0) + int(count)
        values[0.0] = values.get(0.0, 0) + self.phantoms
        return _population_from(values)

    def reported_population(self) -> AssorterPopulation:
        """Return the ``B`` values of all cards if every CVR and pool report is right.

        Linked cards score ``u/(2u − v)``; a pool's cards ``(u + A − Ā_p)/(2u − v)`` for the
        values ``A`` its report implies (``u/2`` each where unknown); phantoms 0.
        """
        return self._reported


def oneaudit_contest(
    assorter: Assorter,
    cvr_readings: Sequence[CardReading] | AssorterPopulation,
    pools: Sequence[Pool],
    *,
    phantoms: int = 0,
    unknown: Literal["neutral", "refuse"] = "neutral",
) -> OneAuditContest:
    """Return the OneAudit of one assertion (ONEAudit §2–§3).

    ``cvr_readings``: the linked cards' CVRs (one reading each), or their assorter values as a
    population. ``pools``: the cards without linked CVRs, with their reported content.
    ``phantoms``: manifest cards with neither (``c = 0``). A pool whose content the report does
    not determine (no tally; for IRV, no ranking distribution) gets the ONE CVR ``u/2`` with
    ``unknown="neutral"`` and is refused with ``"refuse"``. Raises a :class:`PapertallyError`
    when the CVR values leave no positive margin (the reported winner does not lead).
    """
    if phantoms < 0:
        raise PapertallyError(f"the number of phantom cards must be ≥ 0, got {phantoms}")
    u = float(assorter.upper_bound)
    if isinstance(cvr_readings, AssorterPopulation):
        cvr = cvr_readings
    else:
        scored: dict[float, int] = {}
        for reading in cvr_readings:
            value = float(assorter.score(reading))
            scored[value] = scored.get(value, 0) + 1
        cvr = _population_from(scored)
    names = [p.name for p in pools]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise PapertallyError(f"pool {twice[0]!r} is listed more than once")
    means: list[float] = []
    populations: list[AssorterPopulation | None] = []
    neutral: list[str] = []
    for pool in pools:
        population = assorter.pool_population(pool)
        if population is None:
            if unknown == "refuse":
                raise PapertallyError(
                    f"{assorter.name}: pool {pool.name!r} reports no tally (for a ranked "
                    "contest: no ranking distribution) to build its ONE CVR from"
                )
            neutral.append(pool.name)
            means.append(u / 2.0)
        else:
            means.append(population.mean if population.size else u / 2.0)
        populations.append(population)
    contest = OneAuditContest(
        assorter=assorter,
        cvr_population=cvr,
        pools=tuple(pools),
        pool_means=tuple(means),
        pool_populations=tuple(populations),
        phantoms=phantoms,
        neutral_pools=tuple(neutral),
    )
    if contest.cards == 0:
        raise PapertallyError("a OneAudit needs at least one card")
    if not 0.0 < contest.margin < 2.0 * u:
        raise PapertallyError(
            f"{assorter.name}: the CVRs and pool tallies give the reported winner no margin "
            f"(assorter margin {contest.margin:.5f} over {contest.cards:,} cards); the outcome "
            "cannot be confirmed by sampling: count every card by hand"
        )
    return contest


# -- bets ------------------------------------------------------------------------------------------

GRID_POINTS = 24
"""Uniform points on ``[0, 2u/(2u − v)]`` onto which observed ``B`` values are spread."""
PRIOR_POINTS = 40
"""The reported distribution of ``B`` is kept exactly up to this many distinct values, else
binned (mean-preserving) into this many bins."""
BISECTIONS = 22
"""Bisection steps of each Kelly bet (precision ``2⁻²²`` of the cap, far below what changes a
sample size)."""


@dataclass(frozen=True)
class OneBetting:
    """The support and prior weights :func:`one_bets` bets with (from :func:`one_prior`)."""

    grid: FloatArray
    """Support points of ``B`` (sorted; include 0, ``a/2``, ``a`` and ``2a``)."""
    prior: FloatArray
    """Prior probability of each grid point (sums to 1)."""
    weight: float
    """How many draws the prior counts as."""
    min_factor: float
    """The smallest factor one draw of ``B = 0`` may multiply the martingale by."""


def _spread(grid: FloatArray, values: FloatArray) -> tuple[NDArray[np.int64], FloatArray]:
    """Return ``(k, t)``: each value splits as weight ``1 − t`` on ``grid[k]`` and ``t`` on
    ``grid[k + 1]`` (mean-preserving linear interpolation)."""
    k = np.clip(np.searchsorted(grid, values, side="right") - 1, 0, grid.size - 2)
    left, right = grid[k], grid[k + 1]
    t = np.clip((values - left) / (right - left), 0.0, 1.0)
    return k.astype(np.int64), np.asarray(t, dtype=np.float64)


def one_prior(contest: OneAuditContest, betting: ClcaBetting = DEFAULT_BETTING) -> OneBetting:
    """Return the bets' prior: the reported ``B`` distribution, with the CLCA planning errors.

    The reported distribution (:meth:`OneAuditContest.reported_population`) is mixed with
    one-vote (``a/2``) and two-vote (0) overstatements at ``betting``'s prior rates; more than
    :data:`PRIOR_POINTS` distinct values are binned, each bin's mass at its mean.
    """
    a = contest.noerror
    top = 2.0 * a
    reported = contest.reported_population()
    values = np.asarray(reported.values, dtype=np.float64)
    mass = np.asarray(reported.counts, dtype=np.float64) / reported.size
    if values.size > PRIOR_POINTS:
        edges = np.linspace(0.0, top, PRIOR_POINTS + 1)
        which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, PRIOR_POINTS - 1)
        binned = np.bincount(which, weights=mass, minlength=PRIOR_POINTS).astype(np.float64)
        sums = np.bincount(which, weights=mass * values, minlength=PRIOR_POINTS).astype(np.float64)
        keep = binned > 0
        values, mass = sums[keep] / binned[keep], binned[keep]
    errors = betting.o1_prior + betting.o2_prior
    values = np.concatenate((values, [0.5 * a, 0.0]))
    mass = np.concatenate((mass * (1.0 - errors), [betting.o1_prior, betting.o2_prior]))
    grid = np.unique(np.concatenate((np.linspace(0.0, top, GRID_POINTS), [0.5 * a, a], values)))
    grid = np.unique(np.round(np.clip(grid, 0.0, top), 12))
    prior = np.zeros(grid.size)
    k, t = _spread(grid, values)
    np.add.at(prior, k, mass * (1.0 - t))
    np.add.at(prior, k + 1, mass * t)
    return OneBetting(
        grid=grid,
        prior=prior / prior.sum(),
        weight=float(betting.prior_weight),
        min_factor=float(betting.min_factor),
    )


def _kelly(weights: FloatArray, grid: FloatArray, mu: FloatArray, cap: FloatArray) -> FloatArray:
    """Return ``argmax_λ Σ_g w_g log(1 + λ(grid_g − μ))`` on ``[0, cap]`` for each row.

    ``weights`` is ``(draws, G)``; the objective is concave, so bisection on its slope finds the
    maximum (0 when the slope at 0 is not positive, ``cap`` when it is positive at ``cap``).
    """
    d = grid[None, :] - mu[:, None]

    def slope(lam: FloatArray) -> FloatArray:
        return np.asarray(np.sum(weights * d / (1.0 + lam[:, None] * d), axis=1))

    low = np.zeros(mu.size)
    high = cap.copy()
    at_cap = slope(high) >= 0
    for _ in range(BISECTIONS):
        mid = 0.5 * (low + high)
        up = slope(mid) > 0
        low = np.where(up, mid, low)
        high = np.where(up, high, mid)
    bets = np.where(at_cap, cap, low)
    return np.asarray(np.where(slope(np.zeros(mu.size)) > 0, bets, 0.0), dtype=np.float64)


def _seen_rows(grid: FloatArray, values: FloatArray) -> FloatArray:
    """Return each value spread onto the grid, one row per value (see :func:`_spread`)."""
    k, t = _spread(grid, np.clip(values, grid[0], grid[-1]))
    rows = np.arange(values.size)
    seen = np.zeros((values.size, grid.size))
    seen[rows, k] += 1.0 - t
    seen[rows, k + 1] += t
    return seen


def one_bets(
    values: FloatArray,
    means: FloatArray,
    prior: OneBetting,
    seen_before: FloatArray | None = None,
) -> FloatArray:
    """Return the bet ``λ_j`` for each draw; ``λ_j`` uses only draws ``1 … j−1``.

    The Kelly bet for the mixture of the prior (weight :attr:`OneBetting.weight` draws) and the
    ``B`` values seen before draw ``j`` (each spread onto the grid), capped at
    ``(1 − f)/μ_j``; 0 where the null mean ``μ_j`` is outside ``(0, 2a)`` (the martingale
    decides those draws itself). ``seen_before``: the grid weights of earlier draws, to go on
    from them (the same bets as computing all draws at once).
    """
    x = np.asarray(values, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0)
    seen = _seen_rows(prior.grid, x)
    before = np.cumsum(seen, axis=0) - seen
    if seen_before is not None:
        before += seen_before[None, :]
    weights = prior.weight * prior.prior[None, :] + before
    live = (mu > 0) & (mu < prior.grid[-1])
    safe_mu = np.where(live, mu, 0.5)
    cap = (1.0 - prior.min_factor) / safe_mu
    bets = _kelly(weights / weights.sum(axis=1, keepdims=True), prior.grid, safe_mu, cap)
    return np.asarray(np.where(live, bets, 0.0), dtype=np.float64)


def _null_path(
    x: FloatArray, contest: OneAuditContest
) -> tuple[FloatArray, NDArray[np.bool_], float]:
    """Return the null means ``μ_j`` of the draws, where the null is decided, and ``mu0``."""
    population = contest.cards
    mu0 = null_mean(population)
    mu, impossible, certain = decide_nulls(
        x,
        null_means(x, population=population, mu0=mu0),
        remaining_before(x.size, population),
        population=population,
        upper_bound=contest.b_upper_bound,
    )
    return mu, impossible | certain, mu0


def oneaudit_martingale(
    values: FloatArray, contest: OneAuditContest, *, prior: OneBetting | None = None
) -> FloatArray:
    """Return the test supermartingale ``T_j`` for "mean of ``B`` ≤ ½" after each draw.

    ``values`` are the sampled cards' ``B`` in draw order, drawn without replacement from the
    contest's ``N`` cards (the null mean is raised a hair above ½ against rounding, as in
    :func:`papertally.audit.comparison.null_mean`).
    """
    x = np.asarray(values, dtype=np.float64)
    mu, decided, mu0 = _null_path(x, contest)
    bets = np.where(decided, 0.0, one_bets(x, mu, prior or one_prior(contest)))
    return betting_martingale(
        x, bets, population=contest.cards, mu0=mu0, upper_bound=contest.b_upper_bound
    )


def oneaudit_risk(
    values: FloatArray,
    contest: OneAuditContest,
    *,
    risk_limit: float,
    prior: OneBetting | None = None,
) -> RiskMeasurement:
    """Measure the risk of the contest's assertion from the sampled cards' ``B`` in draw order."""
    check_risk_limit(risk_limit)
    return measure_risk(oneaudit_martingale(values, contest, prior=prior), risk_limit)


@dataclass(frozen=True)
class OneAuditDraw:
    """One sampled card: its pool (``None`` for a linked CVR), its CVR, and the paper."""

    pool: str | None
    cvr: CardReading
    """The linked CVR's reading (ignored for pooled cards; :data:`PHANTOM` for a phantom)."""
    paper: CardReading
    """What the auditors read; :data:`~papertally.audit.assertions.PHANTOM` if not found."""


def draw_values(contest: OneAuditContest, draws: Sequence[OneAuditDraw]) -> FloatArray:
    """Return ``B`` of each sampled card: its CVR value (or pool mean) against its paper.

    A card not found, or a linked card whose CVR is a phantom, scores 0.
    """
    assorter = contest.assorter
    out = np.zeros(len(draws))
    for i, draw in enumerate(draws):
        if card_marks(draw.paper) is None or (draw.pool is None and card_marks(draw.cvr) is None):
            continue
        cvr = contest.pool_mean(draw.pool) if draw.pool is not None else assorter.score(draw.cvr)
        out[i] = contest.overstatement_value(float(cvr), float(assorter.score(draw.paper)))
    return out


# -- sample sizes by simulation --------------------------------------------------------------------

SIMULATION_SEED = 20_230_306
"""Default seed of the OneAudit simulations (fixed: the same question gets the same answer)."""
SIMULATION_BLOCK = 64
"""Draws whose bets a simulated audit computes first; each later block is half the draws so
far (at least this many)."""


def _first_stop(martingale: FloatArray, risk_limit: float) -> int | None:
    """Return the 1-based draw at which ``1/max T`` first reaches ``risk_limit``, or ``None``."""
    return measure_risk(martingale, risk_limit).stopped_at


def oneaudit_sample_sizes(
    contest: OneAuditContest,
    *,
    risk_limit: float,
    truth: AssorterPopulation | None = None,
    trials: int = 200,
    seed: int = SIMULATION_SEED,
    horizon: int | None = None,
) -> NDArray[np.int64]:
    """Return the sorted sample sizes of ``trials`` simulated OneAudits of the contest.

    Each trial draws cards without replacement from ``truth`` (the ``B`` values the cards really
    have; default :meth:`OneAuditContest.reported_population`, every report right) until the
    risk falls to ``risk_limit``; a trial that never stops counts as ``N`` (a full hand count).
    OneAudit sizes vary widely (ONEAudit §4): report a mean and quantiles
    (:class:`papertally.audit.simulate.SizeDistribution`).
    """
    check_risk_limit(risk_limit)
    if trials < 1:
        raise PapertallyError("at least one simulated trial is needed")
    population = truth or contest.reported_population()
    n = contest.cards
    if population.size != n:
        raise PapertallyError(
            f"the true population has {population.size:,} cards, the contest {n:,}"
        )
    values = np.asarray(population.values, dtype=np.float64)
    ends = np.cumsum(population.counts)
    prior = one_prior(contest)
    limit = math.log(1.0 / risk_limit) / max(contest.noerror - 0.5, 1e-9)
    start = min(n, horizon or max(64, int(4.0 * limit)))
    rng = np.random.default_rng(seed)
    sizes = np.empty(trials, dtype=np.int64)
    for trial in range(trials):
        drawn = rng.choice(n, size=start, replace=False)
        x = values[np.searchsorted(ends, drawn, side="right")]
        bets = np.zeros(0)
        seen = np.zeros(prior.grid.size)
        done = 0
        while True:
            # Bets block by block, each going on from the weights of the draws before it, so
            # that draws past the stopping point are barely computed (same bets as at once).
            if done == drawn.size:  # every card drawn so far is used: draw as many again
                rest = np.setdiff1d(np.arange(n), drawn, assume_unique=True)
                more = rng.choice(rest, size=min(drawn.size, rest.size), replace=False)
                drawn = np.concatenate((drawn, more))
                x = values[np.searchsorted(ends, drawn, side="right")]
            end = min(drawn.size, done + max(SIMULATION_BLOCK, done // 2))
            prefix = x[:end]
            mu, decided, mu0 = _null_path(prefix, contest)
            block = one_bets(prefix[done:end], mu[done:end], prior, seen)
            bets = np.concatenate((bets, np.where(decided[done:end], 0.0, block)))
            seen += _seen_rows(prior.grid, prefix[done:end]).sum(axis=0)
            path = betting_martingale(
                prefix, bets, population=n, mu0=mu0, upper_bound=contest.b_upper_bound
            )
            stop = _first_stop(path, risk_limit)
            if stop is not None or end >= n:
                sizes[trial] = stop if stop is not None else n
                break
            done = end
    return np.sort(sizes)


# -- sample sizes by a drift approximation ---------------------------------------------------------

ESTIMATE_POINTS = 160
"""Draw counts (geometric from 1 to ``N``) at which the estimate evaluates the log-growth."""
IMPOSSIBLE_STEP = 1e6
"""The log-growth counted for a draw after which the null is impossible (the audit stops)."""


def _ig_cdf(x: float, mean: float, shape: float) -> float:
    """Return the inverse Gaussian CDF: the first passage time of Brownian motion with drift."""
    root = math.sqrt(shape / x)
    low = 0.5 * math.erfc(-root * (x / mean - 1.0) / math.sqrt(2.0))
    z = root * (x / mean + 1.0) / math.sqrt(2.0)
    # exp(2λ/μ)·Φ(−z·√2), in logarithms: both factors over- and underflow for tight walks.
    tail = 0.5 * math.erfc(z) if z < 25.0 else math.exp(-z * z) / (2.0 * z * math.sqrt(math.pi))
    return min(1.0, low + (math.exp(2.0 * shape / mean + math.log(tail)) if tail > 0 else 0.0))


def _ig_quantile(q: float, mean: float, shape: float) -> float:
    """Return the ``q`` quantile of the inverse Gaussian law (bisection on the CDF)."""
    low, high = 0.0, mean
    for _ in range(200):
        if _ig_cdf(high, mean, shape) >= q:
            break
        low, high = high, 2.0 * high
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if _ig_cdf(mid, mean, shape) < q else (low, mid)
    return 0.5 * (low + high)


def oneaudit_size_estimate(contest: OneAuditContest, *, risk_limit: float) -> SizeDistribution:
    """Return the OneAudit's sample sizes (mean and quantiles) without simulating, in milliseconds.

    Every report right, the bets are the Kelly bets of the prior (:func:`one_prior`: its weight
    of 10,000 draws barely moves over an audit), so ``ln T_j`` is a random walk whose step at
    draw ``j`` has mean ``g_j = E ln(1 + λ_j(B − μ_j))`` and variance ``s²_j`` over the reported
    ``B`` distribution, ``μ_j`` the null mean after ``j − 1`` draws of average ``B`` (sampling
    without replacement raises ``g_j``). The audit stops when the walk first reaches
    ``ln(1/α)``: its mean is where ``Σ g_j`` reaches ``ln(1/α)`` plus the expected overshoot,
    taken as ``E[X₊²]/(2·E[X₊])`` of the rising steps (Wald's identity; renewal theory); its
    spread is that of the first passage of Brownian motion with that drift and variance, an
    inverse Gaussian law (Kelly's growth rate, Kelly 1956; cf. COBRA, Spertus 2023).
    ``trials`` of the result is 0: estimated,
    not simulated. Checked against :func:`oneaudit_sample_sizes` in the tests and the bench.
    """
    check_risk_limit(risk_limit)
    n_cards = contest.cards
    prior = one_prior(contest)
    truth = contest.reported_population()
    values = np.asarray(truth.values, dtype=np.float64)
    mass = np.asarray(truth.counts, dtype=np.float64) / truth.size
    mean_b = float(np.dot(values, mass))
    mu0 = null_mean(n_cards)
    draws = np.unique(np.geomspace(1.0, float(n_cards), ESTIMATE_POINTS).round()).astype(float)
    mu = (n_cards * mu0 - (draws - 1.0) * mean_b) / (n_cards - draws + 1.0)
    live = (mu > 0) & (mu < prior.grid[-1])
    safe_mu = np.where(live, mu, 0.5)
    cap = (1.0 - prior.min_factor) / safe_mu
    weights = np.broadcast_to(prior.prior, (draws.size, prior.grid.size))
    bets = np.where(live, _kelly(np.asarray(weights), prior.grid, safe_mu, cap), 0.0)
    steps = np.log(np.maximum(1.0 + bets[:, None] * (values[None, :] - safe_mu[:, None]), 1e-300))
    drift = steps @ mass
    second = (steps * steps) @ mass
    # Past the point where the null is impossible (μ ≤ 0) the audit has stopped: a step there
    # counts as reaching any level.
    drift = np.where(mu <= 0, IMPOSSIBLE_STEP, np.where(live, drift, 0.0))
    gaps = np.diff(draws)
    growth = np.concatenate(
        ([drift[0]], drift[0] + np.cumsum(0.5 * (drift[1:] + drift[:-1]) * gaps))
    )
    level = math.log(1.0 / risk_limit)
    rising = np.flatnonzero((drift > 0) & live)
    if growth[-1] < level or rising.size == 0:
        return SizeDistribution(0, float(n_cards), n_cards, n_cards, n_cards, 1.0)
    # The walk's law from the first draw at which the bet is positive (at the prior's error
    # rates a very small margin gets no bet until sampling without replacement lowers μ_j).
    k = int(rising[0])
    first, variance = float(drift[k]), float(second[k] - drift[k] ** 2)
    ups = np.maximum(steps[k], 0.0)
    target = level + float((ups * ups) @ mass) / (2.0 * max(float(ups @ mass), 1e-300))
    ceiling = np.maximum.accumulate(growth)

    def draws_for(goal: float) -> float:
        """The draw count where the expected log-growth reaches ``goal`` (at most ``N``)."""
        return float(n_cards) if goal >= ceiling[-1] else float(np.interp(goal, ceiling, draws))

    # The inverse Gaussian of the walk at its first step's drift, in units of its mean; its
    # quantiles are carried to draw counts along the growing expected log-growth.
    shape = target * target / max(variance, 1e-300)
    ig_mean = target / first

    def quantile(q: float) -> int:
        ratio = _ig_quantile(q, ig_mean, shape) / ig_mean
        return min(n_cards, max(1, math.ceil(draws_for(target * ratio))))

    full = 1.0 - _ig_cdf(ig_mean * float(ceiling[-1]) / target, ig_mean, shape)
    return SizeDistribution(
        trials=0,
        mean=draws_for(target),
        p50=quantile(0.5),
        p90=quantile(0.9),
        p99=quantile(0.99),
        full_hand_counts=max(0.0, full),
    )
