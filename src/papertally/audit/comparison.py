"""Card-level comparison audits (CLCA): overstatement assorters, an adaptive betting test, sizes.

A comparison audit checks a random sample of ballot cards against their cast vote records (CVRs).
SHANGRLA (Stark 2020, "Sets of half-average nulls generate risk-limiting audits", §3.2) turns an
assertion "the mean of assorter ``A`` exceeds 1/2", with upper bound ``u`` and reported assorter
margin ``v = 2·mean(A(CVR)) − 1`` (for plurality: the diluted margin, winner's minus loser's votes
over all cards), into the *overstatement assorter*

    B(card) = (1 − ω/u) / (2 − v/u),   ω = A(CVR) − A(MVR),

where the MVR is the auditors' reading of the paper card. The assertion is true exactly when the
mean of ``B`` over all cards exceeds 1/2, and ``B ∈ [0, 2/(2 − v/u)]``. For a plurality assertion
(``u = 1``) the discrepancy codes of Lindeman & Stark (2012, "A gentle introduction to risk-limiting
audits") give ``ω ∈ {0, ½, 1, −½, −1}``:

======  =========================================  ==============
code    meaning                                    ``B``
======  =========================================  ==============
``0``   CVR and paper agree                        ``1/(2 − v)``
``o1``  one-vote overstatement of the margin       ``½/(2 − v)``
``o2``  two-vote overstatement                     ``0``
``u1``  one-vote understatement                    ``1.5/(2 − v)``
``u2``  two-vote understatement                    ``2/(2 − v)``
======  =========================================  ==============

*Phantoms* — cards in the manifest without a CVR, and sampled cards that cannot be found — score
``B = 0``, the two-vote overstatement, whatever value their (missing) CVR was given when ``v`` was
computed: ``0`` is the smallest value ``B`` can take, so the test stays conservative (Bañuelos &
Stark 2012, "Limiting risk by turning manifest phantoms into evil zombies").

The risk is measured with the betting supermartingale of :mod:`papertally.audit.martingale`, with
bets chosen by :func:`clca_bets` (see there for the exact rule).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from papertally.audit.martingale import (
    RiskMeasurement,
    betting_martingale,
    check_risk_limit,
    decide_nulls,
    measure_risk,
    null_means,
    remaining_before,
)
from papertally.errors import PapertallyError

FloatArray = NDArray[np.float64]
Card = TypeVar("Card")

OVERSTATEMENTS: dict[str, float] = {"0": 0.0, "o1": 0.5, "o2": 1.0, "u1": -0.5, "u2": -1.0}
"""Discrepancy code → overstatement ``ω/u`` (Lindeman & Stark 2012, for plurality contests)."""
PHANTOM_CODE = "phantom"
"""A sampled card without a CVR, or a card not found: scored as a two-vote overstatement."""
DISCREPANCY_CODES: tuple[str, ...] = (*OVERSTATEMENTS, PHANTOM_CODE)
"""Every code :func:`clca_assorter_values` accepts."""

ROUNDING_MARGIN = 1e-8
"""Relative amount by which the null mean ½ is raised when sampling without replacement.

