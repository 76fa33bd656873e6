"""Auditing an IRV outcome: each RAIRE assertion's assorter, tested by CLCA or ALPHA.

Blom, Stuckey, Teague, Stark et al. (2020), "Assertion-based approaches to auditing complex
elections, with application to party-list proportional elections" and SHANGRLA (Stark 2020,
§2.5) give each RAIRE assertion an assorter ``A(b) = (1 + w(b) − l(b)) / 2`` with upper bound 1:

* NEB(w, l): ``w(b) = 1`` when ``w`` is the ballot's first preference, ``l(b) = 1`` when the
  ballot ranks ``l`` above ``w`` (or ``l`` and not ``w``);
* NEN(w, l | S): ``w(b) = 1`` when ``w`` is the ballot's highest-ranked candidate of ``S``,
  ``l(b) = 1`` when ``l`` is.

So a card scores 1, 0 or ½; the assorter's mean over all cards exceeds ½ exactly when the
assertion holds, and its margin ``2·mean − 1`` is the assertion's margin over the cards ``N``
(the inverse of its comparison difficulty). In a comparison audit a card listed without a CVR
counts ½ in that margin and, when drawn, scores ``B = 0`` whatever its paper shows (the
smallest value, so the test stays conservative; Bañuelos & Stark 2012); in a polling audit a
card not found scores 0. Each assertion is then audited by the existing machinery: CLCA
betting (:mod:`papertally.audit.comparison`) on the overstatement ``A(CVR) − A(paper)``, or
ALPHA (:mod:`papertally.audit.polling`) on the paper's values. The IRV outcome is confirmed
when every assertion is; its risk is the largest assertion risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from papertally.audit.assertions import Assertion, AssorterPopulation
from papertally.audit.comparison import (
    NO_ERRORS,
    PHANTOM_CODE,
    ErrorRates,
    clca_assorter_values_from_pairs,
    clca_next_round_size,
    clca_risk_from_values,
    clca_sample_size,
)
from papertally.audit.irv.ballots import RankedBallots, Ranking
from papertally.audit.irv.raire import IrvAssertion, RaireResult, ScoredAssertion
from papertally.audit.martingale import RiskMeasurement, check_risk_limit
from papertally.audit.polling import alpha_risk, alpha_sample_size, alpha_settings
from papertally.errors import PapertallyError
from papertally.types import ContestName

CardRanking = Ranking | None
"""One card's preference list in the contest (empty: blank or exhausted), ``None`` for a card
not found or without a CVR (scored as the worst case)."""


def assort(assertion: IrvAssertion, ranking: CardRanking) -> float:
    """Return the assorter value of one card: 1, 0 or ½ (0 for ``None``, a missing card)."""
    if ranking is None:
        return 0.0
    if assertion.kind == "NEB":
        if ranking and ranking[0] == assertion.winner:
            return 1.0
        for c in ranking:
            if c == assertion.winner:
                break
            if c == assertion.loser:
                return 0.0
        return 0.5
    for c in ranking:
        if c in assertion.continuing:
            return 1.0 if c == assertion.winner else 0.0 if c == assertion.loser else 0.5
    return 0.5


def assorter_population(
    assertion: IrvAssertion, ballots: RankedBallots, *, cards: int | None = None
) -> AssorterPopulation:
    """Return the assorter values of all cards as the CVRs report them.

    ``cards`` (default: the ballots) counts every card that may be drawn; those beyond the
    ballots (no CVR) score 0, the worst case.
    """
    total = ballots.total if cards is None else int(cards)
    if total < ballots.total:
        raise PapertallyError(f"{total} cards cannot hold the {ballots.total} ballots")
    weights = np.asarray(ballots.counts, dtype=np.int64)
    values = np.fromiter((assort(assertion, r) for r in ballots.rankings), dtype=np.float64)
    ones = int(weights[values == 1.0].sum())
    zeros = int(weights[values == 0.0].sum()) + total - ballots.total
    return AssorterPopulation(values=(1.0, 0.0, 0.5), counts=(ones, zeros, total - ones - zeros))


def shangrla_assertion(
    scored: ScoredAssertion,
    ballots: RankedBallots,
    *,
    cards: int | None = None,
    contest: ContestName = "contest",
) -> Assertion:
    """Return the assertion as the generic SHANGRLA :class:`Assertion` ALPHA plans and measures
    (winner and loser named; the population of reported assorter values)."""
    population = assorter_population(scored.assertion, ballots, cards=cards)
    a = scored.assertion
    return Assertion(
        contest=contest,
        winner=ballots.candidates[a.winner],
        loser=ballots.candidates[a.loser],
        share=None,
        upper_bound=1.0,
        reported_mean=population.mean,
        population=population,
    )


@dataclass(frozen=True)
class AssertionRisk:
    """One assertion's measured risk."""

    assertion: ScoredAssertion
    diluted_margin: float
    """The assorter margin ``2·mean − 1`` over all cards, as reported."""
    measurement: RiskMeasurement


@dataclass(frozen=True)
class IrvRisk:
    """The risk of an IRV outcome: every assertion's, and the largest."""

    assertions: tuple[AssertionRisk, ...]
    risk_limit: float

    @property
    def risk(self) -> float:
        """The largest assertion risk (1 with no draws)."""
        return max((a.measurement.p_value for a in self.assertions), default=1.0)

    @property
    def confirmed(self) -> bool:
        """Whether every assertion's risk fell to the limit."""
        return all(a.measurement.stop for a in self.assertions)


