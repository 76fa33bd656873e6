"""How likely a recount is to change the winner, from 22 statewide recounts of 2000-2024.

The facts ship in ``law/history.yaml`` (with sources). The model is deliberately plain:

* the *shift* of a recount is the change in the original leader's margin, as a share of all
  votes for the office; a recount reverses the result when the shift toward the trailing
  candidate exceeds the original margin;
* the chance for a margin ``m`` (share of votes) is estimated two ways: empirically, as the
  share of past recounts whose shift toward the trailer exceeded ``m`` (with a Jeffreys 90%
  interval for a binomial proportion), and by a smooth fit - the size of the shift is
  log-normal, toward the trailer with probability ``q`` - whose 90% interval comes from a
  bootstrap over the cases (fixed seed, so answers are reproducible).

With 17 usable cases the uncertainty is large and the cases are not a random sample: they are
the recounts that happened (close, statewide, reported in the news), under different methods
(machine, hand, partial). The outputs say so.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict
from scipy import stats

from papertally.errors import PapertallyError

BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 20001107


class HistoricRecount(BaseModel):
    """One past recount as the history file records it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int
    state: str
    office: str
    original_margin_votes: int | None = None
    original_margin_pct: float | None = None
    total_votes: int | None = None
    total_approximate: bool = False
    final_margin_votes: int | None = None
    shift_votes: int | None = None
    outcome_changed: bool
    cost_usd: int | None = None
    method: str
    use_in_model: bool
    why_not: str | None = None
    note: str | None = None
    sources: list[str]

    @property
    def shift_share(self) -> float:
        """Return the shift as a share (0-1) of all votes; negative means toward the trailer."""
        assert self.shift_votes is not None and self.total_votes
        return self.shift_votes / self.total_votes

    @property
    def label(self) -> str:
        """Return e.g. ``"2008 MN U.S. Senate (Coleman v. Franken)"``."""
        return f"{self.year} {self.state} {self.office}"


@functools.cache
def load_history() -> tuple[HistoricRecount, ...]:
    """Return the recounts of ``law/history.yaml``, validated; cached."""
    text = (resources.files("papertally.law") / "history.yaml").read_text(encoding="utf-8")
    cases = tuple(HistoricRecount.model_validate(c) for c in yaml.safe_load(text)["cases"])
    for case in cases:
        if not case.sources:
            raise PapertallyError(f"history.yaml: {case.label} has no source")
        if case.use_in_model and (case.shift_votes is None or not case.total_votes):
            raise PapertallyError(f"history.yaml: {case.label} is used but lacks shift or total")
    return cases


def model_cases() -> list[HistoricRecount]:
    """Return the cases that enter the shift model."""
    return [c for c in load_history() if c.use_in_model]


@dataclass(frozen=True)
class ShiftFit:
    """The fitted shift model: log-normal size, direction toward the trailer with chance ``q``."""

    mu: float
    sigma: float
    q: float
    n: int

    def flip_chance(self, margin_share: float) -> float:
        """Return the modelled chance that the shift toward the trailer exceeds ``margin_share``."""
        if margin_share <= 0:
            return self.q
        z = (math.log(margin_share) - self.mu) / self.sigma
        return float(self.q * stats.norm.sf(z))


def fit_shifts(shares: np.ndarray[Any, np.dtype[np.float64]]) -> ShiftFit:
    """Fit the model to signed shift shares (negative = toward the trailer)."""
    sizes = np.abs(shares[shares != 0])
    logs = np.log(sizes)
    sigma = float(np.std(logs, ddof=1)) if len(logs) > 1 else 1.0
    return ShiftFit(float(np.mean(logs)), max(sigma, 1e-6), float(np.mean(shares < 0)), len(shares))


@dataclass(frozen=True)
class FlipOutlook:
    """The chance a recount of a given margin changes the winner, and what it rests on."""

    margin_votes: int
    total_votes: int
    margin_share_pct: float
    votes_to_flip_net: int
    ballots_to_switch: int
    empirical_count: int
    empirical_n: int
    empirical_interval: tuple[float, float]
    model_chance: float
    model_interval: tuple[float, float]
    largest_shift_toward_trailer: str
    largest_reversed: str
    reversals: list[str]
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return dict(self.__dict__)


def _jeffreys(k: int, n: int, level: float = 0.90) -> tuple[float, float]:
    alpha = (1 - level) / 2
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha, k + 0.5, n - k + 0.5))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha, k + 0.5, n - k + 0.5))
    return low, high


