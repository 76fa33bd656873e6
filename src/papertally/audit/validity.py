"""The promise of a risk-limiting audit, checked: how often each method confirms a wrong outcome.

An RLA must confirm a reported outcome that is wrong with chance at most the risk limit ``α``
(Lindeman & Stark 2012, "A gentle introduction to risk-limiting audits"). This module measures
that chance, the *type-I error*, for each risk measurement of :mod:`papertally.audit`, on the
populations where it is largest: a true tie, a reported winner who really lost by one vote, every
error of the worst kind (two-vote overstatements), undervotes, phantoms, zero-vote candidates, a
supermajority share exactly at ``f``, vote-for-``k`` contests with overvotes.

A *trial* is one order in which the cards could be drawn: the whole population without
replacement, or a long sequence of draws with replacement. It *confirms* when the measured risk
falls to ``α`` at any point of it; as the measured risk only falls as draws are added, this covers
every round schedule and every stopping rule at once. Two ways to estimate the chance:

* :func:`exact_type_one`: every distinct order of a tiny population (all equally likely when
  drawing without replacement), or every sequence of draws with replacement: the exact chance;
* :func:`simulated_type_one`: random orders; the estimate ``p̂`` has standard error
  ``√(p̂(1 − p̂)/n)``, and it is judged valid when ``p̂ ≤ α + 3√(α(1 − α)/n)`` (three standard
  errors of a method whose true rate is exactly ``α``).

The figures are printed by ``bench/bench_audit_validity.py``; the tests run the small cases.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from papertally.audit.assertions import Assertion, CardReading
from papertally.audit.batch import batch_comparison_risk
from papertally.audit.comparison import clca_risk
from papertally.audit.hybrid import hybrid_risk
from papertally.audit.kaplan_markov import kaplan_markov_risk
from papertally.audit.martingale import check_risk_limit
from papertally.audit.polling import alpha_risk, alpha_settings, bravo_risk, bravo_share
from papertally.types import ChoiceName

Item = TypeVar("Item", bound=Hashable)
Confirms = Callable[[Sequence[Item]], bool]
"""Whether an audit that draws the cards in this order ever confirms the reported outcome."""


@dataclass(frozen=True)
class TypeOneError:
    """How often one method confirmed a wrong outcome in one case."""

    case: str
    """The population audited (e.g. "tie, N=1,000")."""
    method: str
    """The risk measurement (e.g. "ALPHA", "CLCA", "BRAVO with replacement")."""
    risk_limit: float
    """``α``."""
    trials: int
    """Orders enumerated (exact) or simulated."""
    stops: int
    """How many of them confirmed the wrong outcome."""
    exact: bool
    """Whether every order was enumerated (the rate is then the exact chance)."""

    @property
    def rate(self) -> float:
        """The share of orders that confirmed: the type-I error (estimated or exact)."""
        return self.stops / self.trials if self.trials else 0.0

    @property
    def standard_error(self) -> float:
        """``√(p̂(1 − p̂)/n)`` for a simulation, 0 for an exact count."""
        if self.exact or not self.trials:
            return 0.0
        return math.sqrt(self.rate * (1.0 - self.rate) / self.trials)

    @property
    def allowance(self) -> float:
        """The most the rate may be: ``α``, plus ``3√(α(1 − α)/n)`` for a simulation."""
        if self.exact:
            return self.risk_limit * (1.0 + 1e-9)
        noise = math.sqrt(self.risk_limit * (1.0 - self.risk_limit) / max(self.trials, 1))
        return self.risk_limit + 3.0 * noise

    @property
    def holds(self) -> bool:
        """Whether the rate is within the allowance: the promise holds in this case."""
        return self.rate <= self.allowance


def distinct_orders(items: Sequence[Item]) -> Iterator[tuple[Item, ...]]:
    """Yield every distinct order of the multiset ``items`` once (equally likely without
    replacement: each stands for the same number of orders of the labelled cards)."""
    counts = Counter(items)
    kinds = list(counts)
    size = len(items)
    prefix: list[Item] = []

    def extend() -> Iterator[tuple[Item, ...]]:
        if len(prefix) == size:
            yield tuple(prefix)
            return
        for kind in kinds:
            if counts[kind]:
                counts[kind] -= 1
                prefix.append(kind)
                yield from extend()
                prefix.pop()
                counts[kind] += 1

    yield from extend()


def exact_type_one(
    case: str,
    method: str,
    risk_limit: float,
    items: Sequence[Item],
    confirms: Confirms[Item],
    *,
    draws: int | None = None,
) -> TypeOneError:
    """Return the exact chance that ``confirms`` holds over every order of ``items``.

    Without ``draws``: every distinct order of the whole population (sampling without
    replacement). With ``draws``: every sequence of ``draws`` cards drawn with replacement (the
    population's cards equally likely, so ``len(items)**draws`` sequences).
    """
    check_risk_limit(risk_limit)
    stops = trials = 0
    orders: Iterator[tuple[Item, ...]] = (
        distinct_orders(items) if draws is None else itertools.product(items, repeat=draws)
    )
    for order in orders:
        trials += 1
        stops += bool(confirms(order))
    return TypeOneError(case, method, risk_limit, trials, stops, exact=True)


def simulated_type_one(
    case: str,
    method: str,
    risk_limit: float,
    items: Sequence[Item],
    confirms: Confirms[Item],
    *,
    trials: int,
    seed: int,
    draws: int | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
) -> TypeOneError:
    """Estimate the chance that ``confirms`` holds over random orders of ``items``.

    Without ``draws``: ``trials`` uniform random orders of the whole population. With ``draws``:
    ``trials`` sequences of ``draws`` items drawn with replacement, uniformly or with chances
    proportional to ``weights`` (PPEB for batches). Fixed ``seed``.
    """
    check_risk_limit(risk_limit)
    rng = np.random.default_rng(seed)
    population = list(items)
    chances = None if weights is None else np.asarray(weights, dtype=np.float64)
    if chances is not None:
        chances = chances / chances.sum()
    stops = 0
    for _ in range(trials):
        if draws is None:
            picked = rng.permutation(len(population))
        else:
            picked = rng.choice(len(population), size=draws, p=chances)
        stops += bool(confirms([population[int(i)] for i in picked]))
    return TypeOneError(case, method, risk_limit, trials, stops, exact=False)


def polling_confirms(
    assertions: Sequence[Assertion], risk_limit: float, *, with_replacement: bool = False
) -> Confirms[CardReading]:
    """Return the ALPHA audit of a contest's assertions (Stark 2023; our default settings).

    The contest is confirmed when every assertion's measured risk falls to ``α``; each reading is
    scored by :func:`~papertally.audit.assertions.score_card` (vote for ``k`` included).
    """
    settings = [alpha_settings(a, risk_limit) for a in assertions]

    def confirms(order: Sequence[CardReading]) -> bool:
        return all(
            alpha_risk(
                a.assort(order),
                s,
                population=None if with_replacement else a.population.size,
                risk_limit=risk_limit,
            ).stop
            for a, s in zip(assertions, settings, strict=True)
        )

    return confirms


def bravo_confirms(assertion: Assertion, risk_limit: float) -> Confirms[CardReading]:
    """Return BRAVO's audit of one assertion (Lindeman, Stark & Yates 2012)."""
    share = bravo_share(assertion)

    def confirms(order: Sequence[CardReading]) -> bool:
        return bravo_risk(assertion.assort(order), share, risk_limit=risk_limit).stop

    return confirms


def clca_confirms(margin: float, risk_limit: float, population: int | None) -> Confirms[str]:
    """Return the card-level comparison audit (our CLCA bets) of discrepancy codes in order."""

    def confirms(order: Sequence[str]) -> bool:
        return clca_risk(order, margin=margin, population=population, risk_limit=risk_limit).stop

    return confirms


def kaplan_markov_confirms(
    margin: float, risk_limit: float, population: int | None
) -> Confirms[str]:
    """Return Kaplan-Markov's audit (Stark 2009) of discrepancy codes in order."""

    def confirms(order: Sequence[str]) -> bool:
        return kaplan_markov_risk(
            order, margin=margin, population=population, risk_limit=risk_limit
        ).stop

    return confirms


def batch_confirms(total_error_bound: float, risk_limit: float) -> Confirms[float]:
    """Return the batch comparison audit (MACRO, PPEB draws) of taints in draw order."""

    def confirms(order: Sequence[float]) -> bool:
        return batch_comparison_risk(
            order, total_error_bound=total_error_bound, risk_limit=risk_limit
        ).stop

    return confirms


@dataclass(frozen=True)
class HybridCase:
    """A two-stratum contest: reported votes per stratum and what the sampled cards show."""

    votes_cvr_stratum: dict[ChoiceName, int]
    votes_no_cvr_stratum: dict[ChoiceName, int]
    codes: tuple[str, ...]
    """The discrepancy code of every card of the CVR stratum (for the pair audited)."""
    readings: tuple[CardReading, ...]
    """What every card of the no-CVR stratum shows."""
    winner: ChoiceName
    loser: ChoiceName

    def confirms(self, risk_limit: float, rng: np.random.Generator) -> bool:
        """Draw both strata in independent random orders and measure the risk (SUITE)."""
        codes = [self.codes[int(i)] for i in rng.permutation(len(self.codes))]
        readings = [self.readings[int(i)] for i in rng.permutation(len(self.readings))]
        return hybrid_risk(
            codes,
            readings,
            votes_cvr_stratum=self.votes_cvr_stratum,
            votes_no_cvr_stratum=self.votes_no_cvr_stratum,
            cards_cvr=len(self.codes),
            cards_no_cvr=len(self.readings),
            winner=self.winner,
            loser=self.loser,
            risk_limit=risk_limit,
        ).stop


def simulated_hybrid_type_one(
    case: str, contest: HybridCase, risk_limit: float, *, trials: int, seed: int
) -> TypeOneError:
    """Estimate how often a hybrid audit of ``contest`` confirms (both strata drawn whole)."""
    rng = np.random.default_rng(seed)
    stops = sum(contest.confirms(risk_limit, rng) for _ in range(trials))
    return TypeOneError(case, "hybrid (SUITE)", risk_limit, trials, int(stops), exact=False)