``B`` values such as ``1/(2 − v)`` are not exact binary fractions, so the running sums in the
null means ``μ_j = (N/2 − Σ x_i)/(N − j + 1)`` carry rounding errors (relative ``≲ 1e-9`` for
ten million cards). When the undrawn cards of an exactly tied population are all two-vote
overstatements the exact ``μ_j`` is 0, and a rounded value a hair below 0 would read as "the
null is impossible" and stop the audit. Testing ``mean ≤ ½(1 + 1e-8)`` instead is a slightly
harder null (rejecting it rejects ``mean ≤ ½``), so validity holds, at no visible cost.
"""


def null_mean(population: int | None) -> float:
    """Return the null mean the CLCA martingale tests: ½, or ½(1 + 1e-8) without replacement."""
    return 0.5 if population is None else 0.5 * (1.0 + ROUNDING_MARGIN)


MAX_UNBOUNDED_SAMPLE = 50_000_000
"""Largest sample a with-replacement sample size is searched up to before giving up."""


def check_margin(margin: float, upper_bound: float = 1.0) -> None:
    """Raise a :class:`PapertallyError` unless ``0 < margin < 2·upper_bound``.

    The reported assorter margin ``v`` must be positive for the reported outcome to be auditable
    at all, and ``v/u < 2`` keeps ``B`` finite (SHANGRLA §3.2).
    """
    if not upper_bound > 0 or not math.isfinite(upper_bound):
        raise PapertallyError(f"the assorter's upper bound must be positive, got {upper_bound}")
    if not 0.0 < margin < 2.0 * upper_bound:
        raise PapertallyError(
            f"the reported margin must be positive (the reported winner must lead) and below "
            f"{2.0 * upper_bound:g}, got {margin}; for plurality it is the winner's votes minus "
            "the loser's over the number of cards, e.g. 0.02"
        )


def noerror_value(margin: float, upper_bound: float = 1.0) -> float:
    """Return ``1/(2 − v/u)``, the overstatement assorter of a card whose CVR was right."""
    check_margin(margin, upper_bound)
    return 1.0 / (2.0 - margin / upper_bound)


def overstatement_assorter_value(
    overstatement: float, *, margin: float, upper_bound: float = 1.0
) -> float:
    """Return ``B = (1 − ω/u)/(2 − v/u)`` for one card (SHANGRLA §3.2).

    ``overstatement`` is ``ω = A(CVR) − A(MVR)`` in the assorter's own units, between ``−u`` and
    ``u``; ``margin`` is the reported assorter margin ``v``.
    """
    if not -upper_bound <= overstatement <= upper_bound:
        raise PapertallyError(
            f"an overstatement must lie between {-upper_bound:g} and {upper_bound:g}, "
            f"got {overstatement}"
        )
    return (1.0 - overstatement / upper_bound) * noerror_value(margin, upper_bound)


_CODE_VALUES: dict[str, float] = {**OVERSTATEMENTS, PHANTOM_CODE: 1.0}


def overstatements_from_codes(discrepancies: Sequence[str]) -> FloatArray:
    """Return ``ω/u`` for each discrepancy code: ``0``, ``o1``, ``o2``, ``u1``, ``u2``, ``phantom``.

    Codes are read without regard to case or surrounding blanks; an unknown code raises a
    :class:`PapertallyError` naming its 1-based position in the sample.
    """
    out = np.fromiter(
        map(_CODE_VALUES.get, discrepancies, itertools.repeat(math.nan)),
        dtype=np.float64,
        count=len(discrepancies),
    )
    for index in np.flatnonzero(np.isnan(out)).tolist():
        raw = discrepancies[index]
        code = str(raw).strip().lower()
        if code not in _CODE_VALUES:
            raise PapertallyError(
                f"draw {index + 1}: unknown discrepancy {raw!r}; expected one of "
                + ", ".join(DISCREPANCY_CODES)
            )
        out[index] = _CODE_VALUES[code]
    return out


def clca_assorter_values(
    discrepancies: Sequence[str], *, margin: float, upper_bound: float = 1.0
) -> FloatArray:
    """Return the overstatement assorter value ``B`` of each sampled card, in draw order.

    ``discrepancies`` holds one code per draw (see the module table; ``phantom`` for a card with
    no CVR or not found). ``margin`` is the reported assorter margin ``v`` (diluted margin).
    """
    kappa = overstatements_from_codes(discrepancies)
    return np.asarray((1.0 - kappa) * noerror_value(margin, upper_bound), dtype=np.float64)


def clca_assorter_values_from_pairs(
    pairs: Iterable[tuple[Card | None, Card | None]],
    assort: Callable[[Card], float],
    *,
    margin: float,
    upper_bound: float = 1.0,
) -> FloatArray:
    """Return ``B`` for each sampled ``(cvr, mvr)`` pair, scoring the assorter ``assort`` on both.

    ``assort`` maps a card's votes to its assorter value in ``[0, upper_bound]`` (e.g. SHANGRLA's
    plurality assorter: 1 for the winner, 0 for the loser, ½ otherwise). A pair whose CVR or MVR is
    ``None`` (no CVR for the card, or the card was not found) scores ``B = 0``, the worst case.
    """
    a = noerror_value(margin, upper_bound)
    values: list[float] = []
    for position, (cvr, mvr) in enumerate(pairs, start=1):
        if cvr is None or mvr is None:
            values.append(0.0)
            continue
        reported, audited = float(assort(cvr)), float(assort(mvr))
        for name, value in (("CVR", reported), ("paper", audited)):
            if not 0.0 <= value <= upper_bound:
                raise PapertallyError(
                    f"draw {position}: the {name} assorter value {value} is outside "
                    f"[0, {upper_bound:g}]"
                )
        values.append((1.0 - (reported - audited) / upper_bound) * a)
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class ClcaBetting:
    """Tuning of the adaptive CLCA bets (:func:`clca_bets`); the defaults suit most audits.

    The priors are the conventional planning rates of Colorado's and Arlo's "super-simple"
    audits (Lindeman & Stark 2012): one-vote overstatements in 1 card of 1,000, two-vote ones in
    1 of 10,000. They only steer the bets once a discrepancy has been seen: until then every bet
    is the largest the "one two-vote overstatement never ends the audit" rule allows.
    """

    o1_prior: float = 1e-3
    """Prior guess of the rate of (partial) overstatements ``0 < ω/u < 1``."""
    o2_prior: float = 1e-4
    """Prior guess of the rate of two-vote overstatements ``ω/u = 1`` (and phantoms)."""
    prior_weight: float = 10_000.0
    """How many draws the prior guesses count as when shrunk toward the observed rates.

    Heavy, so that at the planning rates the bets stay near the best fixed bet; at five times
    those rates it learns too slowly (1% margin: 14,132 cards at the 90% quantile, 10,040 with
    2,000; ``docs/audit-api.md``)."""
    o1_floor: float = 1e-5
    """The estimated one-vote rate is never taken below this (truncation)."""
    o2_floor: float = 1e-6
    """The estimated two-vote rate is never taken below this (truncation)."""
    min_factor: float = 0.02
    """Once a discrepancy has been seen: the smallest factor one two-vote overstatement may
    multiply the martingale by."""
    clean_min_factor: float = 0.004
    """While every draw so far agreed with its CVR: the same smallest factor ``f₀``, and the bet
    is exactly that cap, ``(1 − f₀)/μ_i``; at margins ``v/u`` above
    :attr:`clean_factor_margin` it shrinks in proportion, ``f₀·clean_factor_margin/(v/u)``."""
    clean_factor_margin: float = 0.01
    """The margin above which the clean cap's factor shrinks (see :attr:`clean_min_factor`)."""

    def clean_factor(self, margin: float | FloatArray) -> FloatArray:
        """Return ``f₀`` at the assorter margin ``v/u``: :attr:`clean_min_factor` up to
        :attr:`clean_factor_margin`, then shrinking as ``1/v``.

        A clean draw at the cap gains about ``(1 − f₀)`` of the most any bet can, so with no
        errors the sample is about ``1/(1 − f₀)`` times the floor; at large margins that floor
        is a few dozen cards and rounding up to whole cards already costs up to half a percent,
        so ``f₀`` shrinks there, where errors cost little anyway.
        """
        ratio = np.minimum(1.0, self.clean_factor_margin / np.maximum(margin, 1e-300))
        return np.asarray(self.clean_min_factor * ratio, dtype=np.float64)

    def __post_init__(self) -> None:
        """Reject settings that would make the bets meaningless."""
        rates = (self.o1_prior, self.o2_prior, self.o1_floor, self.o2_floor)
        if any(not 0.0 <= r < 1.0 for r in rates) or self.o1_prior + self.o2_prior >= 1.0:
            raise PapertallyError("prior and floor error rates must lie in [0, 1)")
        if self.prior_weight < 0:
            raise PapertallyError("the prior weight must not be negative")
        if not self.clean_factor_margin > 0:
            raise PapertallyError("the margin at which the clean cap shrinks must be positive")
        for factor in (self.min_factor, self.clean_min_factor):
            if not 0.0 < factor < 1.0:
                raise PapertallyError(
                    "the smallest factor of a two-vote overstatement must be in (0, 1)"
                )


DEFAULT_BETTING = ClcaBetting()