def _check_result(result: RaireResult, ballots: RankedBallots) -> None:
    if result.candidates != ballots.candidates:
        raise PapertallyError("the assertions were chosen for other candidates than the ballots")
    if not result.assertions:
        raise PapertallyError("no assertions to audit: the reported winner cannot be confirmed")


def comparison_risk(
    result: RaireResult,
    ballots: RankedBallots,
    cvrs: Sequence[CardRanking],
    papers: Sequence[CardRanking],
    *,
    risk_limit: float,
    with_replacement: bool = False,
) -> IrvRisk:
    """Measure a card-level comparison audit of every assertion (CLCA betting, SHANGRLA §3.2).

    ``cvrs[i]`` and ``papers[i]`` are the ``i``-th drawn card's CVR and the auditors' reading,
    as preference lists under the contest's rules (``None``: no CVR / card not found).
    ``ballots`` are the CVRs of all cards, over which ``result`` was chosen; the audit draws
    from ``result.ballots`` cards.
    """
    check_risk_limit(risk_limit)
    _check_result(result, ballots)
    if len(cvrs) != len(papers):
        raise PapertallyError(f"{len(cvrs)} CVRs but {len(papers)} paper readings were given")
    population = None if with_replacement else result.ballots
    out = []
    for scored in result.assertions:
        a = scored.assertion
        margin = scored.margin / result.ballots
        values = clca_assorter_values_from_pairs(
            zip(cvrs, papers, strict=True),
            partial(assort, a),
            margin=margin,
        )
        measured = clca_risk_from_values(
            values, margin=margin, population=population, risk_limit=risk_limit
        )
        out.append(AssertionRisk(scored, margin, measured))
    return IrvRisk(tuple(out), risk_limit)


def polling_risk(
    result: RaireResult,
    ballots: RankedBallots,
    papers: Sequence[CardRanking],
    *,
    risk_limit: float,
    with_replacement: bool = False,
) -> IrvRisk:
    """Measure a ballot-polling audit of every assertion (ALPHA, Stark 2023) from the drawn
    cards' readings (``None``: a card not found)."""
    check_risk_limit(risk_limit)
    _check_result(result, ballots)
    population = None if with_replacement else result.ballots
    out = []
    for scored in result.assertions:
        generic = shangrla_assertion(scored, ballots, cards=result.ballots)
        x = np.fromiter((assort(scored.assertion, p) for p in papers), dtype=np.float64)
        measured = alpha_risk(
            x, alpha_settings(generic, risk_limit), population=population, risk_limit=risk_limit
        )
        out.append(AssertionRisk(scored, generic.margin, measured))
    return IrvRisk(tuple(out), risk_limit)


def sample_sizes(
    result: RaireResult,
    ballots: RankedBallots,
    *,
    risk_limit: float,
    polling: bool = False,
    error_rates: ErrorRates = NO_ERRORS,
) -> dict[IrvAssertion, int]:
    """Return the cards each assertion needs if the reported results are right: CLCA (with
    ``error_rates`` per card expected and cards without CVR as two-vote overstatements, 90%
    chance to finish) or ALPHA (90%); the audit needs the largest."""
    check_risk_limit(risk_limit)
    _check_result(result, ballots)
    sizes: dict[IrvAssertion, int] = {}
    for scored in result.assertions:
        generic = shangrla_assertion(scored, ballots, cards=result.ballots)
        if polling:
            sizes[scored.assertion] = alpha_sample_size(generic, risk_limit)
        else:
            sizes[scored.assertion] = clca_sample_size(
                scored.margin / result.ballots,
                risk_limit=risk_limit,
                population=result.ballots,
                error_rates=error_rates,
                phantoms=result.ballots - ballots.total,
            )
    return sizes


_CODES = {0.0: "0", 0.5: "o1", 1.0: "o2", -0.5: "u1", -1.0: "u2"}


def discrepancy_codes(
    assertion: IrvAssertion, cvrs: Sequence[CardRanking], papers: Sequence[CardRanking]
) -> list[str]:
    """Return each drawn card's discrepancy code for one assertion: the overstatement
    ``A(CVR) − A(paper)`` is 0, ±½ or ±1 (``0``, ``o1``/``u1``, ``o2``/``u2``), ``phantom`` for a
    card with no CVR or not found (Lindeman & Stark 2012's codes, ``u = 1``)."""
    return [
        PHANTOM_CODE
        if cvr is None or paper is None
        else _CODES[assort(assertion, cvr) - assort(assertion, paper)]
        for cvr, paper in zip(cvrs, papers, strict=True)
    ]


def comparison_next_round_size(
    result: RaireResult,
    ballots: RankedBallots,
    cvrs: Sequence[CardRanking],
    papers: Sequence[CardRanking],
    *,
    risk_limit: float,
) -> int:
    """Return how many more cards to draw so that every assertion not yet confirmed finishes
    with chance 90% (CLCA, discrepancies so far as the expected rates); 0 when all are."""
    measured = comparison_risk(result, ballots, cvrs, papers, risk_limit=risk_limit)
    more = 0
    for risk in measured.assertions:
        if risk.measurement.stop:
            continue
        codes = discrepancy_codes(risk.assertion.assertion, cvrs, papers)
        more = max(
            more,
            clca_next_round_size(
                codes,
                margin=risk.diluted_margin,
                risk_limit=risk_limit,
                population=result.ballots,
            ),
        )
    return more
