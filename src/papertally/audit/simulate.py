"""Planning by simulation: how many cards an audit is likely to need, as a distribution.

For ballot polling the audits are simulated draw by draw without replacement
(:func:`papertally.audit.polling.simulate_stopping`), with the cards' true votes as stated (by
default the reported ones). For card-level comparison audits the quantiles come from the
comparison module's simulated sample sizes (:func:`papertally.audit.comparison.clca_sample_size`),
with discrepancies at the stated rates. Fixed seeds: the same question gets the same answer.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

from papertally.audit.assertions import (
    Assertion,
    AssorterPopulation,
    pair_population,
    plurality_assertions,
)
from papertally.audit.martingale import check_risk_limit
from papertally.audit.polling import (
    SIMULATION_SEED,
    alpha_settings,
    bravo_share,
    limit_sample_size,
    simulate_stopping,
)
from papertally.errors import PapertallyError, closest_match_hint
from papertally.types import ChoiceName


@dataclass(frozen=True)
class SizeDistribution:
    """Summary of simulated sample sizes (cards drawn until the audit stopped)."""

    trials: int
    mean: float
    p50: int
    p90: int
    p99: int
    full_hand_counts: float
    """Share of trials that went to a full hand count."""

    @classmethod
    def of(cls, sizes: NDArray[np.int64], full: int) -> SizeDistribution:
        """Summarize the sizes of ``len(sizes)`` trials; ``full`` is the full-count size."""
        return cls(
            trials=int(sizes.size),
            mean=float(sizes.mean()),
            p50=int(np.quantile(sizes, 0.5, method="higher")),
            p90=int(np.quantile(sizes, 0.9, method="higher")),
            p99=int(np.quantile(sizes, 0.99, method="higher")),
            full_hand_counts=float(np.mean(sizes >= full)),
        )


def tightest(assertions: list[Assertion]) -> Assertion:
    """Return the assertion with the smallest reported margin: the one that sets the sample size."""
    return min(assertions, key=lambda a: a.diluted_margin)


def true_population(
    assertion: Assertion, true_votes: Mapping[ChoiceName, int] | None
) -> AssorterPopulation:
    """Return the cards' assorter values if the true votes are ``true_votes`` (same card count)."""
    if true_votes is None:
        return assertion.population
    for name in (assertion.winner, assertion.loser):
        if name is not None and name not in true_votes:
            raise PapertallyError(
                f"the true votes name no {name!r}{closest_match_hint(name, list(true_votes))}"
            )
    cards = assertion.population.size
    w = int(true_votes[assertion.winner])
    lo = int(true_votes[assertion.loser]) if assertion.loser is not None else 0
    if max(w, lo) > cards:
        raise PapertallyError(
            f"the true votes for {assertion.winner!r} or {assertion.loser!r} exceed the "
            f"{cards} cards"
        )
    return pair_population(w, lo, cards)


def simulate_polling(
    votes: Mapping[ChoiceName, int],
    risk_limit: float,
    *,
    ballots: int | None = None,
    winners: int = 1,
    true_votes: Mapping[ChoiceName, int] | None = None,
    trials: int = 1000,
    seed: int = SIMULATION_SEED,
    method: str = "alpha",
    pair: tuple[ChoiceName, ChoiceName] | None = None,
) -> SizeDistribution:
    """Simulate ballot-polling audits of one assertion of a plurality contest.

    The assertion is ``pair`` (winner, loser), by default the tightest. ``method`` is
    ``"alpha"`` (ours) or ``"bravo"``; ``true_votes`` (default: the reported votes) are what
    the cards really show. Sampling is without replacement.
    """
    check_risk_limit(risk_limit)
    assertions = plurality_assertions(votes, winners, ballots=ballots)
    chosen = [a for a in assertions if pair is None or (a.winner, a.loser) == pair]
    if pair is not None and not chosen:
        raise PapertallyError(f"the contest has no assertion {pair[0]!r} > {pair[1]!r}")
    assertion = tightest(chosen)
    truth = true_population(assertion, true_votes)
    if method == "alpha":
        sizes = simulate_stopping(
            truth,
            risk_limit,
            settings=alpha_settings(assertion, risk_limit),
            trials=trials,
            seed=seed,
        )
    elif method == "bravo":
        sizes = simulate_stopping(
            truth, risk_limit, winner_share=bravo_share(assertion), trials=trials, seed=seed
        )
    else:
        raise PapertallyError(f"unknown polling method {method!r}: use 'alpha' or 'bravo'")
    return SizeDistribution.of(sizes, truth.size)


def polling_limit(
    votes: Mapping[ChoiceName, int],
    risk_limit: float,
    *,
    winners: int = 1,
    ballots: int | None = None,
    true_votes: Mapping[ChoiceName, int] | None = None,
) -> float:
    """Return ``ln(1/α)/KL`` of the hardest assertion: the statistical limit on the mean size.

    Every assertion must be confirmed, so the audit's limit is the largest over assertions. Under
    ``true_votes`` the hardest need not be the one with the smallest reported margin (a pair
    the truth reverses has an infinite limit).
    """
    return max(
        limit_sample_size(true_population(assertion, true_votes), risk_limit)
        for assertion in plurality_assertions(votes, winners, ballots=ballots)
    )


def comparison_module(name: str = "comparison") -> ModuleType:
    """Return :mod:`papertally.audit.comparison` (or ``.batch``), or say it is not available."""
    try:
        return importlib.import_module(f"papertally.audit.{name}")
    except ImportError as error:
        kind = "card-level comparison" if name == "comparison" else f"{name} comparison"
        raise PapertallyError(
            f"{kind} audits are not available in this version of papertally"
        ) from error


def simulate_comparison(
    margin: float,
    risk_limit: float,
    *,
    population: int | None,
    error_rates: Mapping[str, float] | None = None,
    trials: int = 1000,
) -> SizeDistribution:
    """Summarize card-level comparison sample sizes with discrepancies at ``error_rates``.

    ``error_rates`` maps ``o1``, ``o2``, ``u1``, ``u2`` to rates per card; the sizes are the
    comparison module's simulated audits
    (:func:`papertally.audit.comparison.clca_sample_size_distribution`, fixed seed). With no
    errors the path is fixed and every "trial" is the same.
    """
    comparison = comparison_module()
    rates = comparison.ErrorRates(**dict(error_rates or {}))
    sizes = np.asarray(
        comparison.clca_sample_size_distribution(
            margin, risk_limit=risk_limit, population=population, error_rates=rates, trials=trials
        ),
        dtype=np.int64,
    )
    return SizeDistribution.of(sizes, population if population is not None else 2**62)