def _kelly_bets(
    p1: FloatArray, p2: FloatArray, mu: FloatArray, clean: float | FloatArray, cap: FloatArray
) -> FloatArray:
    """Return ``argmax_λ E log(1 + λ(X − μ))``, ``X ∈ {a, a/2, 0}`` w.p. ``(1−p1−p2, p1, p2)``.

    ``g'(λ) = Σ p_k d_k/(1 + λ d_k)`` with ``d_k = x_k − μ``; multiplying by ``Π(1 + λ d_k)``
    (positive for ``0 ≤ λ < 1/μ``) leaves the quadratic ``Pλ² + (S·m − q)λ + m = 0`` with
    ``S = Σ d_k``, ``P = Π d_k``, ``m = Σ p_k d_k`` and ``q = Σ p_k d_k²``, whose root in
    ``(0, 1/μ)`` is the Kelly bet (Spertus 2023, COBRA §3, solves the same problem numerically).
    The result is clipped to ``[0, cap]``; ``m ≤ 0`` (no edge) gives 0.
    """
    d0 = clean - mu
    d1 = 0.5 * clean - mu
    d2 = -mu
    p0 = 1.0 - p1 - p2
    m = p0 * d0 + p1 * d1 + p2 * d2
    q = p0 * d0 * d0 + p1 * d1 * d1 + p2 * d2 * d2
    s = d0 + d1 + d2
    quad = d0 * d1 * d2
    lin = s * m - q
    disc = np.sqrt(np.maximum(lin * lin - 4.0 * quad * m, 0.0))
    if disc.size and np.min(p2) > 0 and np.min(d0) > 0 and np.max(d1) < 0:
        # The usual case: P > 0 and the quadratic is positive at 0 and negative at 1/μ, so the
        # Kelly bet is its smaller root, 2m / (−(S·m − q) + √disc) in a cancellation-free form.
        with np.errstate(divide="ignore", invalid="ignore"):
            smaller = 2.0 * m / (disc - lin)
        clipped = np.minimum(np.maximum(smaller, 0.0), cap)
        return np.asarray(np.where(m > 0, clipped, 0.0), dtype=np.float64)
    half = -0.5 * (lin + np.copysign(disc, lin))
    with np.errstate(divide="ignore", invalid="ignore"):
        root_a = np.where(quad != 0.0, half / quad, np.inf)
        root_b = np.where(half != 0.0, m / half, np.inf)
    upper = np.where(mu > 0, 1.0 / np.where(mu > 0, mu, 1.0), np.inf)
    inside_a = (root_a > 0) & (root_a < upper)
    inside_b = (root_b > 0) & (root_b < upper)
    root = np.where(inside_a, root_a, np.where(inside_b, root_b, cap))
    return np.asarray(np.where(m > 0, np.clip(root, 0.0, cap), 0.0), dtype=np.float64)


def _estimated_rates(
    n1: FloatArray, n2: FloatArray, index: FloatArray, betting: ClcaBetting
) -> tuple[FloatArray, FloatArray]:
    """Return the truncated shrinkage estimates ``(p̂1, p̂2)`` before draw ``index`` (1-based)."""
    denominator = betting.prior_weight + index - 1.0
    if denominator.size == 0 or np.min(denominator) <= 0:
        denominator = np.where(denominator > 0, denominator, 1.0)
    p1 = np.maximum(betting.o1_floor, (betting.prior_weight * betting.o1_prior + n1) / denominator)
    p2 = np.maximum(betting.o2_floor, (betting.prior_weight * betting.o2_prior + n2) / denominator)
    total = p1 + p2
    if total.size and np.max(total) <= 0.999:  # nothing to rescale (the usual case)
        return np.asarray(p1, dtype=np.float64), np.asarray(p2, dtype=np.float64)
    scale = np.where(total > 0.999, 0.999 / np.where(total > 0, total, 1.0), 1.0)
    return p1 * scale, p2 * scale


def _bets_for_state(
    n1: FloatArray,
    n2: FloatArray,
    seen: FloatArray,
    index: FloatArray,
    mu: FloatArray,
    clean: float | FloatArray,
    betting: ClcaBetting,
) -> FloatArray:
    """Return the bet for draws with the given counts so far, draw numbers and null means.

    ``n1``, ``n2``: one- and two-vote overstatements before the draw; ``seen``: discrepancies
    of any kind before it (understatements included).
    """
    safe_mu = np.where(mu > 0, mu, 1.0)
    decided = (mu <= 0) | (mu > 2.0 * clean)
    factor = betting.clean_factor(2.0 - 1.0 / np.asarray(clean, dtype=np.float64))
    clean_cap = np.where(decided, 0.0, (1.0 - factor) / safe_mu)
    if not np.any(seen > 0):
        return np.asarray(clean_cap, dtype=np.float64)
    p1, p2 = _estimated_rates(n1, n2, index, betting)
    cap = np.where(mu > 0, (1.0 - betting.min_factor) / safe_mu, 0.0)
    bets = _kelly_bets(p1, p2, mu, clean, cap)
    bets = np.where(seen > 0, bets, clean_cap)
    return np.asarray(np.where(decided, 0.0, bets), dtype=np.float64)


