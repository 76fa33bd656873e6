"""Audit rounds: the state of every contest and assertion after each round, and what comes next.

A ballot-polling audit proceeds in rounds (Lindeman & Stark 2012, "A gentle introduction to
risk-limiting audits"; SHANGRLA, Stark 2020 §5): draw a sample, read the cards, measure the risk of
each assertion. A contest is confirmed when every one of its assertions is; otherwise the sample is
extended by the size that would finish with the chosen probability if the reported results were
right, and when that reaches every card the audit ends in a full hand count, whose result stands.
Several contests can share one sample (one card shows several contests); each has its own risk
limit, and each keeps its confirmed status once reached. Pure code: sample in, state out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from papertally.audit.assertions import (
    NO_VOTE,
    Assertion,
    CardReading,
    check_sample_choices,
    plurality_assertions,
)
from papertally.audit.martingale import check_risk_limit
from papertally.audit.polling import (
    PollingState,
    alpha_martingale,
    alpha_sample_size,
    alpha_settings,
)
from papertally.errors import PapertallyError
from papertally.types import ChoiceName, ContestName

Card = Mapping[ContestName, CardReading]
"""What the auditors read on one sampled card, per contest on it: the choice or choices marked
(vote for ``k``), no vote, or a phantom (:data:`~papertally.audit.assertions.CardReading`)."""


@dataclass(frozen=True)
class ContestUnderAudit:
    """One contest to audit: its assertions, its risk limit and its candidates."""

    name: ContestName
    risk_limit: float
    assertions: tuple[Assertion, ...]
    candidates: tuple[ChoiceName, ...]

    @classmethod
    def plurality(
        cls,
        name: ContestName,
        votes: Mapping[ChoiceName, int],
        risk_limit: float,
        *,
        winners: int = 1,
        ballots: int | None = None,
        phantoms: int = 0,
        votes_allowed: int | None = None,
    ) -> ContestUnderAudit:
        """Build a plurality (or vote-for-``k``) contest from its reported votes.

        ``votes_allowed`` (default ``winners``) is how many choices a card may mark; each card is
        scored from its own marks (:func:`~papertally.audit.assertions.score_card`).
        """
        check_risk_limit(risk_limit)
        assertions = plurality_assertions(
            votes,
            winners,
            ballots=ballots,
            phantoms=phantoms,
            contest=name,
            votes_allowed=votes_allowed,
        )
        return cls(name, risk_limit, tuple(assertions), tuple(votes))

    @property
    def cards(self) -> int:
        """The number of cards the contest is audited over (reported ballots plus phantoms)."""
        return self.assertions[0].population.size


@dataclass(frozen=True)
class AssertionStatus:
    """The measured risk of one assertion after a round."""

    name: str
    p_value: float
    met: bool
    stopped_at: int | None
    """1-based draw at which the risk first fell to the limit, or ``None``."""
    next_round_size: int
    """Further draws this assertion would need (0 when met)."""


@dataclass(frozen=True)
class ContestStatus:
    """Where one contest stands after a round."""

    contest: ContestName
    risk_limit: float
    risk: float
    """The largest p-value of its assertions: the contest's measured risk."""
    confirmed: bool
    full_hand_count: bool
    """The sample cannot be extended usefully: count every card by hand; that count stands."""
    next_round_size: int
    """Further draws for this contest (0 when confirmed or when going to a full hand count)."""
    assertions: tuple[AssertionStatus, ...] = field(default=())


@dataclass(frozen=True)
class RoundResult:
    """The state of the whole audit after one round."""

    round_number: int
    sample_size: int
    """Cards drawn so far, over all rounds."""
    contests: tuple[ContestStatus, ...]
    next_round_size: int
    """Further draws for the next round: the largest any unfinished contest needs (0 when done)."""

    @property
    def finished(self) -> bool:
        """Whether no contest needs more draws (all confirmed or going to a full hand count)."""
        return all(c.confirmed or c.full_hand_count for c in self.contests)