def _bootstrap_chances(
    shares: np.ndarray[Any, np.dtype[np.float64]], margin_share: float
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Refit the model on resampled cases, all draws at once, and return each draw's chance."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    sample = shares[rng.integers(0, len(shares), (BOOTSTRAP_DRAWS, len(shares)))]
    q = np.mean(sample < 0, axis=1)
    with np.errstate(divide="ignore"):
        logs = np.where(sample != 0, np.log(np.abs(sample)), np.nan)
    counts = np.sum(~np.isnan(logs), axis=1)
    mu = np.nanmean(np.where(counts[:, None] > 0, logs, 0.0), axis=1)
    sigma = np.where(
        counts > 1,
        np.sqrt(np.nansum((logs - mu[:, None]) ** 2, axis=1) / np.maximum(counts - 1, 1)),
        1.0,
    )
    sigma = np.maximum(sigma, 1e-6)
    if margin_share <= 0:
        return np.asarray(q, dtype=np.float64)
    tail = stats.norm.sf((math.log(margin_share) - mu) / sigma)
    return np.asarray(q * tail, dtype=np.float64)


def votes_to_flip(margin_votes: int) -> tuple[int, int]:
    """Return (net votes the trailer must gain to lead, ballots that must switch sides)."""
    net = margin_votes + 1
    return net, (net + 1) // 2


def flip_outlook(margin_votes: int, total_votes: int) -> FlipOutlook:
    """Estimate how likely a recount of this margin is to change the winner, with its basis."""
    if total_votes <= 0:
        raise PapertallyError("the contest has no votes, so there is no margin to judge")
    if margin_votes < 0:
        raise PapertallyError("the margin must be the leader's votes minus the runner-up's")
    cases = model_cases()
    shares = np.array([c.shift_share for c in cases])
    m = margin_votes / total_votes
    toward = -shares
    k = int(np.sum(toward > m))
    fit = fit_shifts(shares)
    low, high = np.percentile(_bootstrap_chances(shares, m), [5, 95])
    biggest = min(cases, key=lambda c: c.shift_share)
    most_votes = min(cases, key=lambda c: c.shift_votes or 0)
    reversed_cases = [c for c in load_history() if c.outcome_changed]
    widest = max(reversed_cases, key=lambda c: c.original_margin_pct or 0.0)
    net, switch = votes_to_flip(margin_votes)
    return FlipOutlook(
        margin_votes=margin_votes,
        total_votes=total_votes,
        margin_share_pct=100 * m,
        votes_to_flip_net=net,
        ballots_to_switch=switch,
        empirical_count=k,
        empirical_n=len(cases),
        empirical_interval=_jeffreys(k, len(cases)),
        model_chance=fit.flip_chance(m),
        model_interval=(float(low), float(high)),
        largest_shift_toward_trailer=(
            f"by share {-100 * biggest.shift_share:.4f}% of votes "
            f"({-(biggest.shift_votes or 0):,} votes, {biggest.label}); by votes "
            f"{-(most_votes.shift_votes or 0):,} ({-100 * most_votes.shift_share:.4f}%, "
            f"{most_votes.label})"
        ),
        largest_reversed=(
            f"{widest.original_margin_votes:,} votes ({widest.original_margin_pct}%), "
            f"{widest.label}"
        ),
        reversals=[
            f"{c.label}: {c.original_margin_votes:,} votes ({c.original_margin_pct}%)"
            for c in reversed_cases
        ],
        assumptions=assumptions(),
    )


def assumptions() -> list[str]:
    """Return the assumptions of the outcome model, in plain words, for every output."""
    cases = model_cases()
    left_out = [f"{c.label} ({c.why_not})" for c in load_history() if not c.use_in_model]
    return [
        f"Based on {len(cases)} statewide recounts of 2000-2024 with a known shift; "
        f"left out: {'; '.join(left_out)}.",
        "Shift = change in the original leader's margin as a share of all votes for the office; "
        "the winner changes when the shift toward the trailing candidate exceeds the margin.",
        "These are the recounts that happened (close, statewide, newsworthy), not a random "
        "sample; methods differ (machine, hand, partial, one audit), and several totals are "
        "approximate.",
        "Smooth model: size of the shift log-normal, direction toward the trailer with the "
        "observed frequency; 90% interval from "
        f"{BOOTSTRAP_DRAWS} bootstrap resamples of the cases (seed {BOOTSTRAP_SEED}).",
        "Empirical figure: the share of past recounts whose shift toward the trailer exceeded "
        "this margin, with a Jeffreys 90% interval. With so few cases, treat both as rough.",
        "A recount also adds ballots found uncounted; contests and courts (not modelled) can "
        "change results in other ways.",
    ]


def history_facts() -> dict[str, Any]:
    """Return the headline facts of the history table (reversals, their margins, costs)."""
    cases = load_history()
    reversed_cases = [c for c in cases if c.outcome_changed]
    costs = [
        (c.label, c.cost_usd, c.total_votes)
        for c in cases
        if c.cost_usd and c.total_votes and c.method not in {"sample"} and "partial" not in c.office
    ]
    return {
        "recounts": len(cases),
        "used_in_model": len(model_cases()),
        "reversals": [c.label for c in reversed_cases],
        "max_reversed_margin_pct": max(c.original_margin_pct or 0.0 for c in reversed_cases),
        "max_reversed_margin_votes": max(c.original_margin_votes or 0 for c in reversed_cases),
        "cost_per_ballot": [
            {"recount": label, "cost_usd": cost, "per_vote": round(cost / total, 3)}
            for label, cost, total in costs
        ],
    }


def cost_per_vote_median() -> float:
    """Return the median cost per vote of the full recounts with a known cost (dollars)."""
    values = [row["per_vote"] for row in history_facts()["cost_per_ballot"]]
    return float(np.median(values))