def clca_bets(
    values: FloatArray,
    means: FloatArray,
    *,
    margin: float,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
) -> FloatArray:
    """Return the bet ``λ_i`` for each draw of a CLCA; ``λ_i`` uses only draws ``1 … i−1``.

    The rule (ours, after Spertus 2023 "COBRA: comparison-optimal betting for risk-limiting
    audits" and Waudby-Smith & Ramdas 2023 "Estimating means of bounded random variables by
    betting", aGRAPA/Kelly bets):

    1. While every draw so far agreed with its CVR, bet the most the cap allows,
       ``λ_i = (1 − f₀)/μ_i`` with ``f₀`` = :meth:`ClcaBetting.clean_factor` (0.4% up to a
       1% margin, shrinking as ``1/v`` above): with no
       errors that is the best bet there is (the martingale can grow by at most ``2a`` per
       draw, at ``λ = 1/μ``), and a first two-vote overstatement still leaves ``f₀`` of it.
    2. From the first discrepancy of any kind on, rates
       ``p̂_k = max(floor_k, (w·prior_k + n_k)/(w + i − 1))`` for ``k`` = one-vote (any
       ``0 < ω/u < 1``) and two-vote (``ω/u = 1``, phantoms) overstatements, where ``n_k``
       counts them among draws ``1 … i−1`` and ``w`` is :attr:`ClcaBetting.prior_weight`
       (truncated shrinkage of the prior guesses toward the observed rates); then the Kelly bet
       ``λ*`` maximising ``E log(1 + λ(X − μ_i))`` for ``X`` equal to the no-error value
       ``a = 1/(2 − v/u)``, ``a/2`` or 0 with probabilities ``1 − p̂1 − p̂2, p̂1, p̂2`` (closed
       form, :func:`_kelly_bets`), capped at ``(1 − f)/μ_i`` with ``f`` =
       :attr:`ClcaBetting.min_factor`. Understatements are not modelled in the rates: they only
       ever raise the martingale.

    Measured (``bench/bench_audit_efficiency.py``, α = 5%, N = 10⁶, margins 20% … 0.5%): with
    no errors the sample is the limit ``ln(1/α)/ln(2/(2 − v/u))`` rounded up to whole cards, or
    at most 1.004 times the limit; with one-vote overstatements in 1 of 1,000 cards and two-vote
    ones in 1 of 10,000 the mean is within 5% of the Kelly bet fixed at the true rates (1.001
    at 20%, 1.018 at 1%, 1.048 at 0.5%), no larger than Kaplan-Markov's (``γ = 1.03905``) at
    margins of 2% and more, but 13 ± 4 cards larger at 1% and 82 ± 13 at 0.5%: no rule that
    bets near the cap before the first error avoids that, because a two-vote overstatement
    then costs ``ln(1/f₀)`` (``docs/audit-api.md``, "How efficient and how fast").

    ``values`` are the ``B`` values in draw order and ``means`` their null means ``μ_i``; the
    result is a valid input for :func:`papertally.audit.martingale.betting_martingale`.
    """
    x = np.asarray(values, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    clean = noerror_value(margin, upper_bound)
    bets = np.empty(x.size)
    before = [0.0, 0.0, 0.0]
    for start in range(0, x.size, BET_BLOCK):
        part = slice(start, start + BET_BLOCK)
        bets[part], before = _block_bets(x[part], mu[part], start, before, clean, betting)
    return bets


def _block_bets(
    x: FloatArray,
    mu: FloatArray,
    start: int,
    before: list[float],
    clean: float,
    betting: ClcaBetting,
) -> tuple[FloatArray, list[float]]:
    """Return the bets of draws ``start + 1 …`` with values ``x`` and null means ``mu`` (one
    block of :func:`clca_bets`), given the one-vote, two-vote and any discrepancies ``before``
    the block, and those counts after it."""
    kappa = 1.0 - x / clean
    kinds = (
        (kappa > 1e-9) & (kappa < 1.0 - 1e-9),
        kappa >= 1.0 - 1e-9,
        np.abs(kappa) > 1e-9,
    )
    n1, n2, seen = (
        np.asarray(np.cumsum(kind, dtype=np.float64) - kind + count, dtype=np.float64)
        for kind, count in zip(kinds, before, strict=True)
    )
    after = [count + int(np.count_nonzero(kind)) for kind, count in zip(kinds, before, strict=True)]
    index = np.arange(start + 1, start + kappa.size + 1, dtype=np.float64)
    return _bets_for_state(n1, n2, seen, index, mu, clean, betting), after


BET_BLOCK = 12_000
"""Draws :func:`clca_bets` computes at once. Each of the two dozen temporary arrays of a block
(96 kB) stays in the processor's cache and under the C library's threshold for mapping fresh
memory pages; full-length temporaries of 100,000 draws cost a page fault every 4 kB (about 40%
of a risk measurement's time, measured with those faults switched off)."""


def clca_martingale(
    values: FloatArray,
    *,
    margin: float,
    population: int | None,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
) -> FloatArray:
    """Return the CLCA test supermartingale ``T_j`` after each draw of overstatement values ``B``.

    ``population`` is the number of cards ``N`` the sample was drawn from without replacement, or
    ``None`` for sampling with replacement. The null is "mean of ``B`` ≤ 1/2", i.e. the reported
    outcome is wrong (SHANGRLA §3.2); bets come from :func:`clca_bets`.
    """
    x = np.asarray(values, dtype=np.float64)
    clean = noerror_value(margin, upper_bound)
    mu0 = null_mean(population)
    if x.size < BET_BLOCK:
        mu = null_means(x, population=population, mu0=mu0)
        bets = clca_bets(x, mu, margin=margin, upper_bound=upper_bound, betting=betting)
        return betting_martingale(x, bets, population=population, mu0=mu0, upper_bound=2.0 * clean)
    # Long samples: the same numbers as above, one block of draws at a time, so that far fewer
    # full-length temporary arrays are made (see BET_BLOCK); tested equal.
    check_population(population, x.size)
    if x.min() < 0 or x.max() > 2.0 * clean:
        raise PapertallyError(f"assorter values must lie in [0, {2.0 * clean}]")
    drawn = np.cumsum(x)
    logs = np.empty(x.size)
    first_decided, impossible_first = x.size, False
    before = [0.0, 0.0, 0.0]
    for start in range(0, x.size, BET_BLOCK):
        part = slice(start, start + BET_BLOCK)
        xb = x[part]
        if population is None:
            left = np.ones(xb.size)
            raw_mu = np.full(xb.size, mu0)
        else:
            left = population - np.arange(start, start + xb.size, dtype=np.float64)
            drawn_before = drawn[max(start - 1, 0) : start - 1 + xb.size]
            if start == 0:
                drawn_before = np.concatenate(([0.0], drawn_before))
            raw_mu = (population * mu0 - drawn_before) / left
        bets, before = _block_bets(xb, raw_mu, start, before, clean, betting)
        mu, impossible, certain = decide_nulls(
            xb, raw_mu, left, population=population, upper_bound=2.0 * clean
        )
        decided = impossible | certain
        if first_decided == x.size and decided.any():
            at = int(np.argmax(decided))
            first_decided, impossible_first = start + at, bool(impossible[at])
        safe_mu = np.where(decided, mu0, mu)
        with np.errstate(divide="ignore"):
            logs[part] = np.log(np.maximum(1.0 + bets * (xb - safe_mu), 0.0))
    with np.errstate(over="ignore"):
        martingale = np.exp(np.cumsum(logs))
    martingale[first_decided:] = np.inf if impossible_first else 0.0
    return np.asarray(martingale, dtype=np.float64)


CELL_BLOCK = 500_000
"""Entries (margins × draws) :func:`clca_log_peaks` computes at once, to bound its memory."""


def clca_log_peaks(
    kappa: FloatArray,
    margins: FloatArray,
    *,
    population: int | None,
    betting: ClcaBetting = DEFAULT_BETTING,
) -> FloatArray:
    """Return ``ln max_j T_j`` of :func:`clca_martingale` for the same draws at many margins.

    ``kappa`` holds the overstatements ``ω/u`` of the draws in order (as from
    :func:`overstatements_from_codes`), ``margins`` the assorter margins ``v`` (each in
    ``(0, 2)``); the result, one value per margin (0 for no draws, ``inf`` where the null became
    impossible), is exactly what ``clca_martingale((1 − κ)/(2 − v), margin=v, …)`` gives, but
    computed for all margins at once (numpy, in blocks of :data:`CELL_BLOCK` entries): a hybrid
    audit measures its CVR stratum at every allocation of the null this way.
    """
    k = np.asarray(kappa, dtype=np.float64)
    v = np.asarray(margins, dtype=np.float64)
    out = np.zeros(v.size)
    n = k.size
    if n == 0 or v.size == 0:
        return out
    one = ((k > 1e-9) & (k < 1.0 - 1e-9)).astype(np.float64)
    two = (k >= 1.0 - 1e-9).astype(np.float64)
    other = (np.abs(k) > 1e-9).astype(np.float64)
    n1, n2, seen = (np.cumsum(c) - c for c in (one, two, other))
    index = np.arange(1, n + 1, dtype=np.float64)
    mu0 = null_mean(population)
    left = remaining_before(n, population)
    first_seen = int(np.argmax(seen > 0)) if np.any(seen > 0) else n
    block = max(1, CELL_BLOCK // n)
    for start in range(0, v.size, block):
        clean = (1.0 / (2.0 - v[start : start + block]))[:, None]
        x = (1.0 - k)[None, :] * clean
        if population is None:
            raw_mu = np.full(x.shape, mu0)
        else:
            before = np.cumsum(x, axis=1) - x
            raw_mu = (population * mu0 - before) / left[None, :]
        # Until the first discrepancy every bet is the clean cap: the Kelly bets are computed
        # only from there on (the same numbers, fewer of them).
        bets = np.empty(x.shape)
        bets[:, :first_seen] = _bets_for_state(
            n1[:first_seen],
            n2[:first_seen],
            seen[:first_seen],
            index[:first_seen],
            raw_mu[:, :first_seen],
            clean,
            betting,
        )
        bets[:, first_seen:] = _bets_for_state(
            n1[first_seen:],
            n2[first_seen:],
            seen[first_seen:],
            index[first_seen:],
            raw_mu[:, first_seen:],
            clean,
            betting,
        )
        mu, impossible, certain = decide_nulls(
            x, raw_mu, left[None, :], population=population, upper_bound=1.0
        )
        decided = impossible | certain
        safe_mu = np.where(decided, mu0, mu)
        with np.errstate(divide="ignore"):
            log_t = np.cumsum(np.log(np.maximum(1.0 + bets * (x - safe_mu), 0.0)), axis=1)
        ever = decided.any(axis=1)
        if ever.any():
            first = np.argmax(decided, axis=1)
            rows = np.flatnonzero(ever)
            cols = np.arange(n)[None, :]
            fill = np.where(impossible[rows, first[rows]], np.inf, -np.inf)[:, None]
            log_t[rows] = np.where(cols >= first[rows, None], fill, log_t[rows])
        out[start : start + block] = np.maximum(log_t.max(axis=1), 0.0)
    return out


def clca_risk(
    discrepancies: Sequence[str],
    *,
    margin: float,
    population: int | None,
    risk_limit: float,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
) -> RiskMeasurement:
    """Measure the risk of a card-level comparison audit from its discrepancies, in draw order.

    ``discrepancies``: one code per sampled card, ``0``, ``o1``, ``o2``, ``u1``, ``u2`` or
    ``phantom``; ``margin``: the reported assorter (diluted) margin ``v``, e.g. ``(W − L)/N`` for
    plurality; ``population``: the number of cards ``N`` (sampling without replacement) or
    ``None`` (with replacement). Returns the p-value after the last draw, its history, and the
    first draw at which it fell to ``risk_limit`` (Stark 2020, SHANGRLA; bets of
    :func:`clca_bets`).
    """
    check_risk_limit(risk_limit)
    x = clca_assorter_values(discrepancies, margin=margin, upper_bound=upper_bound)
    check_population(population, x.size)
    martingale = clca_martingale(
        x, margin=margin, population=population, upper_bound=upper_bound, betting=betting
    )
    return measure_risk(martingale, risk_limit)


def clca_risk_from_values(
    values: FloatArray,
    *,
    margin: float,
    population: int | None,
    risk_limit: float,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
) -> RiskMeasurement:
    """Measure the risk from overstatement assorter values ``B`` (e.g. from
    :func:`clca_assorter_values_from_pairs`), in draw order; otherwise as :func:`clca_risk`."""
    check_risk_limit(risk_limit)
    x = np.asarray(values, dtype=np.float64)
    check_population(population, x.size)
    martingale = clca_martingale(
        x, margin=margin, population=population, upper_bound=upper_bound, betting=betting
    )
    return measure_risk(martingale, risk_limit)


def check_population(population: int | None, drawn: int = 0) -> None:
    """Raise a :class:`PapertallyError` unless ``population`` is ``None`` or a positive count
    at least as large as the number of cards drawn without replacement."""
    if population is None:
        return
    if population <= 0:
        raise PapertallyError(f"the number of ballot cards must be positive, got {population}")
    if drawn > population:
        raise PapertallyError(
            f"{drawn} cards were drawn without replacement from only {population}; check the "
            "number of ballot cards"
        )


def clca_limit_sample_size(margin: float, *, risk_limit: float, upper_bound: float = 1.0) -> float:
    """Return ``ln(1/α) / ln(2/(2 − v/u))``, the fewest clean draws any CLCA test can stop after.

    Each draw of a correct card can at most multiply a test supermartingale by ``2/(2 − v/u)``
    (betting everything, ``λ = 1/μ``), so no valid test stops sooner with no errors. Not an
    integer: the benchmark compares sample sizes with it.
    """
    check_risk_limit(risk_limit)
    clean = noerror_value(margin, upper_bound)
    return math.log(1.0 / risk_limit) / math.log(2.0 * clean)


@dataclass(frozen=True)
class ErrorRates:
    """Expected discrepancy rates per audited card, for sample sizes (Lindeman & Stark 2012)."""

    o1: float = 0.0
    """One-vote overstatements (for general assorters: any ``0 < ω/u < 1``)."""
    o2: float = 0.0
    """Two-vote overstatements, phantoms and cards not found."""
    u1: float = 0.0
    """One-vote understatements."""
    u2: float = 0.0
    """Two-vote understatements."""

    def __post_init__(self) -> None:
        """Reject negative rates and rates that add up to more than 1."""
        rates = (self.o1, self.o2, self.u1, self.u2)
        if any(not (math.isfinite(r) and r >= 0.0) for r in rates):
            raise PapertallyError(f"error rates must be non-negative numbers, got {rates}")
        if sum(rates) > 1.0:
            raise PapertallyError(f"error rates add up to more than 1: {rates}")

    @property
    def total(self) -> float:
        """The rate of cards with any discrepancy."""
        return self.o1 + self.o2 + self.u1 + self.u2

    def with_phantoms(self, phantoms: int, population: int | None) -> ErrorRates:
        """Return these rates plus ``phantoms/N`` two-vote overstatements.

        Cards in the manifest without a CVR are known before the audit; each draw finds one
        with chance ``phantoms/N`` and it scores as a two-vote overstatement (worst case).
        """
        if phantoms == 0:
            return self
        if population is None or not 0 < phantoms <= population:
            raise PapertallyError(
                f"{phantoms} phantom cards need a population of at least that many cards"
            )
        return ErrorRates(o1=self.o1, o2=self.o2 + phantoms / population, u1=self.u1, u2=self.u2)


NO_ERRORS = ErrorRates()
_EVENT_KAPPA = np.array([0.5, 1.0, -0.5, -1.0])
"""``ω/u`` of the four discrepancy kinds, in the order o1, o2, u1, u2."""


@dataclass(frozen=True)
class _AuditState:
    """Where a CLCA stands: draws made, overstatement counts, discrepancies of any kind, sum of
    ``ω/u``, log martingale."""

    drawn: int = 0
    n1: int = 0
    n2: int = 0
    seen: int = 0
    kappa_sum: float = 0.0
    log_martingale: float = 0.0


class _PathTable:
    """Log martingale increments of runs of clean draws, one row per count state.

    Between discrepancies the bets and null means depend only on the draw number and on the
    counts so far (ALPHA's null mean depends on the sum of the draws, which is fixed by the
    counts), so a simulated audit is a few table look-ups per discrepancy instead of one
    computation per draw. The row of count state ``s`` holds the running sums
    ``G_s(j) = Σ_{i ≤ j} log(1 + λ_i(a − μ_i))`` over the next ``horizon`` draws (a state
    with ``k`` events is only reached after the ``k``-th event, so rows start there).
    """

    def __init__(
        self,
        start: _AuditState,
        *,
        clean: float,
        population: int | None,
        horizon: int,
        betting: ClcaBetting,
    ) -> None:
        self.start = start
        self.clean = clean
        self.population = population
        self.horizon = horizon
        self.betting = betting
        self.index = np.arange(start.drawn + 1, start.drawn + horizon + 1, dtype=np.float64)

    def means(self, index: FloatArray, counts: NDArray[np.int64]) -> FloatArray:
        """Return the null means ``μ_i`` of draws ``index`` given the event counts before them."""
        if self.population is None:
            return np.full(index.shape, 0.5)
        kappa = self.start.kappa_sum + counts @ _EVENT_KAPPA
        drawn_sum = (index - 1.0 - kappa) * self.clean
        return np.asarray(
            (null_mean(self.population) * self.population - drawn_sum)
            / (self.population - index + 1.0),
            dtype=np.float64,
        )

    def bets(self, index: FloatArray, counts: NDArray[np.int64], mu: FloatArray) -> FloatArray:
        """Return the bets of draws ``index`` given the event counts before them."""
        n1 = self.start.n1 + counts[..., 0].astype(np.float64)
        n2 = self.start.n2 + counts[..., 1].astype(np.float64)
        seen = self.start.seen + counts.sum(axis=-1).astype(np.float64)
        return _bets_for_state(n1, n2, seen, index, mu, self.clean, self.betting)

    def log_factors(
        self, index: FloatArray, counts: NDArray[np.int64], kappa: FloatArray
    ) -> FloatArray:
        """Return ``log(1 + λ_i(x_i − μ_i))`` for draws with overstatement ``κ = ω/u``."""
        mu = self.means(index, counts)
        lam = self.bets(index, counts, mu)
        x = (1.0 - kappa) * self.clean
        with np.errstate(divide="ignore"):
            out = np.log(np.maximum(1.0 + lam * (x - mu), 0.0))
        out = np.where(mu <= 0, 1e6, out)
        return np.asarray(np.where(mu > 2.0 * self.clean, -1e6, out), dtype=np.float64)

    def row(self, counts: NDArray[np.int64], begin: int = 0, end: int | None = None) -> FloatArray:
        """Return ``G_s(j) − G_s(begin)`` for ``j = 0 … horizon`` (0 for ``j ≤ begin``), for the
        count state ``counts`` (events of each kind so far), computed up to ``j = end`` (default
        ``horizon``) and flat after it."""
        stop = self.horizon if end is None else max(begin, min(end, self.horizon))
        index = self.index[begin:stop]
        mu = self.means(index, counts)
        clean = self.clean
        if index.size == 0 or mu.min() <= 0 or mu.max() > 2.0 * clean:
            steps = self.log_factors(index, counts.astype(np.int64), np.zeros(index.size))
        else:
            # No null decided along the run: the bets of _bets_for_state for one count state,
            # without its masks (the same numbers, fewer passes over the row).
            if self.start.seen + int(counts.sum()) == 0:
                lam = (1.0 - self.betting.clean_factor(2.0 - 1.0 / np.asarray(clean))) / mu
            else:
                p1, p2 = _estimated_rates(
                    np.asarray(self.start.n1 + counts[0], dtype=np.float64),
                    np.asarray(self.start.n2 + counts[1], dtype=np.float64),
                    index,
                    self.betting,
                )
                lam = _kelly_bets(p1, p2, mu, clean, (1.0 - self.betting.min_factor) / mu)
            with np.errstate(divide="ignore"):
                steps = np.log(np.maximum(1.0 + lam * (clean - mu), 0.0))
        out = np.zeros(self.horizon + 1)
        out[begin + 1 : stop + 1] = np.cumsum(np.maximum(steps, 0.0))
        out[stop + 1 :] = out[stop]
        return out


def _simulated_events(
    rates: ErrorRates, *, horizon: int, trials: int, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return ``(positions, kinds)`` of discrepancies in ``trials`` simulated samples.

    Each draw independently has discrepancy o1, o2, u1, u2 (kinds 0–3) with the given rates:
    gaps between discrepancies are geometric. Row ``r`` lists trial ``r``'s discrepancies in
    order, 1-based draw numbers, with enough columns that every row passes ``horizon``.
    """
    rng = np.random.default_rng(seed)
    total = min(rates.total, 1.0)
    expected = total * horizon
    max_events = math.ceil(expected + 8.0 * math.sqrt(expected) + 12.0)
    positions = np.cumsum(rng.geometric(total, size=(trials, max_events)), axis=1)
    while positions[:, -1].min() <= horizon:
        more = np.cumsum(rng.geometric(total, size=(trials, max_events)), axis=1)
        positions = np.concatenate((positions, positions[:, -1:] + more), axis=1)
    probabilities = np.array([rates.o1, rates.o2, rates.u1, rates.u2]) / rates.total
    kinds = rng.choice(4, size=positions.shape, p=probabilities)
    return positions.astype(np.int64), kinds.astype(np.int64)


def _stopping_times(
    start: _AuditState,
    positions: NDArray[np.int64],
    kinds: NDArray[np.int64],
    *,
    clean: float,
    population: int | None,
    threshold: float,
    horizon: int,
    betting: ClcaBetting,
) -> NDArray[np.int64]:
    """Return how many more draws each simulated audit needs (``horizon + 1`` if more).

    Row ``r`` of ``positions``/``kinds`` gives trial ``r``'s discrepancies (1-based draw numbers
    after ``start``, kinds 0–3 = o1, o2, u1, u2); all other draws are clean. For sampling without
    replacement the null means are exact for each sequence. Vectorised over trials and computed
    discrepancy by discrepancy with :class:`_PathTable`: the result equals the first draw at
    which :func:`clca_martingale` of the same sequence reaches ``exp(threshold)``.
    """
    table = _PathTable(start, clean=clean, population=population, horizon=horizon, betting=betting)
    never = horizon + 1
    target = threshold - start.log_martingale
    trials = positions.shape[0]
    stops = np.full(trials, never, dtype=np.int64)
    n_events = positions.shape[1]
    after = np.zeros((trials, n_events + 1, 4), dtype=np.int64)
    for kind in range(4):
        after[:, 1:, kind] = np.cumsum(kinds == kind, axis=1)
    radix = n_events + 1
    codes = ((after[..., 3] * radix + after[..., 2]) * radix + after[..., 1]) * radix + after[
        ..., 0
    ]
    base = np.zeros(trials)
    previous = np.zeros(trials, dtype=np.int64)
    active = np.ones(trials, dtype=bool)
    for k in range(n_events + 1):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        state = after[rows, k]
        nxt = np.minimum(positions[rows, k], never) if k < n_events else np.full(rows.size, never)
        keys, first_of, inverse = np.unique(codes[rows, k], return_index=True, return_inverse=True)
        segment_gain = np.empty(rows.size)
        found = np.full(rows.size, never, dtype=np.int64)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(keys.size + 1))
        for s in range(keys.size):
            members = order[bounds[s] : bounds[s + 1]]
            since = previous[rows[members]]
            until = nxt[members] - 1
            row = table.row(state[first_of[s]], int(since.min()), int(until.max()))
            offset = row[since]
            crossing = np.searchsorted(row, target - base[rows[members]] + offset, side="left")
            found[members] = np.where(crossing < nxt[members], crossing, never)
            segment_gain[members] = row[np.minimum(until, horizon)] - offset
        stopped = found < never
        stops[rows[stopped]] = found[stopped]
        going = ~stopped & (nxt <= horizon)
        active[rows[~going]] = False
        moving = rows[going]
        if moving.size == 0:
            break
        at: NDArray[np.int64] = nxt[going]
        step = table.log_factors(
            (start.drawn + at).astype(np.float64), state[going], _EVENT_KAPPA[kinds[moving, k]]
        )
        base[moving] += segment_gain[going] + step
        previous[moving] = at
        hit = base[moving] >= target
        stops[moving[hit]] = at[hit]
        active[moving[hit]] = False
    return stops


def _expected_growth(clean: float, rates: ErrorRates, betting: ClcaBetting) -> float:
    """Return ``E log(1 + λ(X − ½))`` per draw for the Kelly bet at the true ``rates`` (capped).

    Only used to pick how far ahead to simulate: ``ln(1/α)`` over it approximates the mean
    sample size of the best possible test (Spertus 2023, COBRA §3).
    """
    p1 = np.array([rates.o1 + 1e-12])
    p2 = np.array([rates.o2 + 1e-12])
    mu = np.array([0.5])
    cap = np.array([2.0 * (1.0 - betting.min_factor)])
    lam = float(_kelly_bets(p1, p2, mu, clean, cap)[0])
    values = clean * (1.0 - _EVENT_KAPPA)
    probabilities = np.array([rates.o1, rates.o2, rates.u1, rates.u2])
    with np.errstate(divide="ignore"):
        logs = np.log(np.maximum(1.0 + lam * (values - 0.5), 0.0))
    used = probabilities > 0
    event_part = float(np.dot(probabilities[used], logs[used]))
    return (1.0 - rates.total) * math.log1p(lam * (clean - 0.5)) + event_part


def _simulated_sizes(
    start: _AuditState,
    *,
    margin: float,
    risk_limit: float,
    population: int | None,
    rates: ErrorRates,
    resolve: float,
    upper_bound: float,
    betting: ClcaBetting,
    trials: int,
    seed: int,
) -> NDArray[np.int64]:
    """Return the sorted numbers of further draws of simulated audits from ``start``.

    The simulation looks ahead far enough that a share ``resolve`` of the trials has stopped
    (doubling its horizon as needed); trials still running at the full hand count (``N`` minus
    the cards drawn) count as the full hand count, and trials still running further ahead than
    was needed get the horizon plus one. One trial suffices without errors: the path is fixed.
    """
    check_risk_limit(risk_limit)
    if trials < 1:
        raise PapertallyError("at least one simulated trial is needed")
    clean = noerror_value(margin, upper_bound)
    threshold = math.log(1.0 / risk_limit)
    trials = trials if rates.total > 0.0 else 1
    if start.log_martingale >= threshold:
        return np.zeros(trials, dtype=np.int64)
    remaining = None if population is None else population - start.drawn
    if remaining is not None and remaining <= 0:
        return np.zeros(trials, dtype=np.int64)
    cap = remaining if remaining is not None else MAX_UNBOUNDED_SAMPLE
    growth = _expected_growth(clean, rates, betting)
    if growth <= 0.0:
        if remaining is None:
            raise PapertallyError(
                f"with these error rates a comparison audit of margin {margin} is expected "
                "never to finish; audit without replacement or count by hand"
            )
        return np.full(trials, remaining, dtype=np.int64)
    horizon = math.ceil((3.0 if rates.total > 0 else 1.1) * threshold / growth) + 20
    while True:
        horizon = min(horizon, cap)
        if rates.total > 0.0:
            positions, kinds = _simulated_events(rates, horizon=horizon, trials=trials, seed=seed)
        else:
            positions = np.zeros((1, 0), dtype=np.int64)
            kinds = np.zeros((1, 0), dtype=np.int64)
        stops = np.sort(
            _stopping_times(
                start,
                positions,
                kinds,
                clean=clean,
                population=population,
                threshold=threshold,
                horizon=horizon,
                betting=betting,
            )
        )
        resolved = int(np.searchsorted(stops, horizon, side="right"))
        if resolved >= math.ceil(resolve * trials):
            return stops
        if horizon >= cap:
            if remaining is None:
                raise PapertallyError(
                    f"a comparison audit with margin {margin} would need more than {cap} "
                    "draws with replacement; audit without replacement or count by hand"
                )
            return np.minimum(stops, remaining)
        horizon *= 2


def _sample_size_from(
    start: _AuditState,
    *,
    margin: float,
    risk_limit: float,
    population: int | None,
    rates: ErrorRates,
    probability: float,
    upper_bound: float,
    betting: ClcaBetting,
    trials: int,
    seed: int,
) -> int:
    """Return how many more draws finish the audit from ``start`` with chance ``probability``."""
    if not 0.0 < probability < 1.0:
        raise PapertallyError(f"the probability must lie in (0, 1), got {probability}")
    stops = _simulated_sizes(
        start,
        margin=margin,
        risk_limit=risk_limit,
        population=population,
        rates=rates,
        resolve=probability,
        upper_bound=upper_bound,
        betting=betting,
        trials=trials,
        seed=seed,
    )
    return int(stops[min(stops.size - 1, math.ceil(probability * stops.size) - 1)])


def clca_sample_size(
    margin: float,
    *,
    risk_limit: float,
    population: int | None,
    error_rates: ErrorRates = NO_ERRORS,
    probability: float = 0.9,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
    trials: int = 1000,
    seed: int = 20_201_103,
    phantoms: int = 0,
) -> int:
    """Return the number of cards a CLCA needs to finish with chance ``probability``.

    With no expected errors the martingale's path is fixed, so the size is exact: the first draw
    at which ``1/T`` reaches ``risk_limit`` (:func:`clca_limit_sample_size` rounded up to whole
    cards, or at most 1.004 times it, at α = 5% and margins 0.5–20%).
    With ``error_rates`` (per card) it is the ``probability``-quantile of ``trials`` simulated
    audits (numpy, fixed ``seed``, discrepancies arriving independently at those rates). Capped
    at ``population`` (the full hand count) when sampling without replacement. ``phantoms``:
    cards in the manifest without a CVR, planned as two-vote overstatements
    (:meth:`ErrorRates.with_phantoms`).
    """
    check_population(population)
    return _sample_size_from(
        _AuditState(),
        margin=margin,
        risk_limit=risk_limit,
        population=population,
        rates=error_rates.with_phantoms(phantoms, population),
        probability=probability,
        upper_bound=upper_bound,
        betting=betting,
        trials=trials,
        seed=seed,
    )


def clca_sample_size_distribution(
    margin: float,
    *,
    risk_limit: float,
    population: int | None,
    error_rates: ErrorRates = NO_ERRORS,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
    trials: int = 1000,
    seed: int = 20_201_103,
    phantoms: int = 0,
) -> NDArray[np.int64]:
    """Return the sorted sample sizes of ``trials`` simulated CLCAs (one value if no errors).

    The same simulation as :func:`clca_sample_size` (which returns a quantile of these), for
    means and percentiles in plans and benchmarks. Audits that would go on past the population
    count as the full hand count ``N``; ``phantoms`` as in :func:`clca_sample_size`.
    """
    check_population(population)
    return _simulated_sizes(
        _AuditState(),
        margin=margin,
        risk_limit=risk_limit,
        population=population,
        rates=error_rates.with_phantoms(phantoms, population),
        resolve=1.0,
        upper_bound=upper_bound,
        betting=betting,
        trials=trials,
        seed=seed,
    )


def clca_next_round_size(
    discrepancies: Sequence[str],
    *,
    margin: float,
    risk_limit: float,
    population: int | None,
    error_rates: ErrorRates | None = None,
    probability: float = 0.9,
    upper_bound: float = 1.0,
    betting: ClcaBetting = DEFAULT_BETTING,
    trials: int = 1000,
    seed: int = 20_201_103,
) -> int:
    """Return how many MORE cards to draw after rounds that did not finish (0 if already done).

    ``discrepancies`` are all codes seen so far in draw order. Future discrepancies are simulated
    at ``error_rates``; when ``None``, at the rates observed so far (Lindeman & Stark 2012 extend
    the sample the same way). Same simulation as :func:`clca_sample_size`, started from the
    current martingale value.
    """
    kappa = overstatements_from_codes(discrepancies)
    check_population(population, kappa.size)
    x = (1.0 - kappa) * noerror_value(margin, upper_bound)
    martingale = clca_martingale(
        x, margin=margin, population=population, upper_bound=upper_bound, betting=betting
    )
    peak = float(np.max(martingale)) if martingale.size else 1.0
    if peak >= 1.0 / risk_limit:
        return 0
    last = float(martingale[-1]) if martingale.size else 1.0
    if last <= 0.0:
        if population is None:
            raise PapertallyError(
                "the sample already shows the reported outcome cannot be confirmed; count by hand"
            )
        return population - int(kappa.size)
    if error_rates is None:
        n = max(kappa.size, 1)
        error_rates = ErrorRates(
            o1=float(np.sum((kappa > 0) & (kappa < 1))) / n,
            o2=float(np.sum(kappa >= 1)) / n,
            u1=float(np.sum((kappa < 0) & (kappa > -1))) / n,
            u2=float(np.sum(kappa <= -1)) / n,
        )
    start = _AuditState(
        drawn=int(kappa.size),
        n1=int(np.sum((kappa > 0) & (kappa < 1))),
        n2=int(np.sum(kappa >= 1)),
        seen=int(np.sum(kappa != 0)),
        kappa_sum=float(np.sum(kappa)),
        log_martingale=math.log(last),
    )
    return _sample_size_from(
        start,
        margin=margin,
        risk_limit=risk_limit,
        population=population,
        rates=error_rates,
        probability=probability,
        upper_bound=upper_bound,
        betting=betting,
        trials=trials,
        seed=seed,
    )