def _choices_for(contest: ContestUnderAudit, cards: Sequence[Card]) -> list[CardReading]:
    """Return the reading of ``contest`` on each card; a card without it counts as no vote."""
    seen = [card.get(contest.name, NO_VOTE) for card in cards]
    return check_sample_choices(seen, contest.candidates, source=f"contest {contest.name!r}")


def assess_contest(
    contest: ContestUnderAudit,
    cards: Sequence[Card],
    *,
    probability: float = 0.9,
) -> ContestStatus:
    """Measure the risk of every assertion of ``contest`` from the cards drawn so far (ALPHA).

    Draws are without replacement from ``contest.cards``. For an assertion not yet met, the next
    round's size is :func:`~papertally.audit.polling.alpha_sample_size` continued from its state.
    When the whole population has been drawn, or the next round would reach it, the contest goes
    to a full hand count.
    """
    if len(cards) > contest.cards:
        raise PapertallyError(
            f"contest {contest.name!r}: {len(cards)} cards drawn but only {contest.cards} exist"
        )
    choices = _choices_for(contest, cards)
    statuses = []
    for assertion in contest.assertions:
        settings = alpha_settings(assertion, contest.risk_limit)
        x = assertion.assort(choices)
        martingale = alpha_martingale(
            x, settings, population=assertion.population.size, risk_limit=contest.risk_limit
        )
        peak = float(np.max(martingale)) if martingale.size else 1.0
        p_value = min(1.0, 1.0 / peak) if peak > 0 else 1.0
        hits = np.flatnonzero(martingale >= (1.0 / contest.risk_limit) * (1 - 1e-12))
        met = bool(hits.size)
        next_size = 0
        if not met:
            drawn = tuple(int(np.sum(x == v)) for v in assertion.population.values)
            last = float(martingale[-1]) if martingale.size else 1.0
            state = PollingState(
                draws=len(cards),
                drawn=drawn,
                log_martingale=float(np.log(last)) if last > 0 else -np.inf,
            )
            if last > 0 and len(cards) < assertion.population.size:
                next_size = alpha_sample_size(
                    assertion, contest.risk_limit, probability, state=state, settings=settings
                )
            else:
                next_size = assertion.population.size - len(cards)
        statuses.append(
            AssertionStatus(
                name=assertion.name,
                p_value=p_value,
                met=met,
                stopped_at=int(hits[0]) + 1 if met else None,
                next_round_size=next_size,
            )
        )
    confirmed = all(s.met for s in statuses)
    needed = max((s.next_round_size for s in statuses), default=0)
    full_count = not confirmed and len(cards) + needed >= contest.cards
    return ContestStatus(
        contest=contest.name,
        risk_limit=contest.risk_limit,
        risk=max(s.p_value for s in statuses),
        confirmed=confirmed,
        full_hand_count=full_count,
        next_round_size=0 if confirmed or full_count else needed,
        assertions=tuple(statuses),
    )


def run_rounds(
    contests: Sequence[ContestUnderAudit],
    cards: Sequence[Card],
    round_ends: Sequence[int],
    *,
    probability: float = 0.9,
) -> list[RoundResult]:
    """Replay an audit whose rounds ended after ``round_ends`` cards (cumulative, increasing).

    All contests share the sample ``cards`` (in draw order). A contest confirmed in one round stays
    confirmed with the risk it had then; later rounds only assess the others.
    """
    if list(round_ends) != sorted(set(round_ends)) or (round_ends and round_ends[-1] > len(cards)):
        raise PapertallyError(
            f"round ends must increase and not exceed the {len(cards)} cards drawn, got "
            f"{list(round_ends)}"
        )
    results: list[RoundResult] = []
    settled: dict[ContestName, ContestStatus] = {}
    for number, end in enumerate(round_ends, start=1):
        statuses = []
        for contest in contests:
            if contest.name in settled:
                statuses.append(settled[contest.name])
                continue
            status = assess_contest(contest, cards[:end], probability=probability)
            if status.confirmed or status.full_hand_count:
                settled[contest.name] = status
            statuses.append(status)
        results.append(
            RoundResult(
                round_number=number,
                sample_size=end,
                contests=tuple(statuses),
                next_round_size=max((s.next_round_size for s in statuses), default=0),
            )
        )
    return results
